package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

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
	// A probe caught in the accept queue when the listener closes is
	// reset; later ones are refused.
	tr := next(t, ch)
	if !tr.Down() || !(strings.Contains(tr.Reason, "refused") || strings.Contains(tr.Reason, "reset")) {
		t.Fatalf("got %+v, want down with connection refused or reset", tr)
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
	// A refused probe, started in the same pass as the hung ones: once it
	// has a result, the hung ones are in flight.
	s, refusedDown := hungScheduler(t, 50)
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

// TestSchedulerTCPChecksInFlightNeedNoGoroutines: hundreds of TCP_CHECKs
// hanging in their handshakes cost no goroutine each — only the poller's.
func TestSchedulerTCPChecksInFlightNeedNoGoroutines(t *testing.T) {
	const n = 300
	s, refusedDown := hungScheduler(t, n)
	base := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-refusedDown: // started in the same pass: the hung ones are in flight
	case <-time.After(5 * time.Second):
		t.Fatal("refused probe never reported")
	}
	// Run, the poller, and slack for runtime helpers.
	if got, limit := runtime.NumGoroutine(), base+2+5; got > limit {
		t.Errorf("%d goroutines with %d TCP probes in flight, want at most %d", got, n, limit)
	}
}

// hungScheduler returns a scheduler with n TCP_CHECKs whose handshakes
// hang (synDropper) and one refused one, whose down transition closes the
// returned channel.
func hungScheduler(t *testing.T, n int) (*Scheduler, <-chan struct{}) {
	t.Helper()
	hung := synDropper(t)
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
	for i := 0; i < n; i++ {
		if _, err := s.Add(RealServer{RealServer: fmt.Sprint("hung", i), Weight: 1, Checks: tcpSpec(t, Conn{Addr: hung}, tm)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Add(RealServer{RealServer: "refused", Weight: 1, Checks: tcpSpec(t, Conn{Addr: closedPort(t)}, tm)}); err != nil {
		t.Fatal(err)
	}
	return s, refusedDown
}
