package netio

import (
	"fmt"
	"net"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Monitor turns rtnetlink link and address notifications into Events. Link
// events are reported once per state change (the kernel sends RTM_NEWLINK for
// many unrelated attribute changes); the first report for each interface is
// its state when the Monitor started.
type Monitor struct {
	out  chan Event
	errc chan error
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

// NewMonitor subscribes to link and address changes and starts the
// goroutine that forwards them; Close stops it.
func NewMonitor(opts MonitorOptions) (*Monitor, error) {
	n := opts.Buffer
	if n <= 0 {
		n = 64
	}
	m := &Monitor{
		out:  make(chan Event, n),
		errc: make(chan error, 1),
		done: make(chan struct{}),
	}
	// Called from netlink's receive goroutines; it must never block them.
	onErr := func(err error) {
		select {
		case m.errc <- err:
		default:
		}
	}
	linkCh := make(chan netlink.LinkUpdate, n)
	addrCh := make(chan netlink.AddrUpdate, n)
	// A larger receive buffer (capped by net.core.rmem_max) makes an
	// ENOBUFS overflow, which ends a subscription, less likely.
	const rcvbuf = 1 << 20
	err := netlink.LinkSubscribeWithOptions(linkCh, m.done, netlink.LinkSubscribeOptions{
		Namespace:         opts.Namespace,
		ErrorCallback:     onErr,
		ListExisting:      true,
		ReceiveBufferSize: rcvbuf,
	})
	if err != nil {
		close(m.done)
		return nil, fmt.Errorf("netio: subscribing to link changes: %w", err)
	}
	err = netlink.AddrSubscribeWithOptions(addrCh, m.done, netlink.AddrSubscribeOptions{
		Namespace:         opts.Namespace,
		ErrorCallback:     onErr,
		ReceiveBufferSize: rcvbuf,
	})
	if err != nil {
		close(m.done)
		// netlink's link goroutine closes linkCh once it sees done; drain
		// it so that goroutine is never stuck on a full channel.
		for range linkCh {
		}
		return nil, fmt.Errorf("netio: subscribing to address changes: %w", err)
	}
	m.wg.Add(1)
	go m.run(linkCh, addrCh)
	return m, nil
}

// Events returns the channel of events. It is closed after Close, or after
// a subscription died (its last event is then an EventError wrapping
// ErrMonitorLost, and the caller should start a new Monitor and resync).
func (m *Monitor) Events() <-chan Event { return m.out }

// Close stops the subscriptions and the forwarding goroutine and waits for
// them. Events still buffered are discarded.
func (m *Monitor) Close() error {
	m.stop()
	m.wg.Wait()
	return nil
}

// stop tells netlink's goroutines and run to finish.
func (m *Monitor) stop() { m.once.Do(func() { close(m.done) }) }

// stopping reports whether stop was called.
func (m *Monitor) stopping() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// run forwards updates until both netlink channels are closed, which
// netlink does after done is closed or when its socket fails. It keeps
// draining them after done so that netlink's goroutines can always finish.
// A channel closing on its own means that subscription is dead: run reports
// it and stops the other one, so the caller sees Events close.
func (m *Monitor) run(linkCh <-chan netlink.LinkUpdate, addrCh <-chan netlink.AddrUpdate) {
	defer m.wg.Done()
	defer close(m.out)
	up := make(map[int]bool)
	for linkCh != nil || addrCh != nil {
		select {
		case u, ok := <-linkCh:
			if !ok {
				linkCh = nil
				m.lost("link")
				continue
			}
			if ev, ok := linkEvent(up, u); ok {
				m.emit(ev)
			}
		case u, ok := <-addrCh:
			if !ok {
				addrCh = nil
				m.lost("address")
				continue
			}
			p, ok := prefixOf(&u.LinkAddress)
			if !ok {
				continue
			}
			kind := EventAddrRemoved
			if u.NewAddr {
				kind = EventAddrAdded
			}
			m.emit(Event{Kind: kind, Ifindex: u.LinkIndex, Addr: p})
		case err := <-m.errc:
			m.emit(Event{Kind: EventError, Err: err})
		}
	}
}

// lost reports the end of a subscription that nobody asked to stop.
func (m *Monitor) lost(what string) {
	if m.stopping() {
		return
	}
	var cause error
	select {
	case cause = <-m.errc:
	default:
	}
	m.emit(Event{Kind: EventError, Err: fmt.Errorf("%w: %s subscription ended (%v)", ErrMonitorLost, what, cause)})
	m.stop()
}

// emit delivers ev unless the Monitor is closing.
func (m *Monitor) emit(ev Event) {
	if m.stopping() {
		return
	}
	select {
	case m.out <- ev:
	case <-m.done:
	}
}

// linkEvent updates the per-interface state in up and returns the event
// for u if the state changed (or the interface is seen for the first time).
func linkEvent(up map[int]bool, u netlink.LinkUpdate) (Event, bool) {
	attrs := u.Link.Attrs()
	if attrs == nil {
		return Event{}, false
	}
	idx := attrs.Index
	if u.Header.Type == unix.RTM_DELLINK {
		delete(up, idx)
		return Event{Kind: EventLinkDown, Ifindex: idx, Name: attrs.Name, Deleted: true}, true
	}
	now := attrs.Flags&net.FlagUp != 0 && attrs.RawFlags&unix.IFF_RUNNING != 0
	was, seen := up[idx]
	up[idx] = now
	if seen && was == now {
		return Event{}, false
	}
	kind := EventLinkDown
	if now {
		kind = EventLinkUp
	}
	return Event{Kind: kind, Ifindex: idx, Name: attrs.Name}, true
}
