package daemon

import (
	"log/slog"
	"net"
	"strconv"
	"strings"

	"github.com/alived/alived/config"
	"github.com/alived/alived/notify"
)

// scriptFilter applies keepalived's script security to configured
// scripts: the ones config.CheckScripts disables (not found, insecure
// under enable_script_security, unknown user) are never run.
type scriptFilter struct {
	disabled map[string]bool
}

// scriptKey identifies a script by its argv and user.
func scriptKey(argv []string, user, group string) string {
	return strings.Join(argv, "\x00") + "\x01" + user + "\x01" + group
}

// newScriptFilter checks every script of cfg and logs what is disabled.
func newScriptFilter(cfg *config.Config, log *slog.Logger) scriptFilter {
	rep := config.CheckScripts(cfg, config.HostSystem())
	for _, d := range rep.Diagnostics {
		log.Warn("script security", "diag", config.Format(d))
	}
	f := scriptFilter{disabled: map[string]bool{}}
	for _, v := range rep.Verdicts {
		if v.Disabled {
			s := v.Ref.Script
			f.disabled[scriptKey(s.Args, s.User, s.Group)] = true
		}
	}
	return f
}

// allowed reports whether c may run.
func (f scriptFilter) allowed(c *notify.Command) bool {
	return c != nil && !f.disabled[scriptKey(c.Argv, c.User, c.Group)]
}

// filter returns c, or nil when it is disabled.
func (f scriptFilter) filter(c *notify.Command) *notify.Command {
	if !f.allowed(c) {
		return nil
	}
	return c
}

// scripts drops the disabled scripts of s.
func (f scriptFilter) scripts(s notify.VRRPScripts) notify.VRRPScripts {
	return notify.VRRPScripts{
		Master: f.filter(s.Master), Backup: f.filter(s.Backup), Fault: f.filter(s.Fault),
		Stop: f.filter(s.Stop), Deleted: f.filter(s.Deleted), Generic: f.filter(s.Generic),
		RxLowerPri: f.filter(s.RxLowerPri),
	}
}

// scriptRunner is the Runner of global_defs: script_user, else
// keepalived_script, else the daemon's own identity.
func scriptRunner(g *config.GlobalDefs, log *slog.Logger) *notify.Runner {
	r := &notify.Runner{User: g.ScriptUser, Group: g.ScriptGroup, Logger: log}
	if r.User == "" {
		r.User = notify.DefaultScriptUser()
	}
	return r
}

// newNotifier builds the Notifier of global_defs: notify_fifo,
// vrrp_notify_fifo (with their reader scripts) and SMTP alerts.
func newNotifier(cfg *config.Config, sec scriptFilter, log *slog.Logger) *notify.Notifier {
	g := &cfg.Global
	runner := scriptRunner(g, log)
	open := func(f *config.FIFO) *notify.FIFO {
		if f == nil || f.Path == "" {
			return nil
		}
		opt := notify.FIFOOptions{Runner: runner, Logger: log}
		if f.Script != nil {
			opt.Script = sec.filter(notifyCommand(f.Script))
		}
		fifo, err := notify.OpenFIFO(f.Path, opt)
		if err != nil {
			log.Error("notify fifo", "path", f.Path, "err", err)
			return nil
		}
		return fifo
	}
	nc := notify.Config{
		RouterID: g.RouterID, Runner: runner, FIFO: open(g.NotifyFIFO), VRRPFIFO: open(g.VRRPNotifyFIFO),
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
	return notify.NewNotifier(nc)
}
