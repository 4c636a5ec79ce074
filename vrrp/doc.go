// Package vrrp is the protocol core of alived: the VRRPv2/v3 advertisement
// codec and a deterministic per-instance state machine with keepalived's
// semantics.
//
// The package performs no I/O. It opens no sockets, reads no clock and starts
// no goroutines: time is an input to every call, received packets arrive as
// bytes plus the metadata the I/O layer saw (source, destination, TTL), and
// every effect the protocol asks for (send an advert, add the VIPs, send
// gratuitous ARPs, run a notify script, wake me at T) comes back as a list of
// [Action] values for the caller to perform, in order. Given the same state
// and the same input, an [Instance] always returns the same actions, which is
// what lets the tests drive several instances over an in-memory network with
// a fake clock.
//
// The shape follows etcd's raft RawNode: an [Instance] is not safe for
// concurrent use and is owned by exactly one event loop.
package vrrp
