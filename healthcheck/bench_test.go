package healthcheck

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// cpuClock reads this process's user+system CPU time; wall-clock ns/op
// on a shared 2-core host says more about the neighbours than about the
// probe, CPU per probe does not.
func cpuClock() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-ns/op metric (whole process: the loopback server
// goroutines in the benchmark count too, equally before and after).
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuClock()-start)/float64(b.N), "cpu-ns/op")
}

// counter is a no-op checker that signals when n probes have run.
type counter struct {
	n, target atomic.Int64
	once      sync.Once
	done      chan struct{}
}

func (c *counter) Kind() Kind { return KindTCP }
func (c *counter) Check(context.Context) Result {
	if c.n.Add(1) == c.target.Load() {
		c.once.Do(func() { close(c.done) })
	}
	return Result{}
}

// BenchmarkSchedulerOverhead measures the scheduler's own cost per probe
// (heap, dispatch, goroutine, result handling) with probes that do nothing.
func BenchmarkSchedulerOverhead(b *testing.B) {
	c := &counter{done: make(chan struct{})}
	c.target.Store(int64(b.N))
	s, err := NewScheduler(Options{OnTransition: func(Transition) {}})
	if err != nil {
		b.Fatal(err)
	}
	tm := Timing{DelayLoop: time.Nanosecond, ConnectTimeout: time.Second}
	for i := 0; i < 1000; i++ {
		s.Add(RealServer{RealServer: fmt.Sprint(i), Checks: []CheckSpec{{Name: "n", Checker: c, Timing: tm}}})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	b.ResetTimer()
	cpu0 := cpuClock()
	go func() { s.Run(ctx); close(done) }()
	<-c.done
	b.StopTimer()
	reportCPU(b, cpu0)
	cancel()
	<-done
}

func BenchmarkTCPCheck(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	ap, _ := netipAddrPort(l.Addr())
	c, _ := NewTCP(TCPOptions{Conn: Conn{Addr: ap}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b.ResetTimer()
	cpu0 := cpuClock()
	for i := 0; i < b.N; i++ {
		if r := c.Check(ctx); r.Err != nil {
			b.Fatal(r.Err)
		}
	}
	reportCPU(b, cpu0)
}

// BenchmarkHTTPCheck measures one HTTP_GET probe: with a digest (the
// whole response parsed) and status-only (the common check).
func BenchmarkHTTPCheck(b *testing.B) {
	b.Run("digest", func(b *testing.B) { benchHTTP(b, URL{Path: "/", Digest: md5hex("ok")}) })
	b.Run("status", func(b *testing.B) { benchHTTP(b, URL{Path: "/"}) })
}

func benchHTTP(b *testing.B, u URL) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	ap, _ := netipAddrPort(srv.Listener.Addr())
	c, _ := NewHTTP(HTTPOptions{Conn: Conn{Addr: ap}, URLs: []URL{u}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b.ResetTimer()
	cpu0 := cpuClock()
	for i := 0; i < b.N; i++ {
		if r := c.Check(ctx); r.Err != nil {
			b.Fatal(r.Err)
		}
	}
	reportCPU(b, cpu0)
}

// wrapped hides a checker's type, so the scheduler runs it on a goroutine
// per probe (the path TCP_CHECK took before the epoll poller).
type wrapped struct{ Checker }

// benchSchedulerTCP runs TCP_CHECKs of 100 real servers through a
// scheduler against one loopback listener until b.N probes completed.
func benchSchedulerTCP(b *testing.B, wrap bool) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	ap, _ := netipAddrPort(l.Addr())
	var n atomic.Int64
	var failed atomic.Value
	done := make(chan struct{})
	s, err := NewScheduler(Options{OnTransition: func(Transition) {}, OnProbe: func(p Probe) {
		if p.Result.Err != nil {
			failed.CompareAndSwap(nil, p.Result.Err)
		}
		if n.Add(1) == int64(b.N) {
			close(done)
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	tm := Timing{DelayLoop: time.Nanosecond, ConnectTimeout: 5 * time.Second}
	for i := 0; i < 100; i++ {
		var c Checker
		c, _ = NewTCP(TCPOptions{Conn: Conn{Addr: ap}})
		if wrap {
			c = wrapped{c}
		}
		s.Add(RealServer{RealServer: fmt.Sprint(i), Checks: []CheckSpec{{Name: "tcp", Checker: c, Timing: tm}}})
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	b.ResetTimer()
	cpu0 := cpuClock()
	go func() { s.Run(ctx); close(stopped) }()
	<-done
	b.StopTimer()
	reportCPU(b, cpu0)
	cancel()
	<-stopped
	if err, _ := failed.Load().(error); err != nil {
		b.Fatalf("a probe failed: %v", err)
	}
}

// BenchmarkSchedulerTCPPoller: TCP_CHECK on the scheduler's epoll loop.
func BenchmarkSchedulerTCPPoller(b *testing.B) { benchSchedulerTCP(b, false) }

// BenchmarkSchedulerTCPGoroutine: the same probes, one goroutine each.
func BenchmarkSchedulerTCPGoroutine(b *testing.B) { benchSchedulerTCP(b, true) }
