package netio

import (
	"bytes"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

func ipOut(t *testing.T, ns string, args ...string) string {
	t.Helper()
	return run(t, append([]string{"ip", "-n", ns}, args...)...)
}

func TestNetnsVIPAddRemoveIdempotent(t *testing.T) {
	l := newLab(t)
	m, err := NewAddrManagerAt(l.nsA)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	v4 := VIP{Prefix: netip.MustParsePrefix("10.88.0.100/32"), Ifindex: l.ifA, Label: "va:vip"}
	v6 := VIP{Prefix: netip.MustParsePrefix("fd88::100/128"), Ifindex: l.ifA, NoDAD: true}
	for i := 0; i < 2; i++ { // the second add must succeed too
		for _, v := range []VIP{v4, v6} {
			if err := m.AddVIP(v); err != nil {
				t.Fatalf("AddVIP(%s) #%d: %v", v.Prefix, i+1, err)
			}
		}
	}
	out := ipOut(t, l.a, "-o", "addr", "show", "dev", "va")
	line4 := grepLine(out, "10.88.0.100/32")
	if line4 == "" || !strings.Contains(line4, "va:vip") {
		t.Errorf("IPv4 VIP with label missing from `ip addr`:\n%s", out)
	}
	if strings.Contains(line4, "preferred_lft 0sec") {
		t.Errorf("IPv4 VIP deprecated, want preferred forever: %s", line4)
	}
	// keepalived adds IPv6 VIPs deprecated (preferred_lft 0) so that they
	// are never picked as a source address.
	line6 := grepLine(out, "fd88::100/128")
	if line6 == "" || !strings.Contains(line6, "nodad") || !strings.Contains(line6, "preferred_lft 0sec") {
		t.Errorf("IPv6 VIP missing or not nodad+deprecated in `ip addr`:\n%s", out)
	}
	if n := strings.Count(out, "10.88.0.100/32"); n != 1 {
		t.Errorf("IPv4 VIP listed %d times, want 1", n)
	}
	if ok, err := m.HasVIP(v6); err != nil || !ok {
		t.Errorf("HasVIP(v6) = %v, %v; want true", ok, err)
	}

	for i := 0; i < 2; i++ { // removing a missing VIP is success
		for _, v := range []VIP{v4, v6} {
			if err := m.DelVIP(v); err != nil {
				t.Fatalf("DelVIP(%s) #%d: %v", v.Prefix, i+1, err)
			}
		}
	}
	out = ipOut(t, l.a, "-o", "addr", "show", "dev", "va")
	if strings.Contains(out, "10.88.0.100") || strings.Contains(out, "fd88::100") {
		t.Errorf("VIPs still present after DelVIP:\n%s", out)
	}
	if ok, err := m.HasVIP(v4); err != nil || ok {
		t.Errorf("HasVIP(v4) after delete = %v, %v; want false", ok, err)
	}
}

func TestNetnsRoutesAndRulesIdempotent(t *testing.T) {
	l := newLab(t)
	m, err := NewAddrManagerAt(l.nsA)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	routes := []Route{
		{Dst: netip.MustParsePrefix("10.99.0.0/24"), Gw: labB4, Metric: 7},
		{Dst: netip.MustParsePrefix("10.98.0.0/24"), Type: RouteBlackhole, Table: 100},
		{Dst: netip.MustParsePrefix("fd99::/64"), Ifindex: l.ifA, Src: labA6},
	}
	rule := Rule{Priority: 1000, Src: netip.MustParsePrefix("10.88.0.100/32"), Table: 100}
	for i := 0; i < 2; i++ {
		for _, r := range routes {
			if err := m.AddRoute(r); err != nil {
				t.Fatalf("AddRoute(%s) #%d: %v", r.Dst, i+1, err)
			}
		}
		if err := m.AddRule(rule); err != nil {
			t.Fatalf("AddRule #%d: %v", i+1, err)
		}
	}
	if out := ipOut(t, l.a, "route", "show", "10.99.0.0/24"); !strings.Contains(out, "via 10.88.0.2") || !strings.Contains(out, "metric 7") {
		t.Errorf("route 10.99.0.0/24 not as added: %q", out)
	}
	if out := ipOut(t, l.a, "route", "show", "table", "100"); !strings.Contains(out, "blackhole 10.98.0.0/24") {
		t.Errorf("blackhole route missing from table 100: %q", out)
	}
	if out := ipOut(t, l.a, "-6", "route", "show", "fd99::/64"); !strings.Contains(out, "src fd88::1") {
		t.Errorf("IPv6 route missing: %q", out)
	}
	if out := ipOut(t, l.a, "rule", "show"); strings.Count(out, "from 10.88.0.100 lookup 100") != 1 {
		t.Errorf("rule not present exactly once:\n%s", out)
	}
	for i := 0; i < 2; i++ {
		for _, r := range routes {
			if err := m.DelRoute(r); err != nil {
				t.Fatalf("DelRoute(%s) #%d: %v", r.Dst, i+1, err)
			}
		}
		if err := m.DelRule(rule); err != nil {
			t.Fatalf("DelRule #%d: %v", i+1, err)
		}
	}
	if out := ipOut(t, l.a, "route", "show", "table", "all"); strings.Contains(out, "10.99.0.0") || strings.Contains(out, "10.98.0.0") || strings.Contains(out, "fd99::") {
		t.Errorf("routes left after DelRoute:\n%s", out)
	}
	if out := ipOut(t, l.a, "rule", "show"); strings.Contains(out, "10.88.0.100") {
		t.Errorf("rule left after DelRule:\n%s", out)
	}
}

func grepLine(out, substr string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, substr) {
			return line
		}
	}
	return ""
}

// awaitNeigh waits until ns's neighbour table maps ip to mac, driven by
// rtnetlink neighbour notifications rather than polling.
func awaitNeigh(t *testing.T, ns netns.NsHandle, ip netip.Addr, mac net.HardwareAddr, send func()) {
	t.Helper()
	ch := make(chan netlink.NeighUpdate, 16)
	done := make(chan struct{})
	defer func() {
		close(done)
		for range ch { // let netlink's goroutine finish
		}
	}()
	if err := netlink.NeighSubscribeWithOptions(ch, done, netlink.NeighSubscribeOptions{Namespace: &ns}); err != nil {
		t.Fatalf("subscribing to neighbour updates: %v", err)
	}
	send()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case u := <-ch:
			if got, ok := netip.AddrFromSlice(u.IP); ok && got.Unmap() == ip && bytes.Equal(u.HardwareAddr, mac) {
				return
			}
		case <-timeout:
			t.Fatalf("neighbour entry for %s never became %s", ip, mac)
		}
	}
}

func announcerIn(t *testing.T, ns netns.NsHandle, ifindex int) *Announcer {
	t.Helper()
	var a *Announcer
	inNS(t, ns, func() {
		ifi, err := net.InterfaceByIndex(ifindex)
		if err != nil {
			t.Fatal(err)
		}
		if a, err = NewAnnouncer(ifi, nil); err != nil {
			t.Fatalf("NewAnnouncer: %v", err)
		}
	})
	t.Cleanup(func() { a.Close() })
	return a
}

// A gratuitous ARP from A must move B's (stale) entry for the VIP to A's
// MAC: this is what redirects traffic after a failover.
func TestNetnsGratuitousARPUpdatesPeer(t *testing.T) {
	l := newLab(t)
	vip := netip.MustParseAddr("10.88.0.100")
	ipOut(t, l.b, "neigh", "replace", vip.String(), "lladdr", "02:00:00:00:00:01", "dev", "vb", "nud", "stale")
	a := announcerIn(t, l.nsA, l.ifA)
	awaitNeigh(t, l.nsB, vip, l.macA, func() {
		if err := a.GratuitousARP(vip); err != nil {
			t.Fatalf("GratuitousARP: %v", err)
		}
	})
	if out := ipOut(t, l.b, "neigh", "show", vip.String(), "dev", "vb"); !strings.Contains(out, l.macA.String()) {
		t.Errorf("`ip neigh` in B: %q, want lladdr %s", out, l.macA)
	}
}

func TestNetnsUnsolicitedNAUpdatesPeer(t *testing.T) {
	l := newLab(t)
	vip := netip.MustParseAddr("fd88::100")
	ipOut(t, l.b, "neigh", "replace", vip.String(), "lladdr", "02:00:00:00:00:01", "dev", "vb", "nud", "stale")
	a := announcerIn(t, l.nsA, l.ifA)
	awaitNeigh(t, l.nsB, vip, l.macA, func() {
		if err := a.UnsolicitedNA(vip, false); err != nil {
			t.Fatalf("UnsolicitedNA: %v", err)
		}
	})
	if out := ipOut(t, l.b, "-6", "neigh", "show", vip.String(), "dev", "vb"); !strings.Contains(out, l.macA.String()) {
		t.Errorf("`ip neigh` in B: %q, want lladdr %s", out, l.macA)
	}
}

func awaitEvent(t *testing.T, m *Monitor, match func(Event) bool, what string) Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-m.Events():
			if !ok {
				t.Fatalf("events closed while waiting for %s", what)
			}
			if match(ev) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", what)
		}
	}
}

func TestNetnsMonitorLinkAndAddr(t *testing.T) {
	l := newLab(t)
	m, err := NewMonitor(MonitorOptions{Namespace: &l.nsA})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	is := func(kind EventKind) func(Event) bool {
		return func(ev Event) bool { return ev.Kind == kind && ev.Ifindex == l.ifA }
	}
	awaitEvent(t, m, is(EventLinkUp), "initial link-up of va")
	ipOut(t, l.a, "link", "set", "va", "down")
	if ev := awaitEvent(t, m, is(EventLinkDown), "link-down"); ev.Name != "va" || ev.Deleted {
		t.Errorf("link-down event %+v, want va, not deleted", ev)
	}
	ipOut(t, l.a, "link", "set", "va", "up")
	awaitEvent(t, m, is(EventLinkUp), "link-up")

	ipOut(t, l.a, "addr", "add", "10.88.0.77/32", "dev", "va")
	ipOut(t, l.a, "addr", "del", "10.88.0.77/32", "dev", "va")
	want := netip.MustParsePrefix("10.88.0.77/32")
	awaitEvent(t, m, func(ev Event) bool { return is(EventAddrRemoved)(ev) && ev.Addr == want }, "addr-removed")

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for range m.Events() { // closed by Close: this loop ends
	}
}
