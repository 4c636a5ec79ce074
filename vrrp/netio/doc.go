// Package netio is the Linux I/O side of VRRP: everything the pure state
// machine in package vrrp decides, this package carries out.
//
//   - Conn: a raw IP protocol-112 socket per interface and family that sends
//     adverts with TTL/hop limit 255 and TOS/traffic class 0xc0 from an
//     explicit source address, joins the VRRP multicast group, and receives
//     adverts with their metadata (source, destination, TTL, ifindex).
//   - AddrManager: idempotent add/remove of virtual IP addresses, virtual
//     routes and virtual rules over rtnetlink, with keepalived's address
//     options (label, scope, brd, peer, nodad, preferred_lft, ...).
//   - Announcer: gratuitous ARP requests and unsolicited neighbour
//     advertisements, sent on demand (the caller owns the schedule).
//   - Monitor: link up/down and address add/remove events from rtnetlink
//     subscriptions (no polling).
//
// The package takes plain parameters (addresses, interface indexes), never
// config types. It keeps no global state; every goroutine it starts is
// stopped by the Close method of the value that started it.
package netio
