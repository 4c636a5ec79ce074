package daemon

import (
	"context"
	"log/slog"
	"strings"
	"time"

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
	return filterOf(rep)
}

// scriptFilterOf is newScriptFilter without the logging, for the
// daemon's own use (the VRRP side already logs the same diagnostics).
func scriptFilterOf(cfg *config.Config) scriptFilter {
	return filterOf(config.CheckScripts(cfg, config.HostSystem()))
}

// filterOf collects the scripts rep disables.
func filterOf(rep config.ScriptReport) scriptFilter {
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

// notifierUser is a component that notifies through the daemon's one
// Notifier. The daemon hands it the Notifier before Start and again when a
// reload replaces it; the component never closes it.
type notifierUser interface {
	SetNotifier(n *notify.Notifier)
}

// buildNotifier builds the daemon's Notifier from cfg's global_defs,
// with script security applied to the FIFO reader scripts.
func (d *Daemon) buildNotifier(cfg *config.Config) *notify.Notifier {
	sec := scriptFilterOf(cfg)
	n, errs := notify.FromConfig(&cfg.Global, func(s *config.Script) *notify.Command {
		return sec.filter(notifyCommand(s))
	}, d.log)
	for _, err := range errs {
		d.log.Error("notify fifo", "err", err)
	}
	return n
}

// setNotifier makes n the Notifier of the daemon and of every component.
func (d *Daemon) setNotifier(n *notify.Notifier) {
	d.notifier = n
	for _, c := range d.comps {
		if u, ok := c.(notifierUser); ok {
			u.SetNotifier(n)
		}
	}
}

// closeNotifier lets n finish its queued scripts and mails for at most
// wait.
func closeNotifier(n *notify.Notifier, wait time.Duration) {
	if n == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_ = n.Close(ctx)
}
