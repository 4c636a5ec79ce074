package edit

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alived/alived/config"
	"github.com/alived/alived/config/ident"
	"github.com/alived/alived/internal/testenv"
)

// diffBase is the configuration every differential edit starts from.
const diffBase = `global_defs {
    router_id lb1
}

virtual_server 192.0.2.10 80 {
    delay_loop 6
    lb_algo rr
    lb_kind NAT
    protocol TCP

    real_server 192.0.2.21 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 3
        }
    }
    real_server 192.0.2.22 80 {
        weight 1
    }
}
`

// writeSet writes fs (rooted at from) into dir and returns the new path
// of main.
func writeSet(t *testing.T, fs FileSet, from, dir, main string) string {
	t.Helper()
	for p, b := range fs {
		rel, err := filepath.Rel(from, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			t.Fatalf("%s outside %s", p, from)
		}
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rel, _ := filepath.Rel(from, main)
	return filepath.Join(dir, rel)
}

// alivedExit is what `alived -t` answers for the file: load, validate on
// this host, check scripts, exit code as keepalived's.
func alivedExit(path string) (int, string) {
	cfg, diags := config.Load(path, config.LoadOptions{})
	var rep config.ScriptReport
	if cfg != nil {
		diags = append(diags, cfg.Validate(config.HostEnv())...)
		rep = config.CheckScripts(cfg, config.HostSystem())
	}
	var msgs []string
	for _, d := range append(diags, rep.Diagnostics...) {
		msgs = append(msgs, config.Format(d))
	}
	return config.ExitCode(diags, rep), strings.Join(msgs, "\n")
}

func keepalivedExit(t *testing.T, bin, path string) (int, string) {
	cmd := exec.Command(bin, "-t", "-f", path)
	cmd.Dir = "/" // includes must not depend on the working directory
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("keepalived: %v", err)
	return -1, ""
}

// TestEditsAgreeWithKeepalived applies every kind of edit to a base
// configuration and requires keepalived 2.2.7's -t to accept the result
// exactly when alived's checks do, and each case to land on the expected
// side (so that both accepted and rejected edits are covered).
func TestEditsAgreeWithKeepalived(t *testing.T) {
	if testing.Short() {
		t.Skip("runs keepalived -t per edit; skipped under -short")
	}
	bin := testenv.RequireBinary(t, "keepalived")
	root := t.TempDir()
	const mainName = "etc/keepalived/keepalived.conf"
	main := filepath.Join(root, mainName)
	base := FileSet{main: []byte(diffBase)}
	vs := ident.VS{}
	var err error
	if vs, err = ident.ParseVS("192.0.2.10:80"); err != nil {
		t.Fatal(err)
	}
	rs := func(s string) ident.RS { r, _ := ident.ParseRS(s); return r }
	w := uint32(2)
	addRS := func(check ...Param) func(*Tree) (FileSet, error) {
		return func(tr *Tree) (FileSet, error) {
			return tr.AddRS(vs, RSSpec{ID: rs("192.0.2.30:80"), Weight: &w, Checks: check}, AddOptions{})
		}
	}
	blk := func(kw string, ps ...Param) Param { return Param{Keyword: kw, Block: ps, IsBlock: true} }
	kv := func(kw string, args ...string) Param { return Param{Keyword: kw, Args: args} }
	newVS, _ := ident.ParseVS("192.0.2.11:443")
	pt := uint32(300)
	q := uint32(1)
	port := uint16(25)
	to := uint32(30)
	cases := []struct {
		name   string
		edit   func(*Tree) (FileSet, error)
		accept bool
	}{
		{"add VS", func(tr *Tree) (FileSet, error) {
			// keepalived -t rejects a virtual server without real servers.
			return tr.AddVS(VSSpec{ID: newVS, DelayLoop: "5", Scheduler: "wlc", Method: "DR", PersistenceTimeout: &pt}, nil, AddOptions{})
		}, false},
		{"add VS disabled without scheduler", func(tr *Tree) (FileSet, error) {
			return tr.AddVS(VSSpec{ID: newVS}, nil, AddOptions{Disabled: true})
		}, true},
		{"add VS with real servers", func(tr *Tree) (FileSet, error) {
			return tr.AddVS(VSSpec{ID: newVS, DelayLoop: "5", Scheduler: "wlc", Method: "DR"}, []RSSpec{
				{ID: rs("192.0.2.40:443"), Weight: &w, Checks: []Param{blk("TCP_CHECK", kv("connect_timeout", "3"))}},
				{ID: rs("192.0.2.41:443"), Weight: &w, Checks: []Param{blk("HTTP_GET", blk("url", kv("path", "/"), kv("status_code", "200")))}},
			}, AddOptions{})
		}, true},
		{"add VS without scheduler", func(tr *Tree) (FileSet, error) {
			return tr.AddVS(VSSpec{ID: newVS}, []RSSpec{{ID: rs("192.0.2.40:443")}}, AddOptions{})
		}, false},
		{"add VS then RS in managed layout", func(tr *Tree) (FileSet, error) {
			out, err := tr.AddVS(VSSpec{ID: newVS, Scheduler: "rr", Method: "NAT"}, nil, AddOptions{})
			if err != nil {
				return nil, err
			}
			tr2, err := Open(tr.Main(), out, nil, nil)
			if err != nil {
				return nil, err
			}
			return tr2.AddRS(newVS, RSSpec{ID: rs("192.0.2.40:443"), Weight: &w, Checks: []Param{blk("SSL_GET", blk("url", kv("path", "/"), kv("status_code", "200")))}}, AddOptions{})
		}, true},
		{"set VS scheduler and persistence", func(tr *Tree) (FileSet, error) {
			s := tr.VirtualServers()[0].Spec
			s.Scheduler, s.PersistenceTimeout, s.Quorum = "wrr", &pt, &q
			s.SorryServer = &Endpoint{Addr: rs("192.0.2.99:0").Addr}
			return tr.SetVS(s)
		}, true},
		{"set VS persistence_granularity without timeout", func(tr *Tree) (FileSet, error) {
			s := tr.VirtualServers()[0].Spec
			s.PersistenceGranularity = "255.255.255.0"
			return tr.SetVS(s)
		}, true},
		{"delete VS", func(tr *Tree) (FileSet, error) { return tr.DeleteVS(vs) }, true},
		{"disable VS", func(tr *Tree) (FileSet, error) { return tr.DisableVS(vs) }, true},
		{"disable then enable VS", func(tr *Tree) (FileSet, error) {
			out, err := tr.DisableVS(vs)
			if err != nil {
				return nil, err
			}
			tr2, err := Open(tr.Main(), out, nil, nil)
			if err != nil {
				return nil, err
			}
			return tr2.EnableVS(vs)
		}, true},
		{"disable then enable RS", func(tr *Tree) (FileSet, error) {
			out, err := tr.DisableRS(vs, rs("192.0.2.21:80"))
			if err != nil {
				return nil, err
			}
			tr2, err := Open(tr.Main(), out, nil, nil)
			if err != nil {
				return nil, err
			}
			return tr2.EnableRS(vs, rs("192.0.2.21:80"))
		}, true},
		{"disable RS", func(tr *Tree) (FileSet, error) { return tr.DisableRS(vs, rs("192.0.2.21:80")) }, true},
		{"delete RS", func(tr *Tree) (FileSet, error) { return tr.DeleteRS(vs, rs("192.0.2.22:80")) }, true},
		{"set RS weight and check", func(tr *Tree) (FileSet, error) {
			s := tr.VirtualServers()[0].RealServers[0].Spec
			s.Weight = &w
			s.Checks = []Param{blk("HTTP_GET", blk("url", kv("path", "/health"), kv("status_code", "200")), kv("connect_timeout", "3"), kv("retry", "2"))}
			return tr.SetRS(vs, s)
		}, true},
		{"add RS HTTP_GET", addRS(blk("HTTP_GET", blk("url", kv("path", "/"), kv("digest", "9b3a0c85a887a256d6939da88aabd8cd")))), true},
		{"add RS HTTP_GET without url", addRS(blk("HTTP_GET", kv("connect_timeout", "3"))), false},
		{"add RS TCP_CHECK", addRS(blk("TCP_CHECK", kv("connect_port", "80"), kv("bindto", "192.0.2.1"))), true},
		{"add RS SMTP_CHECK", addRS(blk("SMTP_CHECK", kv("helo_name", "lb.example.com"), kv("connect_timeout", "5"))), true},
		{"add RS DNS_CHECK", addRS(blk("DNS_CHECK", kv("type", "A"), kv("name", "example.com"))), true},
		{"add RS UDP_CHECK", addRS(blk("UDP_CHECK", kv("connect_port", "53"), kv("require_reply", "abcd"))), true},
		// Exit 6: check scripts without enable_script_security.
		{"add RS MISC_CHECK without script security", addRS(blk("MISC_CHECK", kv("misc_path", "/bin/true"), kv("misc_timeout", "5"))), false},
		{"add RS MISC_CHECK without path", addRS(blk("MISC_CHECK", kv("misc_timeout", "5"))), false},
		{"add RS PING_CHECK", addRS(blk("PING_CHECK", kv("retry", "2"))), true},
		{"add RS FILE_CHECK of an undefined track_file", addRS(blk("FILE_CHECK", kv("track_file", "nosuch"))), false},
		{"add RS BFD_CHECK of an undefined instance", addRS(blk("BFD_CHECK", kv("name", "nosuch"))), false},
		{"add RS disabled", func(tr *Tree) (FileSet, error) {
			return tr.AddRS(vs, RSSpec{ID: rs("192.0.2.31:80"), Checks: []Param{blk("HTTP_GET")}}, AddOptions{Disabled: true})
		}, true},
		{"add RS retry 0", addRS(blk("TCP_CHECK", kv("retry", "0"))), true},
		{"set globals", func(tr *Tree) (FileSet, error) {
			return tr.SetGlobals(Globals{NotificationEmail: []string{"ops@example.com"}, NotificationEmailFrom: "lb@example.com", SMTPServer: "127.0.0.1", SMTPPort: &port, SMTPConnectTimeout: &to})
		}, true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, err := Open(main, base, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.edit(tr)
			if err != nil {
				t.Fatalf("edit refused: %v", err)
			}
			dir := filepath.Join(root, "case", strings.ReplaceAll(c.name, " ", "_"))
			p := writeSet(t, out, root, dir, main)
			k, kout := keepalivedExit(t, bin, p)
			a, aout := alivedExit(p)
			if k != a {
				t.Errorf("case %d: keepalived exit %d, alived %d\nkeepalived: %s\nalived: %s", i, k, a, kout, aout)
			}
			if (k == 0) != c.accept {
				t.Errorf("case %d: keepalived exit %d, want accepted=%v: %s", i, k, c.accept, kout)
			}
		})
	}
}

// TestILUKATreeEditsAgreeWithKeepalived edits the ILUKA fixture in place
// (written to a temporary directory, keepalived run from /) and requires
// the same verdict from keepalived and alived. ILUKA's own HTTP_GET
// template writes nb_get_retry, which keepalived 2.2.7 -t rejects as
// deprecated; rewriting that real server's check is one of the edits.
func TestILUKATreeEditsAgreeWithKeepalived(t *testing.T) {
	if testing.Short() {
		t.Skip("runs keepalived -t per edit; skipped under -short")
	}
	bin := testenv.RequireBinary(t, "keepalived")
	fs := loadDir(t, ilukaDir)
	from, _ := filepath.Abs(ilukaDir)
	main := filepath.Join(from, "keepalived.conf")
	web, _ := ident.ParseVS("192.168.0.10:80")
	dns, _ := ident.ParseVS("192.168.0.10:53/udp")
	fix := func(tr *Tree) (FileSet, error) {
		s := tr.VirtualServers()[0].RealServers[0].Spec
		s.Checks = []Param{{Keyword: "HTTP_GET", Block: []Param{{Keyword: "url", Block: []Param{{Keyword: "path", Args: []string{"/index.html"}}, {Keyword: "status_code", Args: []string{"200"}}}}, {Keyword: "retry", Args: []string{"3"}}}}}
		return tr.SetRS(web, s)
	}
	cases := []struct {
		name   string
		edit   func(*Tree) (FileSet, error)
		accept bool
	}{
		{"as written", func(tr *Tree) (FileSet, error) { return tr.Files(), nil }, false},
		{"fix nb_get_retry", fix, true},
		{"enable dns VS", func(tr *Tree) (FileSet, error) {
			out, err := fix(tr)
			if err != nil {
				return nil, err
			}
			tr2, err := Open(main, out, nil, nil)
			if err != nil {
				return nil, err
			}
			return tr2.EnableVS(dns)
		}, true},
		{"disable web VS", func(tr *Tree) (FileSet, error) { return tr.DisableVS(web) }, true},
		{"delete web VS", func(tr *Tree) (FileSet, error) { return tr.DeleteVS(web) }, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, err := Open(main, fs, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.edit(tr)
			if err != nil {
				t.Fatal(err)
			}
			p := writeSet(t, out, from, filepath.Join(t.TempDir(), "keepalived"), main)
			k, kout := keepalivedExit(t, bin, p)
			a, aout := alivedExit(p)
			if k != a {
				t.Errorf("keepalived exit %d, alived %d\nkeepalived: %s\nalived: %s", k, a, kout, aout)
			}
			if (k == 0) != c.accept {
				t.Errorf("keepalived exit %d, want accepted=%v: %s", k, c.accept, kout)
			}
		})
	}
}
