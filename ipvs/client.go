package ipvs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync/atomic"
)

// Client is the narrow view of the kernel the reconciler needs. It has the
// shape of github.com/cloudflare/ipvs, including its quirk that listing an
// empty table (or a service with no destinations) returns an error
// matching fs.ErrNotExist; ReadTable hides that.
type Client interface {
	Services() ([]Service, error)
	Destinations(Service) ([]Destination, error)
	CreateService(Service) error
	UpdateService(Service) error
	RemoveService(Service) error
	CreateDestination(Service, Destination) error
	UpdateDestination(Service, Destination) error
	RemoveDestination(Service, Destination) error
}

// Timeouts are the kernel's connection timeouts in seconds (lvs_timeouts);
// zero leaves a value unchanged.
type Timeouts struct {
	TCP, TCPFin, UDP uint32
}

// TimeoutSetter is implemented by clients that can set Timeouts.
type TimeoutSetter interface {
	SetTimeouts(Timeouts) error
}

// TableReader is implemented by clients that read the whole table in one
// pass more cheaply than through Services and Destinations.
type TableReader interface {
	ReadTable(ctx context.Context) (Table, error)
}

// TableStatsReader is implemented by clients that read the table and its
// traffic counters in the same pass, so that drift repair and the
// counters poll can share one read of a large table.
type TableStatsReader interface {
	ReadTableStats(ctx context.Context) (Table, []ServiceStats, error)
}

// ReadTable reads the whole table through c: one request for the services
// and one per service for its destinations.
func ReadTable(c Client) (Table, error) {
	if tr, ok := c.(TableReader); ok {
		return tr.ReadTable(context.Background())
	}
	svcs, err := c.Services()
	if errors.Is(err, fs.ErrNotExist) {
		return Table{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ipvs: listing services: %w", err)
	}
	t := make(Table, len(svcs))
	for _, s := range svcs {
		ds, err := c.Destinations(s)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("ipvs: listing destinations of %s: %w", s.ServiceKey, err)
		}
		t.Add(s, ds...)
	}
	return t, nil
}

// Counts are the netlink requests a Counting client has made.
type Counts struct {
	Reads, Writes uint64
}

// Counting wraps a Client and counts its requests, so tests and the
// benchmark can show how many netlink operations a change costs.
type Counting struct {
	Client
	reads, writes atomic.Uint64
}

// NewCounting wraps c.
func NewCounting(c Client) *Counting { return &Counting{Client: c} }

// Counts returns the requests made so far.
func (c *Counting) Counts() Counts {
	return Counts{Reads: c.reads.Load(), Writes: c.writes.Load()}
}

// Services implements Client.
func (c *Counting) Services() ([]Service, error) { c.reads.Add(1); return c.Client.Services() }

// Destinations implements Client.
func (c *Counting) Destinations(s Service) ([]Destination, error) {
	c.reads.Add(1)
	return c.Client.Destinations(s)
}

// CreateService implements Client.
func (c *Counting) CreateService(s Service) error { c.writes.Add(1); return c.Client.CreateService(s) }

// UpdateService implements Client.
func (c *Counting) UpdateService(s Service) error { c.writes.Add(1); return c.Client.UpdateService(s) }

// RemoveService implements Client.
func (c *Counting) RemoveService(s Service) error { c.writes.Add(1); return c.Client.RemoveService(s) }

// CreateDestination implements Client.
func (c *Counting) CreateDestination(s Service, d Destination) error {
	c.writes.Add(1)
	return c.Client.CreateDestination(s, d)
}

// UpdateDestination implements Client.
func (c *Counting) UpdateDestination(s Service, d Destination) error {
	c.writes.Add(1)
	return c.Client.UpdateDestination(s, d)
}

// RemoveDestination implements Client.
func (c *Counting) RemoveDestination(s Service, d Destination) error {
	c.writes.Add(1)
	return c.Client.RemoveDestination(s, d)
}
