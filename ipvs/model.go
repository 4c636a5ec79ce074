// Package ipvs keeps the kernel's IPVS table equal to what the configuration
// and the health of the real servers ask for.
//
// It has four layers, each usable alone:
//
//   - the model (Table, Service, Destination): plain comparable values, the
//     identity of a service or destination kept apart from its settings;
//   - Pool: turns configured virtual servers plus health input (up/down,
//     weight) into a desired Table, applying inhibit_on_failure, quorum with
//     hysteresis and the sorry server; pure, no I/O;
//   - Plan: the pure difference between a desired and an actual Table as a
//     list of Ops;
//   - Reconciler: reads the kernel through the narrow Client interface,
//     adopts what matches, applies plans, and repairs drift.
//
// The Client over netlink lives in one file (netlink_linux.go); Fake is an
// in-memory kernel with the quirks the real one has, for tests.
package ipvs

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
)

// Protocol is the IP protocol of a virtual service (kernel values).
type Protocol uint16

// Protocols IPVS balances.
const (
	TCP  Protocol = 6
	UDP  Protocol = 17
	SCTP Protocol = 132
)

// String returns the protocol in ipvsadm's spelling.
func (p Protocol) String() string {
	switch p {
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	case SCTP:
		return "SCTP"
	case 0:
		return "-"
	}
	return "proto(" + strconv.Itoa(int(p)) + ")"
}

// Family is an address family (kernel values, AF_INET / AF_INET6).
type Family uint16

// Address families.
const (
	INET  Family = 2
	INET6 Family = 10
)

// FamilyOf returns the family of a.
func FamilyOf(a netip.Addr) Family {
	if a.Is4() || a.Is4In6() {
		return INET
	}
	return INET6
}

// Forward is a destination's forwarding method (kernel values).
type Forward uint32

// Forwarding methods; keepalived's NAT, DR and TUN are Masquerade,
// DirectRoute and Tunnel.
const (
	Masquerade  Forward = 0
	Local       Forward = 1
	Tunnel      Forward = 2
	DirectRoute Forward = 3
	Bypass      Forward = 4
)

// String returns the method as keepalived spells it.
func (f Forward) String() string {
	switch f {
	case Masquerade:
		return "NAT"
	case Local:
		return "LOCAL"
	case Tunnel:
		return "TUN"
	case DirectRoute:
		return "DR"
	case Bypass:
		return "BYPASS"
	}
	return "fwd(" + strconv.Itoa(int(f)) + ")"
}

// Flags are a service's flags (kernel values, IP_VS_SVC_F_*).
type Flags uint32

// Service flags. SchedFlag1..3 are the scheduler options keepalived calls
// flag-1..3: sh-fallback and mh-fallback are SchedFlag1, sh-port and
// mh-port are SchedFlag2.
const (
	Persistent Flags = 0x0001
	// Hashed is set by the kernel on every service it holds; it is not a
	// setting and Plan ignores it.
	Hashed     Flags = 0x0002
	OnePacket  Flags = 0x0004
	SchedFlag1 Flags = 0x0008
	SchedFlag2 Flags = 0x0010
	SchedFlag3 Flags = 0x0020
)

// TunnelType is the encapsulation of a TUN destination (kernel values).
type TunnelType uint8

// Tunnel types.
const (
	IPIP TunnelType = 0
	GUE  TunnelType = 1
	GRE  TunnelType = 2
)

// TunnelFlags are the checksum options of a GUE/GRE tunnel (kernel values).
type TunnelFlags uint16

// Tunnel checksum options (keepalived's nocsum, csum, remcsum).
const (
	TunnelNoChecksum     TunnelFlags = 0
	TunnelChecksum       TunnelFlags = 1
	TunnelRemoteChecksum TunnelFlags = 2
)

// ServiceKey identifies a virtual service the way the kernel does: either
// protocol + address + port, or firewall mark (+ family).
type ServiceKey struct {
	Family   Family
	Protocol Protocol   // zero for a fwmark service
	Addr     netip.Addr // zero for a fwmark service
	Port     uint16
	FWMark   uint32
}

// String renders the key like ipvsadm -Ln does ("TCP 10.0.0.1:80",
// "FWM 7", "UDP [2001:db8::1]:53").
func (k ServiceKey) String() string {
	if k.FWMark != 0 {
		s := "FWM " + strconv.FormatUint(uint64(k.FWMark), 10)
		if k.Family == INET6 {
			s += " IPv6"
		}
		return s
	}
	return k.Protocol.String() + " " + netip.AddrPortFrom(k.Addr, k.Port).String()
}

// less orders keys for deterministic plans and output.
func (k ServiceKey) less(o ServiceKey) bool {
	if (k.FWMark != 0) != (o.FWMark != 0) {
		return k.FWMark == 0
	}
	if k.FWMark != o.FWMark {
		return k.FWMark < o.FWMark
	}
	if k.Family != o.Family {
		return k.Family < o.Family
	}
	if k.Protocol != o.Protocol {
		return k.Protocol < o.Protocol
	}
	if c := k.Addr.Compare(o.Addr); c != 0 {
		return c < 0
	}
	return k.Port < o.Port
}

// Service is a virtual service: its identity and its settings.
type Service struct {
	ServiceKey
	Scheduler string
	Flags     Flags
	// Timeout is the persistence timeout in seconds (meaningful with the
	// Persistent flag).
	Timeout uint32
	// MaskBits is the persistence granularity as a prefix length; zero
	// means a host mask (32 or 128), which is what the kernel defaults to.
	MaskBits int
}

// maskBits returns the effective prefix length.
func (s Service) maskBits() int {
	if s.MaskBits > 0 {
		return s.MaskBits
	}
	if s.Family == INET6 {
		return 128
	}
	return 32
}

// sameSettings reports whether two services with the same key need no
// update. The kernel-owned Hashed flag is ignored, and so is the timeout
// of a service that is not persistent (the kernel keeps whatever was sent).
func (s Service) sameSettings(o Service) bool {
	if s.Scheduler != o.Scheduler || s.Flags&^Hashed != o.Flags&^Hashed || s.maskBits() != o.maskBits() {
		return false
	}
	return s.Flags&Persistent == 0 || s.Timeout == o.Timeout
}

// DestKey identifies a destination within its service.
type DestKey struct {
	Addr netip.Addr
	Port uint16
}

// String renders the key as ADDR:PORT.
func (k DestKey) String() string { return netip.AddrPortFrom(k.Addr, k.Port).String() }

func (k DestKey) less(o DestKey) bool {
	if c := k.Addr.Compare(o.Addr); c != 0 {
		return c < 0
	}
	return k.Port < o.Port
}

// Destination is a real server of a virtual service.
type Destination struct {
	DestKey
	Forward Forward
	// Weight zero keeps the destination in the table but sends it no new
	// connections (keepalived's inhibit_on_failure).
	Weight         uint32
	UpperThreshold uint32
	LowerThreshold uint32
	TunnelType     TunnelType
	TunnelPort     uint16
	TunnelFlags    TunnelFlags
}

// sameSettings reports whether two destinations with the same key need no
// update. Tunnel settings only matter for a tunnelled destination: the
// kernel reports whatever was last sent for the others.
func (d Destination) sameSettings(o Destination) bool {
	if d.Forward != o.Forward || d.Weight != o.Weight || d.UpperThreshold != o.UpperThreshold || d.LowerThreshold != o.LowerThreshold {
		return false
	}
	if d.Forward != Tunnel {
		return true
	}
	return d.TunnelType == o.TunnelType && d.TunnelPort == o.TunnelPort && d.TunnelFlags == o.TunnelFlags
}

// VirtualService is a service with its destinations.
type VirtualService struct {
	Service Service
	Dests   map[DestKey]Destination
}

// Table is a set of virtual services keyed by identity. It is a value: the
// functions of this package never modify a Table they are given.
type Table map[ServiceKey]VirtualService

// Keys returns the table's service keys in a stable order.
func (t Table) Keys() []ServiceKey {
	keys := make([]ServiceKey, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].less(keys[j]) })
	return keys
}

// SortedDests returns the destinations of vs in a stable order.
func (vs VirtualService) SortedDests() []Destination {
	ds := make([]Destination, 0, len(vs.Dests))
	for _, d := range vs.Dests {
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].less(ds[j].DestKey) })
	return ds
}

// Clone returns a deep copy of t.
func (t Table) Clone() Table {
	c := make(Table, len(t))
	for k, vs := range t {
		ds := make(map[DestKey]Destination, len(vs.Dests))
		for dk, d := range vs.Dests {
			ds[dk] = d
		}
		c[k] = VirtualService{Service: vs.Service, Dests: ds}
	}
	return c
}

// Add inserts or replaces a service and its destinations. It is a
// convenience for building tables in code and tests.
func (t Table) Add(s Service, dests ...Destination) {
	ds := make(map[DestKey]Destination, len(dests))
	for _, d := range dests {
		ds[d.DestKey] = d
	}
	t[s.ServiceKey] = VirtualService{Service: s, Dests: ds}
}

// String renders the table one line per service and destination, in a
// stable order, for logs and test failures.
func (t Table) String() string {
	var b []byte
	for _, k := range t.Keys() {
		vs := t[k]
		s := vs.Service
		b = fmt.Appendf(b, "%s %s flags=%#x timeout=%d mask=/%d\n", k, s.Scheduler, uint32(s.Flags&^Hashed), s.Timeout, s.maskBits())
		for _, d := range vs.SortedDests() {
			b = fmt.Appendf(b, "  -> %s %s w=%d u=%d l=%d\n", d.DestKey, d.Forward, d.Weight, d.UpperThreshold, d.LowerThreshold)
		}
	}
	return string(b)
}
