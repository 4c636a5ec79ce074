package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// PIDFile is a keepalived-compatible pid file ("<pid>\n") held under an
// exclusive flock for the daemon's lifetime, so that a second daemon with
// the same pid file refuses to start.
type PIDFile struct {
	path string
	f    *os.File
}

// ErrAlreadyRunning is returned by CreatePIDFile when another live process
// holds the pid file.
var ErrAlreadyRunning = errors.New("daemon already running")

// CreatePIDFile locks path and writes the current pid into it. It fails
// with ErrAlreadyRunning when another process holds the lock, or when the
// file names a live process that is not us (a keepalived that does not
// lock its pid file, or an alived started before a reboot of /run).
func CreatePIDFile(path string) (*PIDFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pid file %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		old := readPID(f)
		_ = f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("pid file %s: %w (pid %d)", path, ErrAlreadyRunning, old)
		}
		return nil, fmt.Errorf("pid file %s: lock: %w", path, err)
	}
	if old := readPID(f); old > 0 && old != os.Getpid() && processAlive(old) {
		_ = f.Close()
		return nil, fmt.Errorf("pid file %s: %w (pid %d)", path, ErrAlreadyRunning, old)
	}
	if err := f.Truncate(0); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("pid file %s: %w", path, err)
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("pid file %s: %w", path, err)
	}
	return &PIDFile{path: path, f: f}, nil
}

// readPID returns the pid stored in f, or 0.
func readPID(f *os.File) int {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:n])))
	if err != nil {
		return 0
	}
	return pid
}

// processAlive reports whether pid exists (signal 0 succeeds or is denied).
func processAlive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

// Remove deletes the pid file and releases the lock.
func (p *PIDFile) Remove() error {
	err := os.Remove(p.path)
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pid file %s: %w", p.path, err)
	}
	return nil
}
