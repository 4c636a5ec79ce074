package notify

import (
	"log/slog"
	"reflect"
	"time"
)

// Settings are the daemon-wide notification settings (keepalived's
// global_defs): who runs scripts, the FIFOs and their reader scripts, and
// where alert mails go. The daemon builds one Notifier from them and
// shares it between the VRRP and LVS sides.
type Settings struct {
	// RouterID names this node in mail subjects.
	RouterID string
	// ScriptUser and ScriptGroup are script_user; an empty ScriptUser
	// means DefaultScriptUser.
	ScriptUser, ScriptGroup string
	// FIFO, VRRPFIFO and LVSFIFO are notify_fifo, vrrp_notify_fifo and
	// lvs_notify_fifo; an empty Path is not configured.
	FIFO, VRRPFIFO, LVSFIFO FIFOSetting
	// SMTPServer is smtp_server as "host:port"; empty sends no mail.
	SMTPServer   string
	SMTPHeloName string
	// From and To are notification_email_from and notification_email;
	// without To no mail is sent.
	From string
	To   []string
	// SMTPConnectTimeout is smtp_connect_timeout.
	SMTPConnectTimeout time.Duration
	// NoEmailFaults is no_email_faults.
	NoEmailFaults bool
}

// FIFOSetting is one notify FIFO and the script that reads it (nil: none,
// or one script security disabled).
type FIFOSetting struct {
	Path   string
	Script *Command
}

// Runner is the script Runner the settings ask for: script_user, else
// keepalived_script (DefaultScriptUser), else the daemon's own identity.
func (s Settings) Runner(log *slog.Logger) *Runner {
	r := &Runner{User: s.ScriptUser, Group: s.ScriptGroup, Logger: log}
	if r.User == "" {
		r.User = DefaultScriptUser()
	}
	return r
}

// Equal reports whether s and o build the same Notifier. When they do, a
// reload keeps the running Notifier, so its FIFOs stay open and queued
// scripts keep their order.
func (s Settings) Equal(o Settings) bool { return reflect.DeepEqual(s, o) }

// MailerConfig is the mail part of the settings.
func (s Settings) MailerConfig() MailerConfig {
	return MailerConfig{Server: s.SMTPServer, HeloName: s.SMTPHeloName, From: s.From, To: s.To, ConnectTimeout: s.SMTPConnectTimeout}
}

// Build makes the one Notifier the settings describe. keepalived has one
// writer per FIFO, so the VRRP and LVS sides must share the result rather
// than build their own (two writers would also start a reader script
// twice). A FIFO that cannot be opened is left out and returned as an
// error for the caller to log: keepalived carries on without it.
func Build(s Settings, log *slog.Logger) (*Notifier, []error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	runner := s.Runner(log)
	var errs []error
	open := func(f FIFOSetting) *FIFO {
		if f.Path == "" {
			return nil
		}
		fifo, err := OpenFIFO(f.Path, FIFOOptions{Runner: runner, Logger: log, Script: f.Script})
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		return fifo
	}
	nc := Config{
		RouterID: s.RouterID, Runner: runner,
		FIFO: open(s.FIFO), VRRPFIFO: open(s.VRRPFIFO), LVSFIFO: open(s.LVSFIFO),
		NoEmailFaults: s.NoEmailFaults, Logger: log,
	}
	if s.SMTPServer != "" && len(s.To) > 0 {
		mc := s.MailerConfig()
		mc.Logger = log
		nc.Mailer = NewMailer(mc)
	}
	return NewNotifier(nc), errs
}
