//go:build linux

package ipvs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cfipvs "github.com/cloudflare/ipvs"

	"github.com/alived/alived/internal/testenv"
	"github.com/alived/alived/internal/vmtest"
)

// envRole makes the guest test binary act as a stand-alone reconciler
// process (the restart test kills it with SIGKILL).
const envRole = "ALIVED_VM_ROLE"

// TestVM runs the tests that need a real IPVS kernel: on the host it boots
// the VM once and runs itself inside; inside, it runs the subtests.
func TestVM(t *testing.T) {
	switch {
	case os.Getenv(envRole) == "reconciler":
		reconcilerProcess(t)
		return
	case vmtest.InGuest():
	default:
		testenv.RequireVM(t)
		vmtest.RunGoTests(t, vmtest.GoTests{Run: "^TestVM$", Timeout: 9 * time.Minute})
		return
	}
	t.Run("RoundTrip", guestRoundTrip)
	t.Run("Adopt", guestAdopt)
	t.Run("Drift", guestDrift)
	t.Run("Traffic", guestTraffic)
	t.Run("Restart", guestRestart)
	t.Run("SyncDaemon", guestSyncDaemon)
	t.Run("Timeouts", guestTimeouts)
}

func dial(t testing.TB) *Netlink {
	t.Helper()
	n, err := Dial()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func flushKernel(t testing.TB) {
	t.Helper()
	run(t, "ipvsadm", "-C")
}

// routeReals gives NAT destinations in 10.1.0.0/16 and 2001:db8:1::/48 a
// route (the kernel refuses a NAT destination that is not unicast-routable).
func routeReals(t *testing.T) {
	t.Helper()
	run(t, "ip", "link", "add", "reals0", "type", "dummy")
	t.Cleanup(func() { exec.Command("ip", "link", "del", "reals0").Run() })
	run(t, "ip", "link", "set", "reals0", "up")
	run(t, "ip", "addr", "add", "10.1.255.254/16", "dev", "reals0")
	run(t, "ip", "addr", "add", "2001:db8:1::ffff/48", "dev", "reals0", "nodad")
}

// richTable uses every scheduler the 6.1 kernel offers, all forwarding
// methods, fwmark, IPv6, UDP, SCTP, persistence with granularity,
// scheduler flags and thresholds.
func richTable() Table {
	t := Table{}
	for i, sched := range DefaultSchedulers() {
		s := tcp("10.0.0.1", uint16(8000+i), sched)
		t.Add(s, nat("10.1.0.1", 80, uint32(i+1)), nat("10.1.0.2", 80, 0))
	}
	sh := tcp("10.0.0.2", 80, "sh")
	sh.Flags = SchedFlag1 | SchedFlag2
	t.Add(sh, nat("10.1.0.1", 80, 1))
	p := tcp("10.0.0.2", 443, "wlc")
	p.Flags, p.Timeout, p.MaskBits = Persistent, 600, 24
	dr, tun, gue := nat("10.1.0.3", 443, 2), nat("10.1.0.4", 443, 3), nat("10.1.0.5", 443, 1)
	dr.Forward, tun.Forward, gue.Forward = DirectRoute, Tunnel, Tunnel
	gue.TunnelType, gue.TunnelPort, gue.TunnelFlags = GUE, 6080, TunnelChecksum
	th := nat("10.1.0.6", 443, 5)
	th.UpperThreshold, th.LowerThreshold = 100, 10
	t.Add(p, dr, tun, gue, th)
	u := tcp("10.0.0.3", 53, "rr")
	u.Protocol, u.Flags = UDP, OnePacket
	t.Add(u, nat("10.1.0.7", 53, 1))
	sc := tcp("10.0.0.3", 3868, "rr")
	sc.Protocol = SCTP
	t.Add(sc, nat("10.1.0.8", 3868, 1))
	t.Add(fwm(42, "wrr"), nat("10.1.0.9", 0, 4))
	t.Add(tcp("2001:db8::1", 80, "rr"), nat("2001:db8:1::2", 80, 1))
	f6 := fwm(43, "rr")
	f6.Family = INET6
	t.Add(f6, nat("2001:db8:1::3", 0, 1))
	return t
}

func guestRoundTrip(t *testing.T) {
	flushKernel(t)
	routeReals(t)
	n := dial(t)
	c := NewCounting(n)
	r := NewReconciler(c, Options{})
	want := richTable()
	res, err := r.Start(want)
	if err != nil {
		t.Fatal(err)
	}
	dests := 0
	for _, vs := range want {
		dests += len(vs.Dests)
	}
	if len(res.Ops) != len(want)+dests {
		t.Errorf("programming %d services and %d destinations took %d ops", len(want), dests, len(res.Ops))
	}
	sameTable(t, mustRead(t, n), want)
	sameTable(t, libraryRead(t, n), want)
	save := run(t, "ipvsadm", "-Sn")
	t.Logf("ipvsadm -Sn:\n%s", save)
	// ipvsadm -S does not print thresholds; compare without them.
	noThresholds := want.Clone()
	for _, vs := range noThresholds {
		for k, d := range vs.Dests {
			d.UpperThreshold, d.LowerThreshold = 0, 0
			vs.Dests[k] = d
		}
	}
	sameTable(t, parseIpvsadmSave(t, save), noThresholds)
	if ops := Plan(want, mustRead(t, n), PlanOptions{}); len(ops) != 0 {
		t.Errorf("kernel read-back still differs: %v", ops)
	}
}

func guestAdopt(t *testing.T) {
	flushKernel(t)
	routeReals(t)
	n := dial(t)
	want := richTable()
	if _, err := NewReconciler(n, Options{}).Start(want); err != nil {
		t.Fatal(err)
	}
	run(t, "ipvsadm", "-A", "-t", "10.0.0.9:22", "-s", "rr")
	c := NewCounting(n)
	r := NewReconciler(c, Options{})
	if _, err := r.Start(want); err != nil {
		t.Fatal(err)
	}
	if w := c.Counts().Writes; w != 0 {
		t.Fatalf("adopting an identical table wrote %d times", w)
	}
	if !strings.Contains(run(t, "ipvsadm", "-Sn"), "-A -t 10.0.0.9:22 -s rr") {
		t.Fatal("service not named by the config was removed")
	}
	if err := r.Stop(Release); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(run(t, "ipvsadm", "-Sn")); got != "-A -t 10.0.0.9:22 -s rr" {
		t.Fatalf("after release the kernel holds:\n%s", got)
	}
}

// logSignal is a slog handler forwarding messages to a channel.
type logSignal chan string

func (h logSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h logSignal) Handle(_ context.Context, r slog.Record) error {
	select {
	case h <- r.Message:
	default:
	}
	return nil
}
func (h logSignal) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logSignal) WithGroup(string) slog.Handler      { return h }

func guestDrift(t *testing.T) {
	flushKernel(t)
	routeReals(t)
	// The reconciler gets a netlink socket of its own; the test reads the
	// kernel through another, as an outside observer would.
	n := dial(t)
	msgs := make(logSignal, 100)
	r := NewReconciler(dial(t), Options{Logger: slog.New(msgs)})
	want := richTable()
	if _, err := r.Start(want); err != nil {
		t.Fatal(err)
	}
	const interval = time.Second
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.Run(ctx, interval) }()
	defer func() { cancel(); wg.Wait() }()

	run(t, "ipvsadm", "-d", "-t", "10.0.0.2:443", "-r", "10.1.0.3:443")
	run(t, "ipvsadm", "-e", "-t", "10.0.0.1:8000", "-r", "10.1.0.1:80", "-m", "-w", "77")
	start := time.Now()
	// Wait for the kernel to match again, polling it (the repair is
	// what is awaited; there is no event for "ipvsadm's change undone").
	deadline := time.Now().Add(10 * interval)
	for len(Plan(want, mustRead(t, n), PlanOptions{})) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no repair within %v:\n%s", 10*interval, run(t, "ipvsadm", "-Sn"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	repaired := false
	for len(msgs) > 0 {
		if <-msgs == "ipvs: repairing drift" {
			repaired = true
		}
	}
	if !repaired {
		t.Error("drift repaired without being logged")
	}
	t.Logf("drift repaired %v after ipvsadm changed the table (interval %v)", took.Round(time.Millisecond), interval)
	// One interval until the next tick, plus the tick's own read and
	// writes, which are slow under TCG on a busy host.
	if took > 3*interval {
		t.Errorf("repair took %v, more than one interval (%v) plus slack", took, interval)
	}
}

func webTable(l *natLab, weights ...uint32) Table {
	t := Table{}
	s := tcp(l.VIP, 80, "wrr")
	var ds []Destination
	for i, a := range l.Reals {
		ds = append(ds, nat(a, 80, weights[i]))
	}
	t.Add(s, ds...)
	return t
}

// load sends requests from the client until stopped and counts failures.
type load struct {
	ok, failed atomic.Int64
	firstErr   atomic.Value
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startLoad(t *testing.T, l *natLab) *load {
	ld := &load{stop: make(chan struct{})}
	ld.wg.Add(1)
	go func() {
		defer ld.wg.Done()
		for {
			select {
			case <-ld.stop:
				return
			default:
			}
			if _, err := l.get(t); err != nil {
				ld.failed.Add(1)
				ld.firstErr.CompareAndSwap(nil, err.Error())
			} else {
				ld.ok.Add(1)
			}
		}
	}()
	return ld
}

// waitFor waits until the load has made n more successful requests.
func (ld *load) waitFor(t *testing.T, n int64) {
	t.Helper()
	target := ld.ok.Load() + n
	deadline := time.Now().Add(30 * time.Second)
	for ld.ok.Load() < target {
		if time.Now().After(deadline) {
			t.Fatalf("load stalled at %d requests (%d failed)", ld.ok.Load(), ld.failed.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// finish stops the load and fails t if more than tolerated requests
// failed.
func (ld *load) finish(t *testing.T, tolerated int64) {
	t.Helper()
	close(ld.stop)
	ld.wg.Wait()
	t.Logf("load: %d requests ok, %d failed", ld.ok.Load(), ld.failed.Load())
	if f := ld.failed.Load(); f > tolerated {
		t.Errorf("%d requests failed (at most %d allowed), first: %v", f, tolerated, ld.firstErr.Load())
	}
}

func guestTraffic(t *testing.T) {
	flushKernel(t)
	start := time.Now()
	l := newNATLab(t, 3)
	t.Logf("lab built in %v", time.Since(start))
	n := dial(t)
	pool := NewPool()
	vs := VirtualServer{Name: "web", Services: []Service{tcp(l.VIP, 80, "wrr")}}
	for i, a := range l.Reals {
		vs.Reals = append(vs.Reals, RealServer{Dest: nat(a, 80, uint32(i+1))})
	}
	pool.SetConfig([]VirtualServer{vs})
	r := NewReconciler(n, Options{})
	if _, err := r.Start(pool.Desired()); err != nil {
		t.Fatal(err)
	}
	want := func(ws ...int) map[string]int {
		m := map[string]int{}
		for i, a := range l.Reals {
			m[a] = ws[i]
		}
		return m
	}
	check := func(got, want map[string]int) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("60 requests split %v, want %v", got, want)
		}
	}
	start = time.Now()
	check(l.counts(t, 60), want(10, 20, 30))
	t.Logf("60 requests in %v", time.Since(start))
	checkCounters(t, n, tcp(l.VIP, 80, "wrr").ServiceKey, l.Reals, 10, 20, 30)
	sameCountersAsLibrary(t, n)

	ld := startLoad(t, l)
	ld.waitFor(t, 10)
	c := NewCounting(n)
	r2 := NewReconciler(c, Options{})
	if _, err := r2.Start(pool.Desired()); err != nil {
		t.Fatal(err)
	}
	before := c.Counts().Writes
	pool.SetWeight("web", DestKey{netip.MustParseAddr(l.Reals[0]), 80}, 3)
	pool.SetWeight("web", DestKey{netip.MustParseAddr(l.Reals[2]), 80}, 1)
	if _, err := r2.Update(pool.Desired()); err != nil {
		t.Fatal(err)
	}
	if w := c.Counts().Writes - before; w != 2 {
		t.Errorf("two weight changes cost %d writes", w)
	}
	ld.waitFor(t, 10)
	// Weight changes must not fail a single request.
	ld.finish(t, 0)
	// A failed server leaves; its share goes to the others. The kernel
	// drops the packets of connections whose destination was deleted
	// (expire_nodest_conn=0, the default, as under keepalived), so the one
	// request the sequential load may have in flight to that server at
	// the moment of removal may fail; no other may.
	ld = startLoad(t, l)
	pool.SetUp("web", DestKey{netip.MustParseAddr(l.Reals[1]), 80}, false)
	if _, err := r2.Update(pool.Desired()); err != nil {
		t.Fatal(err)
	}
	ld.waitFor(t, 10)
	pool.SetUp("web", DestKey{netip.MustParseAddr(l.Reals[1]), 80}, true)
	if _, err := r2.Update(pool.Desired()); err != nil {
		t.Fatal(err)
	}
	ld.waitFor(t, 10)
	ld.finish(t, 1)
	check(l.counts(t, 60), want(30, 20, 10))
}

// checkCounters asserts that the kernel's counters, read through
// StatsReader, saw the requests just made: at least min[i] connections
// to reals[i] and, for the service, their sum, with packets and bytes in
// both directions (NAT sends replies back through the director).
//
// The kernel sums its per-CPU counters into what netlink reports only
// when its rate estimator runs (every 2 s), and offers no event for it:
// so the check polls, for up to 10 s. ipvsadm --stats lags the same way.
func checkCounters(t *testing.T, r StatsReader, svc ServiceKey, reals []string, min ...uint64) {
	t.Helper()
	var sum uint64
	for _, m := range min {
		sum += m
	}
	var problems []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		problems = problems[:0]
		stats, err := r.ServiceStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		st, ok := IndexStats(stats).Lookup(svc)
		if !ok {
			t.Fatalf("no counters for %s in %+v", svc, stats)
		}
		for i, a := range reals {
			c := st.Dests[DestKey{netip.MustParseAddr(a), 80}]
			if c.Connections < min[i] || c.InPackets == 0 || c.OutBytes == 0 {
				problems = append(problems, fmt.Sprintf("%s counters %+v, want at least %d connections and traffic both ways", a, c, min[i]))
			}
		}
		c := st.Counters
		if c.Connections < sum || c.InPackets < c.Connections || c.OutPackets == 0 || c.InBytes == 0 || c.OutBytes == 0 {
			problems = append(problems, fmt.Sprintf("service counters %+v, want at least %d connections and traffic both ways", c, sum))
		}
		if len(problems) == 0 {
			t.Logf("kernel counters of %s: %+v", svc, c)
			return
		}
		if time.Now().After(deadline) {
			for _, p := range problems {
				t.Error(p)
			}
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// reconcilerProcess is the body of the stand-alone reconciler process
// the restart test starts and kills: it programs the web table, reports
// how many writes that took, and repairs drift until killed.
func reconcilerProcess(t *testing.T) {
	var l natLab
	l.VIP = os.Getenv("LAB_VIP")
	l.Reals = strings.Split(os.Getenv("LAB_REALS"), ",")
	n, err := Dial()
	if err != nil {
		t.Fatal(err)
	}
	c := NewCounting(n)
	r := NewReconciler(c, Options{})
	if _, err := r.Start(webTable(&l, 1, 1, 1)); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("STARTED writes=%d\n", c.Counts().Writes)
	r.Run(context.Background(), 200*time.Millisecond)
}

// startReconcilerProcess starts the stand-alone reconciler and returns it
// once it reports its start-up writes.
func startReconcilerProcess(t *testing.T, l *natLab) (*exec.Cmd, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestVM$")
	cmd.Env = append(os.Environ(), envRole+"=reconciler", "LAB_VIP="+l.VIP, "LAB_REALS="+strings.Join(l.Reals, ","))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var w int
		if _, err := fmt.Sscanf(sc.Text(), "STARTED writes=%d", &w); err == nil {
			go func() { // drain so the child never blocks on a full pipe; ends with the child
				for sc.Scan() {
				}
			}()
			return cmd, w
		}
	}
	t.Fatalf("reconciler process ended before starting: %v", errors.Join(sc.Err(), cmd.Wait()))
	return nil, 0
}

func guestRestart(t *testing.T) {
	flushKernel(t)
	l := newNATLab(t, 3)
	first, w := startReconcilerProcess(t, l)
	if w != 4 {
		t.Fatalf("programming an empty kernel took %d writes, want 4", w)
	}
	ld := startLoad(t, l)
	ld.waitFor(t, 15)
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	ld.waitFor(t, 15)
	_, w = startReconcilerProcess(t, l)
	if w != 0 {
		t.Errorf("restarted reconciler wrote %d times instead of adopting the table", w)
	}
	ld.waitFor(t, 15)
	ld.finish(t, 0)
}

func guestSyncDaemon(t *testing.T) {
	run(t, "ip", "link", "add", "vsync0", "type", "veth", "peer", "name", "vsync1")
	t.Cleanup(func() { exec.Command("ip", "link", "del", "vsync0").Run() })
	run(t, "ip", "addr", "add", "192.168.200.1/24", "dev", "vsync0")
	run(t, "ip", "link", "set", "vsync0", "up")
	run(t, "ip", "link", "set", "vsync1", "up")
	n := dial(t)
	d := SyncDaemon{Interface: "vsync0", SyncID: 7}
	t.Cleanup(func() { n.StopSyncDaemon(SyncMaster); n.StopSyncDaemon(SyncBackup) })
	for _, step := range []struct {
		master bool
		want   string
	}{
		{false, "backup sync daemon (mcast=vsync0, syncid=7,"},
		{true, "master sync daemon (mcast=vsync0, syncid=7,"},
		{true, "master sync daemon (mcast=vsync0, syncid=7,"},
		{false, "backup sync daemon (mcast=vsync0, syncid=7,"},
	} {
		if err := FollowVRRP(n, d, step.master); err != nil {
			t.Fatal(err)
		}
		got := strings.TrimSpace(run(t, "ipvsadm", "-L", "--daemon"))
		// Exactly one daemon, in the wanted role (the kernel adds its
		// defaults for maxlen, group, port and ttl).
		if strings.Contains(got, "\n") || !strings.HasPrefix(got, step.want) {
			t.Fatalf("master=%v: ipvsadm --daemon says %q, want one line starting %q", step.master, got, step.want)
		}
	}
}

func guestTimeouts(t *testing.T) {
	flushKernel(t)
	r := NewReconciler(dial(t), Options{Timeouts: Timeouts{TCP: 901, TCPFin: 121, UDP: 301}})
	if _, err := r.Start(Table{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exec.Command("ipvsadm", "--set", "900", "120", "300").Run() })
	if got, want := strings.TrimSpace(run(t, "ipvsadm", "-L", "--timeout")), "Timeout (tcp tcpfin udp): 901 121 301"; got != want {
		t.Fatalf("ipvsadm --timeout says %q, want %q", got, want)
	}
}

// fromLib and destFromLib convert the library's types back, for
// libraryRead (alived itself reads through its own decoder).
func fromLib(s cfipvs.Service) Service {
	out := Service{
		ServiceKey: ServiceKey{Family: Family(s.Family), FWMark: s.FWMark},
		Scheduler:  s.Scheduler,
		Flags:      Flags(s.Flags),
		Timeout:    s.Timeout,
	}
	if s.FWMark == 0 {
		out.Protocol, out.Addr, out.Port = Protocol(s.Protocol), s.Address, s.Port
	}
	if b := s.Netmask.Bits(); b > 0 {
		out.MaskBits = b
	}
	return out
}

func destFromLib(d cfipvs.Destination) Destination {
	addr := d.Address
	if addr.Is4In6() {
		addr = netip.AddrFrom4(addr.As4())
	}
	return Destination{
		DestKey:        DestKey{Addr: addr, Port: d.Port},
		Forward:        Forward(d.FwdMethod),
		Weight:         d.Weight,
		UpperThreshold: d.UpperThreshold,
		LowerThreshold: d.LowerThreshold,
		TunnelType:     TunnelType(d.TunnelType),
		TunnelPort:     d.TunnelPort,
		TunnelFlags:    TunnelFlags(d.TunnelFlags),
	}
}

// libraryRead reads the table through github.com/cloudflare/ipvs, the
// reference for the package's own dump decoder.
func libraryRead(t *testing.T, n *Netlink) Table {
	t.Helper()
	svcs, err := n.c.Services()
	if err != nil {
		t.Fatal(err)
	}
	out := Table{}
	for _, s := range svcs {
		ds, err := n.c.Destinations(s.Service)
		if err != nil {
			t.Fatal(err)
		}
		var dests []Destination
		for _, d := range ds {
			dests = append(dests, destFromLib(d.Destination))
		}
		out.Add(fromLib(s.Service), dests...)
	}
	return out
}

// sameCountersAsLibrary compares the decoder's counters with the
// library's for the same (idle) table. The kernel folds its per-CPU
// counters in every 2 s, so a fold between the two reads is retried.
func sameCountersAsLibrary(t *testing.T, n *Netlink) {
	t.Helper()
	lib := func() map[string]Counters {
		m := map[string]Counters{}
		svcs, err := n.c.Services()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range svcs {
			k := fromLib(s.Service).ServiceKey
			c := Counters{Connections: s.Stats64.Connections, InPackets: s.Stats64.IncomingPackets, OutPackets: s.Stats64.OutgoingPackets,
				InBytes: s.Stats64.IncomingBytes, OutBytes: s.Stats64.OutgoingBytes}
			ds, err := n.c.Destinations(s.Service)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				dc := Counters{Connections: d.Stats64.Connections, InPackets: d.Stats64.IncomingPackets, OutPackets: d.Stats64.OutgoingPackets,
					InBytes: d.Stats64.IncomingBytes, OutBytes: d.Stats64.OutgoingBytes,
					ActiveConns: uint64(d.ActiveConnections), InactiveConns: uint64(d.InactiveConnections)}
				c.ActiveConns += dc.ActiveConns
				c.InactiveConns += dc.InactiveConns
				m[k.String()+" "+destFromLib(d.Destination).DestKey.String()] = dc
			}
			m[k.String()] = c
		}
		return m
	}
	ours := func() map[string]Counters {
		_, st, err := n.ReadTableStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]Counters{}
		for _, s := range st {
			m[s.Key.String()] = s.Counters
			for dk, c := range s.Dests {
				m[s.Key.String()+" "+dk.String()] = c
			}
		}
		return m
	}
	for attempt := 0; ; attempt++ {
		a, b := lib(), ours()
		if fmt.Sprint(a) == fmt.Sprint(b) {
			t.Logf("decoder and library agree on %d counter sets", len(a))
			return
		}
		if attempt == 3 {
			t.Errorf("counters differ:\nlibrary %v\ndecoder %v", a, b)
			return
		}
	}
}
