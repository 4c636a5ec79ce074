package netio

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alived/alived/internal/testenv"
	"github.com/mdlayher/packet"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Addresses of the two-namespace lab: A is 10.88.0.1 / fd88::1 on va,
// B is 10.88.0.2 / fd88::2 on vb, joined by one veth pair.
var (
	labA4 = netip.MustParseAddr("10.88.0.1")
	labB4 = netip.MustParseAddr("10.88.0.2")
	labA6 = netip.MustParseAddr("fd88::1")
)

var labSeq atomic.Int32

// lab is two namespaces joined by a veth pair (va in A, vb in B).
type lab struct {
	a, b       string // namespace names
	nsA, nsB   netns.NsHandle
	ifA, ifB   int // ifindex of va in A and vb in B
	macA       net.HardwareAddr
	linkLocalA netip.Addr
	linkLocalB netip.Addr
}

func run(t *testing.T, argv ...string) string {
	t.Helper()
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return string(out)
}

// newLab builds the lab; t.Cleanup deletes both namespaces (and with them
// the veth pair and everything the test added).
func newLab(t *testing.T) *lab {
	t.Helper()
	testenv.RequireNetns(t)
	id := fmt.Sprintf("%d-%d", os.Getpid(), labSeq.Add(1))
	l := &lab{a: "nio-a-" + id, b: "nio-b-" + id}
	for _, ns := range []string{l.a, l.b} {
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
		// No DAD: link-local and static IPv6 addresses are usable at once.
		run(t, "ip", "netns", "exec", ns, "sysctl", "-qw",
			"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	run(t, "ip", "link", "add", "va", "netns", l.a, "type", "veth", "peer", "name", "vb", "netns", l.b)
	run(t, "ip", "-n", l.a, "addr", "add", "10.88.0.1/24", "dev", "va")
	run(t, "ip", "-n", l.b, "addr", "add", "10.88.0.2/24", "dev", "vb")
	run(t, "ip", "-n", l.a, "addr", "add", "fd88::1/64", "dev", "va", "nodad")
	run(t, "ip", "-n", l.b, "addr", "add", "fd88::2/64", "dev", "vb", "nodad")
	run(t, "ip", "-n", l.a, "link", "set", "va", "up")
	run(t, "ip", "-n", l.b, "link", "set", "vb", "up")

	var err error
	if l.nsA, err = netns.GetFromName(l.a); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.nsA.Close() })
	if l.nsB, err = netns.GetFromName(l.b); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.nsB.Close() })
	l.ifA, l.macA, l.linkLocalA = linkInfo(t, l.nsA, "va")
	l.ifB, _, l.linkLocalB = linkInfo(t, l.nsB, "vb")
	return l
}

func linkInfo(t *testing.T, ns netns.NsHandle, name string) (int, net.HardwareAddr, netip.Addr) {
	t.Helper()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	link, err := h.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	var ll netip.Addr
	deadline := time.Now().Add(5 * time.Second)
	for !ll.IsValid() {
		addrs, err := h.AddrList(link, netlink.FAMILY_V6)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range addrs {
			if p, ok := prefixOf(a.IPNet); ok && p.Addr().IsLinkLocalUnicast() {
				ll = p.Addr()
			}
		}
		if !ll.IsValid() {
			if time.Now().After(deadline) {
				t.Fatalf("%s got no link-local address", name)
			}
			// The kernel adds the link-local address asynchronously
			// after link up; there is no event cheaper to wait on here.
			time.Sleep(20 * time.Millisecond)
		}
	}
	return link.Attrs().Index, link.Attrs().HardwareAddr, ll
}

// inNS runs fn on a thread switched into ns. Sockets created by fn stay in
// ns for their whole life. If the thread cannot be switched back it is left
// locked, so the runtime discards it with the goroutine.
func inNS(t *testing.T, ns netns.NsHandle, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatalf("current netns: %v", err)
	}
	defer orig.Close()
	if err := netns.Set(ns); err != nil {
		t.Fatalf("entering netns: %v", err)
	}
	fn()
	if err := netns.Set(orig); err != nil {
		t.Fatalf("leaving netns: %v", err)
	}
	runtime.UnlockOSThread()
}

func listenIn(t *testing.T, ns netns.NsHandle, cfg Config) *Conn {
	t.Helper()
	var c *Conn
	inNS(t, ns, func() {
		var err error
		c, err = Listen(context.Background(), cfg)
		if err != nil {
			t.Fatalf("Listen(%+v): %v", cfg, err)
		}
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// v2Advert hand-builds a VRRPv2 advertisement (RFC 3768 §5.3) for vrid
// with one VIP and no authentication, with a valid checksum.
func v2Advert(vrid, prio byte, vip netip.Addr) []byte {
	v := vip.As4()
	b := []byte{0x21, vrid, prio, 1, 0, 1, 0, 0, v[0], v[1], v[2], v[3], 0, 0, 0, 0, 0, 0, 0, 0}
	var sum uint32
	for i := 0; i < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	cs := ^uint16(sum)
	b[6], b[7] = byte(cs>>8), byte(cs)
	return b
}

// v3Advert6 hand-builds a VRRPv3 IPv6 advertisement with a zero checksum
// (the sending kernel fills it in, IPV6_CHECKSUM).
func v3Advert6(vrid, prio byte, vip netip.Addr) []byte {
	v := vip.As16()
	b := []byte{0x31, vrid, prio, 1, 0, 100, 0, 0}
	return append(b, v[:]...)
}

func readWithin(t *testing.T, c *Conn, d time.Duration) ([]byte, Meta) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(d)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	p, m, err := c.Read(buf)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return p, m
}

func expectNothing(t *testing.T, c *Conn, d time.Duration) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(d)); err != nil {
		t.Fatal(err)
	}
	if p, m, err := c.Read(make([]byte, 1500)); err == nil {
		t.Errorf("unexpected packet %x from %+v", p, m)
	}
}

func TestNetnsAdvertIPv4Multicast(t *testing.T) {
	l := newLab(t)
	tx := listenIn(t, l.nsA, Config{Ifindex: l.ifA, Source: labA4})
	rx := listenIn(t, l.nsB, Config{Ifindex: l.ifB})
	uni := listenIn(t, l.nsB, Config{Ifindex: l.ifB, Unicast: true})
	sn := sniffer(t, l.nsB, l.ifB, 0x0800)
	adv := v2Advert(51, 100, netip.MustParseAddr("10.88.0.100"))
	if _, err := tx.WriteTo(adv, tx.Group()); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	if h := sniffVRRP(t, sn); h[1] != 0xc0 || h[8] != 255 {
		t.Errorf("on the wire: TOS %#x TTL %d, want 0xc0 and 255", h[1], h[8])
	}
	p, m := readWithin(t, rx, 5*time.Second)
	if !bytes.Equal(p, adv) {
		t.Errorf("payload %x, want %x", p, adv)
	}
	want := Meta{Src: labA4, Dst: DefaultGroup4, TTL: 255, Ifindex: l.ifB}
	if m != want {
		t.Errorf("meta %+v, want %+v", m, want)
	}
	// Multicast loop is off: the sender's own socket never sees its advert
	// (a looped copy would have been queued before B received it).
	expectNothing(t, tx, 200*time.Millisecond)
	// IP_MULTICAST_ALL is off: a unicast-only socket on the same interface
	// does not get the group traffic rx joined (raw sockets get their copy
	// at the same time, so it would be queued by now).
	expectNothing(t, uni, 100*time.Millisecond)
}

func TestNetnsAdvertIPv4UnicastTTL(t *testing.T) {
	l := newLab(t)
	tx := listenIn(t, l.nsA, Config{Ifindex: l.ifA, Source: labA4, Unicast: true, TTL: 64})
	rx := listenIn(t, l.nsB, Config{Ifindex: l.ifB, Unicast: true})
	adv := v2Advert(52, 90, netip.MustParseAddr("10.88.0.101"))
	if _, err := tx.WriteTo(adv, labB4); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	p, m := readWithin(t, rx, 5*time.Second)
	if !bytes.Equal(p, adv) {
		t.Errorf("payload %x, want %x", p, adv)
	}
	// A TTL other than 255 is reported as it is; judging it is the state
	// machine's job (keepalived accepts it for unicast within min/max_ttl).
	want := Meta{Src: labA4, Dst: labB4, TTL: 64, Ifindex: l.ifB}
	if m != want {
		t.Errorf("meta %+v, want %+v", m, want)
	}

	// The raw-socket path allocates nothing per packet either.
	buf := make([]byte, 1500)
	if err := rx.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(50, func() {
		if _, err := tx.WriteTo(adv, labB4); err != nil {
			t.Fatal(err)
		}
		if _, _, err := rx.Read(buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("raw WriteTo+Read allocate %.1f times per packet, want 0", allocs)
	}
}

func TestNetnsAdvertIPv6Multicast(t *testing.T) {
	l := newLab(t)
	tx := listenIn(t, l.nsA, Config{Ifindex: l.ifA, IPv6: true, Source: l.linkLocalA})
	rx := listenIn(t, l.nsB, Config{Ifindex: l.ifB, IPv6: true})
	sn := sniffer(t, l.nsB, l.ifB, 0x86dd)
	adv := v3Advert6(53, 200, netip.MustParseAddr("fd88::100"))
	if _, err := tx.WriteTo(adv, tx.Group()); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	if h := sniffVRRP(t, sn); (h[0]&0x0f)<<4|h[1]>>4 != 0xc0 || h[7] != 255 {
		t.Errorf("on the wire: traffic class %#x hop limit %d, want 0xc0 and 255", (h[0]&0x0f)<<4|h[1]>>4, h[7])
	}
	p, m := readWithin(t, rx, 5*time.Second)
	// The sending kernel wrote the checksum (bytes 6-7); the receiving
	// kernel verified it, or the packet would not be here.
	if len(p) != len(adv) || !bytes.Equal(p[:6], adv[:6]) || !bytes.Equal(p[8:], adv[8:]) {
		t.Errorf("payload %x, want %x apart from the checksum", p, adv)
	}
	if p[6] == 0 && p[7] == 0 {
		t.Errorf("checksum not filled in by the kernel")
	}
	want := Meta{Src: l.linkLocalA, Dst: DefaultGroup6, TTL: 255, Ifindex: l.ifB}
	if m != want {
		t.Errorf("meta %+v, want %+v", m, want)
	}
	expectNothing(t, tx, 200*time.Millisecond)
}

// sniffer opens an AF_PACKET socket on ifindex in ns that sees every frame
// of ethertype, so a test can check IP header fields a Conn strips.
func sniffer(t *testing.T, ns netns.NsHandle, ifindex int, ethertype int) *packet.Conn {
	t.Helper()
	var c *packet.Conn
	inNS(t, ns, func() {
		ifi, err := net.InterfaceByIndex(ifindex)
		if err != nil {
			t.Fatal(err)
		}
		c, err = packet.Listen(ifi, packet.Datagram, ethertype, nil)
		if err != nil {
			t.Fatalf("packet socket: %v", err)
		}
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// sniffVRRP returns the next IP packet carrying protocol 112 seen by c.
func sniffVRRP(t *testing.T, c *packet.Conn) []byte {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2000)
	for {
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("sniffing: %v", err)
		}
		b := buf[:n]
		switch {
		case n >= 20 && b[0]>>4 == 4 && b[9] == IPProtoVRRP:
			return b
		case n >= 40 && b[0]>>4 == 6 && b[6] == IPProtoVRRP:
			return b
		}
	}
}
