package notifyconf

import (
	"testing"
	"time"

	"github.com/alived/alived/config"
)

func script(args ...string) *config.Script {
	return &config.Script{Cmd: args[0], Args: args, User: "u", Group: "g"}
}

// TestCommandHonoursScriptSecurity: a script config.Check disabled is
// never turned into a command, wherever it is configured.
func TestCommandHonoursScriptSecurity(t *testing.T) {
	ok, off := script("/bin/ok", "a b"), script("/bin/off")
	off.Disabled = true
	c := Command(ok)
	if c == nil || len(c.Argv) != 2 || c.Argv[1] != "a b" || c.User != "u" || c.Group != "g" {
		t.Fatalf("Command(ok) = %+v", c)
	}
	ok.Args[1] = "changed"
	if c.Argv[1] != "a b" {
		t.Errorf("the command shares its argv with the configuration: %v", c.Argv)
	}
	if Command(off) != nil || Command(nil) != nil || Command(&config.Script{}) != nil {
		t.Error("a disabled, absent or empty script became a command")
	}
	v := VRRPScripts(&config.Notifies{Master: off, Backup: ok, Any: off})
	if v.Master != nil || v.Generic != nil || v.Backup == nil {
		t.Errorf("VRRPScripts = %+v", v)
	}
	if u := UpDown(off, ok); u.Up != nil || u.Down == nil {
		t.Errorf("UpDown = %+v", u)
	}
	s := Settings(&config.GlobalDefs{NotifyFIFO: &config.FIFO{Path: "/run/f", Script: off}})
	if s.FIFO.Path != "/run/f" || s.FIFO.Script != nil {
		t.Errorf("FIFO reader script security: %+v", s.FIFO)
	}
}

// TestSettings: global_defs become the notifier's settings (keepalived's
// default SMTP port 25), and SameNotifier tells whether a reload may keep
// the running notifier, including when script security changes a FIFO
// reader's verdict.
func TestSettings(t *testing.T) {
	g := config.GlobalDefs{RouterID: "lb1", SMTPServer: "mail.example", NotificationEmail: []string{"a@example"},
		NotificationEmailFrom: "lb@example", SMTPConnectTimeout: 7 * time.Second, ScriptUser: "nobody"}
	s := Settings(&g)
	if s.SMTPServer != "mail.example:25" || s.RouterID != "lb1" || s.From != "lb@example" || len(s.To) != 1 ||
		s.SMTPConnectTimeout != 7*time.Second || s.ScriptUser != "nobody" {
		t.Errorf("Settings = %+v", s)
	}
	g.SMTPPort = 2525
	if s := Settings(&g); s.SMTPServer != "mail.example:2525" {
		t.Errorf("smtp port: %q", s.SMTPServer)
	}
	if Settings(&config.GlobalDefs{}).SMTPServer != "" {
		t.Error("no smtp_server, yet a mail server")
	}

	reader := func(disabled bool) *config.Config {
		sc := script("/bin/reader")
		sc.Disabled = disabled
		return &config.Config{Global: config.GlobalDefs{RouterID: "lb1", NotifyFIFO: &config.FIFO{Path: "/run/f", Script: sc}}}
	}
	if !SameNotifier(reader(false), reader(false)) {
		t.Error("equal settings, different notifier")
	}
	if SameNotifier(reader(false), reader(true)) {
		t.Error("a FIFO reader that script security now disables keeps the old notifier")
	}
	other := reader(false)
	other.Global.RouterID = "lb2"
	if SameNotifier(reader(false), other) {
		t.Error("a new router_id (mail subjects) keeps the old notifier")
	}
}
