package netio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
)

// Ethertypes of the frames an Announcer sends.
const (
	etherTypeARP  = 0x0806
	etherTypeIPv6 = 0x86dd
)

// allNodes is the IPv6 all-nodes group an unsolicited NA is sent to, and
// allNodesMAC its Ethernet multicast address (RFC 2464 §7).
var (
	broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	allNodes     = netip.MustParseAddr("ff02::1")
	allNodesMAC  = net.HardwareAddr{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}
)

// FrameConn is what an Announcer writes link-layer payloads to: an
// AF_PACKET datagram socket (the kernel adds the Ethernet header), or in
// tests any net.PacketConn that records what it is given.
type FrameConn interface {
	WriteTo(b []byte, addr net.Addr) (int, error)
	Close() error
}

// Announcer sends gratuitous ARPs and unsolicited neighbour advertisements
// for VIPs on one interface. It only sends; when and how often is the
// caller's decision (keepalived's garp_master_delay/repeat/refresh).
//
// An Announcer is safe for concurrent use if its FrameConns are (packet
// sockets are).
type Announcer struct {
	hw  net.HardwareAddr
	arp FrameConn
	nd  FrameConn
}

// NewAnnouncer opens two send-only packet sockets on ifi (root or
// CAP_NET_RAW needed). hw is the sender hardware address; nil means ifi's
// own, a VMAC interface passes the virtual MAC.
func NewAnnouncer(ifi *net.Interface, hw net.HardwareAddr) (*Announcer, error) {
	if hw == nil {
		hw = ifi.HardwareAddr
	}
	// A filter that accepts nothing keeps these send-only sockets from
	// queueing every ARP and IPv6 frame of the link.
	drop, err := bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: 0}})
	if err != nil {
		return nil, fmt.Errorf("netio: assembling drop filter: %w", err)
	}
	cfg := &packet.Config{Filter: drop}
	ac, err := packet.Listen(ifi, packet.Datagram, etherTypeARP, cfg)
	if err != nil {
		return nil, fmt.Errorf("netio: ARP socket on %s: %w", ifi.Name, err)
	}
	nc, err := packet.Listen(ifi, packet.Datagram, etherTypeIPv6, cfg)
	if err != nil {
		_ = ac.Close()
		return nil, fmt.Errorf("netio: IPv6 packet socket on %s: %w", ifi.Name, err)
	}
	return NewAnnouncerConn(hw, ac, nc)
}

// NewAnnouncerConn builds an Announcer over caller-supplied connections:
// arpConn receives ARP payloads, ndConn IPv6 packets, each addressed with a
// *packet.Addr holding the destination MAC. Either may be nil if that family
// is never announced.
func NewAnnouncerConn(hw net.HardwareAddr, arpConn, ndConn FrameConn) (*Announcer, error) {
	if len(hw) != 6 {
		return nil, fmt.Errorf("netio: hardware address %q is not Ethernet", hw)
	}
	return &Announcer{hw: hw, arp: arpConn, nd: ndConn}, nil
}

// GratuitousARP sends one gratuitous ARP for vip. Like keepalived it is an
// ARP *request* to the broadcast address with sender and target protocol
// address both vip and target hardware address broadcast: every host
// updates an existing cache entry for vip, none replies.
func (a *Announcer) GratuitousARP(vip netip.Addr) error {
	if a.arp == nil {
		return errors.New("netio: announcer has no ARP socket")
	}
	if !vip.Is4() {
		return fmt.Errorf("netio: gratuitous ARP for non-IPv4 %s", vip)
	}
	p, err := arp.NewPacket(arp.OperationRequest, a.hw, vip, broadcastMAC, vip)
	if err != nil {
		return fmt.Errorf("netio: building gratuitous ARP for %s: %w", vip, err)
	}
	b, err := p.MarshalBinary()
	if err != nil {
		return fmt.Errorf("netio: marshalling gratuitous ARP for %s: %w", vip, err)
	}
	if _, err := a.arp.WriteTo(b, &packet.Addr{HardwareAddr: broadcastMAC}); err != nil {
		return fmt.Errorf("netio: sending gratuitous ARP for %s: %w", vip, err)
	}
	return nil
}

// UnsolicitedNA sends one unsolicited neighbour advertisement for vip to
// ff02::1: source vip, hop limit 255, Override set, Solicited clear, Router
// as given (keepalived sets it when the interface forwards), and a Target
// Link-Layer Address option with the sender MAC.
func (a *Announcer) UnsolicitedNA(vip netip.Addr, router bool) error {
	if a.nd == nil {
		return errors.New("netio: announcer has no IPv6 socket")
	}
	b, err := buildNA(a.hw, vip, router)
	if err != nil {
		return err
	}
	if _, err := a.nd.WriteTo(b, &packet.Addr{HardwareAddr: allNodesMAC}); err != nil {
		return fmt.Errorf("netio: sending neighbour advertisement for %s: %w", vip, err)
	}
	return nil
}

// buildNA returns an IPv6 packet (header + ICMPv6) holding the NA. It is
// built by hand rather than through an ICMPv6 socket because the source is
// the VIP, which may still be tentative or deprecated and so cannot be bound.
func buildNA(hw net.HardwareAddr, vip netip.Addr, router bool) ([]byte, error) {
	if !vip.Is6() || vip.Is4In6() {
		return nil, fmt.Errorf("netio: neighbour advertisement for non-IPv6 %s", vip)
	}
	vip = vip.WithZone("")
	na := &ndp.NeighborAdvertisement{
		Router:        router,
		Override:      true,
		TargetAddress: vip,
		Options: []ndp.Option{&ndp.LinkLayerAddress{
			Direction: ndp.Target,
			Addr:      hw,
		}},
	}
	icmp, err := ndp.MarshalMessageChecksum(na, vip, allNodes)
	if err != nil {
		return nil, fmt.Errorf("netio: marshalling neighbour advertisement for %s: %w", vip, err)
	}
	const ipv6HeaderLen = 40
	b := make([]byte, ipv6HeaderLen+len(icmp))
	b[0] = 6 << 4 // version 6, traffic class 0, flow label 0
	binary.BigEndian.PutUint16(b[4:6], uint16(len(icmp)))
	b[6] = 58 // next header: ICMPv6
	b[7] = MaxTTL
	src, dst := vip.As16(), allNodes.As16()
	copy(b[8:24], src[:])
	copy(b[24:40], dst[:])
	copy(b[ipv6HeaderLen:], icmp)
	return b, nil
}

// Close closes the Announcer's sockets.
func (a *Announcer) Close() error {
	var errs []error
	for _, c := range []FrameConn{a.arp, a.nd} {
		if c != nil {
			if err := c.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("netio: closing announcer: %w", err)
	}
	return nil
}
