package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// DefaultMaxConcurrent bounds simultaneous probes when Options leaves it 0.
// keepalived multiplexes every check on one epoll loop; a generous bound
// keeps that "everything in parallel" behaviour for normal pools while a
// wall of hung servers still cannot grow the process without limit.
const DefaultMaxConcurrent = 1024

// Transition reports a change of a real server's State. It carries what
// notify needs (notify_up/notify_down, the LVS FIFO line, SMTP alert text)
// without knowing about IPVS: the virtual and real server identities are
// the opaque keys the caller registered.
type Transition struct {
	VirtualServer string
	RealServer    string
	// Check names the check whose result caused the change (the name given
	// in CheckSpec), and Kind its checker type; both empty for transitions
	// the scheduler makes itself (omega on removal or shutdown).
	Check string
	Kind  Kind
	From  State
	To    State
	// Reason is human-readable: the failing check's error, or why the
	// server came up or changed weight.
	Reason string
	Time   time.Time
}

// Up reports whether the transition brought the real server up.
func (t Transition) Up() bool { return !t.From.Up && t.To.Up }

// Down reports whether the transition took the real server down.
func (t Transition) Down() bool { return t.From.Up && !t.To.Up }

// CheckSpec is one checker block of a real server with its resolved timing.
type CheckSpec struct {
	// Name identifies the check within the real server in transitions and
	// snapshots (e.g. "HTTP_GET#1").
	Name    string
	Checker Checker
	Timing  Timing
}

// RealServer is a real server to health-check: identities, configured
// weight, and its checks (all must pass). A real server without checks is
// always up, as in keepalived.
type RealServer struct {
	VirtualServer string
	RealServer    string
	// Weight is the configured weight (weight, default 1).
	Weight int
	// Omega reports the server down when it is removed or the scheduler
	// stops, so notify_down scripts run (omega on the virtual server).
	Omega  bool
	Checks []CheckSpec
}

// Options configures a Scheduler.
type Options struct {
	// MaxConcurrent bounds probes in flight (DefaultMaxConcurrent if 0).
	MaxConcurrent int
	// OnTransition receives every transition, in the order the states
	// changed, from the goroutine running Run and without any lock held (it
	// may call Add, Update, Remove or Snapshot). It must not block for long:
	// probes are not dispatched meanwhile; hand the value to the daemon
	// loop's channel. Required.
	OnTransition func(Transition)
	// Rand draws warmup delays; nil uses a randomly seeded source. Tests
	// pass a seeded one for repeatable schedules.
	Rand *rand.Rand
	// OnProbe, if set, receives every probe's outcome (not those of checks
	// removed meanwhile), from the goroutine running Run, without any lock
	// held, before the transition the probe may cause. It is for
	// per-probe statistics and log_all_failures; use it instead of
	// wrapping checkers, which hides TCP_CHECK from the scheduler's epoll
	// loop and costs a goroutine per probe. It must be quick.
	OnProbe func(Probe)
}

// Probe is one completed probe, as reported to Options.OnProbe.
type Probe struct {
	VirtualServer string
	RealServer    string
	Check         string
	Kind          Kind
	Result        Result
	Start         time.Time
	Duration      time.Duration
}

// Scheduler runs all checks of all real servers. Add, Update, Remove and
// Snapshot may be called from any goroutine, before or while Run runs; Run
// is called once.
type Scheduler struct {
	maxConc int
	emit    func(Transition)
	onProbe func(Probe)
	rnd     *rand.Rand
	// probes collects OnProbe reports under mu; only Run's goroutine
	// (finish, finishBatch) touches it.
	probes []Probe

	mu      sync.Mutex
	servers map[serverKey]*server
	queue   jobHeap
	pending []Transition // queued in state order under mu, emitted by Run
	wake    chan struct{}
	running bool
}

type serverKey struct{ vs, rs string }

type server struct {
	key   serverKey
	base  int
	omega bool
	jobs  []*job
	state State
	trs   []*tracker
}

type job struct {
	srv   *server
	spec  CheckSpec
	tr    tracker
	due   time.Time
	index int // position in the heap; -1 while running or queued for a slot
	runs  int
	// failures and lastDur feed snapshots (metrics).
	failures int
	lastDur  time.Duration
	// dropped is set when the check was removed (Remove, or Update without
	// it); a result still in flight is then ignored.
	dropped bool
}

type probeDone struct {
	j          *job
	r          Result
	start, end time.Time
}

// NewScheduler returns an idle scheduler; call Run to start checking.
func NewScheduler(o Options) (*Scheduler, error) {
	if o.OnTransition == nil {
		return nil, errors.New("healthcheck: Options.OnTransition is required")
	}
	if o.MaxConcurrent < 0 {
		return nil, fmt.Errorf("healthcheck: MaxConcurrent %d must not be negative", o.MaxConcurrent)
	}
	s := &Scheduler{
		maxConc: o.MaxConcurrent,
		emit:    o.OnTransition,
		onProbe: o.OnProbe,
		rnd:     o.Rand,
		servers: make(map[serverKey]*server),
		wake:    make(chan struct{}, 1),
	}
	if s.maxConc == 0 {
		s.maxConc = DefaultMaxConcurrent
	}
	if s.rnd == nil {
		s.rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return s, nil
}

// Add registers a real server and schedules its first checks after a random
// warmup. It returns the initial state: up unless some check is in alpha
// mode. Adding a server that is already registered is an error (use
// Update on reload).
func (s *Scheduler) Add(rs RealServer) (State, error) {
	if err := rs.validate(); err != nil {
		return State{}, err
	}
	k := serverKey{rs.VirtualServer, rs.RealServer}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.servers[k]; ok {
		return State{}, fmt.Errorf("healthcheck: real server %s of %s already registered", rs.RealServer, rs.VirtualServer)
	}
	srv := &server{key: k, base: rs.Weight, omega: rs.Omega}
	now := time.Now()
	for _, c := range rs.Checks {
		srv.jobs = append(srv.jobs, s.newJobLocked(srv, c, now))
	}
	srv.relink()
	srv.state = aggregate(srv.base, srv.trs)
	s.servers[k] = srv
	s.poke()
	return srv.state, nil
}

// Update applies a reloaded definition of a real server (or adds it). Checks
// whose Name and Kind are unchanged keep their state and schedule, so a
// reload neither flaps a healthy server nor re-enters warmup; new checks
// start as in Add and vanished checks stop. If the server's state changes
// (new weight, a failing check removed, an alpha check added) the change is
// reported as a transition with reason "configuration reloaded".
func (s *Scheduler) Update(rs RealServer) (State, error) {
	if err := rs.validate(); err != nil {
		return State{}, err
	}
	k := serverKey{rs.VirtualServer, rs.RealServer}
	s.mu.Lock()
	srv, ok := s.servers[k]
	if !ok {
		s.mu.Unlock()
		return s.Add(rs)
	}
	defer s.mu.Unlock()
	old := make(map[string]*job, len(srv.jobs))
	for _, j := range srv.jobs {
		old[j.spec.Name] = j
	}
	now := time.Now()
	var jobs []*job
	for _, c := range rs.Checks {
		if j, ok := old[c.Name]; ok && j.spec.Checker.Kind() == c.Checker.Kind() {
			j.spec = c
			delete(old, c.Name)
			jobs = append(jobs, j)
			continue
		}
		jobs = append(jobs, s.newJobLocked(srv, c, now))
	}
	for _, j := range old {
		s.dropJobLocked(j)
	}
	srv.jobs, srv.base, srv.omega = jobs, rs.Weight, rs.Omega
	srv.relink()
	prev := srv.state
	srv.state = aggregate(srv.base, srv.trs)
	if srv.state != prev {
		s.pending = append(s.pending, Transition{VirtualServer: k.vs, RealServer: k.rs, From: prev, To: srv.state,
			Reason: "configuration reloaded", Time: now})
		s.poke()
	}
	return srv.state, nil
}

// validate checks what Add and Update need of a definition.
func (rs RealServer) validate() error {
	if rs.RealServer == "" {
		return errors.New("healthcheck: real server key is empty")
	}
	names := make(map[string]bool, len(rs.Checks))
	for i, c := range rs.Checks {
		if c.Checker == nil {
			return fmt.Errorf("healthcheck: %s check %d (%s) has no checker", rs.RealServer, i, c.Name)
		}
		if names[c.Name] {
			return fmt.Errorf("healthcheck: %s has two checks named %q", rs.RealServer, c.Name)
		}
		names[c.Name] = true
		if err := c.Timing.Validate(); err != nil {
			return fmt.Errorf("healthcheck: %s check %s: %w", rs.RealServer, c.Name, err)
		}
	}
	return nil
}

// newJobLocked creates and queues a check; warmup spreads first probes
// over 0..warmup so that a big pool is not probed in the same millisecond.
func (s *Scheduler) newJobLocked(srv *server, c CheckSpec, now time.Time) *job {
	j := &job{srv: srv, spec: c, tr: newTracker(c.Timing)}
	var d time.Duration
	if c.Timing.Warmup > 0 {
		d = time.Duration(s.rnd.Int64N(int64(c.Timing.Warmup)))
	}
	j.due = now.Add(d)
	s.queue.push(j)
	return j
}

// dropJobLocked unschedules a check; a probe in flight is ignored when it
// returns.
func (s *Scheduler) dropJobLocked(j *job) {
	j.dropped = true
	if j.index >= 0 {
		s.queue.remove(j.index)
	}
}

// relink rebuilds the tracker list aggregate reads.
func (srv *server) relink() {
	srv.trs = srv.trs[:0]
	for _, j := range srv.jobs {
		srv.trs = append(srv.trs, &j.tr)
	}
}

// Remove stops checking a real server. A probe in flight finishes but its
// result is dropped. With Omega, a server that was up is reported down.
// It returns false if the server was not registered.
func (s *Scheduler) Remove(virtualServer, realServer string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := serverKey{virtualServer, realServer}
	srv, ok := s.servers[k]
	if !ok {
		return false
	}
	s.dropLocked(srv)
	if t, ok := omegaTransition(srv, "real server removed (omega)"); ok {
		s.pending = append(s.pending, t)
		s.poke()
	}
	return true
}

func (s *Scheduler) dropLocked(srv *server) {
	for _, j := range srv.jobs {
		s.dropJobLocked(j)
	}
	delete(s.servers, srv.key)
}

func omegaTransition(srv *server, reason string) (Transition, bool) {
	if !srv.omega || !srv.state.Up {
		return Transition{}, false
	}
	to := srv.state
	to.Up = false
	return Transition{VirtualServer: srv.key.vs, RealServer: srv.key.rs, From: srv.state, To: to,
		Reason: reason, Time: time.Now()}, true
}

// poke wakes Run without blocking; one pending wake-up is enough.
func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// CheckStatus is one check's view in a snapshot.
type CheckStatus struct {
	Name      string
	Kind      Kind
	Up        bool
	LastError string // of the last probe; empty if it passed
	Runs      int    // probes completed
	Failures  int    // probes failed
	// LastDuration is how long the last probe took (for metrics).
	LastDuration time.Duration
}

// ServerStatus is one real server's view in a snapshot.
type ServerStatus struct {
	VirtualServer string
	RealServer    string
	State         State
	Checks        []CheckStatus
}

// Snapshot returns the current state of every registered real server, for
// the API and metrics.
func (s *Scheduler) Snapshot() []ServerStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ServerStatus, 0, len(s.servers))
	for _, srv := range s.servers {
		st := ServerStatus{VirtualServer: srv.key.vs, RealServer: srv.key.rs, State: srv.state}
		for _, j := range srv.jobs {
			cs := CheckStatus{Name: j.spec.Name, Kind: j.spec.Checker.Kind(), Up: j.tr.up, Runs: j.runs,
				Failures: j.failures, LastDuration: j.lastDur}
			if j.tr.lastErr != nil {
				cs.LastError = j.tr.lastErr.Error()
			}
			st.Checks = append(st.Checks, cs)
		}
		out = append(out, st)
	}
	return out
}

// Run probes due checks until ctx is done, then waits for every probe in
// flight to return (they see ctx's cancellation) and, for Omega servers
// that are up, reports them down. It returns nil after a clean stop.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("healthcheck: Scheduler.Run called twice")
	}
	s.running = true
	s.mu.Unlock()
	results := make(chan probeDone)
	batches := make(chan []probeDone)
	inflight := 0
	var ready []*job      // due, waiting for a concurrency slot
	var early []probeDone // probes the poller finished as they started
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()

	// TCP_CHECK probes run on the scheduler's own epoll loop, started with
	// the first of them, where the platform has one; without it (or if it
	// cannot start) they run like every other checker, one goroutine per
	// probe.
	var poller connectPoller
	noPoller := false

	// start runs under s.mu: the spec is copied here because Update may
	// replace it while the probe runs.
	start := func(j *job) {
		inflight++
		spec := j.spec
		if tc, ok := spec.Checker.(*TCPChecker); ok && !noPoller {
			if poller == nil {
				var err error
				if poller, err = newConnectPoller(batches); err != nil {
					poller, noPoller = nil, true
				}
			}
			if poller != nil {
				if d, done := poller.start(j, tc.o.Conn, tc.how, spec.Timing.ConnectTimeout); done {
					early = append(early, d)
				}
				return
			}
		}
		go func() {
			begin := time.Now()
			r := runProbe(ctx, spec)
			// The loop drains results until inflight is 0, so this send
			// always completes: no probe goroutine outlives Run.
			results <- probeDone{j: j, r: r, start: begin, end: time.Now()}
		}()
	}

	for {
		s.mu.Lock()
		now := time.Now()
		for s.queue.Len() > 0 && !s.queue.peekTime().After(now) {
			ready = append(ready, s.queue.pop())
		}
		var next time.Duration = -1
		if s.queue.Len() > 0 {
			next = s.queue.peekTime().Sub(now)
		}
		for inflight < s.maxConc && len(ready) > 0 {
			j := ready[0]
			ready[0] = nil
			ready = ready[1:]
			if !j.dropped {
				start(j)
			}
		}
		pending := s.pending
		s.pending = nil
		s.mu.Unlock()

		for _, t := range pending {
			s.emit(t)
		}
		if len(early) > 0 {
			// Finished while starting (refused at once, bad bind_if):
			// apply them and look at the queue again before waiting.
			for _, d := range early {
				inflight--
				s.finish(d)
			}
			early = early[:0]
			if ctx.Err() == nil {
				continue
			}
			// Stopping: fall through to the select, which sees it (a
			// check failing at once every nanosecond must not starve it).
		}
		if next >= 0 {
			timer.Reset(next)
		}

		select {
		case <-ctx.Done():
			if poller != nil {
				poller.stop()
			}
			for inflight > 0 {
				select {
				case <-results:
					inflight--
				case b := <-batches:
					inflight -= len(b)
				}
			}
			if poller != nil {
				poller.wait()
			}
			s.shutdown()
			return nil
		case d := <-results:
			inflight--
			s.finish(d)
		case b := <-batches:
			inflight -= len(b)
			s.finishBatch(b)
		case <-timer.C:
		case <-s.wake:
		}
	}
}

// connectPoller runs TCP_CHECK probes without a goroutine each (see
// epollPoller). start is called with s.mu held.
type connectPoller interface {
	// start begins a probe; if its outcome is already known it returns
	// it with true, otherwise the result arrives later in a batch.
	start(j *job, c Conn, how closeHow, timeout time.Duration) (probeDone, bool)
	// stop fails the probes in flight (delivering them) and ends the
	// poller; wait returns when it has ended.
	stop()
	wait()
}

// Budgeter is implemented by checkers whose probe has several steps each
// entitled to connect_timeout (HTTP_GET with several urls); Budget returns
// the whole probe's deadline.
type Budgeter interface {
	Budget(connectTimeout time.Duration) time.Duration
}

// runProbe runs one check with its own deadline and turns a checker panic
// into a failed result: one broken checker must not stop all checking.
func runProbe(ctx context.Context, spec CheckSpec) (r Result) {
	budget := spec.Timing.ConnectTimeout
	if b, ok := spec.Checker.(Budgeter); ok {
		budget = b.Budget(budget)
	}
	pctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			r = fail(fmt.Errorf("checker panicked: %v", p))
		}
	}()
	return spec.Checker.Check(pctx)
}

// finish applies a probe result, reschedules the check and queues the real
// server's transition if its state changed. Transitions are queued under
// the lock in the order the state changed and emitted by Run's loop, so
// the daemon sees them in that order whatever goroutine caused them.
func (s *Scheduler) finish(d probeDone) {
	s.finishBatch([]probeDone{d})
}

// finishBatch applies a batch of results under one lock, then reports the
// probes to OnProbe.
func (s *Scheduler) finishBatch(b []probeDone) {
	s.mu.Lock()
	for _, d := range b {
		s.finishLocked(d)
	}
	probes := s.probes
	s.mu.Unlock()
	for i, p := range probes {
		s.onProbe(p)
		probes[i] = Probe{}
	}
	s.probes = probes[:0]
}

func (s *Scheduler) finishLocked(d probeDone) {
	j := d.j
	srv := j.srv
	if j.dropped {
		return
	}
	j.runs++
	j.lastDur = d.end.Sub(d.start)
	if d.r.Err != nil {
		j.failures++
	}
	if s.onProbe != nil {
		s.probes = append(s.probes, Probe{VirtualServer: srv.key.vs, RealServer: srv.key.rs, Check: j.spec.Name,
			Kind: j.spec.Checker.Kind(), Result: d.r, Start: d.start, Duration: j.lastDur})
	}
	delay := j.tr.step(j.spec.Timing, d.r, srv.base)
	j.due = d.end.Add(delay)
	s.queue.push(j)
	old := srv.state
	srv.state = aggregate(srv.base, srv.trs)
	cur := srv.state
	if cur == old {
		return
	}
	t := Transition{VirtualServer: srv.key.vs, RealServer: srv.key.rs, Check: j.spec.Name,
		Kind: j.spec.Checker.Kind(), From: old, To: cur, Time: d.end}
	switch {
	case d.r.Err != nil:
		t.Reason = fmt.Sprintf("%s %s failed: %v", t.Kind, t.Check, d.r.Err)
	case !old.Up && cur.Up:
		t.Reason = fmt.Sprintf("%s %s succeeded, all checks pass", t.Kind, t.Check)
	default:
		t.Reason = fmt.Sprintf("%s %s changed the weight", t.Kind, t.Check)
	}
	s.pending = append(s.pending, t)
}

// shutdown reports omega servers down when Run stops.
func (s *Scheduler) shutdown() {
	s.mu.Lock()
	var ts []Transition
	ts = append(ts, s.pending...)
	s.pending = nil
	for _, srv := range s.servers {
		if t, ok := omegaTransition(srv, "checker stopping (omega)"); ok {
			srv.state = t.To
			ts = append(ts, t)
		}
	}
	s.mu.Unlock()
	for _, t := range ts {
		s.emit(t)
	}
}

// jobHeap orders checks by due time.
type jobHeap = timeHeap[*job]

func (j *job) heapTime() time.Time { return j.due }
func (j *job) setHeapIndex(i int)  { j.index = i }
