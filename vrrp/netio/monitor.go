package netio

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/vishvananda/netns"
)

// EventKind says what a Monitor Event reports.
type EventKind int

// Monitor event kinds.
const (
	// EventLinkUp: the interface is administratively up and has carrier
	// (IFF_UP and IFF_RUNNING, what keepalived tracks).
	EventLinkUp EventKind = iota + 1
	// EventLinkDown: the interface lost IFF_UP or IFF_RUNNING, or was deleted.
	EventLinkDown
	// EventAddrAdded: an address appeared on an interface.
	EventAddrAdded
	// EventAddrRemoved: an address disappeared from an interface (a VIP
	// removed by someone else sends a non-no_track instance to FAULT).
	EventAddrRemoved
	// EventError: netlink reported an error; events may have been lost and
	// the caller should re-read the state it cares about. If Err wraps
	// ErrMonitorLost the Monitor has stopped.
	EventError
)

// String returns the kind's name.
func (k EventKind) String() string {
	switch k {
	case EventLinkUp:
		return "link-up"
	case EventLinkDown:
		return "link-down"
	case EventAddrAdded:
		return "addr-added"
	case EventAddrRemoved:
		return "addr-removed"
	case EventError:
		return "error"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one change seen by a Monitor.
type Event struct {
	Kind    EventKind
	Ifindex int
	// Name is the interface name (link events only).
	Name string
	// Addr is the address (address events only).
	Addr netip.Prefix
	// Deleted is set on EventLinkDown when the interface is gone.
	Deleted bool
	// Err is set on EventError.
	Err error
}

// MonitorOptions configures NewMonitor.
type MonitorOptions struct {
	// Namespace, if non-nil, is the network namespace to watch.
	Namespace *netns.NsHandle
	// Buffer is the capacity of the Events channel; zero means 64.
	Buffer int
}

// ErrMonitorLost is wrapped by the last EventError of a Monitor whose
// netlink subscription ended on its own (socket error, ENOBUFS overflow).
var ErrMonitorLost = errors.New("netio: monitor subscription lost")
