package lvs

import (
	"context"
	"time"

	"github.com/alived/alived/ipvs"
)

// DefaultStatsInterval is how often traffic counters are read when
// Options.StatsInterval is zero. Prometheus scrapes every 15 s or more
// by default, so 5 s keeps the exported counters fresh at little cost.
const DefaultStatsInterval = 5 * time.Second

// startStatsPoller starts the goroutine that reads the kernel's traffic
// counters, if client can read them. It runs on the loop (from
// openKernel); the goroutine belongs to the Subsystem: s.ctx ends it and
// Stop waits for it through s.done.
//
// The poller never posts to the loop: a counters dump is a full table
// read over netlink, which must not run on the loop, and a post that
// blocked on a busy loop would deadlock Stop (which waits for s.done on
// the loop). Instead it publishes each read atomically and Snapshot,
// on the loop, picks up the latest one when it rebuilds (at most
// snapshotMaxAge later).
func (s *Subsystem) startStatsPoller(client ipvs.Client) {
	r, ok := client.(ipvs.StatsReader)
	interval := s.opt.StatsInterval
	if interval == 0 {
		interval = DefaultStatsInterval
	}
	if !ok || interval < 0 {
		return
	}
	ctx := s.ctx
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		s.pollStats(ctx, r, interval)
	}()
}

// pollStats reads counters now and then every interval until ctx ends.
func (s *Subsystem) pollStats(ctx context.Context, r ipvs.StatsReader, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		// Stamped before the read: the counters describe the kernel at
		// this time or later, which is what a drain's completion needs.
		at := time.Now()
		stats, err := r.ServiceStats(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			// Keep the last good read: stale counters beat none, and the
			// error is logged once per failing streak, not every poll.
			if !failing {
				s.log.Warn("lvs: reading IPVS counters", "err", err)
			}
			failing = true
		default:
			failing = false
			s.storeCountersAt(stats, at)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// countersRead is one read of the kernel's counters and when it began
// (for drift repair's shared read: when it ended).
type countersRead struct {
	ix ipvs.StatsIndex
	at time.Time
}

// storeCounters publishes a counters read for Snapshot to pick up; it
// runs off the loop (drift repair's shared read).
func (s *Subsystem) storeCounters(stats []ipvs.ServiceStats) {
	s.storeCountersAt(stats, time.Now())
}

// storeCountersAt publishes a read that began at at.
func (s *Subsystem) storeCountersAt(stats []ipvs.ServiceStats, at time.Time) {
	s.counters.Store(&countersRead{ix: ipvs.IndexStats(stats), at: at})
}

// vsCounters sums the counters of the kernel services keys over the
// latest read; ok is false when there is no read yet or none of the
// services is in it.
func vsCounters(ix *ipvs.StatsIndex, keys []ipvs.ServiceKey) (c ipvs.Counters, ok bool) {
	if ix == nil {
		return c, false
	}
	for _, k := range keys {
		if st, found := ix.Lookup(k); found {
			c, ok = c.Add(st.Counters), true
		}
	}
	return c, ok
}

// rsCounters sums the counters of destination d over the kernel services
// keys, as vsCounters does for the services.
func rsCounters(ix *ipvs.StatsIndex, keys []ipvs.ServiceKey, d ipvs.DestKey) (c ipvs.Counters, ok bool) {
	if ix == nil {
		return c, false
	}
	for _, k := range keys {
		st, found := ix.Lookup(k)
		if !found {
			continue
		}
		if dc, found := st.Dests[d]; found {
			c, ok = c.Add(dc), true
		}
	}
	return c, ok
}
