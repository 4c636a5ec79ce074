// Package bfd is the protocol core of alived's Bidirectional Forwarding
// Detection: the RFC 5880 control packet codec, the reception checks of
// RFC 5880 §6.8.6 and RFC 5881 §5 (TTL/hop limit, with keepalived's
// max_hops), and a deterministic per-session state machine for
// asynchronous mode (Down, Init, Up, AdminDown) with keepalived's timer
// behaviour.
//
// Like package vrrp, it performs no I/O: time and randomness are inputs,
// received packets arrive decoded together with what the socket saw, and
// every effect (send a control packet, the session changed state) comes
// back as [Action] values for the caller to perform. A [Session] is owned
// by one goroutine; the sockets and the goroutine live in bfd/netio.
package bfd
