package ipvs

import (
	"context"
	"fmt"
)

// Counters are the kernel's traffic counters of one service or
// destination. They are observed values, kept apart from the identity and
// settings the reconciler compares (Service, Destination), so reading
// them never makes a table look changed.
type Counters struct {
	// Connections is the number of connections scheduled (cumulative).
	Connections uint64
	// ActiveConns and InactiveConns are gauges the kernel keeps per
	// destination; a service's are the sum over its destinations.
	ActiveConns, InactiveConns uint64
	// Packets and bytes in and out (cumulative).
	InPackets, OutPackets uint64
	InBytes, OutBytes     uint64
}

// Add returns the sum of c and o, field by field.
func (c Counters) Add(o Counters) Counters {
	return Counters{
		Connections: c.Connections + o.Connections,
		ActiveConns: c.ActiveConns + o.ActiveConns, InactiveConns: c.InactiveConns + o.InactiveConns,
		InPackets: c.InPackets + o.InPackets, OutPackets: c.OutPackets + o.OutPackets,
		InBytes: c.InBytes + o.InBytes, OutBytes: c.OutBytes + o.OutBytes,
	}
}

// ServiceStats are the counters of one kernel service and of each of its
// destinations, keyed like the reconciler's Table.
type ServiceStats struct {
	Key      ServiceKey
	Counters Counters
	Dests    map[DestKey]Counters
}

// StatsReader is implemented by clients that can read traffic counters.
// It is separate from Client because the reconciler never needs them and
// because reading them is a full table dump, done off the event loop.
type StatsReader interface {
	// ServiceStats returns the counters of every service in the kernel;
	// an empty table is an empty result, not an error.
	ServiceStats(ctx context.Context) ([]ServiceStats, error)
}

// StatsIndex looks counters up by the keys a desired Table uses.
type StatsIndex map[ServiceKey]ServiceStats

// IndexStats indexes stats by the key the kernel stores each service
// under, so that Lookup finds a firewall-mark service whatever protocol or
// address the configuration gave it.
func IndexStats(stats []ServiceStats) StatsIndex {
	ix := make(StatsIndex, len(stats))
	for _, s := range stats {
		ix[canonical(s.Key)] = s
	}
	return ix
}

// Lookup returns the counters of the service with key k.
func (ix StatsIndex) Lookup(k ServiceKey) (ServiceStats, bool) {
	s, ok := ix[canonical(k)]
	return s, ok
}

// SetCounters sets the counters the Fake reports for service k (a zero
// DestKey) or for its destination d. Counters of services or
// destinations not in the table are kept but not reported.
func (f *Fake) SetCounters(k ServiceKey, d DestKey, c Counters) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.counters == nil {
		f.counters = map[fakeCounterKey]Counters{}
	}
	f.counters[fakeCounterKey{canonical(k), d}] = c
}

// fakeCounterKey names a service (zero dest) or one of its destinations.
type fakeCounterKey struct {
	svc  ServiceKey
	dest DestKey
}

// ReadTableStats implements TableStatsReader with a table read and a
// counters read (not atomic together, which the fake's users never need).
func (f *Fake) ReadTableStats(ctx context.Context) (Table, []ServiceStats, error) {
	t, err := ReadTable(f)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.ServiceStats(ctx)
	return t, st, err
}

// ServiceStats implements StatsReader. A service's active and inactive
// connections are the sum over its destinations, as for the kernel.
func (f *Fake) ServiceStats(ctx context.Context) ([]ServiceStats, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ipvs: reading counters: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]ServiceStats, 0, len(f.table))
	for _, k := range f.table.Keys() {
		vs := f.table[k]
		st := ServiceStats{Key: k, Counters: f.counters[fakeCounterKey{svc: k}], Dests: make(map[DestKey]Counters, len(vs.Dests))}
		st.Counters.ActiveConns, st.Counters.InactiveConns = 0, 0
		for dk := range vs.Dests {
			c := f.counters[fakeCounterKey{k, dk}]
			st.Dests[dk] = c
			st.Counters.ActiveConns += c.ActiveConns
			st.Counters.InactiveConns += c.InactiveConns
		}
		out = append(out, st)
	}
	return out, nil
}
