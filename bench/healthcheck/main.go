// Command healthcheck is alived's health-check load harness: it runs many
// TCP_CHECK and HTTP_GET real servers through one healthcheck.Scheduler at
// delay_loop 1 s against loopback listeners and reports the checker's CPU
// seconds per minute, its peak RSS and how long it takes to see a killed
// server go down.
//
// The listeners live in a child process (this binary re-executed with
// -serve) so that the CPU and memory reported are the checker's alone. They
// are spread over many ports on 127.10.0.0/16 (TCP) and 127.11.0.0/16
// (HTTP): loopback only, no interface or route changes needed.
//
//	go run ./bench/healthcheck                 # 10,000 TCP + 2,000 HTTP, ~60 s
//	go run ./bench/healthcheck -measure 20s    # shorter
//
// The run is bounded by -limit (default 2 minutes) and is not part of
// `go test ./...`.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/alived/alived/healthcheck"
)

func main() {
	serve := flag.Bool("serve", false, "internal: run the listeners (child process)")
	nTCP := flag.Int("tcp", 10000, "TCP_CHECK real servers")
	nHTTP := flag.Int("http", 2000, "HTTP_GET real servers")
	measure := flag.Duration("measure", 40*time.Second, "steady-state window for CPU measurement")
	settle := flag.Duration("settle", 5*time.Second, "time after start before measuring (warmup spreads first checks over delay_loop)")
	kills := flag.Int("kill", 20, "TCP servers (and a quarter as many HTTP servers) to kill after the window")
	maxConc := flag.Int("concurrency", 0, "Scheduler MaxConcurrent (0: package default)")
	limit := flag.Duration("limit", 2*time.Minute, "hard bound on the whole run")
	serverWaits := flag.Bool("server-waits", false, "TCP listeners wait for the checker to close (as a real service waiting for a request does) instead of closing at once; the checker then closes first and holds TIME_WAIT")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measurement window to this file")
	flag.Parse()

	var err error
	if *serve {
		err = runServer(*nTCP, *nHTTP, *serverWaits)
	} else {
		err = runBench(*nTCP, *nHTTP, *measure, *settle, *kills, *maxConc, *limit, *cpuProfile, *serverWaits)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/healthcheck:", err)
		os.Exit(1)
	}
}

// runServer opens the listeners, prints "tcp ADDR" / "http ADDR" lines,
// then "ready", and closes the listener named by each "kill ADDR" line read
// from stdin, answering "killed ADDR". It exits when stdin closes.
func runServer(nTCP, nHTTP int, serverWaits bool) error {
	out := bufio.NewWriter(os.Stdout)
	listeners := map[string]net.Listener{}
	open := func(kind string, i int, base [2]byte, handle func(net.Conn)) error {
		// 250 listeners per address, many addresses: spreads the 4-tuples.
		a := netip.AddrFrom4([4]byte{127, base[0], base[1] + byte(i/250/250), byte(i/250%250 + 1)})
		// Plain TCP like ordinary services: Go listeners default to
		// MPTCP, whose fallback work for every SYN would run in the
		// checker's softirq context and be billed to the checker.
		var lc net.ListenConfig
		lc.SetMultipathTCP(false)
		l, err := lc.Listen(context.Background(), "tcp", netip.AddrPortFrom(a, 0).String())
		if err != nil {
			return fmt.Errorf("listen %s #%d on %s: %w", kind, i, a, err)
		}
		listeners[l.Addr().String()] = l
		fmt.Fprintf(out, "%s %s\n", kind, l.Addr())
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go handle(c)
			}
		}()
		return nil
	}
	tcpHandler := func(c net.Conn) { c.Close() }
	if serverWaits {
		tcpHandler = func(c net.Conn) {
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			io.Copy(io.Discard, c)
		}
	}
	for i := 0; i < nTCP; i++ {
		if err := open("tcp", i, [2]byte{10, 0}, tcpHandler); err != nil {
			return err
		}
	}
	for i := 0; i < nHTTP; i++ {
		if err := open("http", i, [2]byte{11, 0}, serveHTTP); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "ready")
	out.Flush()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		addr, ok := strings.CutPrefix(sc.Text(), "kill ")
		if l := listeners[addr]; ok && l != nil {
			l.Close()
			fmt.Printf("killed %s\n", addr)
		}
	}
	return nil
}

// serveHTTP answers one keepalived-style request with a small 200.
func serveHTTP(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if line == "\r\n" {
			break
		}
	}
	io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n")
}

// probeCount sums the probes the scheduler has completed and failed, from
// its snapshot: the checkers run unwrapped, so TCP_CHECK takes the
// scheduler's epoll path exactly as in the daemon.
func probeCount(s *healthcheck.Scheduler) (runs, failed int64, slow int) {
	for _, srv := range s.Snapshot() {
		for _, c := range srv.Checks {
			runs += int64(c.Runs)
			failed += int64(c.Failures)
			if c.LastDuration > 100*time.Millisecond {
				slow++
			}
		}
	}
	return runs, failed, slow
}

func runBench(nTCP, nHTTP int, measure, settle time.Duration, kills, maxConc int, limit time.Duration, cpuProfile string, serverWaits bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()

	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own binary: %w", err)
	}
	child := exec.CommandContext(ctx, self, "-serve", fmt.Sprintf("-tcp=%d", nTCP), fmt.Sprintf("-http=%d", nHTTP),
		fmt.Sprintf("-server-waits=%v", serverWaits))
	child.Stderr = os.Stderr
	stdin, err := child.StdinPipe()
	if err != nil {
		return fmt.Errorf("child stdin: %w", err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		return fmt.Errorf("child stdout: %w", err)
	}
	if err := child.Start(); err != nil {
		return fmt.Errorf("start listeners: %w", err)
	}
	defer func() {
		stdin.Close()
		child.Wait()
	}()
	lines := bufio.NewScanner(stdout)
	var tcpAddrs, httpAddrs []netip.AddrPort
	for lines.Scan() {
		kind, addr, _ := strings.Cut(lines.Text(), " ")
		if kind == "ready" {
			break
		}
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			return fmt.Errorf("child said %q: %w", lines.Text(), err)
		}
		if kind == "tcp" {
			tcpAddrs = append(tcpAddrs, ap)
		} else {
			httpAddrs = append(httpAddrs, ap)
		}
	}
	if len(tcpAddrs) != nTCP || len(httpAddrs) != nHTTP {
		return fmt.Errorf("child opened %d/%d TCP and %d/%d HTTP listeners", len(tcpAddrs), nTCP, len(httpAddrs), nHTTP)
	}

	// Transitions: record down times per real server.
	var mu sync.Mutex
	downAt := map[string]time.Time{}
	var spurious atomic.Int64
	var armed atomic.Bool
	s, err := healthcheck.NewScheduler(healthcheck.Options{MaxConcurrent: maxConc, OnTransition: func(t healthcheck.Transition) {
		if !t.Down() {
			return
		}
		if !armed.Load() {
			spurious.Add(1)
			return
		}
		mu.Lock()
		downAt[t.RealServer] = t.Time
		mu.Unlock()
	}})
	if err != nil {
		return err
	}
	add := func(kind healthcheck.Kind, ap netip.AddrPort, c healthcheck.Checker) error {
		tm, err := healthcheck.ResolveTiming(kind, healthcheck.TimingOverride{DelayLoop: ptr(time.Second)})
		if err != nil {
			return err
		}
		_, err = s.Add(healthcheck.RealServer{VirtualServer: "vs", RealServer: ap.String(), Weight: 1,
			Checks: []healthcheck.CheckSpec{{Name: string(kind), Checker: c, Timing: tm}}})
		return err
	}
	for _, ap := range tcpAddrs {
		c, err := healthcheck.NewTCP(healthcheck.TCPOptions{Conn: healthcheck.Conn{Addr: ap}})
		if err != nil {
			return err
		}
		if err := add(healthcheck.KindTCP, ap, c); err != nil {
			return err
		}
	}
	for _, ap := range httpAddrs {
		c, err := healthcheck.NewHTTP(healthcheck.HTTPOptions{Conn: healthcheck.Conn{Addr: ap},
			URLs: []healthcheck.URL{{Path: "/health"}}})
		if err != nil {
			return err
		}
		if err := add(healthcheck.KindHTTP, ap, c); err != nil {
			return err
		}
	}

	runCtx, stopRun := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(runCtx) }()
	defer func() {
		stopRun()
		<-runDone
	}()

	fmt.Printf("checks: %d TCP_CHECK + %d HTTP_GET, delay_loop 1s (keepalived defaults otherwise), GOMAXPROCS via env\n", nTCP, nHTTP)
	if err := sleepCtx(ctx, settle); err != nil {
		return err
	}
	p0, f0, _ := probeCount(s)
	cpu0, t0 := cpuTime(), time.Now()
	ccpu0 := childCPU(child.Process.Pid)
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
	}
	if err := sleepCtx(ctx, measure); err != nil {
		return err
	}
	cpu1, t1 := cpuTime(), time.Now()
	ccpu1 := childCPU(child.Process.Pid)
	p1, f1, slow := probeCount(s)
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	wall := t1.Sub(t0)
	fmt.Printf("window: %v, probes: %d (%.0f/s, expected ~%d/s)\n", wall.Round(time.Millisecond), p1-p0,
		float64(p1-p0)/wall.Seconds(), nTCP+nHTTP)
	rate := float64(p1-p0) / wall.Seconds()
	fmt.Printf("effective check period: %.2fs (delay_loop 1s + probe time + queueing); CPU per probe %v\n",
		float64(nTCP+nHTTP)/max(rate, 1), time.Duration(float64(cpu1-cpu0)/float64(max(p1-p0, 1))).Round(time.Microsecond))
	fmt.Printf("CPU: %.2f s per minute of wall time (%.1f%% of one core)\n",
		(cpu1-cpu0).Seconds()/wall.Minutes(), 100*(cpu1-cpu0).Seconds()/wall.Seconds())
	fmt.Printf("checks whose last probe took >100ms: %d, failed probes: %d; listener process CPU %.1f%% of one core\n",
		slow, f1-f0, 100*(ccpu1-ccpu0).Seconds()/wall.Seconds())
	fmt.Printf("spurious down transitions before the kill: %d\n", spurious.Load())
	cw, lw := timeWaits()
	fmt.Printf("TIME_WAIT sockets now: checker side %d, listener side %d (host-wide table: net.ipv4.tcp_max_tw_buckets)\n", cw, lw)

	// Kill some servers and time their detection.
	armed.Store(true)
	victims := map[string]time.Time{}
	var order []string
	nk := min(kills, len(tcpAddrs))
	for i := 0; i < nk; i++ {
		order = append(order, tcpAddrs[i*len(tcpAddrs)/max(nk, 1)].String())
	}
	nh := min(max(kills/4, 1), len(httpAddrs))
	for i := 0; i < nh && len(httpAddrs) > 0; i++ {
		order = append(order, httpAddrs[i*len(httpAddrs)/nh].String())
	}
	for _, a := range order {
		victims[a] = time.Now()
		if _, err := fmt.Fprintf(stdin, "kill %s\n", a); err != nil {
			return fmt.Errorf("tell child to kill %s: %w", a, err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(downAt)
		mu.Unlock()
		if n >= len(victims) {
			break
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	var tcpD, httpD []time.Duration
	mu.Lock()
	for a, killed := range victims {
		d, ok := downAt[a]
		if !ok {
			fmt.Printf("not detected within 15s: %s\n", a)
			continue
		}
		if slices.Contains(httpAddrs, netip.MustParseAddrPort(a)) {
			httpD = append(httpD, d.Sub(killed))
		} else {
			tcpD = append(tcpD, d.Sub(killed))
		}
	}
	mu.Unlock()
	report("TCP_CHECK kill→down (retry 1, delay_before_retry 1s)", tcpD)
	report("HTTP_GET kill→down (retry 1, delay_before_retry 3s)", httpD)
	fmt.Printf("peak RSS (VmHWM): %s\n", vmHWM())
	fmt.Printf("host load average at end: %s (2 shared cores: numbers are only as quiet as the host)\n", loadAvg())
	return nil
}

func report(what string, ds []time.Duration) {
	if len(ds) == 0 {
		fmt.Printf("%s: no samples\n", what)
		return
	}
	slices.Sort(ds)
	fmt.Printf("%s: n=%d min %v median %v max %v\n", what, len(ds),
		ds[0].Round(time.Millisecond), ds[len(ds)/2].Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond))
}

func ptr[T any](v T) *T { return &v }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("run limit reached: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}

// cpuTime is this process's user+system CPU time (the child is excluded).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// childCPU reads the listener process's CPU time from /proc.
func childCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b)[strings.LastIndexByte(string(b), ')')+2:])
	var ut, stt int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &stt)
	return time.Duration(ut+stt) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// timeWaits counts TIME_WAIT sockets of the benchmark's connections in
// /proc/net/tcp: on the checker's side (remote address in 127.10/16 or
// 127.11/16) and on the listeners' side (local address there). Addresses
// are hex in host byte order, so 127.10.x.y ends in "0A7F".
// The file is streamed: it can hold a hundred thousand lines, and reading
// it whole would show up in the peak RSS reported.
func timeWaits() (checker, listener int) {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return -1, -1
	}
	defer f.Close()
	ours := func(hexAddr string) bool {
		ip, _, _ := strings.Cut(hexAddr, ":")
		return strings.HasSuffix(ip, "0A7F") || strings.HasSuffix(ip, "0B7F")
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || f[3] != "06" {
			continue
		}
		switch {
		case ours(f[2]):
			checker++
		case ours(f[1]):
			listener++
		}
	}
	return checker, listener
}
