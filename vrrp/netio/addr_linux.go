package netio

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// dumpRetries bounds how often a dump interrupted by a concurrent change
// (NLM_F_DUMP_INTR) is repeated before the error is returned.
const dumpRetries = 5

// AddrManager adds and removes virtual addresses, routes and rules over
// rtnetlink. Every operation is idempotent: adding what exists and removing
// what is missing succeed, so the daemon can replay its desired state after a
// restart or a lost event without special cases.
//
// An AddrManager is safe for concurrent use.
type AddrManager struct {
	h *netlink.Handle
}

// NewAddrManager returns a manager for the caller's network namespace.
func NewAddrManager() (*AddrManager, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netio: rtnetlink handle: %w", err)
	}
	return &AddrManager{h: h}, nil
}

// NewAddrManagerAt returns a manager for the network namespace ns (as
// keepalived's net_namespace, and tests, need).
func NewAddrManagerAt(ns netns.NsHandle) (*AddrManager, error) {
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netio: rtnetlink handle in namespace: %w", err)
	}
	return &AddrManager{h: h}, nil
}

// Close releases the netlink sockets.
func (m *AddrManager) Close() error {
	m.h.Close()
	return nil
}

// preferredLft resolves the keepalived default for v.
func (v VIP) preferredLft() uint32 {
	if v.PreferredLft != nil {
		return *v.PreferredLft
	}
	if v.Prefix.Addr().Is6() {
		return 0
	}
	return LifetimeForever
}

func ipNet(p netip.Prefix) *net.IPNet {
	bits := 32
	if p.Addr().Is6() {
		bits = 128
	}
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), bits)}
}

// nlAddr translates v into the netlink library's form.
func nlAddr(v VIP) (*netlink.Addr, error) {
	if !v.Prefix.IsValid() {
		return nil, fmt.Errorf("netio: invalid VIP prefix %v", v.Prefix)
	}
	if v.Ifindex <= 0 {
		return nil, fmt.Errorf("netio: VIP %s has no interface", v.Prefix)
	}
	a := &netlink.Addr{
		IPNet:     ipNet(v.Prefix),
		Scope:     int(v.Scope),
		LinkIndex: v.Ifindex,
		// Lifetimes are only sent when one is non-zero; valid is always
		// forever, so preferred 0 (deprecated) reaches the kernel too.
		ValidLft:    LifetimeForever,
		PreferedLft: int(v.preferredLft()),
	}
	if v.Prefix.Addr().Is4() {
		a.Label = v.Label
		if v.Broadcast.IsValid() {
			a.Broadcast = v.Broadcast.AsSlice()
		}
	}
	if v.Peer.IsValid() {
		a.Peer = ipNet(v.Peer)
	}
	if v.NoDAD {
		a.Flags |= unix.IFA_F_NODAD
	}
	if v.NoPrefixRoute {
		a.Flags |= unix.IFA_F_NOPREFIXROUTE
	}
	if v.Home {
		a.Flags |= unix.IFA_F_HOMEADDRESS
	}
	if v.AutoJoin {
		a.Flags |= unix.IFA_F_MCAUTOJOIN
	}
	return a, nil
}

// AddVIP adds v to its interface. An address that already exists is updated
// in place (flags, lifetimes), which is also success.
func (m *AddrManager) AddVIP(v VIP) error {
	a, err := nlAddr(v)
	if err != nil {
		return err
	}
	// NLM_F_REPLACE makes the call idempotent and repairs a stale VIP left
	// with other lifetimes by an earlier run.
	if err := m.h.AddrReplace(nil, a); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("netio: adding VIP %s on ifindex %d: %w", v.Prefix, v.Ifindex, err)
	}
	return nil
}

// DelVIP removes v from its interface; a missing address (or interface) is
// success.
func (m *AddrManager) DelVIP(v VIP) error {
	a, err := nlAddr(v)
	if err != nil {
		return err
	}
	if err := m.h.AddrDel(nil, a); err != nil && !isMissing(err) {
		return fmt.Errorf("netio: removing VIP %s from ifindex %d: %w", v.Prefix, v.Ifindex, err)
	}
	return nil
}

// isMissing reports whether err means "nothing to delete".
func isMissing(err error) bool {
	return errors.Is(err, unix.EADDRNOTAVAIL) || errors.Is(err, unix.ENOENT) ||
		errors.Is(err, unix.ESRCH) || errors.Is(err, unix.ENODEV)
}

// retryDump repeats a dump interrupted by a concurrent change.
func retryDump[T any](dump func() (T, error)) (T, error) {
	for i := 1; ; i++ {
		v, err := dump()
		if err == nil || !errors.Is(err, netlink.ErrDumpInterrupted) || i == dumpRetries {
			return v, err
		}
	}
}

// Addrs lists the addresses on ifindex (IPv4 and IPv6).
func (m *AddrManager) Addrs(ifindex int) ([]netip.Prefix, error) {
	link, err := m.h.LinkByIndex(ifindex)
	if err != nil {
		return nil, fmt.Errorf("netio: interface %d: %w", ifindex, err)
	}
	addrs, err := retryDump(func() ([]netlink.Addr, error) {
		return m.h.AddrList(link, netlink.FAMILY_ALL)
	})
	if err != nil {
		return nil, fmt.Errorf("netio: listing addresses of ifindex %d: %w", ifindex, err)
	}
	out := make([]netip.Prefix, 0, len(addrs))
	for _, a := range addrs {
		if p, ok := prefixOf(a.IPNet); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// HasVIP reports whether v's address is configured on v's interface.
func (m *AddrManager) HasVIP(v VIP) (bool, error) {
	addrs, err := m.Addrs(v.Ifindex)
	if err != nil {
		return false, err
	}
	for _, p := range addrs {
		if p.Addr() == v.Prefix.Addr() {
			return true, nil
		}
	}
	return false, nil
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a, ones), true
}

func nlRoute(r Route) (*netlink.Route, error) {
	if !r.Dst.IsValid() {
		return nil, fmt.Errorf("netio: route without destination")
	}
	nr := &netlink.Route{
		Dst:       ipNet(r.Dst.Masked()),
		LinkIndex: r.Ifindex,
		Table:     r.Table,
		Priority:  r.Metric,
		Scope:     netlink.Scope(r.Scope),
		Type:      int(r.Type),
		Protocol:  netlink.RouteProtocol(r.Protocol),
	}
	if r.Src.IsValid() {
		nr.Src = r.Src.AsSlice()
	}
	if r.Gw.IsValid() {
		nr.Gw = r.Gw.AsSlice()
	}
	if r.OnLink {
		nr.Flags |= int(netlink.FLAG_ONLINK)
	}
	if nr.Type == 0 {
		nr.Type = unix.RTN_UNICAST
	}
	return nr, nil
}

// AddRoute installs r; an existing route with the same key (destination,
// table, TOS, metric) is success and is left as it is, so a route someone
// else installed is never overwritten.
func (m *AddrManager) AddRoute(r Route) error {
	nr, err := nlRoute(r)
	if err != nil {
		return err
	}
	if err := m.h.RouteAdd(nr); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("netio: adding route to %s: %w", r.Dst, err)
	}
	return nil
}

// DelRoute removes r; a missing route is success.
func (m *AddrManager) DelRoute(r Route) error {
	nr, err := nlRoute(r)
	if err != nil {
		return err
	}
	if err := m.h.RouteDel(nr); err != nil && !isMissing(err) {
		return fmt.Errorf("netio: removing route to %s: %w", r.Dst, err)
	}
	return nil
}

func nlRule(r Rule) *netlink.Rule {
	nr := netlink.NewRule()
	nr.Family = unix.AF_INET
	if r.IPv6 || (r.Src.IsValid() && r.Src.Addr().Is6()) || (r.Dst.IsValid() && r.Dst.Addr().Is6()) {
		nr.Family = unix.AF_INET6
	}
	if r.Priority >= 0 {
		nr.Priority = r.Priority
	}
	nr.Table = r.Table
	if r.Src.IsValid() {
		nr.Src = ipNet(r.Src.Masked())
	}
	if r.Dst.IsValid() {
		nr.Dst = ipNet(r.Dst.Masked())
	}
	if r.Mark != 0 || r.Mask != 0 {
		nr.Mark = r.Mark
		if r.Mask != 0 {
			mask := r.Mask
			nr.Mask = &mask
		}
	}
	nr.IifName, nr.OifName = r.Iif, r.Oif
	nr.Tos = uint(r.TOS)
	nr.Invert = r.Invert
	if r.Goto != 0 {
		nr.Goto = r.Goto
	}
	return nr
}

// AddRule installs r; an identical existing rule (EEXIST) is success.
func (m *AddrManager) AddRule(r Rule) error {
	if err := m.h.RuleAdd(nlRule(r)); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("netio: adding rule (priority %d, table %d): %w", r.Priority, r.Table, err)
	}
	return nil
}

// DelRule removes r; a missing rule is success.
func (m *AddrManager) DelRule(r Rule) error {
	if err := m.h.RuleDel(nlRule(r)); err != nil && !isMissing(err) {
		return fmt.Errorf("netio: removing rule (priority %d, table %d): %w", r.Priority, r.Table, err)
	}
	return nil
}
