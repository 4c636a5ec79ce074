//go:build linux

package ipvs

import (
	"context"
	"errors"
	"fmt"
	"io"

	cfipvs "github.com/cloudflare/ipvs"
	"github.com/cloudflare/ipvs/netmask"
)

// Netlink is the Client over the kernel's IPVS generic-netlink family.
// Changes go through github.com/cloudflare/ipvs; reads (Services,
// Destinations, counters) through this package's own dump decoder, which
// allocates little (see dumper). It talks to the network namespace of the
// thread that called Dial.
type Netlink struct {
	c    cfipvs.Client
	dump *dumper
}

// Dial opens a netlink connection to IPVS. Close releases it.
func Dial() (*Netlink, error) {
	c, err := cfipvs.New()
	if err != nil {
		return nil, fmt.Errorf("ipvs: opening netlink: %w", err)
	}
	d, err := newDumper()
	if err != nil {
		if cl, ok := c.(io.Closer); ok {
			cl.Close()
		}
		return nil, err
	}
	return &Netlink{c: c, dump: d}, nil
}

// Close releases the netlink sockets. The library's Client interface has
// no Close, but its concrete type implements io.Closer.
func (n *Netlink) Close() error {
	err := n.dump.close()
	if c, ok := n.c.(io.Closer); ok {
		err = errors.Join(err, c.Close())
	}
	return err
}

// toLib converts a service. The netmask is always set: since v0.10 the
// library omits an unset one and the kernel rejects the request.
func toLib(s Service) cfipvs.Service {
	total := 32
	if s.Family == INET6 {
		total = 128
	}
	return cfipvs.Service{
		Address:   s.Addr,
		Netmask:   netmask.MaskFrom(s.maskBits(), total),
		Scheduler: s.Scheduler,
		Timeout:   s.Timeout,
		Flags:     cfipvs.Flags(s.Flags),
		Port:      s.Port,
		FWMark:    s.FWMark,
		Family:    cfipvs.AddressFamily(s.Family),
		Protocol:  cfipvs.Protocol(s.Protocol),
	}
}

func destToLib(d Destination) cfipvs.Destination {
	return cfipvs.Destination{
		Address:        d.Addr,
		FwdMethod:      cfipvs.ForwardType(d.Forward),
		Weight:         d.Weight,
		UpperThreshold: d.UpperThreshold,
		LowerThreshold: d.LowerThreshold,
		Port:           d.Port,
		Family:         cfipvs.AddressFamily(FamilyOf(d.Addr)),
		TunnelType:     cfipvs.TunnelType(d.TunnelType),
		TunnelPort:     d.TunnelPort,
		TunnelFlags:    cfipvs.TunnelFlags(d.TunnelFlags),
	}
}

// Services implements Client.
func (n *Netlink) Services() ([]Service, error) {
	n.dump.mu.Lock()
	defer n.dump.mu.Unlock()
	var out []Service
	err := n.dump.services(func(s Service, _ Counters) { out = append(out, s) })
	return out, err
}

// Destinations implements Client.
func (n *Netlink) Destinations(s Service) ([]Destination, error) {
	n.dump.mu.Lock()
	defer n.dump.mu.Unlock()
	var out []Destination
	err := n.dump.dests(s.ServiceKey, func(d Destination, _ Counters) { out = append(out, d) })
	return out, err
}

// ReadTable implements TableReader: the whole table from one pass.
func (n *Netlink) ReadTable(ctx context.Context) (Table, error) {
	t, _, err := n.dump.readTable(ctx, false)
	return t, err
}

// ReadTableStats implements TableStatsReader: the table and its counters
// from the same pass.
func (n *Netlink) ReadTableStats(ctx context.Context) (Table, []ServiceStats, error) {
	return n.dump.readTable(ctx, true)
}

// CreateService implements Client.
func (n *Netlink) CreateService(s Service) error { return n.c.CreateService(toLib(s)) }

// UpdateService implements Client.
func (n *Netlink) UpdateService(s Service) error { return n.c.UpdateService(toLib(s)) }

// RemoveService implements Client.
func (n *Netlink) RemoveService(s Service) error { return n.c.RemoveService(toLib(s)) }

// CreateDestination implements Client.
func (n *Netlink) CreateDestination(s Service, d Destination) error {
	return n.c.CreateDestination(toLib(s), destToLib(d))
}

// UpdateDestination implements Client.
func (n *Netlink) UpdateDestination(s Service, d Destination) error {
	return n.c.UpdateDestination(toLib(s), destToLib(d))
}

// RemoveDestination implements Client.
func (n *Netlink) RemoveDestination(s Service, d Destination) error {
	return n.c.RemoveDestination(toLib(s), destToLib(d))
}

// SetTimeouts implements TimeoutSetter; the kernel leaves a zero value
// unchanged.
func (n *Netlink) SetTimeouts(t Timeouts) error {
	return n.c.SetConfig(cfipvs.Config{TCPTimeout: t.TCP, TCPFinTimeout: t.TCPFin, UDPTimeout: t.UDP})
}
