package lvs

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/alived/alived/healthcheck"
	"github.com/alived/alived/notify"
)

// keepalived acts on each checker's own state, not only on the real
// server's: it logs when a checker goes down or up, logs every failed
// probe of an up checker with log_all_failures (or global
// checker_log_all_failures), and mails each checker state change unless
// no_checker_emails is set, in which case only changes that take the real
// server out of or back into IPVS are mailed. The scheduler's transitions
// are per real server, so each probe (OnProbe, probes.go) also goes to a
// checkWatch, which follows that check's state with the scheduler's own
// rule (healthcheck.CheckTracker).

// checkWatch follows one check. observe runs on the scheduler's
// goroutine; the rest of the Subsystem sees only the checkEvents it
// reports.
type checkWatch struct {
	id   checkID
	kind healthcheck.Kind
	log  *slog.Logger
	// report hands a state change to the loop (Subsystem.enqueueCheck).
	report func(checkEvent)

	mu     sync.Mutex
	timing healthcheck.Timing
	logAll bool
	tr     healthcheck.CheckTracker
}

// checkEvent is one checker's state change.
type checkEvent struct {
	id     checkID
	kind   healthcheck.Kind
	up     bool
	reason string
}

func newCheckWatch(id checkID, spec healthcheck.CheckSpec, logAll bool, log *slog.Logger, report func(checkEvent)) *checkWatch {
	return &checkWatch{id: id, kind: spec.Checker.Kind(), log: log, report: report,
		timing: spec.Timing, logAll: logAll, tr: healthcheck.NewCheckTracker(spec.Timing)}
}

// configure takes a reloaded check's timing and logging switch; its state
// is kept, as the scheduler keeps the check's.
func (w *checkWatch) configure(t healthcheck.Timing, logAll bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timing, w.logAll = t, logAll
}

func (w *checkWatch) up() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.tr.Up()
}

// observe applies one probe result.
func (w *checkWatch) observe(r healthcheck.Result) {
	w.mu.Lock()
	wasUp, retries, t, logAll := w.tr.Up(), w.tr.Retries(), w.timing, w.logAll
	changed := w.tr.Step(t, r)
	up := w.tr.Up()
	w.mu.Unlock()
	// Built only when something is logged: this runs for every probe.
	attrs := func() []any { return []any{"vs", w.id.vs, "rs", w.id.rs, "check", w.id.check} }
	if r.Err != nil && wasUp && logAll {
		// keepalived logs each failure of an up checker, including the
		// ones its retries then forgive.
		w.log.Info("lvs: check failed", append(attrs(), "attempt", fmt.Sprintf("%d/%d", retries+1, t.Retry+1), "reason", r.Err.Error())...)
	}
	if !changed {
		return
	}
	ev := checkEvent{id: w.id, kind: w.kind, up: up}
	if up {
		w.log.Info("lvs: checker up", attrs()...)
	} else {
		// Worded as the scheduler words the real server's reason, so the
		// two kinds of mail read alike.
		ev.reason = fmt.Sprintf("%s %s failed: %v", w.kind, w.id.check, r.Err)
		w.log.Info("lvs: checker down", append(attrs(), "retries", t.Retry, "reason", ev.reason)...)
	}
	w.report(ev)
}

// attachCheck gives check spec of real server id its statistics and
// checkWatch: those it had (a reload keeps the check's state, as the
// scheduler does) or new ones starting as the scheduler's new check
// starts. It runs on the loop, before the scheduler gets spec.
func (s *Subsystem) attachCheck(id rsID, spec healthcheck.CheckSpec, logAll bool) {
	cid := checkID{id, spec.Name}
	if o := s.probes.get(cid); o != nil {
		o.watch.configure(spec.Timing, logAll)
		return
	}
	w := newCheckWatch(cid, spec, logAll, s.log, s.enqueueCheck)
	s.probes.set(cid, &checkObs{watch: w})
	if s.checkUp[id] == nil {
		s.checkUp[id] = map[string]bool{}
	}
	s.checkUp[id][spec.Name] = w.up()
}

// forgetChecks drops the checks of real server id that keep is false for
// (all of them for keep == nil).
func (s *Subsystem) forgetChecks(id rsID, keep func(check string) bool) {
	gone := s.probes.deleteIf(func(cid checkID) bool {
		return cid.rsID == id && (keep == nil || !keep(cid.check))
	})
	for _, cid := range gone {
		delete(s.checkUp[id], cid.check)
	}
	if keep == nil || len(s.checkUp[id]) == 0 {
		delete(s.checkUp, id)
	}
}

// enqueueCheck queues a checker change for the loop, with the scheduler's
// transitions (see enqueue).
func (s *Subsystem) enqueueCheck(ev checkEvent) {
	s.queueForLoop(func() { s.checkQueue = append(s.checkQueue, ev) })
}

// checkChanged records a checker's change and sends keepalived's
// checker-only mail: a change that leaves the real server's state as it
// was (another of its checkers is down) is mailed unless
// no_checker_emails is set. A change that does move the real server is
// mailed with the scheduler's transition (notifyReal), with or without
// no_checker_emails. It runs on the loop.
func (s *Subsystem) checkChanged(ev checkEvent) {
	states := s.checkUp[ev.id.rsID]
	if _, known := states[ev.id.check]; !known || s.stopping || s.stopped {
		return // removed by a reload, or shutting down
	}
	othersUp := true
	for name, up := range states {
		if name != ev.id.check && !up {
			othersUp = false
		}
	}
	states[ev.id.check] = ev.up
	if othersUp || s.cfg.Global.NoCheckerEmails {
		return
	}
	vp := s.plan.Lookup(ev.id.vs)
	if vp == nil {
		return
	}
	rp := vp.Real(ev.id.rs)
	if rp == nil || !rp.SMTPAlert {
		return
	}
	// The subject carries the real server's state, which this change
	// did not alter: another checker holds it down.
	e := notify.RealServerEvent(vp.Notify, rp.Notify, false, checkBody(ev.kind, ev.up, ev.reason))
	s.notifier.Mail(e)
}
