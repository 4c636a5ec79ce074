package healthcheck

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/alived/alived/internal/testenv"
)

// requireICMP skips unless this process can open an ICMP socket: an
// unprivileged one (net.ipv4.ping_group_range covers our group) or, as
// root, a raw one.
func requireICMP(t *testing.T, v6 bool) {
	t.Helper()
	pc, _, err := listenICMP(v6, "")
	if err != nil {
		testenv.RequireRoot(t)
		t.Fatalf("root but no ICMP socket: %v", err)
	}
	pc.Close()
}

func TestPingLoopback(t *testing.T) {
	requireICMP(t, false)
	c, err := NewPing(PingOptions{Conn: Conn{Addr: netip.MustParseAddrPort("127.0.0.1:0")}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		r, _ := checkWithin(t, c, time.Second)
		mustPass(t, r)
	}
}

func TestPingBadInput(t *testing.T) {
	if _, err := NewPing(PingOptions{}); err == nil {
		t.Error("no address accepted")
	}
	if _, err := NewPing(PingOptions{Conn: Conn{Addr: netip.MustParseAddrPort("127.0.0.1:0"), FWMark: 1}}); err == nil {
		t.Error("fwmark accepted although unsupported")
	}
}

func TestPingLoopbackIPv6(t *testing.T) {
	if _, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	requireICMP(t, true)
	c, err := NewPing(PingOptions{Conn: Conn{Addr: netip.MustParseAddrPort("[::1]:0")}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := checkWithin(t, c, time.Second)
	mustPass(t, r)
}
