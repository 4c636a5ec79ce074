package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/alived/alived/config/syntax"
)

// anyInterface makes Validate accept every interface name, so the tests
// do not depend on the host's interfaces.
var anyInterface = &Env{Interface: func(string) (bool, bool) { return true, false }}

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func vsAddrs(c *Config) []string {
	var out []string
	for _, v := range c.VirtualServers {
		out = append(out, v.Addr.String())
	}
	return out
}

const vsBlock = `virtual_server %s 80 {
    lvs_sched rr
    lvs_method NAT
    protocol TCP
    real_server 192.0.2.100 80 {
    }
}
`

func vsConf(addr string) string { return strings.Replace(vsBlock, "%s", addr, 1) }

// TestCheckOverlayAddsInclude: a candidate held in memory whose main file
// includes a file that exists only in the overlay, in a directory that
// does not exist on disk, is read as if it had been written.
func TestCheckOverlayAddsInclude(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "keepalived.conf")
	writeTree(t, dir, map[string]string{"keepalived.conf": vsConf("192.0.2.1")})

	onDisk := Check(main, CheckOptions{Env: anyInterface, Scripts: newFakeSystem()})
	if got := vsAddrs(onDisk.Config); !slices.Equal(got, []string{"192.0.2.1"}) {
		t.Fatalf("on disk: virtual servers %v", got)
	}
	cand := Check(main, CheckOptions{Env: anyInterface, Scripts: newFakeSystem(), Overlay: Overlay{Files: map[string][]byte{
		main:                                    []byte(vsConf("192.0.2.1") + "include conf.d/*.conf\ninclude extra/one.conf\ninclude ./dot.conf\n"),
		filepath.Join(dir, "dot.conf"):          []byte(vsConf("192.0.2.5")),
		filepath.Join(dir, "conf.d", "b.conf"):  []byte(vsConf("192.0.2.3")),
		filepath.Join(dir, "conf.d", "a.conf"):  []byte(vsConf("192.0.2.2")),
		filepath.Join(dir, "extra", "one.conf"): []byte(vsConf("192.0.2.4")),
	}}})
	if cand.Config == nil || cand.Worst() >= syntax.Error {
		t.Fatalf("candidate refused: %v", cand.Diagnostics)
	}
	if got, want := vsAddrs(cand.Config), []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"}; !slices.Equal(got, want) {
		t.Errorf("candidate: virtual servers %v, want %v (glob order, then the literal includes, ./ included)", got, want)
	}
	// Nothing was written.
	if _, err := os.Stat(filepath.Join(dir, "conf.d")); !os.IsNotExist(err) {
		t.Errorf("the overlay reached the disk: %v", err)
	}
	if got := vsAddrs(Check(main, CheckOptions{Env: anyInterface, Scripts: newFakeSystem()}).Config); !slices.Equal(got, []string{"192.0.2.1"}) {
		t.Errorf("disk after the overlay check: %v", got)
	}
}

// TestCheckOverlayDeletes: a file deleted in the overlay reads as missing,
// for an include (a warning, or fatal with -e) and for the main file.
func TestCheckOverlayDeletes(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "keepalived.conf")
	writeTree(t, dir, map[string]string{
		"keepalived.conf": vsConf("192.0.2.1") + "include part.conf\ninclude conf.d/*.conf\n",
		"part.conf":       vsConf("192.0.2.2"),
		"conf.d/x.conf":   vsConf("192.0.2.3"),
		"conf.d/y.conf":   vsConf("192.0.2.4"),
	})
	del := Overlay{Deleted: []string{filepath.Join(dir, "part.conf"), filepath.Join(dir, "conf.d", "x.conf")}}
	c := Check(main, CheckOptions{Env: anyInterface, Scripts: newFakeSystem(), Overlay: del})
	if c.Config == nil {
		t.Fatalf("refused: %v", c.Diagnostics)
	}
	if got, want := vsAddrs(c.Config), []string{"192.0.2.1", "192.0.2.4"}; !slices.Equal(got, want) {
		t.Errorf("virtual servers %v, want %v", got, want)
	}
	missing := false
	for _, d := range c.Diagnostics {
		missing = missing || strings.Contains(d.Msg, "part.conf")
	}
	if !missing {
		t.Errorf("no diagnostic names the deleted include: %v", c.Diagnostics)
	}
	if e := Check(main, CheckOptions{Env: anyInterface, Scripts: newFakeSystem(), Overlay: del, AllConfig: true}); e.ExitCode() != ExitFatal || len(e.Refusals(false)) == 0 {
		t.Errorf("-e with a deleted include: exit %d, refusals %v", e.ExitCode(), e.Refusals(false))
	}

	gone := Check(main, CheckOptions{Env: anyInterface, Scripts: newFakeSystem(), Overlay: Overlay{Deleted: []string{main}}})
	if gone.Config == nil || len(gone.Config.VirtualServers) != 0 || !strings.Contains(gone.Diagnostics[0].Msg, "missing") {
		t.Errorf("deleted main file: %v", gone.Diagnostics)
	}
	// A relative path names the same file as the absolute one.
	t.Chdir(dir)
	rel := Check("keepalived.conf", CheckOptions{Env: anyInterface, Scripts: newFakeSystem(), Overlay: Overlay{Deleted: []string{"part.conf"}}})
	if got, want := vsAddrs(rel.Config), []string{"192.0.2.1", "192.0.2.3", "192.0.2.4"}; !slices.Equal(got, want) {
		t.Errorf("relative: virtual servers %v, want %v", got, want)
	}
}

// TestCheckMainOnlyInOverlay: a main file that does not exist on disk is
// read from the overlay.
func TestCheckMainOnlyInOverlay(t *testing.T) {
	main := filepath.Join(t.TempDir(), "new", "keepalived.conf")
	c := Check(main, CheckOptions{Env: anyInterface, Scripts: newFakeSystem(), Overlay: Overlay{Files: map[string][]byte{main: []byte(vsConf("192.0.2.9"))}}})
	if got := vsAddrs(c.Config); !slices.Equal(got, []string{"192.0.2.9"}) {
		t.Errorf("virtual servers %v, diagnostics %v", got, c.Diagnostics)
	}
}

// TestCheckSortsAndRefuses: diagnostics come worst first; script problems
// are reported but never refuse a configuration, load errors refuse it on
// reload only, and script security marks the scripts it refuses.
func TestCheckSortsAndRefuses(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "keepalived.conf")
	writeTree(t, dir, map[string]string{"keepalived.conf": `global_defs {
    enable_script_security
    script_user nobody
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 1
    priority 100
    no_such_keyword
    virtual_ipaddress {
        192.0.2.1
    }
    notify_master "/etc/ww.sh" root
    notify_backup /bin/true
}
`})
	c := Check(main, CheckOptions{Env: anyInterface, Scripts: newFakeSystem()})
	if c.Config == nil {
		t.Fatalf("refused: %v", c.Diagnostics)
	}
	for i := 1; i < len(c.Diagnostics); i++ {
		if c.Diagnostics[i].Severity > c.Diagnostics[i-1].Severity {
			t.Fatalf("not sorted worst first: %v", c.Diagnostics)
		}
	}
	n := c.Config.Instances[0].Notify
	if !n.Master.Disabled || n.Backup.Disabled {
		t.Errorf("insecure notify_master disabled=%v, secure notify_backup disabled=%v", n.Master.Disabled, n.Backup.Disabled)
	}
	if c.ExitCode() != ExitConfig {
		t.Errorf("exit code %d, want %d for the unknown keyword", c.ExitCode(), ExitConfig)
	}
	if r := c.Refusals(false); len(r) != 0 {
		t.Errorf("start-up refuses %v; only Fatal problems should", r)
	}
	r := c.Refusals(true)
	if len(r) != 1 || !strings.Contains(r[0].Msg, "no_such_keyword") {
		t.Errorf("reload refusals %v, want only the unknown keyword (script problems never refuse)", r)
	}
}
