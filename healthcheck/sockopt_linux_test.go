package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
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

// tcpSpec is a TCP_CHECK on the scheduler's epoll poller.
func tcpSpec(t *testing.T, c Conn, tm Timing) []CheckSpec {
	t.Helper()
	tc, err := NewTCP(TCPOptions{Conn: c})
	if err != nil {
		t.Fatal(err)
	}
	return []CheckSpec{{Name: "TCP_CHECK", Checker: tc, Timing: tm}}
}

// acceptAndClose serves l until it is closed.
func acceptAndClose(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

func TestSchedulerTCPCheckDownAndUpOnPoller(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ap := addrOf(t, l.Addr())
	go acceptAndClose(l)
	s, ch := startScheduler(t, Options{})
	if _, err := s.Add(RealServer{RealServer: "rs", Weight: 1, Checks: tcpSpec(t, Conn{Addr: ap}, fast(0))}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	tr := next(t, ch)
	if !tr.Down() || !strings.Contains(tr.Reason, "refused") {
		t.Fatalf("got %+v, want down with connection refused", tr)
	}
	l, err = net.Listen("tcp", ap.String())
	if err != nil {
		t.Skipf("port %d taken meanwhile: %v", ap.Port(), err)
	}
	t.Cleanup(func() { l.Close() })
	go acceptAndClose(l)
	if tr := next(t, ch); !tr.Up() {
		t.Fatalf("got %+v, want up", tr)
	}
	if st := s.Snapshot()[0].Checks[0]; st.Runs < 2 || st.Failures < 1 {
		t.Errorf("snapshot %+v: want runs and the failure counted", st)
	}
}

func TestSchedulerTCPCheckTimeoutOnPoller(t *testing.T) {
	ap := synDropper(t)
	s, ch := startScheduler(t, Options{})
	tm := fast(0)
	tm.ConnectTimeout = 200 * time.Millisecond
	if _, err := s.Add(RealServer{RealServer: "rs", Weight: 1, Checks: tcpSpec(t, Conn{Addr: ap}, tm)}); err != nil {
		t.Fatal(err)
	}
	tr := next(t, ch)
	if !tr.Down() || !strings.Contains(tr.Reason, ErrTimeout.Error()) {
		t.Fatalf("got %+v, want down by timeout", tr)
	}
	st := s.Snapshot()[0].Checks[0]
	if st.LastDuration < tm.ConnectTimeout || st.LastDuration > tm.ConnectTimeout+time.Second {
		t.Errorf("timed-out probe took %v, want about %v", st.LastDuration, tm.ConnectTimeout)
	}
}

// TestSchedulerTCPCheckLocalErrorOnPoller: a probe that fails before the
// handshake (no such bind_if) is reported like any other failure.
func TestSchedulerTCPCheckLocalErrorOnPoller(t *testing.T) {
	ap := serveConns(t, func(net.Conn, <-chan struct{}) {})
	s, ch := startScheduler(t, Options{})
	if _, err := s.Add(RealServer{RealServer: "rs", Weight: 1, Checks: tcpSpec(t, Conn{Addr: ap, BindIf: "alived-none0"}, fast(0))}); err != nil {
		t.Fatal(err)
	}
	if tr := next(t, ch); !tr.Down() || !strings.Contains(tr.Reason, "bind_if alived-none0") {
		t.Fatalf("got %+v, want down naming bind_if", tr)
	}
}

// TestSchedulerStopsWithTCPProbesInFlight: stopping the scheduler ends
// handshakes still waiting on the poller at once, not at connect_timeout.
func TestSchedulerStopsWithTCPProbesInFlight(t *testing.T) {
	hung := synDropper(t)
	// A refused probe, started in the same pass as the hung ones: once it
	// has a result, the hung ones are in flight.
	refusedDown := make(chan struct{})
	var once sync.Once
	s, err := NewScheduler(Options{OnTransition: func(tr Transition) {
		if tr.RealServer == "refused" && tr.Down() {
			once.Do(func() { close(refusedDown) })
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	tm := fast(0)
	tm.ConnectTimeout = time.Minute
	for i := 0; i < 50; i++ {
		if _, err := s.Add(RealServer{RealServer: fmt.Sprint("hung", i), Weight: 1, Checks: tcpSpec(t, Conn{Addr: hung}, tm)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Add(RealServer{RealServer: "refused", Weight: 1, Checks: tcpSpec(t, Conn{Addr: closedPort(t)}, tm)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-refusedDown:
	case <-time.After(5 * time.Second):
		t.Fatal("refused probe never reported")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return with probes in flight")
	}
}

// TestSchedulerOnProbeReportsEveryProbe: OnProbe sees the probes of both
// paths (TCP_CHECK on the poller, other checkers on goroutines) with their
// outcome, before the transition they cause.
func TestSchedulerOnProbeReportsEveryProbe(t *testing.T) {
	probes := make(chan Probe, 100)
	events := make(chan string, 200)
	s, err := NewScheduler(Options{
		OnProbe: func(p Probe) {
			events <- "probe " + p.RealServer
			select {
			case probes <- p:
			default:
			}
		},
		OnTransition: func(tr Transition) { events <- "transition " + tr.RealServer },
	})
	if err != nil {
		t.Fatal(err)
	}
	tm := fast(0)
	tm.DelayLoop = time.Hour // one probe each
	refused := closedPort(t)
	if _, err := s.Add(RealServer{VirtualServer: "vs", RealServer: "tcp", Weight: 1, Checks: tcpSpec(t, Conn{Addr: refused}, tm)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(RealServer{VirtualServer: "vs", RealServer: "misc", Weight: 1,
		Checks: []CheckSpec{{Name: "m", Checker: &scripted{script: []bool{true}}, Timing: tm}}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	got := map[string]Probe{}
	for len(got) < 2 {
		select {
		case p := <-probes:
			got[p.RealServer] = p
		case <-time.After(3 * time.Second):
			t.Fatalf("only %d probes reported", len(got))
		}
	}
	if p := got["tcp"]; p.Kind != KindTCP || p.Check != "TCP_CHECK" || p.VirtualServer != "vs" ||
		!errors.Is(p.Result.Err, syscall.ECONNREFUSED) || p.Duration <= 0 || p.Start.IsZero() {
		t.Errorf("TCP probe reported as %+v", p)
	}
	if p := got["misc"]; p.Check != "m" || p.Result.Err != nil {
		t.Errorf("scripted probe reported as %+v", p)
	}
	// The refused TCP probe takes its server down: the probe comes first.
	for ev := range events {
		if ev == "transition tcp" {
			t.Fatal("transition reported before its probe")
		}
		if ev == "probe tcp" {
			break
		}
	}
}
