package lvs

import (
	"sync"
	"time"

	"github.com/alived/alived/healthcheck"
)

// Every probe's outcome reaches the Subsystem through the scheduler's
// OnProbe hook, not by wrapping checkers: a wrapped TCP_CHECK would leave
// the scheduler's epoll loop for a goroutine per probe.

// probeStats is what the last probe of one check took and returned (the
// scheduler's snapshot has no durations).
type probeStats struct {
	mu       sync.Mutex
	duration time.Duration
	err      string
	at       time.Time
}

func (s *probeStats) record(p healthcheck.Probe) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = p.Start.Add(p.Duration)
	s.duration = p.Duration
	s.err = ""
	if p.Result.Err != nil {
		s.err = p.Result.Err.Error()
	}
}

func (s *probeStats) get() (time.Duration, string, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.duration, s.err, s.at
}

// checkObs is what follows one check's probes.
type checkObs struct {
	stats probeStats
	watch *checkWatch
}

// checkIndex finds a check's checkObs. The loop adds and removes entries
// (register, reload); the scheduler's goroutine looks them up in onProbe.
type checkIndex struct {
	mu sync.RWMutex
	m  map[checkID]*checkObs
}

func (x *checkIndex) get(id checkID) *checkObs {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.m[id]
}

func (x *checkIndex) set(id checkID, o *checkObs) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.m == nil {
		x.m = map[checkID]*checkObs{}
	}
	x.m[id] = o
}

// deleteIf removes the entries drop is true for and returns their ids.
func (x *checkIndex) deleteIf(drop func(checkID) bool) []checkID {
	x.mu.Lock()
	defer x.mu.Unlock()
	var gone []checkID
	for id := range x.m {
		if drop(id) {
			delete(x.m, id)
			gone = append(gone, id)
		}
	}
	return gone
}

// onProbe is the scheduler's OnProbe: it records the probe for snapshots
// and shows it to the check's watch. It runs on the scheduler's goroutine
// and must be quick.
func (s *Subsystem) onProbe(p healthcheck.Probe) {
	o := s.probes.get(checkID{rsID{p.VirtualServer, p.RealServer}, p.Check})
	if o == nil {
		return // removed by a reload
	}
	o.stats.record(p)
	o.watch.observe(p.Result)
}
