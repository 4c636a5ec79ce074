package ipvs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Options configure a Reconciler.
type Options struct {
	// Logger receives drift reports and applied changes; nil discards.
	Logger *slog.Logger
	// Flush removes every service in the kernel at Start, ours or not
	// (lvs_flush).
	Flush bool
	// Timeouts, if any is non-zero, are set at Start (lvs_timeouts) when
	// the client supports it.
	Timeouts Timeouts
	// OnStats, if set and the client is a TableStatsReader, receives the
	// traffic counters read with each Repair's table: one dump serves
	// both, which halves the cost of watching a large table. It is called
	// with the reconciler's lock held and must not call back into it.
	OnStats func([]ServiceStats)
}

// StopMode says what Stop does to the table.
type StopMode int

// Stop modes.
const (
	// Release removes the services alived owns, as keepalived does on a
	// normal shutdown.
	Release StopMode = iota
	// Keep leaves the table as it is (-I / --dont-release-ipvs).
	Keep
	// FlushAll removes every service in the kernel (lvs_flush_on_stop).
	FlushAll
)

// Result describes one reconcile step.
type Result struct {
	// Ops are the changes applied (all of them, unless an error is
	// returned, in which case the ones before the failure).
	Ops []Op
}

// Reconciler keeps the kernel table equal to a desired Table. Desired
// state comes in through Start and Update (configuration and health
// already combined, see Pool); Repair compares against the kernel and
// fixes what someone else changed.
//
// It remembers which services it owns: those it was asked for. Services it
// does not own are never touched, except by Flush / FlushAll.
//
// Its methods are safe for concurrent use, so Run can repair drift in the
// background while the daemon's loop calls Update.
type Reconciler struct {
	c   Client
	log *slog.Logger
	opt Options

	mu      sync.Mutex
	desired Table
	owned   map[ServiceKey]bool
	// known is what the kernel holds for owned services as of the last
	// successful apply; nil when unknown (before Start, after a failure),
	// which makes the next Update read the kernel.
	known Table
}

// NewReconciler returns a reconciler over c. Nothing is read or written
// until Start.
func NewReconciler(c Client, opt Options) *Reconciler {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reconciler{c: c, log: log, opt: opt, owned: map[ServiceKey]bool{}}
}

// Start adopts the kernel's table: services that match desired are kept
// as they are (no connection is lost), differing ones are corrected,
// missing ones created, and services the configuration does not name are
// left alone unless Options.Flush.
func (r *Reconciler) Start(desired Table) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.opt.Timeouts; t != (Timeouts{}) {
		ts, ok := r.c.(TimeoutSetter)
		if !ok {
			return Result{}, fmt.Errorf("ipvs: lvs_timeouts: client cannot set timeouts")
		}
		if err := ts.SetTimeouts(t); err != nil {
			return Result{}, fmt.Errorf("ipvs: lvs_timeouts: %w", err)
		}
	}
	actual, err := ReadTable(r.c)
	if err != nil {
		return Result{}, err
	}
	var res Result
	if r.opt.Flush {
		ops := Plan(Table{}, actual, PlanOptions{Owned: func(ServiceKey) bool { return true }})
		n, err := Apply(r.c, ops)
		res.Ops = append(res.Ops, ops[:n]...)
		if err != nil {
			return res, fmt.Errorf("ipvs: lvs_flush: %w", err)
		}
		r.log.Info("ipvs: flushed table at start", "services", n)
		actual = Table{}
	}
	adopted := 0
	for k := range desired {
		if _, ok := actual[k]; ok {
			adopted++
		}
	}
	r.desired = desired.Clone()
	r.owned = map[ServiceKey]bool{}
	for k := range desired {
		r.owned[k] = true
	}
	ops := Plan(desired, actual, PlanOptions{})
	err = r.apply(ops, &res)
	r.log.Info("ipvs: started", "services", len(desired), "adopted", adopted, "ops", len(ops))
	return res, err
}

// apply runs ops and updates known; on failure known is forgotten so the
// next step reads the kernel instead of trusting a half-applied plan.
func (r *Reconciler) apply(ops []Op, res *Result) error {
	n, err := Apply(r.c, ops)
	res.Ops = append(res.Ops, ops[:n]...)
	// Checked once: op.String for every op of a 12,000-destination start
	// is garbage nobody reads unless debugging.
	if r.log.Enabled(context.Background(), slog.LevelDebug) {
		for _, op := range ops[:n] {
			r.log.Debug("ipvs: applied", "op", op.String())
		}
	}
	if err != nil {
		r.known = nil
		return err
	}
	// desired was cloned on the way in and neither field is ever
	// modified in place, so they can share it.
	r.known = r.desired
	return nil
}

// Update makes desired the new target (reload, health change) and applies
// only the difference from what was last applied, without reading the
// kernel: a one-server change costs one netlink request whatever the size
// of the table. Services dropped from desired are removed if owned. If the
// kernel was changed behind our back and the plan fails, the kernel is
// read and the plan redone once.
func (r *Reconciler) Update(desired Table) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	owned := r.owned
	r.desired = desired.Clone()
	r.owned = map[ServiceKey]bool{}
	for k := range desired {
		r.owned[k] = true
	}
	var res Result
	trusted := r.known != nil
	for attempt := 0; ; attempt++ {
		base := r.known
		if base == nil {
			actual, err := ReadTable(r.c)
			if err != nil {
				return res, err
			}
			base = actual
		}
		ops := Plan(desired, base, PlanOptions{Owned: func(k ServiceKey) bool { return owned[k] }})
		done := len(res.Ops)
		err := r.apply(ops, &res)
		if err == nil {
			return res, nil
		}
		// A removal that did not happen must stay owned so that a
		// later step retries it.
		for _, op := range ops[len(res.Ops)-done:] {
			if op.Kind == RemoveService {
				r.owned[op.Service.ServiceKey] = true
			}
		}
		if !trusted || attempt > 0 {
			return res, err
		}
		r.log.Warn("ipvs: kernel differs from the last applied table, re-reading", "err", err)
	}
}

// Repair reads the kernel and undoes any difference from the desired
// table (someone ran ipvsadm behind our back), logging what it fixed.
func (r *Reconciler) Repair() (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.desired == nil {
		return Result{}, nil
	}
	actual, err := r.readForRepair()
	if err != nil {
		r.known = nil
		return Result{}, err
	}
	owned := r.owned
	ops := Plan(r.desired, actual, PlanOptions{Owned: func(k ServiceKey) bool { return owned[k] }})
	for _, op := range ops {
		r.log.Warn("ipvs: repairing drift", "op", op.String())
	}
	var res Result
	err = r.apply(ops, &res)
	if err == nil {
		for k := range owned {
			if _, want := r.desired[k]; !want {
				delete(r.owned, k)
			}
		}
	}
	return res, err
}

// readForRepair reads the kernel's table, and its counters for OnStats
// when the client can read both at once.
func (r *Reconciler) readForRepair() (Table, error) {
	tsr, ok := r.c.(TableStatsReader)
	if !ok || r.opt.OnStats == nil {
		return ReadTable(r.c)
	}
	t, st, err := tsr.ReadTableStats(context.Background())
	if err != nil {
		return nil, err
	}
	r.opt.OnStats(st)
	return t, nil
}

// repairShare is the most of its time periodic repair may spend reading
// the table: the wait after a repair is at least repairShare times as long
// as the repair took. A 12,000-destination table reads in milliseconds on
// hardware, so the configured interval holds there; on a slow machine the
// interval stretches instead of repair (and the counters read with it)
// taking a growing share of a CPU.
const repairShare = 50

// nextRepairWait is how long Run waits after a repair that took took.
func nextRepairWait(interval, took time.Duration) time.Duration {
	return max(interval, took*repairShare)
}

// Run calls Repair every interval (stretched for large tables on slow
// machines, see repairShare) until ctx is done; the caller owns the
// goroutine it runs in. With OnStats it repairs once at once too, so
// counters are there from the start. Errors are logged, not fatal: the
// next tick tries again. It returns ctx.Err().
func (r *Reconciler) Run(ctx context.Context, interval time.Duration) error {
	timer := time.NewTimer(interval)
	defer timer.Stop()
	repair := func() time.Duration {
		start := time.Now()
		if _, err := r.Repair(); err != nil {
			r.log.Error("ipvs: drift repair failed", "err", err)
		}
		took := time.Since(start)
		if wait := nextRepairWait(interval, took); wait > interval {
			r.log.Debug("ipvs: drift repair interval stretched", "took", took, "next", wait)
		}
		return took
	}
	if r.opt.OnStats != nil {
		timer.Reset(nextRepairWait(interval, repair()))
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			timer.Reset(nextRepairWait(interval, repair()))
		}
	}
}

// Stop releases the table according to mode.
func (r *Reconciler) Stop(mode StopMode) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if mode == Keep {
		r.log.Info("ipvs: leaving table in place at stop")
		return nil
	}
	actual, err := ReadTable(r.c)
	if err != nil {
		return err
	}
	owned := r.owned
	own := func(k ServiceKey) bool { return mode == FlushAll || owned[k] }
	ops := Plan(Table{}, actual, PlanOptions{Owned: own})
	n, err := Apply(r.c, ops)
	r.log.Info("ipvs: released table at stop", "services", n)
	r.known, r.desired, r.owned = nil, nil, map[ServiceKey]bool{}
	return err
}

// Owned reports whether the reconciler currently owns service k.
func (r *Reconciler) Owned(k ServiceKey) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.owned[k]
}
