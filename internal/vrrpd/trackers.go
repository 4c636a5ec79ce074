package vrrpd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/internal/filewatch"
	"github.com/alived/alived/internal/notifyconf"
	"github.com/alived/alived/notify"
)

// trackers owns the vrrp_script and track_file objects: their state lives
// on the loop, their runners are adapters that post results.
type trackers struct {
	c       *Subsystem
	scripts map[string]*scriptState
	files   map[string]*fileState
	// watch reports track file changes (inotify); nil until the first
	// track_file, or if inotify is unavailable (then files are polled).
	// stopWatch ends its goroutine.
	watch     *filewatch.Watcher
	stopWatch context.CancelFunc
}

// scriptState is one vrrp_script: keepalived's rise/fall counting over
// consecutive results.
type scriptState struct {
	cfg      config.VRRPScript
	cmd      *notify.Command
	up       bool
	ok, fail int
	cancel   context.CancelFunc
}

// fileState is one track_file: the integer read from the file.
type fileState struct {
	cfg    config.TrackFile
	value  int
	cancel func()
}

// trackFilePoll is how often track files are re-read when inotify is
// not available (keepalived needs inotify; alived falls back to this).
const trackFilePoll = 200 * time.Millisecond

func newTrackers(c *Subsystem) *trackers {
	return &trackers{c: c, scripts: map[string]*scriptState{}, files: map[string]*fileState{}}
}

// sameScript reports whether a running script can be kept on reload.
func sameScript(a, b *config.VRRPScript) bool {
	return a.Interval == b.Interval && a.Timeout == b.Timeout && a.Rise == b.Rise && a.Fall == b.Fall &&
		a.InitFail == b.InitFail && a.Script != nil && b.Script != nil &&
		slices.Equal(a.Script.Args, b.Script.Args) && a.Script.User == b.Script.User && a.Script.Group == b.Script.Group &&
		a.Script.Disabled == b.Script.Disabled
}

// configure starts, keeps or stops runners so that they match cfg. A
// script whose command and timing are unchanged keeps its state.
func (t *trackers) configure(cfg *config.Config) {
	want := map[string]bool{}
	for _, s := range cfg.Scripts {
		want[s.Name] = true
		if old, ok := t.scripts[s.Name]; ok && sameScript(&old.cfg, s) {
			old.cfg = *s
			continue
		} else if ok {
			old.cancel()
		}
		cmd := notifyconf.Command(s.Script)
		st := &scriptState{cfg: *s, cmd: cmd, up: !s.InitFail}
		if s.InitFail {
			// keepalived starts a failed script one success short of up.
			st.ok = max(s.Rise-1, 0)
		}
		t.scripts[s.Name] = st
		if cmd == nil {
			t.c.log.Warn("vrrp_script disabled, not tracked", "script", s.Name)
			st.cancel = func() {}
			continue
		}
		t.startScript(s.Name, st, notifyconf.Settings(&cfg.Global).Runner(t.c.log))
	}
	for name, st := range t.scripts {
		if !want[name] {
			st.cancel()
			delete(t.scripts, name)
		}
	}
	want = map[string]bool{}
	for _, f := range cfg.TrackFiles {
		want[f.Name] = true
		if old, ok := t.files[f.Name]; ok && old.cfg.File == f.File {
			old.cfg = *f
			// keepalived re-reads track files on reload: a change the
			// watch missed (or made while it was being set up) shows now.
			t.c.goAdapter(func() { t.readFile(f.Name, old, f.File) })
			continue
		} else if ok {
			old.cancel()
		}
		st := &fileState{cfg: *f, value: readTrackFile(f.File)}
		t.files[f.Name] = st
		t.startFile(f.Name, st)
	}
	for name, st := range t.files {
		if !want[name] {
			st.cancel()
			delete(t.files, name)
		}
	}
}

// startScript runs the script every interval until cancelled, posting
// each result to the loop.
func (t *trackers) startScript(name string, st *scriptState, runner *notify.Runner) {
	ctx, cancel := context.WithCancel(context.Background())
	st.cancel = cancel
	r := *runner
	r.Timeout = st.cfg.Timeout
	if r.Timeout <= 0 {
		r.Timeout = st.cfg.Interval
	}
	interval := max(st.cfg.Interval, 10*time.Millisecond)
	cmd := *st.cmd
	t.c.goAdapter(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			res := r.Run(ctx, cmd)
			if ctx.Err() != nil {
				return
			}
			ok := res.Err == nil && !res.TimedOut && res.ExitCode == 0
			t.c.post(func(now time.Time) { t.scriptResult(now, name, st, ok) })
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
}

// startFile follows the file until cancelled and posts its value to the
// loop after every change: through the shared inotify watcher, or by
// polling if there is none.
func (t *trackers) startFile(name string, st *fileState) {
	if w := t.watcher(); w != nil {
		path := st.cfg.File
		st.cancel = w.Add(path, func() { t.readFile(name, st, path) })
		// A write between the first read and the watch would be missed.
		t.c.goAdapter(func() { t.readFile(name, st, path) })
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	st.cancel = cancel
	path := st.cfg.File
	t.c.goAdapter(func() {
		tick := time.NewTicker(trackFilePoll)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			t.readFile(name, st, path)
		}
	})
}

// readFile reads a track file off the loop and hands the value to it;
// fileValue drops values that did not change. The path is passed in
// because st belongs to the loop.
func (t *trackers) readFile(name string, st *fileState, path string) {
	v := readTrackFile(path)
	t.c.post(func(now time.Time) { t.fileValue(now, name, st, v) })
}

// watcher returns the inotify watcher, starting it on first use; nil
// means inotify is unavailable and files are polled.
func (t *trackers) watcher() *filewatch.Watcher {
	if t.watch != nil || t.stopWatch != nil {
		return t.watch
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.stopWatch = cancel
	w, err := filewatch.New(filewatch.Options{Logger: t.c.log})
	if err != nil {
		t.c.log.Warn("track_file: no inotify, polling track files", "every", trackFilePoll, "err", err)
		return nil
	}
	t.watch = w
	t.c.goAdapter(func() {
		if err := w.Run(ctx); err != nil {
			t.c.log.Error("track_file: watcher stopped", "err", err)
		}
	})
	return w
}

// InitTrackFiles applies track_file's init_file before the components
// read the files, as keepalived does when it reads the configuration: a
// missing file is created holding the init value; with overwrite an
// existing regular file is rewritten too, but only at start, not on
// reload (a reload must not undo what an operator wrote). Both the VRRP
// trackers and FILE_CHECK read these files, so the daemon does this once
// for both.
func InitTrackFiles(cfg *config.Config, reload bool, log *slog.Logger) {
	for _, f := range cfg.TrackFiles {
		if err := initTrackFile(f, reload); err != nil {
			log.Error("track_file: init_file", "file", f.Name, "err", err)
		}
	}
}

func initTrackFile(f *config.TrackFile, reload bool) error {
	if !f.InitFile {
		return nil
	}
	st, err := os.Stat(f.File)
	switch {
	case err == nil && !f.InitOverwrite:
		return nil
	case err == nil && !st.Mode().IsRegular():
		return fmt.Errorf("cannot initialise %s: not a regular file", f.File)
	case err == nil && reload:
		return nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("cannot initialise %s: %w", f.File, err)
	}
	if err := os.WriteFile(f.File, fmt.Appendf(nil, "%d\n", f.InitValue), 0o644); err != nil {
		return fmt.Errorf("cannot initialise %s: %w", f.File, err)
	}
	return nil
}

// readTrackFile returns the integer at the start of the file; a missing
// or unreadable file counts as 0, as in keepalived.
func readTrackFile(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	fields := bytes.Fields(b)
	if len(fields) == 0 {
		return 0
	}
	v, err := strconv.Atoi(string(fields[0]))
	if err != nil {
		return 0
	}
	return v
}

// scriptResult applies rise/fall to one result of a script.
func (t *trackers) scriptResult(now time.Time, name string, st *scriptState, ok bool) {
	if t.c.stopped || t.scripts[name] != st {
		return // a result of a runner replaced by reload
	}
	was := st.up
	if ok {
		st.ok, st.fail = st.ok+1, 0
		if !st.up && st.ok >= max(st.cfg.Rise, 1) {
			st.up = true
		}
	} else {
		st.ok, st.fail = 0, st.fail+1
		if st.up && st.fail >= max(st.cfg.Fall, 1) {
			st.up = false
		}
	}
	if st.up == was {
		return
	}
	t.c.log.Info("vrrp_script", "script", name, "up", st.up)
	e := notify.ScriptEvent(name, st.up)
	t.c.notifier.Notify(e, nil, false)
	t.refresh(now, trackScript, name)
}

// fileValue records a new track_file value.
func (t *trackers) fileValue(now time.Time, name string, st *fileState, v int) {
	if t.c.stopped || t.files[name] != st || st.value == v {
		return
	}
	st.value = v
	t.c.log.Info("track_file", "file", name, "value", v)
	t.refresh(now, trackFile, name)
}

// refresh re-applies a tracked object to every instance that tracks it.
func (t *trackers) refresh(now time.Time, kind trackKind, name string) {
	for _, x := range t.c.insts {
		for _, r := range x.spec.Trackers {
			if r.Kind == kind && r.Name == name {
				t.apply(now, x, r)
			}
		}
	}
	t.c.flush(now)
}

// apply hands the current state of tracked object r to instance x.
func (t *trackers) apply(now time.Time, x *vrrpInst, r trackRef) {
	switch r.Kind {
	case trackScript:
		st := t.scripts[r.Name]
		if st == nil || st.cmd == nil {
			return
		}
		x.in.SetTracker(x.now(now), r.id(), r.Weight, st.up != r.Reverse)
	case trackFile:
		st := t.files[r.Name]
		if st == nil {
			return
		}
		if r.Weight == 0 {
			x.in.SetTracker(x.now(now), r.id(), 0, st.value == 0)
			return
		}
		// The core adds a positive weight while up and a negative one
		// while down: express value×weight as one of those.
		d := st.value * r.Weight
		if r.Reverse {
			d = -d
		}
		x.in.SetTracker(x.now(now), r.id(), d, d >= 0)
	}
}

// close stops every runner.
func (t *trackers) close() {
	for _, s := range t.scripts {
		s.cancel()
	}
	for _, f := range t.files {
		f.cancel()
	}
	if t.stopWatch != nil {
		t.stopWatch()
	}
}
