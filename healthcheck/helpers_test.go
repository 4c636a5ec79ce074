package healthcheck

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"
)

// addrOf returns a listener's or packet conn's loopback address.
func addrOf(t *testing.T, a net.Addr) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		t.Fatalf("parse %v: %v", a, err)
	}
	return ap
}

// closedPort returns a loopback TCP port nothing listens on.
func closedPort(t *testing.T) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ap := addrOf(t, l.Addr())
	l.Close()
	return ap
}

// listen opens a loopback TCP listener closed at cleanup.
func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// serveConns accepts connections on a fresh loopback listener until the
// test ends, runs handle for each in a goroutine of its own and closes the
// connection when handle returns. stop closes at cleanup, so a handler that
// would run forever (a hung or slowloris server) waits on it.
func serveConns(t *testing.T, handle func(c net.Conn, stop <-chan struct{})) netip.AddrPort {
	t.Helper()
	l := listen(t)
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c, stop)
			}()
		}
	}()
	return addrOf(t, l.Addr())
}

// silentServer accepts connections and never writes, holding them open
// until the test ends: the hung server the probes must survive.
func silentServer(t *testing.T) netip.AddrPort {
	t.Helper()
	return serveConns(t, func(_ net.Conn, stop <-chan struct{}) { <-stop })
}

// checkWithin runs c with a deadline d and fails the test if the probe
// returns more than slack after the deadline.
func checkWithin(t *testing.T, c Checker, d time.Duration) (Result, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	r := c.Check(ctx)
	took := time.Since(start)
	// The slack absorbs scheduling delay on a loaded CI host; a probe that
	// ignored its deadline would run for seconds or forever.
	if took > d+time.Second {
		t.Errorf("probe took %v, deadline was %v", took, d)
	}
	return r, took
}

func mustPass(t *testing.T, r Result) {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("check failed: %v", r.Err)
	}
}

func mustFail(t *testing.T, r Result, what string) {
	t.Helper()
	if r.Err == nil {
		t.Fatalf("check passed, want failure (%s)", what)
	}
	t.Logf("%s: %v", what, r.Err)
}

// netipAddrPort converts a net.Addr for benchmarks (no testing.T there).
func netipAddrPort(a net.Addr) (netip.AddrPort, error) { return netip.ParseAddrPort(a.String()) }
