package config

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/alived/alived/config/syntax"
)

// Script security, as keepalived 2.2.7 applies it:
//
//   - A script runs as its own "user [group]", else global script_user,
//     else the user keepalived_script if it exists, else root.
//   - A script whose file cannot be found (directly or through PATH) is
//     dropped silently; `-t` does not fail for it.
//   - A script "needs protection" when it runs as uid 0 or gid 0, or is
//     set-uid/set-gid root. Every directory on its path and the file itself
//     must then be owned by root and not writable by a non-root group or by
//     others (a sticky directory may be world-writable); otherwise the
//     script is insecure.
//   - Without enable_script_security, any script that needs protection is
//     a security violation: `keepalived -t` exits 6.
//   - With enable_script_security, insecure scripts are disabled. For a
//     vrrp_script that is a configuration error (exit 5); notify, quorum
//     and MISC_CHECK scripts are disabled quietly. If no script_user is set
//     and keepalived_script does not exist, every script is an error.

// FileStat is what the security check needs to know about a path.
type FileStat struct {
	Mode fs.FileMode
	UID  uint32
	GID  uint32
}

// ScriptSystem gives the security check access to users and files, so
// that tests can run it on an invented file system.
type ScriptSystem interface {
	// Stat follows symbolic links.
	Stat(path string) (FileStat, error)
	// LookPath finds an executable named without a slash in PATH.
	LookPath(file string) (string, error)
	// LookupUser returns a user's uid and primary gid.
	LookupUser(name string) (uid, gid uint32, err error)
	// LookupGroup returns a group's gid.
	LookupGroup(name string) (gid uint32, err error)
}

// HostSystem is the ScriptSystem of the running host.
func HostSystem() ScriptSystem { return hostSystem{} }

type hostSystem struct{}

func (hostSystem) Stat(path string) (FileStat, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return FileStat{}, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return FileStat{}, fmt.Errorf("stat %s: no owner information", path)
	}
	return FileStat{Mode: fi.Mode(), UID: st.Uid, GID: st.Gid}, nil
}

func (hostSystem) LookPath(file string) (string, error) { return exec.LookPath(file) }

func (hostSystem) LookupUser(name string) (uint32, uint32, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, fmt.Errorf("look up user %s: %w", name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("user %s has a non-numeric uid/gid", name)
	}
	return uint32(uid), uint32(gid), nil
}

func (hostSystem) LookupGroup(name string) (uint32, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("look up group %s: %w", name, err)
	}
	gid, err := strconv.ParseUint(g.Gid, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("group %s has a non-numeric gid", name)
	}
	return uint32(gid), nil
}

// ScriptKind says where a script comes from; it decides what disabling an
// insecure script means.
type ScriptKind int

// Script kinds.
const (
	KindNotify ScriptKind = iota // notify_*, quorum_*, FIFO scripts, startup/shutdown
	KindTrack                    // vrrp_script
	KindCheck                    // MISC_CHECK, notify_up/down
)

// ScriptRef is one configured script with where it belongs.
type ScriptRef struct {
	Script *Script
	Kind   ScriptKind
	// Owner names the object, e.g. "vrrp_script chk" or "VI_1 notify_master".
	Owner string
}

// AllScripts lists every script in the configuration.
func (c *Config) AllScripts() []ScriptRef {
	var out []ScriptRef
	add := func(s *Script, k ScriptKind, owner string) {
		if s != nil {
			out = append(out, ScriptRef{Script: s, Kind: k, Owner: owner})
		}
	}
	addNotify := func(n *Notifies, owner string) {
		add(n.Master, KindNotify, owner+" notify_master")
		add(n.Backup, KindNotify, owner+" notify_backup")
		add(n.Fault, KindNotify, owner+" notify_fault")
		add(n.Stop, KindNotify, owner+" notify_stop")
		add(n.Deleted, KindNotify, owner+" notify_deleted")
		add(n.Any, KindNotify, owner+" notify")
		add(n.MasterRxLowPri, KindNotify, owner+" notify_master_rx_lower_pri")
	}
	g := &c.Global
	add(g.StartupScript, KindNotify, "startup_script")
	add(g.ShutdownScript, KindNotify, "shutdown_script")
	for _, f := range []*FIFO{g.NotifyFIFO, g.VRRPNotifyFIFO, g.LVSNotifyFIFO} {
		if f != nil {
			add(f.Script, KindNotify, "fifo script")
		}
	}
	// keepalived only runs (and checks) vrrp_scripts something tracks.
	tracked := map[string]bool{}
	for _, v := range c.Instances {
		for _, t := range v.Track.Scripts {
			tracked[t.Name] = true
		}
	}
	for _, gr := range c.SyncGroups {
		for _, t := range gr.Track.Scripts {
			tracked[t.Name] = true
		}
	}
	for _, s := range c.Scripts {
		if tracked[s.Name] {
			add(s.Script, KindTrack, "vrrp_script "+s.Name)
		}
	}
	for _, gr := range c.SyncGroups {
		addNotify(&gr.Notify, gr.Name)
	}
	for _, v := range c.Instances {
		addNotify(&v.Notify, v.Name)
	}
	for _, vs := range c.VirtualServers {
		add(vs.QuorumUp, KindNotify, vs.ServiceString()+" quorum_up")
		add(vs.QuorumDown, KindNotify, vs.ServiceString()+" quorum_down")
		for _, rs := range vs.RealServers {
			add(rs.NotifyUp, KindCheck, "notify_up")
			add(rs.NotifyDown, KindCheck, "notify_down")
			for _, ch := range rs.Checkers {
				if ch.Misc != nil {
					add(ch.Misc.Path, KindCheck, "MISC_CHECK")
				}
			}
		}
	}
	return out
}

// ScriptVerdict is the outcome of checking one script.
type ScriptVerdict struct {
	Ref ScriptRef
	// Path is the resolved executable, empty when not found.
	Path string
	UID  uint32
	GID  uint32
	// NotFound: the script cannot run and is dropped.
	NotFound bool
	// NeedsProtection: it runs with root privileges.
	NeedsProtection bool
	// Insecure: a path component is writable by non-root users.
	Insecure bool
	// Disabled: the script will not be run (not found, insecure under
	// enable_script_security, or its user cannot be resolved).
	Disabled bool
}

// ScriptReport is the result of CheckScripts.
type ScriptReport struct {
	Verdicts    []ScriptVerdict
	Diagnostics []syntax.Diagnostic
	// Violation is keepalived's "SECURITY VIOLATION": scripts run as root
	// without enable_script_security (exit code 6 of `-t`).
	Violation bool
}

// CheckScripts applies keepalived's script-security rules to every script
// of c. The runtime can call CheckScript for a single script.
func CheckScripts(c *Config, sys ScriptSystem) ScriptReport {
	var rep ScriptReport
	diag := func(pos syntax.Pos, sev syntax.Severity, format string, args ...any) {
		rep.Diagnostics = append(rep.Diagnostics, syntax.Diagnostic{Pos: pos, Severity: sev, Msg: fmt.Sprintf(format, args...)})
	}
	g := &c.Global
	security := g.EnableScriptSecurity

	// The default user: script_user, else keepalived_script, else root.
	var defUID, defGID uint32
	defaultOK := true
	if g.ScriptUser != "" {
		uid, gid, err := resolveUser(sys, g.ScriptUser, g.ScriptGroup)
		if err != nil {
			diag(g.Pos, syntax.Error, "Error setting global script uid/gid: %v", err)
		} else {
			defUID, defGID = uid, gid
		}
	} else if uid, gid, err := sys.LookupUser("keepalived_script"); err == nil {
		defUID, defGID = uid, gid
	} else if security {
		defaultOK = false
	}

	anyInsecure := false
	for _, ref := range c.AllScripts() {
		s := ref.Script
		uid, gid := defUID, defGID
		if s.User != "" {
			var err error
			uid, gid, err = resolveUser(sys, s.User, s.Group)
			if err != nil {
				diag(s.Pos, syntax.Warning, "Unable to set uid/gid for script %s - disabling: %v", s.Cmd, err)
				rep.Verdicts = append(rep.Verdicts, ScriptVerdict{Ref: ref, Disabled: true})
				continue
			}
		} else if !defaultOK {
			diag(s.Pos, syntax.Error, "Unable to set default user keepalived_script for script")
			rep.Verdicts = append(rep.Verdicts, ScriptVerdict{Ref: ref, Disabled: true})
			continue
		}
		v := CheckScript(s, uid, gid, sys)
		v.Ref = ref
		if v.NotFound && ref.Kind == KindTrack {
			diag(s.Pos, syntax.Error, "Disabling track script %s since not found/accessible", strings.TrimPrefix(ref.Owner, "vrrp_script "))
		}
		if v.Insecure {
			anyInsecure = true
			if security {
				v.Disabled = true
				sev := syntax.Warning
				if ref.Kind == KindTrack {
					sev = syntax.Error
				}
				diag(s.Pos, sev, "Disabling %s due to insecure script %s", ref.Owner, v.Path)
			}
		}
		if v.NeedsProtection && !v.NotFound && !security {
			rep.Violation = true
		}
		rep.Verdicts = append(rep.Verdicts, v)
	}
	if rep.Violation {
		msg := "SECURITY VIOLATION - scripts are being executed but script_security not enabled."
		if anyInsecure {
			msg += " There are insecure scripts."
		}
		diag(syntax.Pos{}, syntax.Error, "%s", msg)
	}
	return rep
}

func resolveUser(sys ScriptSystem, name, group string) (uid, gid uint32, err error) {
	uid, gid, err = sys.LookupUser(name)
	if err != nil {
		return 0, 0, err
	}
	if group != "" {
		gid, err = sys.LookupGroup(group)
		if err != nil {
			return 0, 0, err
		}
	}
	return uid, gid, nil
}

// CheckScript resolves s's executable and decides whether it needs
// protection and is insecure when run as uid:gid.
func CheckScript(s *Script, uid, gid uint32, sys ScriptSystem) ScriptVerdict {
	v := ScriptVerdict{UID: uid, GID: gid}
	if s == nil || len(s.Args) == 0 {
		v.NotFound, v.Disabled = true, true
		return v
	}
	path := s.Args[0]
	if !strings.Contains(path, "/") {
		p, err := sys.LookPath(path)
		if err != nil {
			v.NotFound, v.Disabled = true, true
			return v
		}
		path = p
	}
	st, err := sys.Stat(path)
	if err != nil || !st.Mode.IsRegular() {
		v.NotFound, v.Disabled = true, true
		return v
	}
	v.Path = path
	if !executableBy(st, uid, gid) {
		return v
	}
	setuidRoot := st.UID == 0 && st.Mode&0o100 != 0 && st.Mode&fs.ModeSetuid != 0
	setgidRoot := st.GID == 0 && st.Mode&0o010 != 0 && st.Mode&fs.ModeSetgid != 0
	if uid != 0 && gid != 0 && !setuidRoot && !setgidRoot {
		return v
	}
	v.NeedsProtection = true
	for _, p := range pathPrefixes(path) {
		pst, err := sys.Stat(p)
		if err != nil {
			v.NotFound, v.Disabled = true, true
			return v
		}
		if unsafe(pst) {
			v.Insecure = true
			break
		}
	}
	return v
}

// unsafe reports whether a path component can be changed by a non-root
// user.
func unsafe(st FileStat) bool {
	if st.UID != 0 {
		return true
	}
	sticky := st.Mode&fs.ModeSticky != 0
	if sticky && !st.Mode.IsRegular() {
		return false
	}
	groupWrite := st.GID != 0 && st.Mode&0o020 != 0
	return groupWrite || st.Mode&0o002 != 0
}

// executableBy approximates access(X_OK) for uid:gid.
func executableBy(st FileStat, uid, gid uint32) bool {
	switch {
	case uid == 0:
		return st.Mode&0o111 != 0
	case st.UID == uid:
		return st.Mode&0o100 != 0
	case st.GID == gid:
		return st.Mode&0o010 != 0
	}
	return st.Mode&0o001 != 0
}

// pathPrefixes lists "/", "/a", "/a/b", ... ending with path itself.
func pathPrefixes(path string) []string {
	path = filepath.Clean(path)
	out := []string{"/"}
	cur := ""
	for _, part := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		if part == "" {
			continue
		}
		cur += "/" + part
		out = append(out, cur)
	}
	return out
}
