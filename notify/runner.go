package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultScriptTimeout bounds a notify script when the Runner sets none.
const DefaultScriptTimeout = 30 * time.Second

// defaultKillGrace is how long a timed-out script's process group has
// between SIGTERM and SIGKILL.
const defaultKillGrace = 500 * time.Millisecond

// outputLimit caps how much of a script's output is kept for the log.
const outputLimit = 2048

// Runner executes Commands directly (execve, no shell) in their own
// process group, as the configured user, with a timeout that kills the
// whole group. A Runner has no goroutines of its own; Run blocks until the
// script is gone, so callers that must not block go through a Dispatcher.
type Runner struct {
	// Timeout for one script; zero means DefaultScriptTimeout.
	Timeout time.Duration
	// KillGrace is the time between SIGTERM and SIGKILL on timeout; zero
	// means 500ms.
	KillGrace time.Duration
	// User and Group are the global script_user / group; empty User runs
	// scripts with the daemon's own identity (root). See DefaultScriptUser.
	User, Group string
	// SupplementaryGroups gives scripts the user's supplementary groups
	// (set_supplementary_groups); otherwise they have none.
	SupplementaryGroups bool
	// Logger receives one line per failed script; nil discards.
	Logger *slog.Logger
}

// Result is what became of one script run.
type Result struct {
	// ExitCode of the script, -1 if it did not exit normally.
	ExitCode int
	// TimedOut is set when the script was killed by the timeout.
	TimedOut bool
	// Output is the start of the script's combined stdout/stderr.
	Output string
	// Err is set when the script could not be started or did not exit 0.
	Err error
}

// DefaultScriptUser returns keepalived's default script user:
// "keepalived_script" if such a user exists, else "" (run as the daemon).
func DefaultScriptUser() string {
	if _, err := user.Lookup("keepalived_script"); err == nil {
		return "keepalived_script"
	}
	return ""
}

// credential resolves user/group names to a syscall.Credential; nil means
// "keep the daemon's identity".
func (r *Runner) credential(c Command) (*syscall.Credential, error) {
	name, group := c.User, c.Group
	if name == "" {
		name, group = r.User, r.Group
	}
	if name == "" {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		if u, err = user.LookupId(name); err != nil {
			return nil, fmt.Errorf("script user %q: %w", name, err)
		}
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("script user %q: uid %q: %w", name, u.Uid, err)
	}
	gidStr := u.Gid
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			if g, err = user.LookupGroupId(group); err != nil {
				return nil, fmt.Errorf("script group %q: %w", group, err)
			}
		}
		gidStr = g.Gid
	}
	gid, err := strconv.ParseUint(gidStr, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("script group %q: gid %q: %w", group, gidStr, err)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	if r.SupplementaryGroups {
		ids, err := u.GroupIds()
		if err != nil {
			return nil, fmt.Errorf("script user %q: supplementary groups: %w", name, err)
		}
		for _, id := range ids {
			if n, err := strconv.ParseUint(id, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(n))
			}
		}
	}
	return cred, nil
}

// scriptEnv is the daemon's environment minus the variables keepalived
// removes before running scripts (they change how the script is loaded or
// parsed).
func scriptEnv() []string {
	env := os.Environ()
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "IFS", "LD_PRELOAD", "LD_LIBRARY_PATH", "ENV", "BASH_ENV":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// limitedBuffer keeps the first outputLimit bytes written to it; it is
// written by exec's copying goroutines, hence the lock.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := outputLimit - l.buf.Len(); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		l.buf.Write(p[:room])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Run executes c and waits for it. Cancelling ctx kills the script's
// process group just as the timeout does.
func (r *Runner) Run(ctx context.Context, c Command) Result {
	res := r.run(ctx, c)
	if res.Err != nil && r.Logger != nil {
		// Only the program name is logged: arguments may carry secrets.
		r.Logger.Warn("notify script failed", "script", c.String(), "exit", res.ExitCode,
			"timed_out", res.TimedOut, "err", res.Err)
	}
	return res
}

func (r *Runner) run(ctx context.Context, c Command) Result {
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return Result{ExitCode: -1, Err: errors.New("empty command")}
	}
	cred, err := r.credential(c)
	if err != nil {
		return Result{ExitCode: -1, Err: err}
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultScriptTimeout
	}
	grace := r.KillGrace
	if grace <= 0 {
		grace = defaultKillGrace
	}

	out := &limitedBuffer{}
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Env = scriptEnv()
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = out, out
	// A script that forks a daemon keeping our pipe open must not hold
	// Wait forever.
	cmd.WaitDelay = grace
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Own process group, so a timeout kills the script's children too.
		Setpgid: true,
		// Scripts die with the daemon, as keepalived's do.
		Pdeathsig:  syscall.SIGTERM,
		Credential: cred,
	}
	if err := cmd.Start(); err != nil {
		return Result{ExitCode: -1, Err: fmt.Errorf("start %s: %w", c, err)}
	}
	pgid := cmd.Process.Pid

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var timedOut bool
	var waitErr error
	select {
	case waitErr = <-done:
	case <-timer.C:
		timedOut = true
	case <-ctx.Done():
		timedOut = true
	}
	if timedOut {
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		kill := time.NewTimer(grace)
		select {
		case waitErr = <-done:
			kill.Stop()
		case <-kill.C:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			waitErr = <-done
		}
	}
	// A script that exits normally may leave children behind on purpose
	// (starting a service on MASTER is common), so only a timed-out
	// script's group is killed.

	res := Result{ExitCode: cmd.ProcessState.ExitCode(), TimedOut: timedOut, Output: out.String()}
	switch {
	case timedOut:
		res.Err = fmt.Errorf("%s: killed after timeout", c)
	case waitErr != nil:
		res.Err = fmt.Errorf("%s: %w", c, waitErr)
	}
	return res
}
