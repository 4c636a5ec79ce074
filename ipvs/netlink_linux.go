//go:build linux

package ipvs

import (
	"fmt"
	"io"
	"net/netip"

	cfipvs "github.com/cloudflare/ipvs"
	"github.com/cloudflare/ipvs/netmask"
)

// Netlink is the Client over the kernel's IPVS generic-netlink family,
// built on github.com/cloudflare/ipvs. It talks to the network namespace
// of the thread that called Dial.
type Netlink struct {
	c cfipvs.Client
}

// Dial opens a netlink connection to IPVS. Close releases it.
func Dial() (*Netlink, error) {
	c, err := cfipvs.New()
	if err != nil {
		return nil, fmt.Errorf("ipvs: opening netlink: %w", err)
	}
	return &Netlink{c: c}, nil
}

// Close releases the netlink socket. The library's Client interface has
// no Close, but its concrete type implements io.Closer.
func (n *Netlink) Close() error {
	if c, ok := n.c.(io.Closer); ok {
		return c.Close()
	}
	return nil
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

func fromLib(s cfipvs.Service) Service {
	out := Service{
		ServiceKey: ServiceKey{Family: Family(s.Family), FWMark: s.FWMark},
		Scheduler:  s.Scheduler,
		Flags:      Flags(s.Flags),
		Timeout:    s.Timeout,
	}
	if s.FWMark == 0 {
		out.Protocol, out.Addr, out.Port = Protocol(s.Protocol), s.Address, s.Port
	}
	if b := s.Netmask.Bits(); b > 0 {
		out.MaskBits = b
	}
	return out
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

func destFromLib(d cfipvs.Destination) Destination {
	addr := d.Address
	if addr.Is4In6() {
		addr = netip.AddrFrom4(addr.As4())
	}
	return Destination{
		DestKey:        DestKey{Addr: addr, Port: d.Port},
		Forward:        Forward(d.FwdMethod),
		Weight:         d.Weight,
		UpperThreshold: d.UpperThreshold,
		LowerThreshold: d.LowerThreshold,
		TunnelType:     TunnelType(d.TunnelType),
		TunnelPort:     d.TunnelPort,
		TunnelFlags:    TunnelFlags(d.TunnelFlags),
	}
}

// Services implements Client.
func (n *Netlink) Services() ([]Service, error) {
	svcs, err := n.c.Services()
	if err != nil {
		return nil, err
	}
	out := make([]Service, len(svcs))
	for i, s := range svcs {
		out[i] = fromLib(s.Service)
	}
	return out, nil
}

// Destinations implements Client.
func (n *Netlink) Destinations(s Service) ([]Destination, error) {
	ds, err := n.c.Destinations(toLib(s))
	if err != nil {
		return nil, err
	}
	out := make([]Destination, len(ds))
	for i, d := range ds {
		out[i] = destFromLib(d.Destination)
	}
	return out, nil
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
