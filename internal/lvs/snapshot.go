package lvs

import (
	"time"

	"github.com/alived/alived/healthcheck"
	"github.com/alived/alived/ipvs"
)

// Snapshot is an immutable view of the LVS side for the API and metrics.
type Snapshot struct {
	VirtualServers []VirtualServerStatus
	// Transitions counts real-server transitions applied since Start.
	Transitions uint64
	// LastError is the last failed kernel update (empty if none), and
	// Retrying tells whether it is still being retried.
	LastError   string
	LastErrorAt time.Time
	Retrying    bool
}

// VirtualServerStatus is one virtual server.
type VirtualServerStatus struct {
	Name string
	// Services are the kernel services it expands to ("TCP 10.0.0.1:80").
	Services []string
	QuorumUp bool
	// Quorum and Hysteresis are as configured; WeightSum is the live
	// weight quorum is judged on.
	Quorum, Hysteresis uint32
	WeightSum          int64
	// SorryActive tells whether the sorry server is taking the traffic.
	SorryActive bool
	RealServers []RealServerStatus
	// Counters are the kernel's traffic counters summed over Services,
	// as last read off the loop (Options.StatsInterval); CountersOK is
	// false until a read has found the services in the kernel.
	Counters   ipvs.Counters
	CountersOK bool
}

// RealServerStatus is one real server of a virtual server.
type RealServerStatus struct {
	// Key is ADDR:PORT.
	Key string
	// ConfiguredWeight is the weight in the configuration; Weight is the
	// one health left it (dynamic checks applied); EffectiveWeight is the
	// weight in the desired kernel table, and InTable whether it is there
	// at all (a failed server without inhibit_on_failure is removed).
	ConfiguredWeight int
	Weight           int
	EffectiveWeight  uint32
	InTable          bool
	Up               bool
	// Reason is why it last changed state.
	Reason string
	// LastError is the most recent failing probe's error of any check.
	LastError string
	// CheckDuration is how long the most recent probe took.
	CheckDuration time.Duration
	Checks        []CheckStatus
	// Counters are the destination's traffic counters summed over the
	// virtual server's services; CountersOK as for VirtualServerStatus.
	Counters   ipvs.Counters
	CountersOK bool
}

// CheckStatus is one check of a real server.
type CheckStatus struct {
	Name      string
	Kind      healthcheck.Kind
	Up        bool
	Runs      int
	LastError string
	// Duration is how long the last probe took, LastRun when it ended.
	Duration time.Duration
	LastRun  time.Time
}

// snapshotMaxAge bounds how stale a published snapshot's probe counters
// and durations may be. The daemon publishes after every batch of events
// (VRRP adverts included); rebuilding the view of thousands of real
// servers each time would cost more than the events themselves.
const snapshotMaxAge = time.Second

// Snapshot returns the current state as a Snapshot value. It runs on the
// loop. Health, weights and quorum are always current; probe counters and
// durations may lag by up to a second.
func (s *Subsystem) Snapshot() any {
	now := time.Now()
	if s.snapDirty || s.snapAt.IsZero() || now.Sub(s.snapAt) >= snapshotMaxAge {
		s.snapCache, s.snapAt, s.snapDirty = s.snapshot(), now, false
	}
	return s.snapCache
}

func (s *Subsystem) snapshot() Snapshot {
	out := Snapshot{Transitions: s.transCount, LastError: s.lastErr, LastErrorAt: s.lastErrAt, Retrying: !s.retryAt.IsZero()}
	if s.plan == nil || s.pool == nil {
		return out
	}
	checks := map[rsID][]healthcheck.CheckStatus{}
	if s.sched != nil {
		for _, st := range s.sched.Snapshot() {
			checks[rsID{st.VirtualServer, st.RealServer}] = st.Checks
		}
	}
	desired := s.pool.Desired()
	counters := s.counters.Load()
	for _, vp := range s.plan.VirtualServers {
		vs := VirtualServerStatus{
			Name: vp.Name, QuorumUp: s.pool.QuorumUp(vp.Name),
			Quorum: vp.Pool.Quorum, Hysteresis: vp.Pool.Hysteresis, WeightSum: s.weightSum(vp),
		}
		var dests map[ipvs.DestKey]ipvs.Destination
		keys := make([]ipvs.ServiceKey, 0, len(vp.Pool.Services))
		for i, svc := range vp.Pool.Services {
			vs.Services = append(vs.Services, svc.ServiceKey.String())
			keys = append(keys, svc.ServiceKey)
			if i == 0 {
				dests = desired[svc.ServiceKey].Dests
			}
		}
		vs.Counters, vs.CountersOK = vsCounters(counters, keys)
		if sorry := vp.Pool.Sorry; sorry != nil {
			d, ok := dests[sorry.Dest.DestKey]
			vs.SorryActive = ok && !vs.QuorumUp && d.Weight > 0
		}
		for _, rp := range vp.Reals {
			id := rsID{vp.Name, rp.Key}
			l := s.live[id]
			rs := RealServerStatus{
				Key: rp.Key, ConfiguredWeight: rp.Weight, Weight: l.state.Weight, Up: l.state.Up, Reason: l.reason,
			}
			if d, ok := dests[rp.Dest]; ok {
				rs.EffectiveWeight, rs.InTable = d.Weight, true
			}
			rs.Counters, rs.CountersOK = rsCounters(counters, keys, rp.Dest)
			var latest time.Time
			for _, c := range checks[id] {
				cs := CheckStatus{Name: c.Name, Kind: c.Kind, Up: c.Up, Runs: c.Runs, LastError: c.LastError}
				if o := s.probes.get(checkID{id, c.Name}); o != nil {
					cs.Duration, _, cs.LastRun = o.stats.get()
				}
				if cs.LastRun.After(latest) {
					latest, rs.CheckDuration = cs.LastRun, cs.Duration
				}
				if cs.LastError != "" && (rs.LastError == "" || !c.Up) {
					rs.LastError = cs.LastError
				}
				rs.Checks = append(rs.Checks, cs)
			}
			vs.RealServers = append(vs.RealServers, rs)
		}
		out.VirtualServers = append(out.VirtualServers, vs)
	}
	return out
}
