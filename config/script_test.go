package config

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/alived/alived/config/syntax"
)

// fakeSystem is an invented file system and user database.
type fakeSystem struct {
	files  map[string]FileStat
	users  map[string][2]uint32
	groups map[string]uint32
	path   map[string]string // LookPath results
}

func (f fakeSystem) Stat(p string) (FileStat, error) {
	if st, ok := f.files[p]; ok {
		return st, nil
	}
	return FileStat{}, fs.ErrNotExist
}

func (f fakeSystem) LookPath(file string) (string, error) {
	if p, ok := f.path[file]; ok {
		return p, nil
	}
	return "", errors.New("not in PATH")
}

func (f fakeSystem) LookupUser(name string) (uint32, uint32, error) {
	if u, ok := f.users[name]; ok {
		return u[0], u[1], nil
	}
	return 0, 0, fmt.Errorf("unknown user %s", name)
}

func (f fakeSystem) LookupGroup(name string) (uint32, error) {
	if g, ok := f.groups[name]; ok {
		return g, nil
	}
	return 0, fmt.Errorf("unknown group %s", name)
}

func dir(mode fs.FileMode, uid, gid uint32) FileStat {
	return FileStat{Mode: fs.ModeDir | mode, UID: uid, GID: gid}
}

func file(mode fs.FileMode, uid, gid uint32) FileStat {
	return FileStat{Mode: mode, UID: uid, GID: gid}
}

// newFakeSystem has secure /bin/true, a world-writable script, a script in
// the sticky /tmp, one in a group-writable (gid 5) directory and one in a
// root-group-writable directory.
func newFakeSystem() fakeSystem {
	return fakeSystem{
		files: map[string]FileStat{
			"/":                 dir(0o755, 0, 0),
			"/bin":              dir(0o755, 0, 0),
			"/bin/true":         file(0o755, 0, 0),
			"/etc":              dir(0o755, 0, 0),
			"/etc/ww.sh":        file(0o777, 0, 0),
			"/etc/userowned.sh": file(0o755, 1000, 1000),
			"/tmp":              dir(fs.ModeSticky|0o777, 0, 0),
			"/tmp/s.sh":         file(0o755, 0, 0),
			"/grp":              dir(0o775, 0, 5),
			"/grp/s.sh":         file(0o755, 0, 0),
			"/rootgrp":          dir(0o775, 0, 0),
			"/rootgrp/s.sh":     file(0o755, 0, 0),
			"/etc/noexec.sh":    file(0o644, 0, 0),
			"/etc/setuid.sh":    file(fs.ModeSetuid|0o755, 0, 0),
			"/etc/setuidbad.sh": file(fs.ModeSetuid|0o757, 0, 0),
			"/usr":              dir(0o755, 0, 0),
			"/usr/bin":          dir(0o755, 0, 0),
			"/usr/bin/killall":  file(0o755, 0, 0),
		},
		users:  map[string][2]uint32{"root": {0, 0}, "nobody": {65534, 65534}},
		groups: map[string]uint32{"root": 0, "nogroup": 65534},
		path:   map[string]string{"killall": "/usr/bin/killall"},
	}
}

func TestCheckScriptPathRules(t *testing.T) {
	sys := newFakeSystem()
	cases := []struct {
		cmd                 string
		uid                 uint32
		notFound, protected bool
		insecure            bool
	}{
		{"/bin/true", 0, false, true, false},
		{"/etc/ww.sh", 0, false, true, true},
		{"/etc/userowned.sh", 0, false, true, true},
		{"/tmp/s.sh", 0, false, true, false},     // sticky dir may be world-writable
		{"/grp/s.sh", 0, false, true, true},      // group-writable dir, non-root group
		{"/rootgrp/s.sh", 0, false, true, false}, // group-writable by root's group
		{"/etc/ww.sh", 65534, false, false, false},
		{"/etc/setuid.sh", 65534, false, true, false},
		{"/etc/setuidbad.sh", 65534, false, true, true},
		{"/etc/noexec.sh", 0, false, false, false},
		{"/nonexistent.sh", 0, true, false, false},
		{"killall -0 sshd", 0, false, true, false},
		{"nosuchcmd", 0, true, false, false},
	}
	for _, c := range cases {
		s := &Script{Cmd: c.cmd}
		args, err := syntax.SplitCommand(c.cmd)
		if err != nil {
			t.Fatal(err)
		}
		s.Args = args
		gid := c.uid
		v := CheckScript(s, c.uid, gid, sys)
		if v.NotFound != c.notFound || v.NeedsProtection != c.protected || v.Insecure != c.insecure {
			t.Errorf("%s as %d: notFound=%v protected=%v insecure=%v, want %v/%v/%v",
				c.cmd, c.uid, v.NotFound, v.NeedsProtection, v.Insecure, c.notFound, c.protected, c.insecure)
		}
	}
}

const secInstance = `vrrp_script chk {
    script %[2]s
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 1
    virtual_ipaddress {
        192.0.2.1
    }
    track_script {
        chk
    }
    notify_master %[1]s
}
`

func TestCheckScriptsSecurityRules(t *testing.T) {
	sys := newFakeSystem()
	cases := []struct {
		name      string
		global    string
		notify    string
		track     string
		violation bool
		wantErr   string
		wantWarn  string
		exit      int
	}{
		{"root scripts without security", "", "/bin/true", "/bin/true", true, "SECURITY VIOLATION", "", 6},
		{"security on, secure scripts", "enable_script_security\nscript_user root", "/bin/true", "/bin/true", false, "", "", 0},
		{"security on, insecure track script", "enable_script_security\nscript_user root", "/bin/true", "/etc/ww.sh", false, "Disabling vrrp_script chk", "", 5},
		{"security on, insecure notify", "enable_script_security\nscript_user root", "/etc/ww.sh", "/bin/true", false, "", "Disabling VI_1 notify_master", 0},
		{"security on, no default user", "enable_script_security", "/bin/true", "/bin/true", false, "Unable to set default user keepalived_script", "", 5},
		{"non-root script user", "script_user nobody", "/etc/ww.sh", "/bin/true", false, "", "", 0},
		{"missing scripts", "", "/nonexistent.sh", "/nonexistent2.sh", false, "Disabling track script chk since not found", "", 5},
		{"bad script_user", "script_user nosuch", "/nonexistent.sh", "/nonexistent.sh", false, "Error setting global script uid/gid", "", 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := "global_defs {\n" + c.global + "\n}\n" + fmt.Sprintf(secInstance, c.notify, c.track)
			cfg, diags := decodeString(t, src)
			if e := errorsOf(diags); len(e) > 0 {
				t.Fatalf("decode errors: %v", e)
			}
			rep := CheckScripts(cfg, sys)
			if rep.Violation != c.violation {
				t.Errorf("violation = %v, want %v (%v)", rep.Violation, c.violation, rep.Diagnostics)
			}
			if c.wantErr != "" && !hasMsg(rep.Diagnostics, syntax.Error, c.wantErr) {
				t.Errorf("missing error %q in %v", c.wantErr, rep.Diagnostics)
			}
			if c.wantWarn != "" && !hasMsg(rep.Diagnostics, syntax.Warning, c.wantWarn) {
				t.Errorf("missing warning %q in %v", c.wantWarn, rep.Diagnostics)
			}
			if got := ExitCode(diags, rep); got != c.exit {
				t.Errorf("exit = %d, want %d", got, c.exit)
			}
		})
	}
}

func TestUntrackedVRRPScriptIsNotChecked(t *testing.T) {
	cfg, _ := decodeString(t, "vrrp_script chk {\n script /bin/true\n}\n")
	if rep := CheckScripts(cfg, newFakeSystem()); rep.Violation || len(rep.Verdicts) != 0 {
		t.Errorf("untracked vrrp_script checked: %+v", rep)
	}
}
