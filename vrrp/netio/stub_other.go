//go:build !linux

package netio

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/vishvananda/netns"
)

// This file keeps the package's API building on platforms other than Linux
// (developer laptops, docs tooling); every constructor fails with
// ErrUnsupported, so no method below is ever reached on a real value.

// Conn is a VRRP socket; see the Linux implementation.
type Conn struct{}

// Listen fails with ErrUnsupported outside Linux.
func Listen(context.Context, Config) (*Conn, error) { return nil, ErrUnsupported }

// NewConn fails with ErrUnsupported outside Linux.
func NewConn(net.PacketConn, Config) (*Conn, error) { return nil, ErrUnsupported }

// Group returns the zero Addr outside Linux.
func (c *Conn) Group() netip.Addr { return netip.Addr{} }

// Stats returns zero counters outside Linux.
func (c *Conn) Stats() Stats { return Stats{} }

// Close fails with ErrUnsupported outside Linux.
func (c *Conn) Close() error { return ErrUnsupported }

// LocalAddr returns nil outside Linux.
func (c *Conn) LocalAddr() net.Addr { return nil }

// SetReadDeadline fails with ErrUnsupported outside Linux.
func (c *Conn) SetReadDeadline(time.Time) error { return ErrUnsupported }

// WriteTo fails with ErrUnsupported outside Linux.
func (c *Conn) WriteTo([]byte, netip.Addr) (int, error) { return 0, ErrUnsupported }

// Read fails with ErrUnsupported outside Linux.
func (c *Conn) Read([]byte) ([]byte, Meta, error) { return nil, Meta{}, ErrUnsupported }

// AddrManager manages VIPs, routes and rules; see the Linux implementation.
type AddrManager struct{}

// NewAddrManager fails with ErrUnsupported outside Linux.
func NewAddrManager() (*AddrManager, error) { return nil, ErrUnsupported }

// NewAddrManagerAt fails with ErrUnsupported outside Linux.
func NewAddrManagerAt(netns.NsHandle) (*AddrManager, error) { return nil, ErrUnsupported }

// Close fails with ErrUnsupported outside Linux.
func (m *AddrManager) Close() error { return ErrUnsupported }

// AddVIP fails with ErrUnsupported outside Linux.
func (m *AddrManager) AddVIP(VIP) error { return ErrUnsupported }

// DelVIP fails with ErrUnsupported outside Linux.
func (m *AddrManager) DelVIP(VIP) error { return ErrUnsupported }

// Addrs fails with ErrUnsupported outside Linux.
func (m *AddrManager) Addrs(int) ([]netip.Prefix, error) { return nil, ErrUnsupported }

// HasVIP fails with ErrUnsupported outside Linux.
func (m *AddrManager) HasVIP(VIP) (bool, error) { return false, ErrUnsupported }

// AddRoute fails with ErrUnsupported outside Linux.
func (m *AddrManager) AddRoute(Route) error { return ErrUnsupported }

// DelRoute fails with ErrUnsupported outside Linux.
func (m *AddrManager) DelRoute(Route) error { return ErrUnsupported }

// AddRule fails with ErrUnsupported outside Linux.
func (m *AddrManager) AddRule(Rule) error { return ErrUnsupported }

// DelRule fails with ErrUnsupported outside Linux.
func (m *AddrManager) DelRule(Rule) error { return ErrUnsupported }

// FrameConn is what an Announcer writes link-layer payloads to.
type FrameConn interface {
	WriteTo(b []byte, addr net.Addr) (int, error)
	Close() error
}

// Announcer sends GARPs and unsolicited NAs; see the Linux implementation.
type Announcer struct{}

// NewAnnouncer fails with ErrUnsupported outside Linux.
func NewAnnouncer(*net.Interface, net.HardwareAddr) (*Announcer, error) {
	return nil, ErrUnsupported
}

// NewAnnouncerConn fails with ErrUnsupported outside Linux.
func NewAnnouncerConn(net.HardwareAddr, FrameConn, FrameConn) (*Announcer, error) {
	return nil, ErrUnsupported
}

// GratuitousARP fails with ErrUnsupported outside Linux.
func (a *Announcer) GratuitousARP(netip.Addr) error { return ErrUnsupported }

// UnsolicitedNA fails with ErrUnsupported outside Linux.
func (a *Announcer) UnsolicitedNA(netip.Addr, bool) error { return ErrUnsupported }

// Close fails with ErrUnsupported outside Linux.
func (a *Announcer) Close() error { return ErrUnsupported }

// Monitor reports link and address changes; see the Linux implementation.
type Monitor struct{}

// NewMonitor fails with ErrUnsupported outside Linux.
func NewMonitor(MonitorOptions) (*Monitor, error) { return nil, ErrUnsupported }

// Events returns nil outside Linux.
func (m *Monitor) Events() <-chan Event { return nil }

// Close fails with ErrUnsupported outside Linux.
func (m *Monitor) Close() error { return ErrUnsupported }
