package lvs

import (
	"time"

	"github.com/alived/alived/healthcheck"
	"github.com/alived/alived/ipvs"
	"github.com/alived/alived/status"
)

// Snapshot is an immutable view of the LVS side for the API and metrics.
// The virtual servers are published as the status package's types, so
// the daemon hands them on without converting them.
type Snapshot struct {
	VirtualServers []status.VirtualServer
	// Transitions counts real-server transitions applied since Start.
	Transitions uint64
	// LastError is the last failed kernel update (empty if none), and
	// Retrying tells whether it is still being retried.
	LastError   string
	LastErrorAt time.Time
	Retrying    bool
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
	read := s.counters.Load()
	var counters *ipvs.StatsIndex
	if read != nil {
		counters = &read.ix
	}
	draining := map[rsID]bool{}
	out.VirtualServers = make([]status.VirtualServer, 0, len(s.plan.VirtualServers))
	for _, vp := range s.plan.VirtualServers {
		vs := status.VirtualServer{
			Name: vp.Name, QuorumUp: s.pool.QuorumUp(vp.Name),
			Quorum: vp.Pool.Quorum, Hysteresis: vp.Pool.Hysteresis, WeightSum: s.weightSum(vp),
			Services:    make([]status.Service, 0, len(vp.Pool.Services)),
			RealServers: make([]status.RealServer, 0, len(vp.Reals)),
		}
		vsID, named := s.idents.vs[vp.Name]
		if named {
			vs.ID = vsID.String()
			if e, ok := s.overrides[overrideKey{vs: vsID}]; ok {
				vs.Override = &status.Override{Kind: e.Kind, Since: e.since}
			}
		}
		var dests map[ipvs.DestKey]ipvs.Destination
		keys := make([]ipvs.ServiceKey, 0, len(vp.Pool.Services))
		for i, svc := range vp.Pool.Services {
			vs.Services = append(vs.Services, serviceStatus(svc.ServiceKey))
			keys = append(keys, svc.ServiceKey)
			if i == 0 {
				dests = desired[svc.ServiceKey].Dests
			}
		}
		vs.Counters = countersStatus(vsCounters(counters, keys))
		if sorry := vp.Pool.Sorry; sorry != nil {
			d, ok := dests[sorry.Dest.DestKey]
			vs.SorryActive = ok && !vs.QuorumUp && d.Weight > 0
		}
		allDrained := true
		for _, rp := range vp.Reals {
			id := rsID{vp.Name, rp.Key}
			l := s.live[id]
			rs := status.RealServer{
				Address: rp.Dest.Addr.String(), Port: rp.Dest.Port,
				ConfiguredWeight: rp.Weight, HealthWeight: l.state.Weight, Up: l.state.Up, Reason: l.reason,
				Checks: make([]status.Check, 0, len(checks[id])),
			}
			if rid, ok := s.idents.rs[id]; ok {
				rs.ID = rid.String()
			}
			if d, ok := dests[rp.Dest]; ok {
				rs.EffectiveWeight, rs.InTable = d.Weight, true
			}
			c, cok := rsCounters(counters, keys, rp.Dest)
			rs.Counters = countersStatus(c, cok)
			if e, inherited, ok := s.effective(vp, rp); ok {
				rs.Override = &status.Override{Kind: e.Kind, Since: e.since, Inherited: inherited}
				if e.Kind == status.OverrideWeight {
					rs.Override.Weight = e.Weight
				}
				if e.Kind == status.OverrideDrain {
					draining[id] = true
					s.trackDrain(id, e.since, read, c, cok, rs.Override)
				}
			}
			if o := vs.Override; o != nil && o.Kind == status.OverrideDrain {
				// A drained virtual server counts its real servers'
				// connections and is drained when the last of them is (a
				// real server in maint has none to wait for).
				o.ActiveConns += rs.Counters.ActiveConns
				o.InactiveConns += rs.Counters.InactiveConns
				switch {
				case rs.Override != nil && rs.Override.Kind == status.OverrideMaint:
				case rs.Override == nil || rs.Override.DrainedAt.IsZero():
					allDrained = false
				case rs.Override.DrainedAt.After(o.DrainedAt):
					o.DrainedAt = rs.Override.DrainedAt
				}
			}
			var latest time.Time
			for _, c := range checks[id] {
				cs := status.Check{Name: c.Name, Kind: string(c.Kind), Up: c.Up, Runs: c.Runs, LastError: c.LastError}
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
		if vs.Override != nil && vs.Override.Kind == status.OverrideDrain && !allDrained {
			vs.Override.DrainedAt = time.Time{}
		}
		out.VirtualServers = append(out.VirtualServers, vs)
	}
	for id := range s.drainedAt {
		if !draining[id] {
			delete(s.drainedAt, id)
		}
	}
	return out
}

// trackDrain fills a draining real server's connection counts and
// completion time into o. The drain is complete at the first counters
// read begun after the drain started that finds neither active nor
// inactive connections; connections that come back (a client with a
// persistence template may still open one) make it incomplete again.
func (s *Subsystem) trackDrain(id rsID, since time.Time, read *countersRead, c ipvs.Counters, ok bool, o *status.Override) {
	o.ActiveConns, o.InactiveConns = c.ActiveConns, c.InactiveConns
	at := s.drainedAt[id]
	if at.Before(since) {
		at = time.Time{} // an earlier drain's
	}
	if ok && read != nil && !read.at.Before(since) {
		switch {
		case c.ActiveConns+c.InactiveConns > 0:
			at = time.Time{}
		case at.IsZero():
			at = read.at
		}
	}
	if at.IsZero() {
		delete(s.drainedAt, id)
	} else {
		s.drainedAt[id] = at
	}
	o.DrainedAt = at
}

// serviceStatus splits a kernel service's identity into the status
// fields (metric labels).
func serviceStatus(k ipvs.ServiceKey) status.Service {
	if k.FWMark != 0 {
		return status.Service{Proto: "FWM", FWMark: k.FWMark}
	}
	return status.Service{Proto: k.Protocol.String(), Address: k.Addr.String(), Port: k.Port}
}

// countersStatus maps the kernel's counters; unread ones stay zero with
// CountersAvailable false, which metrics treats as "no data".
func countersStatus(c ipvs.Counters, ok bool) status.Counters {
	if !ok {
		return status.Counters{}
	}
	return status.Counters{
		Connections: c.Connections, ActiveConns: c.ActiveConns, InactiveConns: c.InactiveConns,
		IncomingPackets: c.InPackets, OutgoingPackets: c.OutPackets,
		IncomingBytes: c.InBytes, OutgoingBytes: c.OutBytes,
		CountersAvailable: true,
	}
}
