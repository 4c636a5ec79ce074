package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// FIFOStats are a FIFO's counters.
type FIFOStats struct {
	Written uint64 // lines written whole
	Dropped uint64 // lines lost: pipe full (no one reading) or FIFO unusable
}

// FIFO writes notification lines to a named pipe without ever blocking.
//
// Like keepalived it creates the pipe if missing (mode 0644) and opens it
// O_RDWR|O_NONBLOCK: holding a read end of its own means that opening
// never waits for a reader, a reader that goes away and comes back
// (restarted) loses nothing that fit in the pipe meanwhile, and writing
// never raises EPIPE. When the pipe is full the line is dropped and
// counted. If a write fails otherwise (the pipe was removed and replaced,
// say), the FIFO is reopened on the next line.
//
// Writes are raw write(2) calls on a non-blocking descriptor, not *os.File
// writes, which would park the goroutine on EAGAIN; a line shorter than
// PIPE_BUF is written atomically, so readers never see half lines.
type FIFO struct {
	path   string
	logger *slog.Logger

	mu      sync.Mutex
	fd      int // -1 when not open
	created bool
	closed  bool
	script  *exec.Cmd
	waited  chan struct{} // closed when the script has been reaped

	written, dropped atomic.Uint64
}

// FIFOOptions configure OpenFIFO.
type FIFOOptions struct {
	// Script, if set, is started with the FIFO path appended as its last
	// argument (notify_fifo_script); Close sends it SIGTERM.
	Script *Command
	// Runner supplies the script user; nil runs as the daemon.
	Runner *Runner
	// Logger receives open/reopen errors; nil discards.
	Logger *slog.Logger
	// User and Group ("notify_fifo PATH [username [groupname]]") own a
	// FIFO that OpenFIFO creates, so an unprivileged reader can open it.
	User, Group string
}

// OpenFIFO creates (if needed) and opens the named pipe at path, and starts
// the reader script if one is configured.
func OpenFIFO(path string, opt FIFOOptions) (*FIFO, error) {
	f := &FIFO{path: path, logger: opt.Logger, fd: -1}
	if f.logger == nil {
		f.logger = slog.New(slog.DiscardHandler)
	}
	if err := unix.Mkfifo(path, 0o644); err == nil {
		f.created = true
	} else if !errors.Is(err, unix.EEXIST) {
		return nil, fmt.Errorf("notify fifo %s: mkfifo: %w", path, err)
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		f.removeCreated()
		return nil, fmt.Errorf("notify fifo %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return nil, fmt.Errorf("notify fifo %s: exists and is not a FIFO", path)
	}
	if f.created && opt.User != "" {
		r := opt.Runner
		if r == nil {
			r = &Runner{}
		}
		cred, err := r.credential(Command{User: opt.User, Group: opt.Group})
		if err == nil {
			err = os.Chown(path, int(cred.Uid), int(cred.Gid))
		}
		if err != nil {
			f.removeCreated()
			return nil, fmt.Errorf("notify fifo %s: owner: %w", path, err)
		}
	}
	if opt.Script != nil {
		if err := f.startScript(*opt.Script, opt.Runner); err != nil {
			f.removeCreated()
			return nil, err
		}
	}
	if err := f.open(); err != nil {
		f.stopScript()
		f.removeCreated()
		return nil, err
	}
	return f, nil
}

// Path returns the FIFO's path.
func (f *FIFO) Path() string { return f.path }

func (f *FIFO) open() error {
	fd, err := unix.Open(f.path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("notify fifo %s: open: %w", f.path, err)
	}
	f.fd = fd
	return nil
}

// startScript runs the FIFO reader script; it is expected to run as long
// as the daemon does. A goroutine reaps it; Close stops it.
func (f *FIFO) startScript(c Command, r *Runner) error {
	if len(c.Argv) == 0 {
		return fmt.Errorf("notify fifo %s: empty fifo script", f.path)
	}
	c = c.withArgs(f.path)
	if r == nil {
		r = &Runner{}
	}
	cred, err := r.credential(c)
	if err != nil {
		return fmt.Errorf("notify fifo %s: %w", f.path, err)
	}
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Env = scriptEnv()
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM, Credential: cred}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("notify fifo %s: start %s: %w", f.path, c, err)
	}
	f.script = cmd
	f.waited = make(chan struct{})
	go func() {
		err := cmd.Wait()
		f.mu.Lock()
		closed := f.closed
		f.mu.Unlock()
		if !closed {
			f.logger.Warn("notify fifo script exited", "fifo", f.path, "script", c.String(), "err", err)
		}
		close(f.waited)
	}()
	return nil
}

// WriteLine writes one line (which must end in '\n') and never blocks. It
// reports whether the whole line was written.
func (f *FIFO) WriteLine(line string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		f.dropped.Add(1)
		return false
	}
	if f.fd < 0 {
		if err := f.open(); err != nil {
			f.logger.Warn("notify fifo reopen failed", "err", err)
			f.dropped.Add(1)
			return false
		}
	}
	if f.replaced() {
		// The pipe we hold was unlinked and a new one put at the path
		// (a reader restarted with rm+mkfifo): follow the path, or the
		// new reader would never hear from us. FIFO lines are rare, so
		// the two stats per line are cheap.
		_ = unix.Close(f.fd)
		f.fd = -1
		if err := f.open(); err != nil {
			f.logger.Warn("notify fifo reopen failed", "err", err)
			f.dropped.Add(1)
			return false
		}
	}
	n, err := unix.Write(f.fd, []byte(line))
	switch {
	case err == nil && n == len(line):
		f.written.Add(1)
		return true
	case errors.Is(err, unix.EAGAIN):
		// Full: nobody has been reading for a while. keepalived drops too.
	case err != nil:
		f.logger.Warn("notify fifo write failed, will reopen", "fifo", f.path, "err", err)
		_ = unix.Close(f.fd)
		f.fd = -1
	}
	f.dropped.Add(1)
	return false
}

// replaced reports whether the path no longer names the pipe f.fd is open
// on. Called with f.mu held.
func (f *FIFO) replaced() bool {
	var have, want unix.Stat_t
	if unix.Fstat(f.fd, &have) != nil || unix.Stat(f.path, &want) != nil {
		return false
	}
	return have.Ino != want.Ino || have.Dev != want.Dev
}

// Stats returns the counters.
func (f *FIFO) Stats() FIFOStats {
	return FIFOStats{Written: f.written.Load(), Dropped: f.dropped.Load()}
}

// stopScript sends SIGTERM to the reader script's process group and waits
// for it to be reaped, or until ctx ends (then SIGKILL).
func (f *FIFO) stopScript() {
	f.stopScriptCtx(context.Background())
}

func (f *FIFO) stopScriptCtx(ctx context.Context) {
	if f.script == nil {
		return
	}
	pgid := f.script.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-f.waited:
	case <-ctx.Done():
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-f.waited
	}
}

func (f *FIFO) removeCreated() {
	if f.created {
		_ = os.Remove(f.path)
		f.created = false
	}
}

// Close stops the reader script (SIGTERM, SIGKILL when ctx ends), closes
// the pipe and removes it if OpenFIFO created it, as keepalived does.
func (f *FIFO) Close(ctx context.Context) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	f.mu.Unlock()

	f.stopScriptCtx(ctx)

	f.mu.Lock()
	defer f.mu.Unlock()
	var err error
	if f.fd >= 0 {
		if cerr := unix.Close(f.fd); cerr != nil {
			err = fmt.Errorf("notify fifo %s: close: %w", f.path, cerr)
		}
		f.fd = -1
	}
	f.removeCreated()
	return err
}
