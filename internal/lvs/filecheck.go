package lvs

import (
	"time"

	"github.com/alived/alived/healthcheck"
	"github.com/alived/alived/internal/filewatch"
)

// fileChecks makes FILE_CHECK event-driven, as keepalived's is: one
// inotify watcher, started with the first FILE_CHECK and stopped with the
// Subsystem, asks the scheduler to probe a FILE_CHECK as soon as its file
// changes. Without inotify the checks still run every delay_loop.
type fileChecks struct {
	watch *filewatch.Watcher
	// unavailable records that inotify could not be opened (logged once).
	unavailable bool
	// remove ends the current plan's subscriptions.
	remove []func()
}

// fileTarget is one FILE_CHECK: where it is in the scheduler and which
// file it reads.
type fileTarget struct {
	vs, rs, check, path string
}

// probeNowTries and probeNowRetry bound how long a change waits for a
// probe of the same check that is already running (it may have read the
// file before the change) to finish, so that a fresh probe can follow.
const (
	probeNowTries = 40
	probeNowRetry = 5 * time.Millisecond
)

// watchFiles subscribes to the files of plan's FILE_CHECKs, replacing the
// previous plan's subscriptions, and then probes every FILE_CHECK. It runs
// on the loop, after Start has set up the scheduler and the context.
func (s *Subsystem) watchFiles(plan *Plan) {
	for _, remove := range s.files.remove {
		remove()
	}
	s.files.remove = nil
	var targets []fileTarget
	for _, vp := range plan.VirtualServers {
		for _, rp := range vp.Reals {
			for _, c := range rp.Health.Checks {
				if fc, ok := c.Checker.(*healthcheck.FileChecker); ok {
					targets = append(targets, fileTarget{vs: vp.Name, rs: rp.Key, check: c.Name, path: fc.Path()})
				}
			}
		}
	}
	if len(targets) == 0 {
		return
	}
	if w := s.fileWatcher(); w != nil {
		for _, t := range targets {
			s.files.remove = append(s.files.remove, w.Add(t.path, func() { s.probeNow(t) }))
		}
	}
	// Probe them all once more now that they are watched: keepalived
	// re-reads track files on reload, and at start a write between the
	// first probe and the watch would otherwise wait for delay_loop.
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		for _, t := range targets {
			s.probeNow(t)
		}
	}()
}

// fileWatcher returns the inotify watcher, starting it on first use; nil
// if inotify is unavailable.
func (s *Subsystem) fileWatcher() *filewatch.Watcher {
	if s.files.watch != nil || s.files.unavailable {
		return s.files.watch
	}
	w, err := filewatch.New(filewatch.Options{Logger: s.log})
	if err != nil {
		s.files.unavailable = true
		s.log.Warn("lvs: no inotify - FILE_CHECK files are read every delay_loop only", "err", err)
		return nil
	}
	s.files.watch = w
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		if err := w.Run(s.ctx); err != nil {
			s.log.Error("lvs: FILE_CHECK watcher stopped", "err", err)
		}
	}()
	return w
}

// probeNow asks the scheduler for a probe of t, waiting briefly while a
// probe of it is already running. It runs on the watcher's goroutine (or
// the reload's), never on the loop.
func (s *Subsystem) probeNow(t fileTarget) {
	for range probeNowTries {
		if s.sched.CheckNow(t.vs, t.rs, t.check) {
			return
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(probeNowRetry):
		}
	}
}
