package lvs

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/healthcheck"
)

// BFD_CHECK: keepalived's checker process learns from its BFD process
// when a session enters or leaves Up and sets the checker's state at
// once. Here a bfdChecker reports the state of its session as the loop
// last heard it (bfdBoard), and BFDStateChanged asks the scheduler for an
// immediate probe of every BFD_CHECK of that session, so the real server
// follows the event without waiting for delay_loop (which stays as a
// safety net). The scheduler then combines it with the server's other
// checkers as keepalived does: the server is up only if all are.

// bfdBoard is every session's state as last reported; a session with no
// report yet is absent. The loop writes it, probes read it.
type bfdBoard struct {
	mu sync.Mutex
	up map[string]bool
}

func (b *bfdBoard) set(name string, up bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.up == nil {
		b.up = map[string]bool{}
	}
	b.up[name] = up
}

func (b *bfdBoard) get(name string) (up, known bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	up, known = b.up[name]
	return up, known
}

// bfdChecker is one BFD_CHECK.
type bfdChecker struct {
	name  string
	alpha bool
	// board is set by bindBFD before the scheduler sees the check.
	board *bfdBoard
}

func newBFDChecker(ch *config.Checker) (healthcheck.Checker, error) {
	if ch.BFD == nil || ch.BFD.Name == "" {
		return nil, fmt.Errorf("no name")
	}
	return &bfdChecker{name: ch.BFD.Name, alpha: ch.Alpha}, nil
}

// Kind implements healthcheck.Checker.
func (c *bfdChecker) Kind() healthcheck.Kind { return healthcheck.KindBFD }

// Check implements healthcheck.Checker: the session's last reported
// state. Until the session reported anything the checker keeps its
// initial state (up, or down with alpha), as keepalived's does: a session
// that is still coming up does not take the server out.
func (c *bfdChecker) Check(context.Context) healthcheck.Result {
	var up, known bool
	if c.board != nil {
		up, known = c.board.get(c.name)
	}
	if !known {
		up = !c.alpha
	}
	if up {
		return healthcheck.Result{}
	}
	return healthcheck.Result{Err: fmt.Errorf("BFD %s is down", c.name)}
}

// bindBFD points plan's BFD_CHECKs at the Subsystem's board. It runs
// before the plan's checks are registered with the scheduler.
func (s *Subsystem) bindBFD(plan *Plan) {
	for _, vp := range plan.VirtualServers {
		for _, rp := range vp.Reals {
			for _, c := range rp.Health.Checks {
				if bc, ok := c.Checker.(*bfdChecker); ok {
					bc.board = &s.bfd
				}
			}
		}
	}
}

// BFDStateChanged records that bfd_instance name entered (up) or left Up
// and probes every BFD_CHECK of that session now. It runs on the loop
// (the daemon's BFDObserver fan-out).
func (s *Subsystem) BFDStateChanged(now time.Time, name string, up bool) {
	s.bfd.set(name, up)
	if !s.started || s.stopped || s.plan == nil {
		return
	}
	var targets []fileTarget
	for _, vp := range s.plan.VirtualServers {
		for _, rp := range vp.Reals {
			for _, c := range rp.Health.Checks {
				if bc, ok := c.Checker.(*bfdChecker); ok && bc.name == name {
					targets = append(targets, fileTarget{vs: vp.Name, rs: rp.Key, check: c.Name})
				}
			}
		}
	}
	if len(targets) == 0 {
		return
	}
	s.log.Info("lvs: BFD_CHECK session changed", "bfd", name, "up", up, "checks", len(targets))
	// probeNow may wait for a probe already in flight: not on the loop.
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		for _, t := range targets {
			s.probeNow(t)
		}
	}()
}
