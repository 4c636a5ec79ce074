package healthcheck

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/alived/alived/internal/netlab"
	"github.com/alived/alived/internal/testenv"
)

// A passed TCP_CHECK's close must not wait for the server. In a namespace
// whose servers never acknowledge the probe's FIN (nftables drops their
// pure ACKs), a close with SO_LINGER 5 s (keepalived 2.2.7's, and
// alived's poller until it sent the FIN with shutdown instead) blocks 5 s
// per probe: that poller delivered no result in 10 s. Now every result
// comes at once and the schedule holds: 20 servers at delay_loop 1 s give
// two full rounds within 2.5 s.
func TestPassedProbeCloseNeverWaitsForTheServer(t *testing.T) {
	testenv.RequireNetns(t)
	testenv.RequireBinary(t, "nft")
	ns := fmt.Sprintf("hcfin%d", os.Getpid()%100000)
	run := func(argv ...string) {
		t.Helper()
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", argv, err, out)
		}
	}
	run("ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	run("ip", "-n", ns, "link", "set", "lo", "up")
	const servers, base = 20, 30000
	run("ip", "netns", "exec", ns, "nft", fmt.Sprintf(
		"add table inet t; add chain inet t out { type filter hook output priority 0; }; "+
			"add rule inet t out tcp sport %d-%d tcp flags & (syn | ack) == ack drop", base, base+servers-1))

	var lns []net.Listener
	err := netlab.Do(ns, func() error {
		for i := 0; i < servers; i++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				return err
			}
			lns = append(lns, l)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var held sync.WaitGroup
	t.Cleanup(held.Wait) // after the listeners close (cleanups run last first)
	for _, l := range lns {
		t.Cleanup(func() { l.Close() })
		held.Add(1)
		go func() {
			defer held.Done()
			var conns []net.Conn
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				conns = append(conns, c) // held open: the server never closes first
			}
		}()
	}

	var mu sync.Mutex
	var passed []time.Time
	s, err := NewScheduler(Options{
		OnTransition: func(Transition) {},
		Rand:         rand.New(rand.NewPCG(1, 2)),
		OnProbe: func(p Probe) {
			mu.Lock()
			defer mu.Unlock()
			if p.Result.Err == nil {
				passed = append(passed, p.Start.Add(p.Duration))
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	timing := Timing{DelayLoop: time.Second, ConnectTimeout: 2 * time.Second, Retry: 1}
	for i := 0; i < servers; i++ {
		ap := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(base+i))
		if _, err := s.Add(RealServer{RealServer: ap.String(), Weight: 1, Checks: tcpSpec(t, Conn{Addr: ap}, timing)}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start := time.Now()
	// Probe sockets are opened on Run's goroutine, which netlab.Do keeps
	// on a thread inside the namespace.
	go func() { done <- netlab.Do(ns, func() error { return s.Run(ctx) }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})

	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(passed)
		var last time.Time
		if n >= 2*servers {
			last = passed[2*servers-1]
		}
		mu.Unlock()
		if n >= 2*servers {
			if took := last.Sub(start); took > 2500*time.Millisecond {
				t.Errorf("two rounds of %d probes took %v, want under 2.5 s", servers, took)
			} else {
				t.Logf("two rounds of %d probes in %v while no server acknowledged a FIN", servers, took.Round(time.Millisecond))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d probes passed in 10 s, want %d: closes are waiting for the servers", n, 2*servers)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
