package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// MiscOptions configures MISC_CHECK. Its timeout is the check's
// Timing.ConnectTimeout: the daemon passes misc_timeout there (default
// delay_loop, which ResolveTiming applies for KindMisc).
type MiscOptions struct {
	// Path is misc_path: the program and its arguments, split like a shell
	// word list (quotes and backslashes) but run without a shell.
	Path string
	// Dynamic is misc_dynamic: exit status 2..255 passes and sets the real
	// server's weight to status-2.
	Dynamic bool
	// User and Group run the program under another identity (user
	// USERNAME [GROUPNAME]); empty keeps the daemon's (keepalived's
	// script_user default is decided by the daemon).
	//
	// Script security (enable_script_security) is not checked here: the
	// configuration applies keepalived's rules to every script in one
	// place (config.Check) and a refused MISC_CHECK is never built.
	User  string
	Group string
}

// MiscChecker is MISC_CHECK.
type MiscChecker struct {
	o    MiscOptions
	argv []string
	cred *syscall.Credential
}

// NewMisc validates o (the program exists and is executable, the user and
// group exist) and returns a MISC_CHECK checker.
func NewMisc(o MiscOptions) (*MiscChecker, error) {
	argv, err := SplitWords(o.Path)
	if err != nil {
		return nil, fmt.Errorf("MISC_CHECK: misc_path: %w", err)
	}
	if len(argv) == 0 {
		return nil, errors.New("MISC_CHECK: misc_path is empty")
	}
	prog, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, fmt.Errorf("MISC_CHECK: misc_path: %w", err)
	}
	if prog, err = filepath.Abs(prog); err != nil {
		return nil, fmt.Errorf("MISC_CHECK: misc_path: %w", err)
	}
	argv[0] = prog
	c := &MiscChecker{o: o, argv: argv}
	if o.User != "" {
		if c.cred, err = lookupCred(o.User, o.Group); err != nil {
			return nil, fmt.Errorf("MISC_CHECK: user: %w", err)
		}
	} else if o.Group != "" {
		return nil, errors.New("MISC_CHECK: group given without user")
	}
	return c, nil
}

func lookupCred(name, group string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("lookup %s: %w", name, err)
	}
	gid := u.Gid
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return nil, fmt.Errorf("lookup group %s: %w", group, err)
		}
		gid = g.Gid
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("uid %q: %w", u.Uid, err)
	}
	g, err := strconv.ParseUint(gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("gid %q: %w", gid, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(g)}, nil
}

// SplitWords splits s into words the way a shell would for a simple
// command: whitespace separates, single quotes are literal, double quotes
// allow backslash escapes, a backslash outside quotes escapes the next
// character. No expansion happens.
func SplitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case ch == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		case ch == '\\':
			if i+1 >= len(s) {
				return nil, errors.New("trailing backslash")
			}
			i++
			cur.WriteByte(s[i])
			inWord = true
		case ch == ' ' || ch == '\t' || ch == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// Kind returns KindMisc.
func (c *MiscChecker) Kind() Kind { return KindMisc }

// Check runs the program in its own process group and kills the whole
// group at the deadline, so a script's children cannot outlive the probe.
func (c *MiscChecker) Check(ctx context.Context) Result {
	cmd := exec.CommandContext(ctx, c.argv[0], c.argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.cred}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// Bound the wait for inherited pipes; none are attached, so this only
	// matters if a future change adds output capture.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if err == nil {
		return Result{}
	}
	if ctx.Err() != nil {
		return fail(fmt.Errorf("misc_path %s: %w (killed)", c.argv[0], ErrTimeout))
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return fail(fmt.Errorf("run %s: %w", c.argv[0], err))
	}
	status := ee.ExitCode()
	if status < 0 {
		return fail(fmt.Errorf("misc_path %s: %v", c.argv[0], ee))
	}
	if c.o.Dynamic && status >= 2 {
		return Result{Weight: WeightChange{Mode: WeightSet, Value: status - 2}}
	}
	return fail(fmt.Errorf("misc_path %s exited with status %d", c.argv[0], status))
}
