//go:build linux

package ipvs

import (
	"context"
	"fmt"

	cfipvs "github.com/cloudflare/ipvs"
)

// ServiceStats implements StatsReader: one dump of the services and one
// of each service's destinations. ctx is checked between requests (the
// library's calls take none), so a cancelled poll ends after at most one
// more netlink round trip.
func (n *Netlink) ServiceStats(ctx context.Context) ([]ServiceStats, error) {
	svcs, err := n.c.Services()
	if errNoTable(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ipvs: reading service counters: %w", err)
	}
	out := make([]ServiceStats, 0, len(svcs))
	for _, s := range svcs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("ipvs: reading counters: %w", err)
		}
		svc := fromLib(s.Service)
		st := ServiceStats{Key: svc.ServiceKey, Counters: libCounters(s.Stats, s.Stats64), Dests: map[DestKey]Counters{}}
		ds, err := n.c.Destinations(s.Service)
		if err != nil && !errNoTable(err) {
			return nil, fmt.Errorf("ipvs: reading destination counters of %s: %w", svc.ServiceKey, err)
		}
		for _, d := range ds {
			c := libCounters(d.Stats, d.Stats64)
			c.ActiveConns, c.InactiveConns = uint64(d.ActiveConnections), uint64(d.InactiveConnections)
			st.Dests[destFromLib(d.Destination).DestKey] = c
			st.Counters.ActiveConns += c.ActiveConns
			st.Counters.InactiveConns += c.InactiveConns
		}
		out = append(out, st)
	}
	return out, nil
}

// libCounters prefers the 64-bit counters (kernel 4.1+); older kernels
// send only the 32-bit ones, which wrap.
func libCounters(s32, s64 cfipvs.Stats) Counters {
	s := s64
	if s == (cfipvs.Stats{}) {
		s = s32
	}
	return Counters{
		Connections: s.Connections,
		InPackets:   s.IncomingPackets, OutPackets: s.OutgoingPackets,
		InBytes: s.IncomingBytes, OutBytes: s.OutgoingBytes,
	}
}
