// Package netio runs BFD sessions ([bfd.Session]) over UDP: RFC 5881
// single-hop (port 3784) and RFC 5883 multihop (port 4784) control
// packets, sent from a per-session socket whose source port is drawn from
// 49152–65535 with TTL/hop limit set to the session's ttl, and received
// on one wildcard listener per family and port that reports each
// packet's TTL/hop limit and destination address (IP_RECVTTL,
// IP_PKTINFO, IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO), so the GTSM/max_hops
// check and the session lookup of RFC 5880 §6.8.6 can be applied.
//
// A [Runner] owns the sessions and one goroutine that drives them; state
// changes leave it through a callback. keepalived runs BFD in a process
// of its own for the same reason: session timers are fine-grained (10 ms
// by default) and must not wait behind other work.
package netio
