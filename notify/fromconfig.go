package notify

import (
	"log/slog"
	"net"
	"reflect"
	"strconv"

	"github.com/alived/alived/config"
)

// ScriptRunner is the Runner global_defs configures: script_user, else
// keepalived_script (DefaultScriptUser), else the daemon's own identity.
func ScriptRunner(g *config.GlobalDefs, log *slog.Logger) *Runner {
	r := &Runner{User: g.ScriptUser, Group: g.ScriptGroup, Logger: log}
	if r.User == "" {
		r.User = DefaultScriptUser()
	}
	return r
}

// FromConfig builds the one Notifier global_defs configures for the whole
// daemon: notify_fifo, vrrp_notify_fifo and lvs_notify_fifo (each with its
// reader script) and SMTP alerts. keepalived has one writer per FIFO, so
// the VRRP and LVS sides must share the result rather than build their
// own (two writers would also start the reader script twice).
//
// script converts a FIFO's reader script to a Command, returning nil for
// one that script security disabled; nil script runs them unfiltered.
// A FIFO that cannot be opened is left out and returned as an error for
// the caller to log: keepalived carries on without it.
func FromConfig(g *config.GlobalDefs, script func(*config.Script) *Command, log *slog.Logger) (*Notifier, []error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if script == nil {
		script = commandOf
	}
	runner := ScriptRunner(g, log)
	var errs []error
	open := func(f *config.FIFO) *FIFO {
		if f == nil || f.Path == "" {
			return nil
		}
		opt := FIFOOptions{Runner: runner, Logger: log}
		if f.Script != nil {
			opt.Script = script(f.Script)
		}
		fifo, err := OpenFIFO(f.Path, opt)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		return fifo
	}
	nc := Config{
		RouterID: g.RouterID, Runner: runner,
		FIFO: open(g.NotifyFIFO), VRRPFIFO: open(g.VRRPNotifyFIFO), LVSFIFO: open(g.LVSNotifyFIFO),
		NoEmailFaults: g.NoEmailFaults, Logger: log,
	}
	if g.SMTPServer != "" && len(g.NotificationEmail) > 0 {
		port := g.SMTPPort
		if port == 0 {
			port = 25
		}
		nc.Mailer = NewMailer(MailerConfig{
			Server: net.JoinHostPort(g.SMTPServer, strconv.Itoa(int(port))), HeloName: g.SMTPHeloName,
			From: g.NotificationEmailFrom, To: g.NotificationEmail, ConnectTimeout: g.SMTPConnectTimeout, Logger: log,
		})
	}
	return NewNotifier(nc), errs
}

// commandOf converts s without any script-security filtering.
func commandOf(s *config.Script) *Command {
	if s == nil || len(s.Args) == 0 {
		return nil
	}
	return &Command{Argv: append([]string(nil), s.Args...), User: s.User, Group: s.Group}
}

// SameSettings reports whether two global_defs configure the same
// Notifier (FIFOs and their reader scripts, mail, script identity and
// security). When they do, a reload keeps the running Notifier, so its
// FIFOs stay open and queued scripts keep their order.
func SameSettings(a, b *config.GlobalDefs) bool {
	fifo := func(f *config.FIFO) []any {
		if f == nil {
			return nil
		}
		if f.Script == nil {
			return []any{f.Path}
		}
		return []any{f.Path, f.Script.Args, f.Script.User, f.Script.Group}
	}
	pick := func(g *config.GlobalDefs) []any {
		return []any{g.RouterID, fifo(g.NotifyFIFO), fifo(g.VRRPNotifyFIFO), fifo(g.LVSNotifyFIFO),
			g.SMTPServer, g.SMTPPort, g.SMTPHeloName, g.SMTPConnectTimeout, g.NotificationEmail,
			g.NotificationEmailFrom, g.NoEmailFaults, g.ScriptUser, g.ScriptGroup, g.EnableScriptSecurity}
	}
	return reflect.DeepEqual(pick(a), pick(b))
}
