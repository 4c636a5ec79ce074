//go:build linux

// Package filewatch tells its owner when small files change (track_file
// and FILE_CHECK files), with inotify instead of re-reading them on a
// timer.
//
// It watches the directory that holds each file, not the file itself: a
// watch on the file would follow its inode and so miss an editor that
// writes a temporary file and renames it over the original, or a delete
// followed by a re-create. A directory that does not exist (yet) is looked
// for again every Options.Poll, with a log line, until it appears; a
// watched directory that is removed goes back to that state.
//
// One goroutine, the one that calls Run, reads the events and calls the
// subscribers' functions; Run returns when its context ends.
package filewatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DefaultPoll is how often a missing directory is looked for when
// Options.Poll is zero. A missing directory is an unusual state (a file
// system not mounted yet), so the slow poll costs nothing noticeable.
const DefaultPoll = 5 * time.Second

// dirMask selects the events that can change what reading a file in the
// directory returns. IN_MODIFY is left out on purpose: `echo 5 > f`
// truncates before it writes, and reading on the truncation would see an
// empty file; IN_CLOSE_WRITE comes once the writer is done. IN_CREATE is
// left out for the same reason (a created file is empty until written).
// The *_SELF events report the directory itself going away.
const dirMask = unix.IN_CLOSE_WRITE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_DELETE |
	unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR

// Options configure a Watcher.
type Options struct {
	// Poll is how often directories that do not exist are looked for
	// (DefaultPoll if zero).
	Poll time.Duration
	// Logger receives the fallback and recovery lines; nil discards.
	Logger *slog.Logger
}

// Watcher reports changes of individual files. Add and its remove
// function may be called from any goroutine; the functions passed to Add
// run on the goroutine that runs Run, one at a time, and must not block
// for long (post to an event loop, poke a scheduler).
type Watcher struct {
	f    *os.File
	fd   int
	poll time.Duration
	log  *slog.Logger

	closeOnce sync.Once

	mu     sync.Mutex
	dirs   map[string]*dir
	byWD   map[int32]*dir
	nextID uint64
	// nextPoll is when missing directories are looked for next (zero
	// while none is missing). It is not pushed back by events, so a busy
	// watched file cannot starve the poll.
	nextPoll time.Time
}

// dir is one watched (or missing) directory and the files wanted in it.
type dir struct {
	path string
	wd   int32 // -1 while the directory cannot be watched
	subs map[uint64]sub
}

type sub struct {
	name string
	fn   func()
}

// New opens an inotify instance. The caller must run Run (which closes
// the instance when it returns) or call Close.
func New(opt Options) (*Watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("filewatch: inotify_init1: %w", err)
	}
	if opt.Poll <= 0 {
		opt.Poll = DefaultPoll
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// A non-blocking descriptor becomes pollable: Read parks in the
	// runtime's poller, honours read deadlines and returns when the file
	// is closed.
	return &Watcher{f: os.NewFile(uintptr(fd), "inotify"), fd: fd, poll: opt.Poll, log: log,
		dirs: map[string]*dir{}, byWD: map[int32]*dir{}}, nil
}

// Add calls fn after every change that may have changed what path reads:
// written and closed, renamed onto, renamed away, deleted, or its
// directory appearing or going away. It returns the function that stops
// the calls. Add never fails for a missing directory: it logs and polls
// for it instead.
func (w *Watcher) Add(path string, fn func()) (remove func()) {
	path = filepath.Clean(path)
	dpath, name := filepath.Dir(path), filepath.Base(path)
	w.mu.Lock()
	defer w.mu.Unlock()
	d := w.dirs[dpath]
	if d == nil {
		d = &dir{path: dpath, wd: -1, subs: map[uint64]sub{}}
		w.dirs[dpath] = d
		if err := w.watchLocked(d); err != nil {
			w.log.Warn("filewatch: cannot watch directory, polling for it", "dir", dpath, "every", w.poll, "err", err)
			// Wake Run in time for the poll.
			if w.nextPoll.IsZero() {
				w.nextPoll = time.Now().Add(w.poll)
			}
			_ = w.f.SetReadDeadline(w.nextPoll)
		}
	}
	w.nextID++
	id := w.nextID
	d.subs[id] = sub{name: name, fn: fn}
	var once sync.Once
	return func() { once.Do(func() { w.remove(d, id) }) }
}

// watchLocked adds the inotify watch of d.
func (w *Watcher) watchLocked(d *dir) error {
	wd, err := unix.InotifyAddWatch(w.fd, d.path, dirMask)
	if err != nil {
		return err
	}
	d.wd = int32(wd)
	w.byWD[d.wd] = d
	return nil
}

func (w *Watcher) remove(d *dir, id uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(d.subs, id)
	if len(d.subs) > 0 || w.dirs[d.path] != d {
		return
	}
	delete(w.dirs, d.path)
	if d.wd >= 0 {
		delete(w.byWD, d.wd)
		// The kernel answers with IN_IGNORED, which finds no directory.
		_, _ = unix.InotifyRmWatch(w.fd, uint32(d.wd))
	}
}

// Close releases the inotify instance; Run returns. It is safe to call
// more than once and together with Run's own close.
func (w *Watcher) Close() error {
	var err error
	w.closeOnce.Do(func() { err = w.f.Close() })
	return err
}

// Run reads events and calls subscribers until ctx ends or the Watcher is
// closed; it closes the Watcher when it returns. It returns nil after a
// stop and an error if reading inotify failed.
func (w *Watcher) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { _ = w.Close() })
	defer stop()
	defer w.Close()
	buf := make([]byte, 64*1024)
	for {
		w.armDeadline()
		n, err := w.f.Read(buf)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			w.call(w.pollMissing())
			continue
		case errors.Is(err, os.ErrClosed):
			return nil
		case err != nil:
			return fmt.Errorf("filewatch: reading inotify: %w", err)
		}
		w.call(w.dispatch(buf[:n]))
	}
}

// armDeadline makes the next Read return at the next poll while some
// directory is missing, and never otherwise. The deadline is set under
// the lock, as Add sets it, so that an Add racing with this call cannot
// have its deadline cleared by a decision made before its directory was
// known.
func (w *Watcher) armDeadline() {
	w.mu.Lock()
	defer w.mu.Unlock()
	missing := false
	for _, d := range w.dirs {
		missing = missing || d.wd < 0
	}
	switch {
	case !missing:
		w.nextPoll = time.Time{}
	case w.nextPoll.IsZero():
		w.nextPoll = time.Now().Add(w.poll)
	}
	_ = w.f.SetReadDeadline(w.nextPoll)
}

// pollMissing tries to watch the directories that were missing and
// returns the subscribers of those that now exist (their files may exist
// too).
func (w *Watcher) pollMissing() []func() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nextPoll = time.Time{} // armDeadline schedules the next one
	var fns []func()
	for _, d := range w.dirs {
		if d.wd >= 0 || w.watchLocked(d) != nil {
			continue
		}
		w.log.Info("filewatch: directory appeared, watching it", "dir", d.path)
		fns = appendAll(fns, d)
	}
	return fns
}

// dispatch parses a buffer of inotify events and returns the functions to
// call, each once.
func (w *Watcher) dispatch(b []byte) []func() {
	w.mu.Lock()
	defer w.mu.Unlock()
	var fns []func()
	seen := map[*dir]map[uint64]bool{}
	add := func(d *dir, id uint64, fn func()) {
		if seen[d] == nil {
			seen[d] = map[uint64]bool{}
		}
		if !seen[d][id] {
			seen[d][id] = true
			fns = append(fns, fn)
		}
	}
	for len(b) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(b) {
			break // the kernel never splits an event; be safe anyway
		}
		name := cString(b[unix.SizeofInotifyEvent:end])
		b = b[end:]
		if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
			// Events were lost: every file may have changed.
			w.log.Warn("filewatch: inotify queue overflowed, re-reading every file")
			for _, d := range w.dirs {
				for id, s := range d.subs {
					add(d, id, s.fn)
				}
			}
			continue
		}
		d := w.byWD[ev.Wd]
		if d == nil {
			continue // a watch removed by remove, or its IN_IGNORED
		}
		if ev.Mask&(unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_IGNORED) != 0 {
			// The directory is gone (or moved, and the watch would follow
			// it elsewhere): its files read as missing until it is back.
			delete(w.byWD, d.wd)
			_, _ = unix.InotifyRmWatch(w.fd, uint32(d.wd))
			d.wd = -1
			w.log.Warn("filewatch: watched directory went away, polling for it", "dir", d.path, "every", w.poll)
			for id, s := range d.subs {
				add(d, id, s.fn)
			}
			continue
		}
		for id, s := range d.subs {
			if s.name == name {
				add(d, id, s.fn)
			}
		}
	}
	return fns
}

func appendAll(fns []func(), d *dir) []func() {
	for _, s := range d.subs {
		fns = append(fns, s.fn)
	}
	return fns
}

// call runs subscriber functions outside the lock, so that they may Add
// or remove.
func (w *Watcher) call(fns []func()) {
	for _, fn := range fns {
		fn()
	}
}

// cString returns the NUL-padded name of an inotify event.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
