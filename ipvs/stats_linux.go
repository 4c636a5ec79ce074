//go:build linux

package ipvs

import (
	"context"
	"fmt"
)

// ServiceStats implements StatsReader: one dump of the services and one
// of each service's destinations. ctx is checked between services, so a
// cancelled poll ends after at most one more netlink round trip.
func (n *Netlink) ServiceStats(ctx context.Context) ([]ServiceStats, error) {
	_, st, err := n.dump.readTable(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("ipvs: reading counters: %w", err)
	}
	return st, nil
}
