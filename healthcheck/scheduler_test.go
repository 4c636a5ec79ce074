package healthcheck

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// scripted is a fake checker returning results from a script; after the
// script ends it repeats the last result. Each failure names its call.
type scripted struct {
	mu     sync.Mutex
	script []bool // true = pass
	weight []WeightChange
	calls  int
	times  []time.Time
}

func (s *scripted) Kind() Kind { return KindTCP }

func (s *scripted) Check(context.Context) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.times = append(s.times, time.Now())
	i := min(s.calls, len(s.script)) - 1
	r := Result{}
	if len(s.weight) > 0 {
		r.Weight = s.weight[min(s.calls, len(s.weight))-1]
	}
	if !s.script[i] {
		r.Err = fmt.Errorf("fail #%d", s.calls)
	}
	return r
}

// startScheduler runs a scheduler until the test ends and collects its
// transitions.
func startScheduler(t *testing.T, o Options) (*Scheduler, <-chan Transition) {
	t.Helper()
	ch := make(chan Transition, 1000)
	o.OnTransition = func(tr Transition) { ch <- tr }
	if o.Rand == nil {
		o.Rand = rand.New(rand.NewPCG(1, 2))
	}
	s, err := NewScheduler(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		if err := s.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return s, ch
}

func next(t *testing.T, ch <-chan Transition) Transition {
	t.Helper()
	select {
	case tr := <-ch:
		return tr
	case <-time.After(3 * time.Second):
		t.Fatal("no transition within 3s")
		return Transition{}
	}
}

func fast(retry int) Timing {
	return Timing{DelayLoop: 10 * time.Millisecond, ConnectTimeout: 100 * time.Millisecond,
		Retry: retry, DelayBeforeRetry: time.Millisecond}
}

func TestSchedulerRetryThenDownThenUp(t *testing.T) {
	s, ch := startScheduler(t, Options{})
	c := &scripted{script: []bool{true, false, false, false, true}}
	st, err := s.Add(RealServer{VirtualServer: "vs1", RealServer: "rs1", Weight: 3,
		Checks: []CheckSpec{{Name: "TCP_CHECK#1", Checker: c, Timing: fast(2)}}})
	if err != nil {
		t.Fatal(err)
	}
	if st != (State{Up: true, Weight: 3}) {
		t.Fatalf("initial state %+v", st)
	}
	down := next(t, ch)
	if !down.Down() || down.VirtualServer != "vs1" || down.RealServer != "rs1" || down.Check != "TCP_CHECK#1" || down.Kind != KindTCP {
		t.Fatalf("first transition %+v, want rs1 down", down)
	}
	// retry 2: failures #2 and #3 are retries, #4 takes it down.
	if !strings.Contains(down.Reason, "fail #4") {
		t.Errorf("down reason %q, want the fourth call's failure", down.Reason)
	}
	up := next(t, ch)
	if !up.Up() || up.To != (State{Up: true, Weight: 3}) {
		t.Fatalf("second transition %+v, want up with weight 3", up)
	}
	select {
	case tr := <-ch:
		t.Fatalf("unexpected transition %+v", tr)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestSchedulerAlphaStartsDown(t *testing.T) {
	s, ch := startScheduler(t, Options{})
	tm := fast(1)
	tm.Alpha = true
	st, err := s.Add(RealServer{RealServer: "rs", Weight: 1, Checks: []CheckSpec{{Name: "c", Checker: &scripted{script: []bool{true}}, Timing: tm}}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Up {
		t.Fatal("alpha server starts up")
	}
	if tr := next(t, ch); !tr.Up() {
		t.Fatalf("got %+v, want up", tr)
	}
}

func TestSchedulerAllChecksMustPass(t *testing.T) {
	s, ch := startScheduler(t, Options{})
	good := &scripted{script: []bool{true}}
	bad := &scripted{script: []bool{true, true, false}}
	s.Add(RealServer{RealServer: "rs", Weight: 1, Checks: []CheckSpec{
		{Name: "good", Checker: good, Timing: fast(0)}, {Name: "bad", Checker: bad, Timing: fast(0)}}})
	tr := next(t, ch)
	if !tr.Down() || tr.Check != "bad" {
		t.Fatalf("got %+v, want down caused by check bad", tr)
	}
	select {
	case tr := <-ch:
		t.Fatalf("passes of the good check must not bring the server up: %+v", tr)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestSchedulerDynamicWeight(t *testing.T) {
	s, ch := startScheduler(t, Options{})
	c := &scripted{script: []bool{true}, weight: []WeightChange{{}, {Mode: WeightSet, Value: 7}}}
	s.Add(RealServer{RealServer: "rs", Weight: 1, Checks: []CheckSpec{{Name: "misc", Checker: c, Timing: fast(0)}}})
	tr := next(t, ch)
	if tr.From != (State{true, 1}) || tr.To != (State{true, 7}) || !strings.Contains(tr.Reason, "weight") {
		t.Fatalf("got %+v, want weight 1 -> 7", tr)
	}
}

type panicky struct{}

func (panicky) Kind() Kind                   { return KindMisc }
func (panicky) Check(context.Context) Result { panic("boom") }

func TestSchedulerSurvivesPanickingChecker(t *testing.T) {
	s, ch := startScheduler(t, Options{})
	s.Add(RealServer{RealServer: "rs", Weight: 1, Checks: []CheckSpec{{Name: "p", Checker: panicky{}, Timing: fast(0)}}})
	if tr := next(t, ch); !tr.Down() || !strings.Contains(tr.Reason, "panicked: boom") {
		t.Fatalf("got %+v", tr)
	}
}

func TestSchedulerOmega(t *testing.T) {
	ch := make(chan Transition, 10)
	s, err := NewScheduler(Options{OnTransition: func(tr Transition) { ch <- tr }})
	if err != nil {
		t.Fatal(err)
	}
	slow := Timing{DelayLoop: time.Hour, ConnectTimeout: time.Second, Warmup: 0}
	for _, name := range []string{"a", "b", "plain"} {
		if _, err := s.Add(RealServer{VirtualServer: "vs", RealServer: name, Weight: 2, Omega: name != "plain",
			Checks: []CheckSpec{{Name: "c", Checker: &scripted{script: []bool{true}}, Timing: slow}}}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	if !s.Remove("vs", "a") || s.Remove("vs", "a") {
		t.Fatal("Remove reports the wrong presence")
	}
	tr := next(t, ch)
	if tr.RealServer != "a" || !tr.Down() || !strings.Contains(tr.Reason, "omega") {
		t.Fatalf("after Remove: %+v", tr)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	tr = next(t, ch)
	if tr.RealServer != "b" || !tr.Down() {
		t.Fatalf("at shutdown: %+v", tr)
	}
	select {
	case tr := <-ch:
		t.Fatalf("server without omega reported: %+v", tr)
	default:
	}
}

func TestSchedulerAddValidation(t *testing.T) {
	s, _ := startScheduler(t, Options{})
	ok := CheckSpec{Name: "c", Checker: &scripted{script: []bool{true}}, Timing: fast(0)}
	if _, err := s.Add(RealServer{RealServer: "rs", Checks: []CheckSpec{ok}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(RealServer{RealServer: "rs", Checks: []CheckSpec{ok}}); err == nil {
		t.Error("duplicate real server accepted")
	}
	if _, err := s.Add(RealServer{RealServer: "x", Checks: []CheckSpec{{Name: "nil"}}}); err == nil {
		t.Error("nil checker accepted")
	}
	if _, err := s.Add(RealServer{RealServer: "y", Checks: []CheckSpec{{Name: "t", Checker: ok.Checker}}}); err == nil {
		t.Error("zero timing accepted")
	}
	if _, err := NewScheduler(Options{}); err == nil {
		t.Error("scheduler without OnTransition accepted")
	}
}

// blocker holds every probe until its deadline and records concurrency.
type blocker struct {
	cur, peak, total atomic.Int32
}

func (b *blocker) Kind() Kind { return KindTCP }
func (b *blocker) Check(ctx context.Context) Result {
	n := b.cur.Add(1)
	b.total.Add(1)
	for {
		p := b.peak.Load()
		if n <= p || b.peak.CompareAndSwap(p, n) {
			break
		}
	}
	<-ctx.Done()
	b.cur.Add(-1)
	return fail(ctx.Err())
}

func TestSchedulerBoundsConcurrency(t *testing.T) {
	s, _ := startScheduler(t, Options{MaxConcurrent: 4})
	b := &blocker{}
	tm := Timing{DelayLoop: 5 * time.Millisecond, ConnectTimeout: 20 * time.Millisecond}
	for i := 0; i < 40; i++ {
		s.Add(RealServer{RealServer: fmt.Sprint(i), Checks: []CheckSpec{{Name: "b", Checker: b, Timing: tm}}})
	}
	deadline := time.Now().Add(3 * time.Second)
	for b.total.Load() < 40 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling a counter; there is no event to await
	}
	if got := b.total.Load(); got < 40 {
		t.Fatalf("only %d probes ran: queued checks starve", got)
	}
	if p := b.peak.Load(); p != 4 {
		t.Fatalf("peak concurrency %d, want exactly the bound 4", p)
	}
}

func TestSchedulerWarmupSpreadsFirstRuns(t *testing.T) {
	s, _ := startScheduler(t, Options{})
	const n = 200
	warm := 300 * time.Millisecond
	tm := Timing{DelayLoop: time.Hour, ConnectTimeout: time.Second, Warmup: warm}
	start := time.Now()
	cs := make([]*scripted, n)
	for i := range cs {
		cs[i] = &scripted{script: []bool{true}}
		s.Add(RealServer{RealServer: fmt.Sprint(i), Checks: []CheckSpec{{Name: "c", Checker: cs[i], Timing: tm}}})
	}
	immediate := &scripted{script: []bool{true}}
	s.Add(RealServer{RealServer: "nowarm", Checks: []CheckSpec{{Name: "c", Checker: immediate, Timing: Timing{DelayLoop: time.Hour, ConnectTimeout: time.Second}}}})
	time.Sleep(warm + 500*time.Millisecond) // the property under test is when runs happen
	var first, last time.Duration = time.Hour, 0
	for _, c := range cs {
		c.mu.Lock()
		if len(c.times) != 1 {
			t.Fatalf("check ran %d times, want once within warmup", len(c.times))
		}
		d := c.times[0].Sub(start)
		c.mu.Unlock()
		first, last = min(first, d), max(last, d)
	}
	if last > warm+400*time.Millisecond || last-first < warm/2 {
		t.Errorf("first runs between %v and %v: want spread over 0..%v", first, last, warm)
	}
	immediate.mu.Lock()
	defer immediate.mu.Unlock()
	if len(immediate.times) != 1 || immediate.times[0].Sub(start) > 300*time.Millisecond {
		t.Errorf("warmup 0 check did not run at once: %v", immediate.times)
	}
}

// TestSchedulerHungServersDoNotAccumulateGoroutines runs HTTP_GET checks
// against a server that accepts and never answers, many times over, and
// shows the goroutine count stays within the concurrency bound, then
// returns to where it started once Run stops.
func TestSchedulerHungServersDoNotAccumulateGoroutines(t *testing.T) {
	l := listen(t)
	var accepted atomic.Int32
	var held []net.Conn
	var heldMu sync.Mutex
	go func() { // one goroutine holds every connection open, silently
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			heldMu.Lock()
			held = append(held, c)
			heldMu.Unlock()
		}
	}()
	t.Cleanup(func() {
		heldMu.Lock()
		defer heldMu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	ap := addrOf(t, l.Addr())

	base := runtime.NumGoroutine()
	const maxConc = 16
	ch := make(chan Transition, 1000)
	s, err := NewScheduler(Options{MaxConcurrent: maxConc, OnTransition: func(tr Transition) { ch <- tr }})
	if err != nil {
		t.Fatal(err)
	}
	tm := Timing{DelayLoop: 10 * time.Millisecond, ConnectTimeout: 50 * time.Millisecond, Retry: 0}
	for i := 0; i < 40; i++ {
		c, err := NewHTTP(HTTPOptions{Conn: Conn{Addr: ap}, URLs: []URL{{Path: "/"}}})
		if err != nil {
			t.Fatal(err)
		}
		s.Add(RealServer{RealServer: fmt.Sprint(i), Weight: 1, Checks: []CheckSpec{{Name: "http", Checker: c, Timing: tm}}})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()

	peak := 0
	for end := time.Now().Add(700 * time.Millisecond); time.Now().Before(end); {
		peak = max(peak, runtime.NumGoroutine())
		time.Sleep(5 * time.Millisecond) // sampling, not synchronisation
	}
	cancel()
	<-done
	// Run goroutine + one per probe in flight (+ transient AfterFunc
	// goroutines that close a probe's connection on cancel).
	if limit := base + 1 + 2*maxConc; peak > limit {
		t.Errorf("peak %d goroutines, limit %d (base %d)", peak, limit, base)
	}
	if a := accepted.Load(); a < 3*maxConc {
		t.Errorf("only %d connections reached the server: probes did not cycle", a)
	}
	downs := 0
	for len(ch) > 0 {
		if (<-ch).Down() {
			downs++
		}
	}
	if downs != 40 {
		t.Errorf("%d servers went down, want all 40", downs)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Run returned, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

func TestSchedulerUpdateKeepsStateOfUnchangedChecks(t *testing.T) {
	s, ch := startScheduler(t, Options{})
	a := &scripted{script: []bool{true}}
	b := &scripted{script: []bool{false}}
	specA := CheckSpec{Name: "a", Checker: a, Timing: fast(0)}
	if _, err := s.Add(RealServer{VirtualServer: "vs", RealServer: "rs", Weight: 1, Checks: []CheckSpec{
		specA, {Name: "b", Checker: b, Timing: fast(0)}}}); err != nil {
		t.Fatal(err)
	}
	if tr := next(t, ch); !tr.Down() || tr.Check != "b" {
		t.Fatalf("got %+v, want down by b", tr)
	}
	runsBefore := 0
	for deadline := time.Now().Add(3 * time.Second); runsBefore == 0 && time.Now().Before(deadline); {
		for _, c := range s.Snapshot()[0].Checks {
			if c.Name == "a" {
				runsBefore = c.Runs
			}
		}
		time.Sleep(5 * time.Millisecond) // polling a snapshot; a's runs raise no event
	}
	// Reload: b is gone, the weight changes; a keeps its state and count.
	st, err := s.Update(RealServer{VirtualServer: "vs", RealServer: "rs", Weight: 5, Checks: []CheckSpec{specA}})
	if err != nil {
		t.Fatal(err)
	}
	if st != (State{Up: true, Weight: 5}) {
		t.Fatalf("state after update %+v", st)
	}
	tr := next(t, ch)
	if !tr.Up() || tr.To.Weight != 5 || tr.Reason != "configuration reloaded" {
		t.Fatalf("got %+v, want up by reload", tr)
	}
	snap := s.Snapshot()
	if len(snap) != 1 || len(snap[0].Checks) != 1 || snap[0].Checks[0].Runs < runsBefore || runsBefore == 0 {
		t.Fatalf("check a lost its history: before %d runs, snapshot %+v", runsBefore, snap)
	}
	// An unchanged reload reports nothing.
	if _, err := s.Update(RealServer{VirtualServer: "vs", RealServer: "rs", Weight: 5, Checks: []CheckSpec{specA}}); err != nil {
		t.Fatal(err)
	}
	select {
	case tr := <-ch:
		t.Fatalf("unchanged reload reported %+v", tr)
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := s.Update(RealServer{RealServer: "dup", Checks: []CheckSpec{specA, specA}}); err == nil {
		t.Error("two checks with one name accepted")
	}
	if _, err := s.Update(RealServer{VirtualServer: "vs", RealServer: "new", Weight: 1}); err != nil {
		t.Fatalf("Update of an unknown server must add it: %v", err)
	}
}

func TestSchedulerRunOnce(t *testing.T) {
	s, err := NewScheduler(Options{OnTransition: func(Transition) {}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatalf("first Run: %v", err)
	}
	if err := s.Run(ctx); err == nil {
		t.Fatal("second Run accepted")
	}
}
