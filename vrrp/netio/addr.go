package netio

import (
	"math"
	"net/netip"
)

// Scope is an address or route scope (RT_SCOPE_*), as in keepalived's
// "scope" option.
type Scope uint8

// Scopes understood by the kernel (rtnetlink(7)).
const (
	ScopeUniverse Scope = 0
	ScopeSite     Scope = 200
	ScopeLink     Scope = 253
	ScopeHost     Scope = 254
	ScopeNowhere  Scope = 255
)

// LifetimeForever is the "forever" address lifetime (INFINITY_LIFE_TIME).
const LifetimeForever = math.MaxUint32

// VIP is one virtual IP address as keepalived's virtual_ipaddress block
// describes it: "<addr>/<len> [brd X] [dev D] [scope S] [label L] [peer P]
// [home] [-nodad|nodad] [noprefixroute] [autojoin] [no_track]
// [preferred_lft N]".
type VIP struct {
	// Prefix is the address and prefix length (keepalived defaults to /32
	// and /128 when none is given; the caller decides).
	Prefix netip.Prefix
	// Ifindex is the interface the address lives on ("dev").
	Ifindex int
	// Label is the IPv4 address label ("label eth0:1"); ignored for IPv6.
	Label string
	// Scope is the address scope; the zero value is global ("universe").
	Scope Scope
	// Broadcast is the IPv4 broadcast address ("brd"). When unset the
	// netlink library derives one for prefixes shorter than /31, as
	// `ip addr add ... brd +` does.
	Broadcast netip.Addr
	// Peer is the address of the other end of a point-to-point link
	// ("peer"); its prefix length replaces Prefix's.
	Peer netip.Prefix
	// NoDAD skips IPv6 duplicate address detection ("nodad"/"-nodad").
	NoDAD bool
	// NoPrefixRoute stops the kernel from adding the prefix route.
	NoPrefixRoute bool
	// Home marks an IPv6 home address (Mobile IPv6, "home").
	Home bool
	// AutoJoin joins the multicast group of a multicast address ("autojoin").
	AutoJoin bool
	// NoTrack means a removal of this address by someone else must not
	// put the instance into FAULT ("no_track"). It does not change what is
	// sent to the kernel; the daemon reads it when Monitor reports removals.
	NoTrack bool
	// PreferredLft is the preferred lifetime in seconds, or nil for
	// keepalived's default: 0 (deprecated, so never chosen as a source
	// address) for IPv6 and forever for IPv4.
	PreferredLft *uint32
}

// RouteType is the kind of a virtual route (RTN_*).
type RouteType uint8

// Route types keepalived's virtual_routes accept besides plain unicast.
const (
	RouteUnicast     RouteType = 1
	RouteLocal       RouteType = 2
	RouteBroadcast   RouteType = 3
	RouteBlackhole   RouteType = 6
	RouteUnreachable RouteType = 7
	RouteProhibit    RouteType = 8
	RouteThrow       RouteType = 9
)

// Route is one entry of keepalived's virtual_routes block.
type Route struct {
	// Dst is the destination prefix ("to").
	Dst netip.Prefix
	// Src is the preferred source address ("src").
	Src netip.Addr
	// Gw is the next hop ("via"/"gw"); zero for a direct route.
	Gw netip.Addr
	// Ifindex is the outgoing interface ("dev"); zero if Gw decides.
	Ifindex int
	// Table is the routing table; zero means main.
	Table int
	// Metric is the route priority ("metric"/"preference").
	Metric int
	// Scope is the route scope; zero means universe.
	Scope Scope
	// Type is the route type; zero means unicast.
	Type RouteType
	// Protocol is the routing protocol id ("proto"); zero means boot.
	Protocol int
	// OnLink tells the kernel the gateway is on link even without a
	// matching prefix ("onlink").
	OnLink bool
	// NoTrack: see VIP.NoTrack.
	NoTrack bool
}

// Rule is one entry of keepalived's virtual_rules block (an `ip rule`).
type Rule struct {
	// IPv6 selects the rule family when neither Src nor Dst says.
	IPv6 bool
	// Priority is the rule preference; negative means let the kernel pick.
	Priority int
	// Src and Dst match the source/destination prefix ("from"/"to").
	Src, Dst netip.Prefix
	// Table is the table to look up ("table"/"lookup").
	Table int
	// Mark and Mask match the firewall mark ("fwmark M/MASK"); Mask zero
	// means an exact match of Mark.
	Mark, Mask uint32
	// Iif and Oif match the input and output interface names.
	Iif, Oif string
	// TOS matches the type of service.
	TOS uint8
	// Invert negates the selector ("not").
	Invert bool
	// Goto jumps to the rule with this priority instead of a table lookup;
	// zero means no goto.
	Goto int
	// NoTrack: see VIP.NoTrack.
	NoTrack bool
}
