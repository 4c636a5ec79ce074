package healthcheck

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// endOfProbe accepts one connection per probe, reads until the checker
// ends it and reports how it ended (nil for FIN, the read error for RST).
// The server never closes first, like a real service waiting for a request.
func endOfProbe(t *testing.T) (netip.AddrPort, <-chan error) {
	t.Helper()
	ends := make(chan error, 8)
	ap := serveConns(t, func(c net.Conn, _ <-chan struct{}) {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := io.Copy(io.Discard, c)
		ends <- err
	})
	return ap, ends
}

func awaitEnd(t *testing.T, ends <-chan error) error {
	t.Helper()
	select {
	case err := <-ends:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("server never saw the probe's connection end")
		return nil
	}
}

// TestTCPCheckClosesWithFIN: like keepalived (SO_LINGER 5 s, then close),
// TCP_CHECK ends its connection in order, so servers log no resets.
func TestTCPCheckClosesWithFIN(t *testing.T) {
	ap, ends := endOfProbe(t)
	c, err := NewTCP(TCPOptions{Conn: Conn{Addr: ap}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := checkWithin(t, c, time.Second)
	mustPass(t, r)
	if err := awaitEnd(t, ends); err != nil {
		t.Errorf("server read %v, want a clean end of stream (FIN)", err)
	}
}

// TestTCPCheckBindPortProbesBackToBack: with bind_port every probe reuses
// the same 4-tuple, so the checker resets the connection instead of
// leaving it in TIME_WAIT, where it would fail the next probe's bind.
func TestTCPCheckBindPortProbesBackToBack(t *testing.T) {
	ap, ends := endOfProbe(t)
	// bindto with the port: a wildcard bind would also collide with other
	// tests' connections parked in TIME_WAIT on that port.
	src := closedPort(t)
	c, err := NewTCP(TCPOptions{Conn: Conn{Addr: ap, BindTo: src.Addr(), BindPort: src.Port()}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		r, _ := checkWithin(t, c, time.Second)
		if r.Err != nil {
			t.Fatalf("probe %d: %v", i, r.Err)
		}
		if err := awaitEnd(t, ends); !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("probe %d: server read %v, want a reset", i, err)
		}
	}
}

func TestTCPCheckIPv6AndMappedIPv4(t *testing.T) {
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	c, err := NewTCP(TCPOptions{Conn: Conn{Addr: addrOf(t, l.Addr()), BindTo: netip.IPv6Loopback()}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := checkWithin(t, c, time.Second)
	mustPass(t, r)

	// An IPv4-mapped target is dialled over IPv4, as net.Dial does.
	v4 := listen(t)
	go func() {
		for {
			c, err := v4.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := addrOf(t, v4.Addr()).Port()
	c, err = NewTCP(TCPOptions{Conn: Conn{Addr: netip.AddrPortFrom(netip.MustParseAddr("::ffff:127.0.0.1"), port)}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ = checkWithin(t, c, time.Second)
	mustPass(t, r)
}

// TestTCPCheckCancelEndsConnectWait: a probe stuck in a handshake returns
// as soon as its context is cancelled (the scheduler stopping), not at the
// deadline.
func TestTCPCheckCancelEndsConnectWait(t *testing.T) {
	ap := synDropper(t)
	c, err := NewTCP(TCPOptions{Conn: Conn{Addr: ap}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	r := c.Check(ctx)
	mustFail(t, r, "cancelled")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("cancelled probe returned after %v", took)
	}
}

// synDropper returns a loopback address whose listener's accept queue is
// full (backlog 0 holds one connection), so the kernel drops further SYNs
// and a connect hangs.
func synDropper(t *testing.T) netip.AddrPort {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*unix.SockaddrInet4).Port))
	for i := 0; i < 2; i++ {
		if c, err := net.DialTimeout("tcp", ap.String(), 200*time.Millisecond); err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}
	return ap
}

func TestSockaddrOf(t *testing.T) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skipf("no lo: %v", err)
	}
	for _, tc := range []struct {
		ap     string
		bindIf string
		family int
		zone   uint32
	}{
		{"127.0.0.1:80", "", unix.AF_INET, 0},
		{"[::ffff:10.1.2.3]:80", "", unix.AF_INET, 0},
		{"[2001:db8::1]:80", "lo", unix.AF_INET6, 0}, // bind_if is no zone for a global address
		{"[fe80::1]:80", "lo", unix.AF_INET6, uint32(lo.Index)},
		{"[fe80::1%lo]:80", "", unix.AF_INET6, uint32(lo.Index)},
		{"[fe80::1%7]:80", "lo", unix.AF_INET6, 7},
	} {
		sa, family, err := sockaddrOf(netip.MustParseAddrPort(tc.ap), tc.bindIf)
		if err != nil {
			t.Errorf("%s: %v", tc.ap, err)
			continue
		}
		if family != tc.family {
			t.Errorf("%s: family %d, want %d", tc.ap, family, tc.family)
		}
		switch sa := sa.(type) {
		case *unix.SockaddrInet4:
			if sa.Port != 80 || netip.AddrFrom4(sa.Addr) != netip.MustParseAddrPort(tc.ap).Addr().Unmap() {
				t.Errorf("%s: got %v:%d", tc.ap, sa.Addr, sa.Port)
			}
		case *unix.SockaddrInet6:
			if sa.Port != 80 || sa.ZoneId != tc.zone {
				t.Errorf("%s: port %d zone %d, want 80 zone %d", tc.ap, sa.Port, sa.ZoneId, tc.zone)
			}
		}
	}
	if _, _, err := sockaddrOf(netip.MustParseAddrPort("[fe80::1%alived-none0]:80"), ""); err == nil {
		t.Error("unknown zone accepted")
	}
}
