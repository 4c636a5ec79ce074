package lvs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/healthcheck"
	"github.com/alived/alived/internal/notifyconf"
	"github.com/alived/alived/ipvs"
	"github.com/alived/alived/notify"
)

// Options configure a Subsystem.
type Options struct {
	// Post hands a function to the owning event loop, which runs it on
	// the loop goroutine (the daemon's post). The scheduler's transitions
	// reach the Subsystem this way. Required.
	Post func(func(now time.Time))
	// Client is the kernel's IPVS table; nil dials one (Dial) at Start.
	Client ipvs.Client
	// Dial opens the kernel's IPVS table when Client is nil, and only
	// once the configuration has virtual servers (or lvs_flush): a
	// VRRP-only host may lack the ip_vs module. Nil means ipvs.Dial
	// (netlink). A client that is an io.Closer is closed at Stop.
	Dial func() (ipvs.Client, error)
	// Notifier performs notifications. The daemon should pass the one it
	// shares with the VRRP side, so notify_fifo has one writer; nil builds
	// one from global_defs (notify_fifo, lvs_notify_fifo, SMTP) at Start
	// and closes it at Stop.
	Notifier *notify.Notifier
	// KeepIPVS leaves the IPVS table in place at Stop (keepalived's -I,
	// --dont-release-ipvs).
	KeepIPVS bool
	// RepairInterval, if positive, compares the kernel with the desired
	// table that often and undoes changes made behind alived's back.
	RepairInterval time.Duration
	// StatsInterval is how often the kernel's traffic counters are read
	// for the snapshot when the client can read them (ipvs.StatsReader);
	// zero means DefaultStatsInterval, negative never.
	StatsInterval time.Duration
	// RetryInterval is how long after a failed kernel update the update
	// is tried again (default 1s).
	RetryInterval time.Duration
	// MaxConcurrent bounds probes in flight (healthcheck's default if 0).
	MaxConcurrent int
	// Rand draws warmup delays; nil seeds one randomly.
	Rand *rand.Rand
	// Logger; nil discards.
	Logger *slog.Logger
}

// rsID identifies a real server of a virtual server across the
// scheduler, the pool and the plan.
type rsID struct{ vs, rs string }

// checkID identifies one check of a real server.
type checkID struct {
	rsID
	check string
}

// rsLive is what the Subsystem knows of a real server's health.
type rsLive struct {
	state  healthcheck.State
	reason string
}

// Subsystem is the LVS side of the daemon: checkers → pool → reconciler
// → notifications. Its methods (those of the daemon's Component
// interface) must all be called from the loop goroutine; the goroutines it
// starts (the scheduler, optional drift repair) are stopped by Stop.
type Subsystem struct {
	opt Options
	log *slog.Logger

	plan     *Plan
	cfg      *config.Config
	pool     *ipvs.Pool
	rec      *ipvs.Reconciler
	sched    *healthcheck.Scheduler
	notifier *notify.Notifier
	// ownNotifier and closeClient release what Start created itself.
	ownNotifier bool
	closeClient func() error

	live    map[rsID]rsLive
	retired map[rsID]retiredRS
	// probes follows each check's probes (statistics, checkWatch) and
	// checkUp is each check's state as the loop last heard it, per real
	// server (probes.go, checkwatch.go).
	probes  checkIndex
	checkUp map[rsID]map[string]bool
	// files asks for FILE_CHECK probes when their files change
	// (filecheck.go).
	files fileChecks
	// bfd is the BFD_CHECK sessions' state (bfd.go).
	bfd bfdBoard

	// overrides are the operators' runtime overrides, keyed by target
	// identity so they survive reloads; idents maps the plan onto those
	// identities; drainedAt is when each draining real server was first
	// seen without connections; dropped lists the overrides the latest
	// Start or Reload dropped (overrides.go).
	overrides map[overrideKey]overrideEntry
	idents    identIndex
	drainedAt map[rsID]time.Time
	dropped   []OverrideEntry

	// ctx ends the goroutines the Subsystem owns (scheduler, repair);
	// done counts them.
	ctx    context.Context
	cancel context.CancelFunc
	done   sync.WaitGroup

	// The scheduler's goroutine queues transitions here and posts one
	// drain at a time to the loop.
	mu         sync.Mutex
	queue      []healthcheck.Transition
	checkQueue []checkEvent
	posted     bool
	draining   bool // Stop drains itself; no more posts

	// The published snapshot is rebuilt when state changed (snapDirty)
	// or when it is older than snapshotMaxAge.
	snapCache Snapshot
	snapAt    time.Time
	snapDirty bool

	// counters is the latest traffic-counter read, published by the
	// stats poller (see stats.go); nil until the first read succeeds.
	counters atomic.Pointer[countersRead]

	// syncd is the kernel's connection-sync daemon (syncd.go).
	syncd syncDaemon

	retryAt    time.Time
	lastErr    string
	lastErrAt  time.Time
	transCount uint64
	started    bool
	stopping   bool
	stopped    bool
}

// retiredRS keeps what a removed real server needs for the notification
// its omega down transition still brings.
type retiredRS struct {
	vs *VirtualServerPlan
	rs *RealServerPlan
}

// New returns an idle Subsystem; Start brings it up.
func New(opt Options) (*Subsystem, error) {
	if opt.Post == nil {
		return nil, errors.New("lvs: Options.Post is required")
	}
	if opt.RetryInterval <= 0 {
		opt.RetryInterval = time.Second
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Subsystem{opt: opt, log: log, overrides: map[overrideKey]overrideEntry{}, drainedAt: map[rsID]time.Time{}}, nil
}

// SetNotifier makes n the Notifier the Subsystem notifies through from
// now on. The daemon calls it (on the loop) before Start and whenever a
// reload replaces its shared Notifier; a Notifier set this way is the
// caller's to close.
func (s *Subsystem) SetNotifier(n *notify.Notifier) {
	if n == nil {
		return
	}
	s.opt.Notifier = n
	if !s.started {
		return
	}
	if s.ownNotifier {
		old := s.notifier
		s.ownNotifier = false
		// The old one finishes its queue off the loop; Stop waits for it.
		s.done.Add(1)
		go func() {
			defer s.done.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = old.Close(ctx)
		}()
	}
	s.notifier = n
}

// Name identifies the component in the daemon's logs and snapshots.
func (s *Subsystem) Name() string { return "lvs" }

// Check reports why cfg cannot be applied. Problems inside virtual
// servers are warnings (the parts are dropped, as keepalived does), so
// only a configuration that cannot be read at all is refused.
func (s *Subsystem) Check(cfg *config.Config) error {
	if cfg == nil {
		return errors.New("lvs: no configuration")
	}
	return nil
}

// Start builds the desired table and the checks from cfg, adopts the
// kernel's table, and starts checking. Real servers start up unless one
// of their checks is in alpha mode, as in keepalived.
func (s *Subsystem) Start(now time.Time, cfg *config.Config) error {
	if s.started {
		return errors.New("lvs: already started")
	}
	plan := BuildPlan(cfg)
	s.bindBFD(plan)
	s.logDiagnostics(plan)
	sched, err := healthcheck.NewScheduler(healthcheck.Options{
		MaxConcurrent: s.opt.MaxConcurrent, OnTransition: s.enqueue, OnProbe: s.onProbe, Rand: s.opt.Rand,
	})
	if err != nil {
		return fmt.Errorf("lvs: %w", err)
	}
	s.sched = sched
	s.pool = ipvs.NewPool()
	s.live = map[rsID]rsLive{}
	s.retired = map[rsID]retiredRS{}
	s.checkUp = map[rsID]map[string]bool{}
	s.cfg = cfg
	s.register(plan, nil)
	s.idents = buildIdents(cfg, plan)
	s.pruneOverrides()
	s.pool.SetConfig(s.poolConfig(plan))
	s.applyDynamicWeights(plan)
	// Restored overrides: nothing is reported at start, as for the
	// initial quorum.
	s.applyOverrides(plan)
	s.plan = plan
	ctx, cancel := context.WithCancel(context.Background())
	s.ctx, s.cancel = ctx, cancel
	// A configuration without virtual servers (VRRP only) needs no IPVS:
	// the kernel may not even have the module.
	if len(plan.VirtualServers) > 0 || s.opt.Client != nil || cfg.Global.LVSFlush {
		if err := s.openKernel(cfg); err != nil {
			cancel()
			return err
		}
	}
	if s.opt.Notifier != nil {
		s.notifier = s.opt.Notifier
	} else {
		// Standalone use (tests, tools): the daemon passes its shared one.
		s.notifier, s.ownNotifier = notifyconf.Notifier(cfg, s.log), true
	}
	if cfg.Global.RSInitNotifies {
		s.initNotifies()
	}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		if err := s.sched.Run(ctx); err != nil {
			s.log.Error("lvs: health-check scheduler stopped", "err", err)
		}
	}()
	s.started = true
	s.watchFiles(plan)
	s.syncConfigure(cfg)
	s.log.Info("lvs: started", "virtual_servers", len(plan.VirtualServers))
	return nil
}

// initNotifies runs notify_up (and writes the FIFO line) for every real
// server that starts up (rs_init_notifies); without it keepalived only
// notifies changes.
func (s *Subsystem) initNotifies() {
	for _, vp := range s.plan.VirtualServers {
		for _, rp := range vp.Reals {
			if l := s.live[rsID{vp.Name, rp.Key}]; l.state.Up {
				e := notify.RealServerEvent(vp.Notify, rp.Notify, true, notify.CheckBody("", true, ""))
				s.notifier.Notify(e, rp.Scripts.Commands(e), false)
			}
		}
	}
}

// openKernel connects to IPVS (unless Options.Client is given), adopts
// the kernel's table with the pool's desired state and starts drift
// repair. It runs at Start, or at the first reload that brings virtual
// servers.
func (s *Subsystem) openKernel(cfg *config.Config) error {
	client := s.opt.Client
	if client == nil {
		dial := s.opt.Dial
		if dial == nil {
			dial = func() (ipvs.Client, error) { return ipvs.Dial() }
		}
		n, err := dial()
		if err != nil {
			return fmt.Errorf("lvs: opening IPVS (is the ip_vs module loaded?): %w", err)
		}
		client = n
		if c, ok := n.(io.Closer); ok {
			s.closeClient = c.Close
		}
	}
	opt := ipvs.Options{
		Logger: s.log, Flush: cfg.Global.LVSFlush,
		Timeouts: ipvs.Timeouts{
			TCP:    uint32(cfg.Global.LVSTimeouts.TCP.Seconds()),
			TCPFin: uint32(cfg.Global.LVSTimeouts.TCPFin.Seconds()),
			UDP:    uint32(cfg.Global.LVSTimeouts.UDP.Seconds()),
		},
	}
	// Drift repair reads the whole table anyway; when it runs as often as
	// the counters poll would, its read brings the counters too and no
	// poller runs (at 12,000 destinations each read is the largest fixed
	// cost the daemon has).
	_, canShare := client.(ipvs.TableStatsReader)
	shared := canShare && s.opt.RepairInterval > 0 &&
		(s.opt.StatsInterval == 0 || s.opt.StatsInterval == s.opt.RepairInterval)
	if shared {
		opt.OnStats = s.storeCounters
	}
	rec := ipvs.NewReconciler(client, opt)
	if _, err := rec.Start(s.pool.Desired()); err != nil {
		s.release()
		return fmt.Errorf("lvs: adopting the IPVS table: %w", err)
	}
	s.rec = rec
	if s.opt.RepairInterval > 0 {
		s.done.Add(1)
		go func() {
			defer s.done.Done()
			_ = rec.Run(s.ctx, s.opt.RepairInterval)
		}()
	}
	if !shared {
		s.startStatsPoller(client)
	}
	return nil
}

// release closes a netlink connection Start opened.
func (s *Subsystem) release() {
	if s.closeClient != nil {
		_ = s.closeClient()
		s.closeClient = nil
	}
}

func (s *Subsystem) logDiagnostics(p *Plan) {
	for _, d := range p.Diagnostics {
		s.log.Warn("lvs: config", "diag", config.Format(d))
	}
}

// register hands every real server of plan to the scheduler (Update adds
// new ones and keeps the state of unchanged checks) and marks real
// servers that start down (alpha) for the pool. old is the previous plan
// on reload.
func (s *Subsystem) register(plan *Plan, old *Plan) {
	for _, vp := range plan.VirtualServers {
		var oldVS *VirtualServerPlan
		if old != nil {
			oldVS = old.Lookup(vp.Name)
		}
		for i, rp := range vp.Reals {
			id := rsID{vp.Name, rp.Key}
			names := map[string]bool{}
			for _, c := range rp.Health.Checks {
				s.attachCheck(id, c, rp.LogAll[c.Name])
				names[c.Name] = true
			}
			// Checks a reload removed.
			s.forgetChecks(id, func(check string) bool { return names[check] })
			known := oldVS != nil && oldVS.Real(rp.Key) != nil
			st, err := s.sched.Update(rp.Health)
			if err != nil {
				s.log.Warn("lvs: real server checks refused - checking nothing", "vs", vp.Name, "rs", rp.Key, "err", err)
				bare := rp.Health
				bare.Checks = nil
				st, _ = s.sched.Update(bare)
				s.forgetChecks(id, nil)
			}
			if !known {
				s.live[id] = rsLive{state: st}
				// A new server starts as its checks say (down with alpha).
				vp.Pool.Reals[i].Alpha = !st.Up
			}
		}
	}
}

// applyDynamicWeights gives the pool the weights of real servers whose
// state already differs from the configured weight.
func (s *Subsystem) applyDynamicWeights(p *Plan) {
	for _, vp := range p.VirtualServers {
		for _, rp := range vp.Reals {
			if l, ok := s.live[rsID{vp.Name, rp.Key}]; ok && l.state.Weight != rp.Weight {
				s.pool.SetWeight(vp.Name, rp.Dest, clampU32(l.state.Weight))
			}
		}
	}
}

// enqueue is the scheduler's OnTransition: it runs on the scheduler's
// goroutine and hands the transition to the loop.
func (s *Subsystem) enqueue(t healthcheck.Transition) {
	s.queueForLoop(func() { s.queue = append(s.queue, t) })
}

// queueForLoop runs add under the lock and posts one drain to the loop
// unless one is already pending: a burst of changes costs one loop event.
func (s *Subsystem) queueForLoop(add func()) {
	s.mu.Lock()
	add()
	post := !s.posted && !s.draining
	if post {
		s.posted = true
	}
	s.mu.Unlock()
	if post {
		s.opt.Post(s.flushQueued)
	}
}

// flushQueued applies queued transitions; it runs on the loop.
func (s *Subsystem) flushQueued(time.Time) {
	s.mu.Lock()
	q, cq := s.queue, s.checkQueue
	s.queue, s.checkQueue, s.posted = nil, nil, false
	s.mu.Unlock()
	if s.started && !s.stopped {
		for _, ev := range cq {
			s.checkChanged(ev)
		}
	}
	s.apply(q...)
}

// apply is the transition step: real-server health → pool (quorum with
// hysteresis) → kernel → notifications. A batch (everything the
// scheduler reported since the last drain, e.g. a whole rack failing at
// once) updates the pool per transition but the kernel once, then
// notifies in order: keepalived's order (kernel first, then scripts) is
// kept while a mass failure costs one reconcile instead of one per
// server.
func (s *Subsystem) apply(ts ...healthcheck.Transition) {
	if s.stopped || !s.started || len(ts) == 0 {
		return
	}
	var notes []func()
	changed := false
	for _, t := range ts {
		s.transCount++
		id := rsID{t.VirtualServer, t.RealServer}
		vp := s.plan.Lookup(t.VirtualServer)
		var rp *RealServerPlan
		if vp != nil {
			rp = vp.Real(t.RealServer)
		}
		if rp == nil {
			// Removed by a reload: only its omega notification is left.
			if r, ok := s.retired[id]; ok && t.Down() {
				delete(s.retired, id)
				notes = append(notes, func() { s.notifyReal(r.vs, r.rs, t) })
			}
			continue
		}
		changed = true
		s.live[id] = rsLive{state: t.To, reason: t.Reason}
		// Health reaches the pool through the override in force (a
		// drained or maintained server ignores it; see overrides.go).
		e, _, ov := s.effective(vp, rp)
		changes := s.push(vp, rp, inputOf(t.From, e, ov), inputOf(t.To, e, ov))
		if t.From.Up != t.To.Up {
			// Notifications report health, which an override does not
			// change.
			notes = append(notes, func() { s.notifyReal(vp, rp, t) })
		}
		if len(changes) > 0 {
			notes = append(notes, func() { s.notifyQuorum(changes) })
		}
		s.log.Info("lvs: real server changed", "vs", vp.Name, "rs", rp.Key, "up", t.To.Up, "weight", t.To.Weight, "reason", t.Reason)
	}
	s.snapDirty = true
	if changed && !s.stopping {
		s.reconcile(time.Now())
	}
	for _, n := range notes {
		n()
	}
}

// reconcile pushes the pool's desired table to the kernel; a failure is
// retried from Tick.
func (s *Subsystem) reconcile(now time.Time) {
	if s.rec == nil {
		return
	}
	s.snapDirty = true
	if _, err := s.rec.Update(s.pool.Desired()); err != nil {
		s.lastErr, s.lastErrAt = err.Error(), now
		s.retryAt = now.Add(s.opt.RetryInterval)
		s.log.Error("lvs: updating IPVS failed - will retry", "err", err)
		return
	}
	s.retryAt = time.Time{}
}

func (s *Subsystem) notifyReal(vp *VirtualServerPlan, rp *RealServerPlan, t healthcheck.Transition) {
	up := t.To.Up
	body := checkBody(t.Kind, up, t.Reason)
	if s.stopping {
		body = notify.ShutdownBody
	}
	e := notify.RealServerEvent(vp.Notify, rp.Notify, up, body)
	s.notifier.Notify(e, rp.Scripts.Commands(e), rp.SMTPAlert)
}

func (s *Subsystem) notifyQuorum(changes []ipvs.QuorumChange) {
	for _, c := range changes {
		vp := s.plan.Lookup(c.VirtualServer)
		if vp == nil {
			continue
		}
		s.quorumEvent(vp, c.Up)
	}
}

func (s *Subsystem) quorumEvent(vp *VirtualServerPlan, up bool) {
	q, h := uint(max(vp.Pool.Quorum, 1)), uint(vp.Pool.Hysteresis)
	threshold := int64(q) + int64(h)
	if !up {
		threshold = int64(q) - int64(h)
	}
	body := notify.QuorumBody(up, false, q, h, threshold, s.weightSum(vp))
	if s.stopping {
		body = notify.ShutdownBody
	}
	s.log.Info("lvs: quorum changed", "vs", vp.Name, "up", up)
	e := notify.QuorumEvent(vp.Notify, up, body)
	s.notifier.Notify(e, vp.Quorum.Commands(e), vp.SMTPAlert)
}

// weightSum is the live weight of a virtual server's pool, as quorum
// sees it: overrides applied, so a drained server or one in maint
// contributes 0.
func (s *Subsystem) weightSum(vp *VirtualServerPlan) int64 {
	var sum int64
	for _, rp := range vp.Reals {
		if in := s.inputFor(vp, rp); in.up {
			sum += int64(in.weight)
		}
	}
	return sum
}

// Reload applies cfg as a difference: virtual and real servers that did
// not change keep their kernel entries (no operation at all), their
// checks keep their state and schedule; new ones are added, removed ones
// are released.
func (s *Subsystem) Reload(now time.Time, cfg *config.Config) error {
	if !s.started || s.stopped {
		return errors.New("lvs: not running")
	}
	plan := BuildPlan(cfg)
	s.bindBFD(plan)
	s.logDiagnostics(plan)
	s.snapDirty = true
	old := s.plan
	prevIn := s.overrideInputs(old)
	for _, ov := range old.VirtualServers {
		nv := plan.Lookup(ov.Name)
		for _, or := range ov.Reals {
			if nv != nil && nv.Real(or.Key) != nil {
				continue
			}
			id := rsID{ov.Name, or.Key}
			if ov.Omega && s.live[id].state.Up {
				s.retired[id] = retiredRS{vs: ov, rs: or}
			}
			s.sched.Remove(ov.Name, or.Key)
			s.forgetChecks(id, nil)
			delete(s.live, id)
		}
	}
	s.register(plan, old)
	s.idents = buildIdents(cfg, plan)
	s.pruneOverrides()
	changes := s.pool.SetConfig(s.poolConfig(plan))
	// Real servers the reload added start with the override in force for
	// them, kept ones move to it (an override may have been dropped); a
	// virtual server new in this reload reports no quorum change, as
	// SetConfig does not.
	for _, c := range s.reapplyOverrides(plan, old, prevIn) {
		if old.Lookup(c.VirtualServer) != nil {
			changes = append(changes, c)
		}
	}
	changes = netQuorum(changes)
	s.plan = plan
	s.cfg = cfg
	s.watchFiles(plan)
	s.syncConfigure(cfg)
	if s.rec == nil && len(plan.VirtualServers) > 0 {
		if err := s.openKernel(cfg); err != nil {
			s.lastErr, s.lastErrAt = err.Error(), now
			s.retryAt = now.Add(s.opt.RetryInterval)
			return err
		}
	}
	s.reconcile(now)
	s.notifyQuorum(changes)
	s.log.Info("lvs: reloaded", "virtual_servers", len(plan.VirtualServers))
	if s.retryAt.IsZero() {
		return nil
	}
	return fmt.Errorf("lvs: reload: %s", s.lastErr)
}

// Stop stops checking, runs the omega notifications (notify_down of live
// real servers, quorum_down of virtual servers with quorum) and releases
// the IPVS table: the services alived owns by default, every service with
// lvs_flush_on_stop, none with KeepIPVS.
func (s *Subsystem) Stop(now time.Time) {
	if !s.started || s.stopped {
		return
	}
	s.stopping = true
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	s.cancel()
	// The scheduler reports omega servers down before Run returns; those
	// transitions wait in the queue.
	s.done.Wait()
	s.flushQueued(now)
	for _, vp := range s.plan.VirtualServers {
		if vp.Omega && s.pool.QuorumUp(vp.Name) {
			s.quorumEvent(vp, false)
		}
	}
	if s.rec != nil {
		if err := s.rec.Stop(s.stopMode()); err != nil {
			s.log.Error("lvs: releasing IPVS", "err", err)
		}
	}
	if s.ownNotifier {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.notifier.Close(ctx); err != nil {
			s.log.Warn("lvs: closing notifier", "err", err)
		}
		cancel()
	}
	s.syncClose()
	s.release()
	s.stopped, s.snapDirty = true, true
	s.log.Info("lvs: stopped")
}

// stopMode maps -I and lvs_flush_on_stop onto the reconciler's modes.
func (s *Subsystem) stopMode() ipvs.StopMode {
	switch f := s.cfg.Global.LVSFlushOnStop; {
	case s.opt.KeepIPVS:
		return ipvs.Keep
	case f == "" || strings.EqualFold(f, "vs"):
		return ipvs.Release
	default:
		return ipvs.FlushAll
	}
}

// NextDeadline is when a failed kernel update is retried; zero if none.
func (s *Subsystem) NextDeadline() time.Time {
	if s.stopped {
		return time.Time{}
	}
	next := s.retryAt
	if r := s.republishAt(); !r.IsZero() && (next.IsZero() || r.Before(next)) {
		next = r
	}
	return next
}

// republishAt is when the published snapshot should be rebuilt for the
// counters alone: the counters are read off the loop and never post to it
// (see startStatsPoller), so without this a quiet daemon — no checker
// transitions, no VRRP events — would keep publishing the counters of its
// last event: /metrics would go stale and a drain would never be seen to
// complete. Waking once per counters interval costs one rebuild of the
// view per interval and only runs while the kernel table is open.
func (s *Subsystem) republishAt() time.Time {
	if s.rec == nil || s.stopping || s.snapAt.IsZero() {
		return time.Time{}
	}
	// As often as the counters are read: by the poller, or by drift
	// repair when its read brings them (see openKernel).
	every := s.opt.StatsInterval
	switch {
	case every < 0:
		return time.Time{}
	case every == 0 && s.opt.RepairInterval > 0:
		every = s.opt.RepairInterval
	case every == 0:
		every = DefaultStatsInterval
	}
	return s.snapAt.Add(max(every, snapshotMaxAge))
}

// Tick retries a failed kernel update (or connection to IPVS).
func (s *Subsystem) Tick(now time.Time) {
	// A republishAt wake needs nothing here: the loop publishes after
	// every Tick, and the view is older than snapshotMaxAge by then.
	if s.stopped || s.stopping || s.retryAt.IsZero() || now.Before(s.retryAt) {
		return
	}
	if s.rec == nil {
		if err := s.openKernel(s.cfg); err != nil {
			s.lastErr, s.lastErrAt = err.Error(), now
			s.retryAt = now.Add(s.opt.RetryInterval)
			return
		}
		s.retryAt = time.Time{}
		return
	}
	s.reconcile(now)
}
