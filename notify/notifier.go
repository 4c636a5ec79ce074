package notify

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// StopScriptTimeout is keepalived's limit for notify_stop scripts, which
// run while the daemon shuts down.
const StopScriptTimeout = time.Second

// Config assembles a Notifier. The Notifier takes ownership of the FIFOs
// and the Mailer given here and closes them in Close.
type Config struct {
	// RouterID is global_defs router_id, used in mail subjects.
	RouterID string
	// Runner runs scripts; nil means a Runner with defaults.
	Runner *Runner
	// ScriptQueueLen bounds waiting scripts per instance/server; zero
	// means DefaultQueueLen.
	ScriptQueueLen int
	// FIFO is notify_fifo (gets every line); VRRPFIFO and LVSFIFO are
	// vrrp_notify_fifo and lvs_notify_fifo. Nil ones are not configured.
	FIFO, VRRPFIFO, LVSFIFO *FIFO
	// Mailer sends SMTP alerts; nil sends none.
	Mailer *Mailer
	// NoEmailFaults is no_email_faults: no mail for FAULT transitions.
	NoEmailFaults bool
	// Logger; nil discards.
	Logger *slog.Logger
}

// Notifier performs everything keepalived does for one Event, in
// keepalived's order: scripts (state-specific, then generic), FIFO lines,
// then the alert mail. Notify never blocks: scripts and mails go through
// bounded queues, FIFO writes are non-blocking.
type Notifier struct {
	cfg     Config
	logger  *slog.Logger
	scripts *Dispatcher

	mu       sync.Mutex
	lastMail map[string]State // per instance/group: keepalived's last_email_state

	scriptsFailed, scriptsTimedOut atomic.Uint64
}

// Stats are a Notifier's counters, for metrics.
type Stats struct {
	// Scripts counts queued script batches (one per event).
	Scripts DispatcherStats
	// ScriptsFailed counts scripts that exited non-zero or could not
	// start; ScriptsTimedOut those killed by their timeout.
	ScriptsFailed, ScriptsTimedOut uint64
	// Mail is zero when no Mailer is configured.
	Mail MailerStats
	// FIFO, VRRPFIFO and LVSFIFO are zero for FIFOs not configured.
	FIFO, VRRPFIFO, LVSFIFO FIFOStats
}

// Stats returns the counters of the Notifier and everything it owns.
func (n *Notifier) Stats() Stats {
	s := Stats{
		Scripts:         n.scripts.Stats(),
		ScriptsFailed:   n.scriptsFailed.Load(),
		ScriptsTimedOut: n.scriptsTimedOut.Load(),
	}
	if n.cfg.Mailer != nil {
		s.Mail = n.cfg.Mailer.Stats()
	}
	for dst, f := range map[*FIFOStats]*FIFO{&s.FIFO: n.cfg.FIFO, &s.VRRPFIFO: n.cfg.VRRPFIFO, &s.LVSFIFO: n.cfg.LVSFIFO} {
		if f != nil {
			*dst = f.Stats()
		}
	}
	return s
}

// NewNotifier returns a Notifier; Close stops it.
func NewNotifier(cfg Config) *Notifier {
	// A private copy: filling in the logger must not change the caller's
	// Runner.
	r := Runner{}
	if cfg.Runner != nil {
		r = *cfg.Runner
	}
	cfg.Runner = &r
	l := cfg.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	if r.Logger == nil {
		r.Logger = l
	}
	return &Notifier{cfg: cfg, logger: l, scripts: NewDispatcher(cfg.ScriptQueueLen), lastMail: map[string]State{}}
}

// orderKey is the queue a script of e waits in: scripts of one instance,
// group, virtual or real server run in order, others concurrently.
func orderKey(e Event) string {
	switch e.Kind {
	case KindRealServer:
		return "RS " + e.RS.trio() + " " + e.VS.String()
	case KindVirtualServer:
		return "VS " + e.VS.String()
	}
	return e.Kind.String() + " " + e.Name
}

// Notify runs cmds (from VRRPScripts.Commands or UpDownScripts.Commands)
// for e, writes e's FIFO line, and, if mail is set (smtp_alert enabled
// for the instance, group or server), sends e's alert mail. For instances
// and groups a mail is sent only when the state differs from the last one
// mailed, as keepalived does. It reports whether every part was queued or
// written; failures are also counted where they happen.
func (n *Notifier) Notify(e Event, cmds []Command, mail bool) bool {
	ok := true
	if len(cmds) > 0 {
		runner := n.cfg.Runner
		if e.State == StateStop && (e.Kind == KindInstance || e.Kind == KindGroup) {
			// keepalived gives stop scripts one second: shutdown must not
			// wait on them.
			r := *runner
			r.Timeout = StopScriptTimeout
			runner = &r
		}
		if !n.scripts.Submit(orderKey(e), func(ctx context.Context) {
			for _, c := range cmds {
				res := runner.Run(ctx, c)
				switch {
				case res.TimedOut:
					n.scriptsTimedOut.Add(1)
				case res.Err != nil:
					n.scriptsFailed.Add(1)
				}
			}
		}) {
			n.logger.Warn("notify script queue full, scripts dropped", "event", e.String())
			ok = false
		}
	}
	if line := e.FIFOLine(); line != "" {
		for _, f := range n.fifosFor(e.Class()) {
			ok = f.WriteLine(line) && ok
		}
	}
	if mail && n.cfg.Mailer != nil && n.shouldMail(e) {
		if a, has := AlertFor(e, n.cfg.RouterID); has {
			ok = n.cfg.Mailer.Send(a) && ok
		}
	}
	return ok
}

func (n *Notifier) fifosFor(c Class) []*FIFO {
	var out []*FIFO
	if c == ClassNone {
		return nil
	}
	if n.cfg.FIFO != nil {
		out = append(out, n.cfg.FIFO)
	}
	if c == ClassVRRP && n.cfg.VRRPFIFO != nil {
		out = append(out, n.cfg.VRRPFIFO)
	}
	if c == ClassLVS && n.cfg.LVSFIFO != nil {
		out = append(out, n.cfg.LVSFIFO)
	}
	return out
}

// shouldMail applies no_email_faults and, for VRRP, last_email_state.
func (n *Notifier) shouldMail(e Event) bool {
	if e.Kind != KindInstance && e.Kind != KindGroup {
		return e.Kind == KindRealServer || e.Kind == KindVirtualServer
	}
	if !e.State.isTransition() {
		return false
	}
	if n.cfg.NoEmailFaults && e.State == StateFault {
		return false
	}
	key := orderKey(e)
	n.mu.Lock()
	defer n.mu.Unlock()
	if last, seen := n.lastMail[key]; seen && last == e.State {
		return false
	}
	n.lastMail[key] = e.State
	return true
}

// Close waits for queued scripts and mails until ctx ends (then kills
// what still runs), stops FIFO reader scripts and closes the FIFOs.
func (n *Notifier) Close(ctx context.Context) error {
	var errs []error
	errs = append(errs, n.scripts.Close(ctx))
	if n.cfg.Mailer != nil {
		errs = append(errs, n.cfg.Mailer.Close(ctx))
	}
	for _, f := range []*FIFO{n.cfg.FIFO, n.cfg.VRRPFIFO, n.cfg.LVSFIFO} {
		if f != nil {
			errs = append(errs, f.Close(ctx))
		}
	}
	return errors.Join(errs...)
}
