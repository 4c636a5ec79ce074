package lvs

import (
	"log/slog"
	"net"
	"strconv"

	"github.com/alived/alived/config"
	"github.com/alived/alived/healthcheck"
	"github.com/alived/alived/notify"
)

// checkBody returns the alert body keepalived 2.2.7's checker of kind
// sends when it takes a real server up or down. Most checkers use a fixed
// "=> X CHECK ... <=" text; HTTP_GET, SSL_GET and SMTP_CHECK say
// "=> CHECK ... <=" and add the failure reason; DNS_CHECK has its own
// wording.
func checkBody(kind healthcheck.Kind, up bool, reason string) string {
	switch kind {
	case healthcheck.KindTCP:
		return notify.CheckBody("TCP", up, "")
	case healthcheck.KindUDP:
		return notify.CheckBody("UDP", up, "")
	case healthcheck.KindMisc:
		return notify.CheckBody("MISC", up, "")
	case healthcheck.KindFile:
		return notify.CheckBody("FILE", up, "")
	case healthcheck.KindPing:
		return notify.CheckBody("ICMP", up, "")
	case healthcheck.KindDNS:
		if up {
			return "=> DNS_CHECK: succeed on service <="
		}
		return "=> DNS_CHECK: failed on service <="
	case healthcheck.KindHTTP, healthcheck.KindSSL, healthcheck.KindSMTP:
		if up {
			reason = ""
		}
		return notify.CheckBody("", up, reason)
	}
	return notify.CheckBody("", up, "")
}

// newNotifier builds the Notifier of global_defs for the LVS side when
// the host gives none: notify_fifo and lvs_notify_fifo (with their reader
// scripts) and SMTP alerts. A FIFO that cannot be opened is returned as
// an error for the caller to log and left out: keepalived carries on
// without it.
func newNotifier(cfg *config.Config, sec scriptFilter, log *slog.Logger) (*notify.Notifier, []error) {
	g := &cfg.Global
	runner := &notify.Runner{User: g.ScriptUser, Group: g.ScriptGroup, Logger: log}
	if runner.User == "" {
		runner.User = notify.DefaultScriptUser()
	}
	var errs []error
	open := func(f *config.FIFO) *notify.FIFO {
		if f == nil || f.Path == "" {
			return nil
		}
		opt := notify.FIFOOptions{Runner: runner, Script: sec.command(f.Script), Logger: log}
		fifo, err := notify.OpenFIFO(f.Path, opt)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		return fifo
	}
	nc := notify.Config{
		RouterID: g.RouterID, Runner: runner, FIFO: open(g.NotifyFIFO), LVSFIFO: open(g.LVSNotifyFIFO),
		NoEmailFaults: g.NoEmailFaults, Logger: log,
	}
	if g.SMTPServer != "" && len(g.NotificationEmail) > 0 {
		port := g.SMTPPort
		if port == 0 {
			port = 25
		}
		nc.Mailer = notify.NewMailer(notify.MailerConfig{
			Server: net.JoinHostPort(g.SMTPServer, strconv.Itoa(int(port))), HeloName: g.SMTPHeloName,
			From: g.NotificationEmailFrom, To: g.NotificationEmail, ConnectTimeout: g.SMTPConnectTimeout, Logger: log,
		})
	}
	return notify.NewNotifier(nc), errs
}
