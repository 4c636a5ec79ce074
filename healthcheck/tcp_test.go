package healthcheck

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestTCPCheckPassesAgainstListener(t *testing.T) {
	l := listen(t)
	accepted := make(chan struct{}, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()
	c, err := NewTCP(TCPOptions{Conn: Conn{Addr: addrOf(t, l.Addr())}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := checkWithin(t, c, time.Second)
	mustPass(t, r)
	select {
	case <-accepted:
	case <-time.After(time.Second):
		t.Fatal("server never saw the connection")
	}
}

func TestTCPCheckRefused(t *testing.T) {
	c, err := NewTCP(TCPOptions{Conn: Conn{Addr: closedPort(t)}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := checkWithin(t, c, time.Second)
	mustFail(t, r, "refused")
	if !errors.Is(r.Err, unix.ECONNREFUSED) {
		t.Errorf("error %v does not wrap ECONNREFUSED", r.Err)
	}
}

// TestTCPCheckTimesOut probes a listener whose full accept queue makes the
// kernel drop SYNs, so connect hangs (synDropper).
func TestTCPCheckTimesOut(t *testing.T) {
	ap := synDropper(t)
	c, err := NewTCP(TCPOptions{Conn: Conn{Addr: ap}})
	if err != nil {
		t.Fatal(err)
	}
	r, took := checkWithin(t, c, 300*time.Millisecond)
	mustFail(t, r, "timeout")
	if !errors.Is(r.Err, ErrTimeout) {
		t.Errorf("error %v is not a timeout", r.Err)
	}
	if took < 250*time.Millisecond {
		t.Errorf("returned after %v, before the deadline", took)
	}
}

func TestTCPCheckBindToAndPort(t *testing.T) {
	l := listen(t)
	src := make(chan net.Addr, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			src <- c.RemoteAddr()
			c.Close()
		}
	}()
	bindPort := closedPort(t).Port()
	c, err := NewTCP(TCPOptions{Conn: Conn{Addr: addrOf(t, l.Addr()),
		BindTo: netip.MustParseAddr("127.0.0.2"), BindPort: bindPort}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := checkWithin(t, c, time.Second)
	mustPass(t, r)
	got := addrOf(t, <-src)
	if got.Addr() != netip.MustParseAddr("127.0.0.2") || got.Port() != bindPort {
		t.Errorf("connection came from %v, want 127.0.0.2:%d", got, bindPort)
	}
}

func TestConnValidation(t *testing.T) {
	if _, err := NewTCP(TCPOptions{}); err == nil {
		t.Error("no address accepted")
	}
	if _, err := NewTCP(TCPOptions{Conn: Conn{Addr: netip.MustParseAddrPort("127.0.0.1:0")}}); err == nil {
		t.Error("port 0 accepted")
	}
	_, err := NewTCP(TCPOptions{Conn: Conn{Addr: netip.MustParseAddrPort("127.0.0.1:80"), BindTo: netip.MustParseAddr("::1")}})
	if err == nil {
		t.Error("mixed families accepted")
	}
}

// TestTCPCheckBindIfAndFWMark: as root the options are applied (SO_MARK
// needs CAP_NET_ADMIN) and a check bound to lo reaches a loopback server;
// a missing interface is a clear error either way.
func TestTCPCheckBindIfAndFWMark(t *testing.T) {
	// Accept and hang up at once: only reaching the server matters here.
	ap := serveConns(t, func(net.Conn, <-chan struct{}) {})
	c, err := NewTCP(TCPOptions{Conn: Conn{Addr: ap, BindIf: "alived-none0"}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := checkWithin(t, c, time.Second)
	mustFail(t, r, "missing bind_if")
	if !strings.Contains(r.Err.Error(), "bind_if alived-none0") {
		t.Errorf("error %q does not name bind_if", r.Err)
	}
	c, _ = NewTCP(TCPOptions{Conn: Conn{Addr: ap, BindIf: "lo", FWMark: 0x2a}})
	r, _ = checkWithin(t, c, time.Second)
	if os.Geteuid() != 0 {
		mustFail(t, r, "fwmark without CAP_NET_ADMIN")
		if !strings.Contains(r.Err.Error(), "fwmark 42") {
			t.Errorf("error %q does not name fwmark", r.Err)
		}
		return
	}
	mustPass(t, r)
}
