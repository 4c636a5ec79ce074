package netio

import (
	"errors"
	"net/netip"
)

// IPProtoVRRP is the IP protocol number of VRRP (RFC 5798 §5.1.1.4).
const IPProtoVRRP = 112

// VRRP multicast groups (RFC 5798 §5.1.1.2 and §5.1.2.2).
var (
	DefaultGroup4 = netip.AddrFrom4([4]byte{224, 0, 0, 18})
	DefaultGroup6 = netip.MustParseAddr("ff02::12")
)

// MaxTTL is the TTL/hop limit VRRP requires on multicast adverts: a receiver
// drops a multicast advert whose TTL is anything else, which proves the
// sender is on the same link.
const MaxTTL = 255

// ErrUnsupported is returned by constructors on platforms without the
// required kernel interfaces.
var ErrUnsupported = errors.New("netio: not supported on this platform")

// Config describes one VRRP socket: one interface, one address family.
type Config struct {
	// Ifindex is the interface the socket is bound to (SO_BINDTODEVICE) and
	// sends on. Packets that arrive on any other interface are dropped.
	Ifindex int
	// IPv6 selects the address family: false for IPv4, true for IPv6.
	IPv6 bool
	// Source is the source address of sent adverts (keepalived's
	// mcast_src_ip / unicast_src_ip). The zero value lets the kernel choose.
	Source netip.Addr
	// Group is the multicast group joined and returned by Conn.Group. The
	// zero value means DefaultGroup4 or DefaultGroup6.
	Group netip.Addr
	// Unicast disables the multicast join: adverts go to unicast peers only,
	// as with keepalived's unicast_peer.
	Unicast bool
	// TTL is the TTL/hop limit of unicast adverts (keepalived's unicast_ttl).
	// Zero means 255. Multicast adverts always use 255.
	TTL int
	// Port is the destination port when a Conn is built over a UDP socket
	// with NewConn (tests without root). Raw IP sockets ignore it.
	Port uint16
}

// Meta is what the network says about a received advert besides its bytes.
type Meta struct {
	// Src is the IP source address (for IPv6 without a zone; Ifindex tells
	// the link).
	Src netip.Addr
	// Dst is the IP destination address: the multicast group or our own
	// unicast address.
	Dst netip.Addr
	// TTL is the received TTL (IPv4) or hop limit (IPv6), or -1 if the
	// kernel did not report it.
	TTL int
	// Ifindex is the interface the packet arrived on.
	Ifindex int
}

// Stats counts what a Conn received and dropped. Dropped packets never reach
// the caller.
type Stats struct {
	// Received is the number of packets returned to the caller.
	Received uint64
	// Malformed counts packets with a short or inconsistent IP header or
	// missing metadata.
	Malformed uint64
	// Truncated counts packets larger than the caller's buffer.
	Truncated uint64
	// WrongInterface counts packets that arrived on another interface than
	// the one the Conn is bound to.
	WrongInterface uint64
}
