package lvs

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alived/alived/ipvs"
)

// Check timing shared by the loopback tests: a failure is confirmed after
// one retry, so a dead server is down within delay_loop + delay_before_retry
// plus the probe itself (a refused connect returns at once).
const (
	delayLoop        = 200 * time.Millisecond
	delayBeforeRetry = 100 * time.Millisecond
	retries          = 1
	// margin absorbs scheduling on a loaded two-core machine.
	margin = 1500 * time.Millisecond
)

var timing = fmt.Sprintf("delay_loop %g\n delay_before_retry %g\n retry %d\n warmup 0\n connect_timeout 0.5\n",
	delayLoop.Seconds(), delayBeforeRetry.Seconds(), retries)

func downBound() time.Duration { return delayLoop + retries*delayBeforeRetry + margin }

func TestFailedServerRemovedAndRestored(t *testing.T) {
	tcp := newTCPServer(t)
	web := newHTTPServer(t)
	conf := fmt.Sprintf(`
virtual_server 10.0.0.1 80 {
 %s
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 127.0.0.1 %d {
  weight 2
  TCP_CHECK { }
 }
 real_server 127.0.0.1 %d {
  weight 3
  HTTP_GET {
   url { path /health
         status_code 200 }
  }
 }
}
`, timing, tcp.addr.Port(), web.addr.Port())
	r := startRig(t, conf, nil)
	both := at(tcp.addr, 2) + " " + at(web.addr, 3)
	r.waitDests("TCP 10.0.0.1:80", both, time.Second)

	tcp.stop()
	took := r.waitDests("TCP 10.0.0.1:80", at(web.addr, 3), downBound())
	t.Logf("TCP server removed %v after it stopped answering", took)

	tcp.start()
	r.waitDests("TCP 10.0.0.1:80", both, delayLoop+margin)

	web.status.Store(500)
	r.waitDests("TCP 10.0.0.1:80", at(tcp.addr, 2), downBound())
	snap := r.snapshot()
	rs := snap.VirtualServers[0].RealServers[1]
	if rs.Up || rs.InTable || !strings.Contains(rs.LastError, "500") {
		t.Errorf("snapshot of failed HTTP server = %+v, want down, out of table, error naming status 500", rs)
	}
	if rs.CheckDuration <= 0 || rs.Checks[0].Runs < 2 {
		t.Errorf("snapshot of failed HTTP server has no probe timing: %+v", rs)
	}
	web.status.Store(200)
	r.waitDests("TCP 10.0.0.1:80", both, delayLoop+margin)
}

func TestInhibitOnFailureKeepsServerAtWeightZero(t *testing.T) {
	tcp := newTCPServer(t)
	other := newTCPServer(t)
	conf := fmt.Sprintf(`
virtual_server 10.0.0.1 80 {
 %s
 lvs_sched wrr
 lvs_method NAT
 protocol TCP
 inhibit_on_failure
 real_server 127.0.0.1 %d {
  weight 5
  TCP_CHECK { }
 }
 real_server 127.0.0.1 %d {
  TCP_CHECK { }
 }
}
`, timing, tcp.addr.Port(), other.addr.Port())
	r := startRig(t, conf, nil)
	key := "TCP 10.0.0.1:80"
	r.waitDests(key, at(tcp.addr, 5)+" "+at(other.addr, 1), time.Second)
	tcp.stop()
	r.waitDests(key, at(tcp.addr, 0)+" "+at(other.addr, 1), downBound())
	snap := r.snapshot().VirtualServers[0].RealServers[0]
	if snap.ConfiguredWeight != 5 || snap.EffectiveWeight != 0 || !snap.InTable || snap.Up {
		t.Errorf("inhibited server snapshot = %+v, want configured 5, effective 0, in table, down", snap)
	}
	tcp.start()
	r.waitDests(key, at(tcp.addr, 5)+" "+at(other.addr, 1), delayLoop+margin)
}

func TestQuorumSorryServerScriptsAndFIFO(t *testing.T) {
	a := newTCPServer(t)
	b := newTCPServer(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "notes")
	script := noteScript(t, dir, out)
	fifo := filepath.Join(dir, "lvs.fifo")
	conf := fmt.Sprintf(`
global_defs {
 router_id lb1
 lvs_notify_fifo %[5]s
}
virtual_server 10.0.0.2 80 {
 %[1]s
 lvs_sched wrr
 lvs_method NAT
 protocol TCP
 quorum 2
 quorum_up "%[4]s quorum_up"
 quorum_down "%[4]s quorum_down"
 sorry_server 192.0.2.99 80
 real_server 127.0.0.1 %[2]d {
  notify_up "%[4]s rs_up A"
  notify_down "%[4]s rs_down A"
  TCP_CHECK { }
 }
 real_server 127.0.0.1 %[3]d {
  TCP_CHECK { }
 }
}
`, timing, a.addr.Port(), b.addr.Port(), script, fifo)
	r := startRig(t, conf, nil)
	lines := readFIFO(t, fifo)
	key := "TCP 10.0.0.2:80"
	pool := at(a.addr, 1) + " " + at(b.addr, 1)
	r.waitDests(key, pool, time.Second)

	a.stop()
	// Weight 1 < quorum 2: the sorry server replaces the whole pool.
	r.waitDests(key, "192.0.2.99:80=1", downBound())
	waitFile(t, out, 5*time.Second, "rs_down A", "quorum_down")
	rsLine := fmt.Sprintf("RS [127.0.0.1]:tcp:%d [10.0.0.2]:tcp:80", a.addr.Port())
	lines.wait(t, 5*time.Second, rsLine+" DOWN", "VS [10.0.0.2]:tcp:80 DOWN")
	if s := r.snapshot().VirtualServers[0]; s.QuorumUp || !s.SorryActive || s.WeightSum != 1 {
		t.Errorf("snapshot = %+v, want quorum down, sorry server active, weight sum 1", s)
	}

	a.start()
	r.waitDests(key, pool, delayLoop+margin)
	notes := waitFile(t, out, 5*time.Second, "rs_up A", "quorum_up")
	lines.wait(t, 5*time.Second, rsLine+" UP", "VS [10.0.0.2]:tcp:80 UP")
	want := []string{"rs_down A", "quorum_down", "rs_up A", "quorum_up"}
	// Order per server is guaranteed (one queue per key); across the real
	// server and the virtual server only that each ran once.
	for _, w := range want {
		if n := strings.Count(notes, w+"\n"); n != 1 {
			t.Errorf("%q ran %d times, want once; notes:\n%s", w, n, notes)
		}
	}
	if i, j := strings.Index(notes, "rs_down A"), strings.Index(notes, "rs_up A"); i > j {
		t.Errorf("notify_up ran before notify_down:\n%s", notes)
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// opRecorder observes every mutation the fake kernel receives.
type opRecorder struct {
	mu  sync.Mutex
	ops []string
}

func (o *opRecorder) hook(op ipvs.Op) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ops = append(o.ops, op.String())
	return nil
}

func (o *opRecorder) take() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	ops := o.ops
	o.ops = nil
	return ops
}

func TestReloadAddsRealServerWithoutTouchingOthers(t *testing.T) {
	a := newTCPServer(t)
	dead := newTCPServer(t)
	dead.stop()
	c := newTCPServer(t)
	added := newTCPServer(t)
	vs := func(extra string) string {
		return fmt.Sprintf(`
virtual_server 10.0.0.1 80 {
 %[1]s
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 127.0.0.1 %[2]d {
  TCP_CHECK { }
 }
 real_server 127.0.0.1 %[3]d {
  TCP_CHECK { }
 }
 %[5]s
}
virtual_server 10.0.0.3 80 {
 %[1]s
 lvs_sched wlc
 lvs_method NAT
 protocol TCP
 real_server 127.0.0.1 %[4]d {
  TCP_CHECK { }
 }
}
`, timing, a.addr.Port(), dead.addr.Port(), c.addr.Port(), extra)
	}
	r := startRig(t, vs(""), nil)
	r.waitDests("TCP 10.0.0.1:80", at(a.addr, 1), downBound())
	r.waitDests("TCP 10.0.0.3:80", at(c.addr, 1), time.Second)
	before := r.snapshot()

	rec := &opRecorder{}
	r.fake.FailWith(rec.hook)
	err := r.reload(vs(fmt.Sprintf("real_server 127.0.0.1 %d {\n TCP_CHECK { }\n}", added.addr.Port())))
	if err != nil {
		t.Fatal(err)
	}
	ops := rec.take()
	if len(ops) != 1 || !strings.Contains(ops[0], "10.0.0.1:80") || !strings.Contains(ops[0], fmt.Sprint(added.addr.Port())) {
		t.Fatalf("reload ops = %q, want exactly one destination added to 10.0.0.1:80", ops)
	}
	r.waitDests("TCP 10.0.0.1:80", at(a.addr, 1)+" "+at(added.addr, 1), time.Second)

	// The failed server stays down (its checker kept its state), and the
	// untouched service's checker kept counting.
	after := r.snapshot()
	for _, rs := range after.VirtualServers[0].RealServers {
		if rsKey(rs) == fmt.Sprintf("127.0.0.1:%d", dead.addr.Port()) && rs.Up {
			t.Errorf("reload reset the failed server to up: %+v", rs)
		}
	}
	if b, a := before.VirtualServers[1].RealServers[0].Checks[0].Runs, after.VirtualServers[1].RealServers[0].Checks[0].Runs; a < b {
		t.Errorf("untouched server's check restarted: runs %d before, %d after", b, a)
	}
	if got := rec.take(); len(got) != 0 {
		t.Errorf("ops after the reload settled: %q", got)
	}
}

func TestAlphaServerStartsDown(t *testing.T) {
	up := newTCPServer(t)
	dead := newTCPServer(t)
	dead.stop()
	dir := t.TempDir()
	out := filepath.Join(dir, "notes")
	script := noteScript(t, dir, out)
	conf := fmt.Sprintf(`
virtual_server 10.0.0.4 80 {
 %s
 alpha
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 127.0.0.1 %d {
  TCP_CHECK { }
 }
 real_server 127.0.0.1 %d {
  notify_down "%s down"
  TCP_CHECK { }
 }
}
`, timing, up.addr.Port(), dead.addr.Port(), script)
	r := startRig(t, conf, nil)
	r.waitDests("TCP 10.0.0.4:80", at(up.addr, 1), time.Second)
	deadline := time.Now().Add(downBound())
	for {
		rs := r.snapshot().VirtualServers[0].RealServers[1]
		if rs.InTable || rs.Up {
			t.Fatalf("alpha server that never passed a check is in use: %+v", rs)
		}
		if rs.Checks[0].Runs >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dead server's check did not run 3 times: %+v", rs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if b, err := os.ReadFile(out); err == nil {
		t.Errorf("alpha server starting down ran notify_down: %q", b)
	}
}

func TestStopOmegaAndRelease(t *testing.T) {
	for _, tc := range []struct {
		name     string
		keep     bool
		flush    string
		wantKeys []string
	}{
		{name: "release", wantKeys: []string{"UDP 192.0.2.1:53"}},
		{name: "dont-release", keep: true, wantKeys: []string{"TCP 10.0.0.5:80", "UDP 192.0.2.1:53"}},
		{name: "lvs_flush_on_stop", flush: "lvs_flush_on_stop", wantKeys: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newTCPServer(t)
			dir := t.TempDir()
			out := filepath.Join(dir, "notes")
			script := noteScript(t, dir, out)
			conf := fmt.Sprintf(`
global_defs {
 %[4]s
}
virtual_server 10.0.0.5 80 {
 %[1]s
 omega
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 quorum_down "%[3]s quorum_down"
 real_server 127.0.0.1 %[2]d {
  notify_down "%[3]s rs_down"
  TCP_CHECK { }
 }
}
`, timing, a.addr.Port(), script, tc.flush)
			loop := newTestLoop(t)
			fake := ipvs.NewFake()
			// A service alived does not own (another tool's).
			foreign := ipvs.Table{}
			foreign.Add(ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.UDP,
				Addr: mustAddr("192.0.2.1"), Port: 53}, Scheduler: "rr"})
			if _, err := ipvs.Apply(fake, ipvs.Plan(foreign, ipvs.Table{}, ipvs.PlanOptions{})); err != nil {
				t.Fatal(err)
			}
			cfg := loadConfig(t, dir, conf)
			sub, err := New(Options{Post: loop.post, Client: fake, KeepIPVS: tc.keep})
			if err != nil {
				t.Fatal(err)
			}
			loop.do(func() { err = sub.Start(time.Now(), cfg) })
			if err != nil {
				t.Fatal(err)
			}
			r := &rig{t: t, loop: loop, fake: fake, sub: sub}
			r.waitDests("TCP 10.0.0.5:80", at(a.addr, 1), time.Second)
			loop.do(func() { sub.Stop(time.Now()) })
			// The notifier is closed by Stop after its scripts finished.
			b, _ := os.ReadFile(out)
			if got := strings.Fields(string(b)); !slices.Contains(got, "rs_down") || !slices.Contains(got, "quorum_down") {
				t.Errorf("omega at stop ran %q, want rs_down and quorum_down", got)
			}
			var keys []string
			for _, k := range fake.Snapshot().Keys() {
				keys = append(keys, k.String())
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tc.wantKeys) {
				t.Errorf("kernel after stop holds %q, want %q", keys, tc.wantKeys)
			}
		})
	}
}

func TestNoVirtualServersNeedsNoIPVS(t *testing.T) {
	loop := newTestLoop(t)
	cfg := loadConfig(t, t.TempDir(), "global_defs {\n router_id lb1\n}\n")
	// No Client: with virtual servers this would dial netlink, which a
	// host without the ip_vs module (or without root) refuses.
	sub, err := New(Options{Post: loop.post})
	if err != nil {
		t.Fatal(err)
	}
	loop.do(func() { err = sub.Start(time.Now(), cfg) })
	if err != nil {
		t.Fatalf("start without virtual servers: %v", err)
	}
	var snap Snapshot
	loop.do(func() { snap = sub.snapshot(); sub.Stop(time.Now()) })
	if len(snap.VirtualServers) != 0 || snap.LastError != "" {
		t.Errorf("snapshot = %+v", snap)
	}
}

func TestFailedKernelUpdateIsRetried(t *testing.T) {
	a := newTCPServer(t)
	b := newTCPServer(t)
	conf := fmt.Sprintf(`
virtual_server 10.0.0.7 80 {
 %s
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 127.0.0.1 %d {
  TCP_CHECK { }
 }
 real_server 127.0.0.1 %d {
  TCP_CHECK { }
 }
}
`, timing, a.addr.Port(), b.addr.Port())
	r := startRig(t, conf, func(o *Options) { o.RetryInterval = time.Hour })
	key := "TCP 10.0.0.7:80"
	r.waitDests(key, at(a.addr, 1)+" "+at(b.addr, 1), time.Second)
	failed := make(chan struct{}, 1)
	r.fake.FailWith(func(op ipvs.Op) error {
		select {
		case failed <- struct{}{}:
		default:
		}
		return errors.New("injected: netlink busy")
	})
	a.stop()
	select {
	case <-failed:
	case <-time.After(downBound()):
		t.Fatal("no kernel update attempted after the server failed")
	}
	var snap Snapshot
	var next time.Time
	// The published snapshot (cached between changes) shows the failure
	// at once: a failed update marks it stale.
	// The retry's own deadline (NextDeadline also wakes the loop to
	// republish counters; see republishAt).
	var wake time.Time
	r.loop.do(func() { snap, next, wake = r.sub.Snapshot().(Snapshot), r.sub.retryAt, r.sub.NextDeadline() })
	if !snap.Retrying || !strings.Contains(snap.LastError, "injected") || next.IsZero() || wake.After(next) {
		t.Fatalf("after a failed update: snapshot %+v, next deadline %v; want retrying with the error", snap, next)
	}
	r.fake.FailWith(nil)
	r.loop.do(func() { r.sub.Tick(next) })
	// Tick applied synchronously on the loop: no waiting needed.
	if got, want := r.dests(key), normDests(at(b.addr, 1)); got != want {
		t.Errorf("after retry: %q, want %q", got, want)
	}
	r.loop.do(func() { snap, next = r.sub.Snapshot().(Snapshot), r.sub.retryAt })
	if snap.Retrying || !next.IsZero() {
		t.Errorf("still retrying after a successful update: %+v", snap)
	}
}

func TestRSInitNotifies(t *testing.T) {
	a := newTCPServer(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "notes")
	script := noteScript(t, dir, out)
	conf := fmt.Sprintf(`
global_defs {
 rs_init_notifies
}
virtual_server 10.0.0.8 80 {
 %s
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 127.0.0.1 %d {
  notify_up "%s init_up"
  TCP_CHECK { }
 }
}
`, timing, a.addr.Port(), script)
	startRig(t, conf, nil)
	if notes := waitFile(t, out, 5*time.Second, "init_up"); strings.Count(notes, "init_up") != 1 {
		t.Errorf("notify_up at start ran %q, want once", notes)
	}
}

func TestReloadRemovingServerWithOmegaNotifies(t *testing.T) {
	a := newTCPServer(t)
	b := newTCPServer(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "notes")
	script := noteScript(t, dir, out)
	conf := func(withA bool) string {
		ra := ""
		if withA {
			ra = fmt.Sprintf("real_server 127.0.0.1 %d {\n notify_down \"%s gone A\"\n TCP_CHECK { }\n}", a.addr.Port(), script)
		}
		return fmt.Sprintf(`
virtual_server 10.0.0.9 80 {
 %s
 omega
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 %s
 real_server 127.0.0.1 %d {
  TCP_CHECK { }
 }
}
`, timing, ra, b.addr.Port())
	}
	r := startRig(t, conf(true), nil)
	key := "TCP 10.0.0.9:80"
	r.waitDests(key, at(a.addr, 1)+" "+at(b.addr, 1), time.Second)
	if err := r.reload(conf(false)); err != nil {
		t.Fatal(err)
	}
	if got, want := r.dests(key), normDests(at(b.addr, 1)); got != want {
		t.Errorf("after reload: %q, want %q", got, want)
	}
	// omega: a live server removed by a reload gets its notify_down.
	waitFile(t, out, 5*time.Second, "gone A")
}

func TestMiscDynamicWeight(t *testing.T) {
	dir := t.TempDir()
	status := filepath.Join(dir, "status")
	writeFile(t, status, "12\n", 0o644)
	check := filepath.Join(dir, "check.sh")
	writeFile(t, check, "#!/bin/sh\nexit $(cat "+status+")\n", 0o755)
	conf := fmt.Sprintf(`
virtual_server 10.0.0.10 80 {
 %s
 lvs_sched wrr
 lvs_method NAT
 protocol TCP
 real_server 10.1.0.1 80 {
  weight 7
  MISC_CHECK {
   misc_path "%s"
   misc_dynamic
   misc_timeout 2
  }
 }
}
`, timing, check)
	r := startRig(t, conf, nil)
	key := "TCP 10.0.0.10:80"
	// misc_dynamic: exit status N ≥ 2 passes and sets the weight to N-2.
	r.waitDests(key, "10.1.0.1:80=10", 5*time.Second)
	writeAtomic(t, status, "5\n")
	r.waitDests(key, "10.1.0.1:80=3", 5*time.Second)
	if s := r.snapshot().VirtualServers[0].RealServers[0]; s.ConfiguredWeight != 7 || s.HealthWeight != 3 || s.EffectiveWeight != 3 {
		t.Errorf("snapshot = %+v, want configured 7, weight and effective weight 3", s)
	}
	writeAtomic(t, status, "1\n")
	r.waitDests(key, "", 5*time.Second)
}

// writeAtomic replaces path's content in one step, so a reader never sees
// it empty.
func writeAtomic(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".new"
	writeFile(t, tmp, content, 0o644)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
