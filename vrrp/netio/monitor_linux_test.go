package netio

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestLinkEventReportsChangesOnly(t *testing.T) {
	update := func(typ uint16, flags net.Flags, raw uint32) netlink.LinkUpdate {
		var u netlink.LinkUpdate
		u.Header.Type = typ
		u.Link = &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Index: 7, Name: "eth7", Flags: flags, RawFlags: raw}}
		return u
	}
	upRunning := update(unix.RTM_NEWLINK, net.FlagUp, unix.IFF_UP|unix.IFF_RUNNING)
	upNoCarrier := update(unix.RTM_NEWLINK, net.FlagUp, unix.IFF_UP)
	steps := []struct {
		name string
		u    netlink.LinkUpdate
		want EventKind // 0: no event
	}{
		{"first sight reports state", upRunning, EventLinkUp},
		{"same state again is silent", upRunning, 0},
		{"carrier lost", upNoCarrier, EventLinkDown},
		{"still no carrier", upNoCarrier, 0},
		{"carrier back", upRunning, EventLinkUp},
		{"admin down", update(unix.RTM_NEWLINK, 0, unix.IFF_RUNNING), EventLinkDown},
		{"deleted", update(unix.RTM_DELLINK, 0, 0), EventLinkDown},
		{"recreated up", upRunning, EventLinkUp},
	}
	state := map[int]bool{}
	for _, s := range steps {
		ev, ok := linkEvent(state, s.u)
		if s.want == 0 {
			if ok {
				t.Errorf("%s: got %+v, want no event", s.name, ev)
			}
			continue
		}
		if !ok || ev.Kind != s.want || ev.Ifindex != 7 || ev.Name != "eth7" {
			t.Errorf("%s: got %+v (ok=%v), want %v for ifindex 7", s.name, ev, ok, s.want)
		}
		if ev.Deleted != (s.u.Header.Type == unix.RTM_DELLINK) {
			t.Errorf("%s: Deleted = %v", s.name, ev.Deleted)
		}
	}
}

// A netlink channel that closes without Close being called means a dead
// subscription: the Monitor says so and then closes Events.
func TestMonitorReportsLostSubscription(t *testing.T) {
	m := &Monitor{out: make(chan Event, 4), errc: make(chan error, 1), done: make(chan struct{})}
	linkCh := make(chan netlink.LinkUpdate)
	addrCh := make(chan netlink.AddrUpdate)
	m.wg.Add(1)
	go m.run(linkCh, addrCh)
	m.errc <- errors.New("Receive failed: no buffer space available")
	close(linkCh)
	// The cause may come first as an event of its own or inside the loss.
	var sawCause, sawLost bool
	for !sawLost {
		ev, ok := <-m.Events()
		if !ok || ev.Kind != EventError {
			t.Fatalf("got %+v (ok=%v), want EventError", ev, ok)
		}
		sawCause = sawCause || strings.Contains(ev.Err.Error(), "no buffer space")
		sawLost = errors.Is(ev.Err, ErrMonitorLost)
	}
	if !sawCause {
		t.Error("the netlink error was not reported")
	}
	select {
	case <-m.done:
	default:
		t.Fatal("Monitor did not stop its other subscription")
	}
	close(addrCh) // what netlink does once done is closed
	if ev, ok := <-m.Events(); ok {
		t.Fatalf("event %+v after the loss, want Events closed", ev)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}
