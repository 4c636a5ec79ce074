// Package bfdd is the daemon's BFD component: it runs every bfd_instance
// and tells the VRRP side (track_bfd) and the checker side (BFD_CHECK)
// when a session enters or leaves Up. The daemon's loop hosts it as one
// of its components, as it hosts internal/lvs and internal/vrrpd; this
// package does not import the daemon.
package bfdd

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/alived/alived/bfd"
	"github.com/alived/alived/bfd/netio"
	"github.com/alived/alived/config"
	"github.com/alived/alived/status"
)

// StateFunc is told that session name entered (up) or left Up. It runs
// on the loop goroutine.
type StateFunc func(now time.Time, name string, up bool)

// Options configure a Subsystem.
type Options struct {
	// Post hands a function to the owning event loop, which runs it on the
	// loop goroutine (the daemon's post). Required by Start.
	Post func(func(now time.Time))
	// Go runs a goroutine the owner waits for before it exits (the
	// daemon's adapter group): the runner, whose last act is sending
	// AdminDown on every session. Required by Start.
	Go func(func())
	// ToVRRP is told of the changes of the sessions the VRRP side hears
	// of (the bfd_instance says `vrrp`, or neither `vrrp` nor `checker`);
	// nil tells nobody.
	ToVRRP StateFunc
	// ToChecker is told of the changes of the sessions the checker side
	// hears of (`checker`, or neither keyword); nil tells nobody.
	ToChecker StateFunc
	// Logger; nil discards.
	Logger *slog.Logger
}

// Subsystem runs every bfd_instance. The sessions and their timers live
// in a netio.Runner with a goroutine of its own (keepalived runs BFD as a
// separate process for the same reason: 10 ms timers must not wait
// behind other work); only Up/not-Up changes reach the loop. Its methods
// (those of the daemon's Component interface) run on the loop goroutine.
type Subsystem struct {
	opt Options
	log *slog.Logger

	runner *netio.Runner
	cancel context.CancelFunc
	insts  map[string]*config.BFDInstance
	state  map[string]status.BFDSession

	// Changes from the runner wait here for the loop (changed,
	// flushQueued).
	mu     sync.Mutex
	queue  []netio.Change
	posted bool
}

// Snapshot is the BFD component's snapshot: sessions sorted by name, as
// the status API shows them.
type Snapshot struct {
	Sessions []status.BFDSession `json:"sessions"`
}

// New returns an idle Subsystem; Start brings it up.
func New(opt Options) *Subsystem {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Subsystem{opt: opt, log: log,
		insts: map[string]*config.BFDInstance{}, state: map[string]status.BFDSession{}}
}

// Name identifies the component in the daemon's logs and snapshots.
func (c *Subsystem) Name() string { return "bfd" }

// Check reports why cfg cannot be applied: every bfd_instance the
// decoder kept can run, so never.
func (c *Subsystem) Check(*config.Config) error { return nil }

// sessionConfigs maps the bfd_instance blocks onto runner sessions.
func sessionConfigs(cfg *config.Config) []netio.SessionConfig {
	var out []netio.SessionConfig
	for _, b := range cfg.BFDInstances {
		if !b.Neighbor.IsValid() {
			continue // the decoder reported it
		}
		out = append(out, netio.SessionConfig{
			Config: bfd.Config{
				Name: b.Name, DesiredMinTx: b.MinTx, RequiredMinRx: b.MinRx, IdleTx: b.IdleTx,
				DetectMult: uint8(b.Multiplier), Passive: b.Passive, TTL: b.TTL, MaxHops: b.MaxHops,
			},
			Neighbor: b.Neighbor, Source: b.Source, Multihop: b.Multihop,
		})
	}
	return out
}

// Start opens the sockets of every session (a session that cannot start
// is logged and left out, as keepalived disables such an instance) and
// starts the runner.
func (c *Subsystem) Start(now time.Time, cfg *config.Config) error {
	c.runner = netio.NewRunner(netio.Options{OnChange: c.changed, Logger: c.log})
	c.configure(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	r := c.runner
	c.opt.Go(func() {
		if err := r.Run(ctx); err != nil {
			c.log.Error("bfd: runner stopped", "err", err)
		}
	})
	return nil
}

func (c *Subsystem) configure(cfg *config.Config) {
	if err := c.runner.Configure(sessionConfigs(cfg)); err != nil {
		c.log.Error("bfd: sessions not started", "err", err)
	}
	insts := map[string]*config.BFDInstance{}
	for _, b := range cfg.BFDInstances {
		insts[b.Name] = b
		if _, ok := c.state[b.Name]; !ok {
			c.state[b.Name] = status.BFDSession{Name: b.Name, Neighbor: b.Neighbor.String(), State: bfd.StateDown.String()}
		}
	}
	for name := range c.state {
		if insts[name] == nil {
			delete(c.state, name)
		}
	}
	c.insts = insts
}

// Reload applies cfg: sessions whose name and endpoint are unchanged
// keep their state (new timers go through a Poll Sequence); the others
// are stopped or started.
func (c *Subsystem) Reload(now time.Time, cfg *config.Config) error {
	c.configure(cfg)
	return nil
}

// Stop makes the runner send AdminDown on every session and close its
// sockets; the owner waits for it through Options.Go.
func (c *Subsystem) Stop(time.Time) {
	if c.cancel != nil {
		c.cancel()
	}
}

// NextDeadline is always zero: the runner keeps its own timers.
func (c *Subsystem) NextDeadline() time.Time { return time.Time{} }

// Tick does nothing (see NextDeadline).
func (c *Subsystem) Tick(time.Time) {}

// Snapshot returns the sessions' state as a Snapshot.
func (c *Subsystem) Snapshot() any {
	s := Snapshot{Sessions: make([]status.BFDSession, 0, len(c.state))}
	for _, st := range c.state {
		s.Sessions = append(s.Sessions, st)
	}
	sort.Slice(s.Sessions, func(i, k int) bool { return s.Sessions[i].Name < s.Sessions[k].Name })
	return s
}

// changed runs on the runner's goroutine and queues the change for the
// loop. It never blocks: the loop may itself be waiting for the runner
// (Reload calls Configure), so a blocking hand-over could deadlock when
// the loop's queue is full. One posting goroutine at a time carries the
// queue over; it ends when the loop takes the flush or stops.
func (c *Subsystem) changed(ch netio.Change) {
	c.mu.Lock()
	c.queue = append(c.queue, ch)
	post := !c.posted
	c.posted = true
	c.mu.Unlock()
	if post {
		go c.opt.Post(c.flushQueued)
	}
}

// flushQueued applies the queued changes in order; it runs on the loop.
func (c *Subsystem) flushQueued(now time.Time) {
	c.mu.Lock()
	q := c.queue
	c.queue, c.posted = nil, false
	c.mu.Unlock()
	for _, ch := range q {
		c.apply(now, ch)
	}
}

// apply records a change and tells the sides when the session entered or
// left Up: keepalived's VRRP and checker processes only learn "up" or
// "down".
func (c *Subsystem) apply(now time.Time, ch netio.Change) {
	b := c.insts[ch.Name]
	if b == nil {
		return // a session a reload removed
	}
	st := c.state[ch.Name]
	st.Name, st.Neighbor = b.Name, b.Neighbor.String()
	st.State, st.Diag, st.Since = ch.To.String(), ch.Diag.String(), ch.Time
	st.Transitions++
	c.state[ch.Name] = st
	wasUp, up := ch.From == bfd.StateUp, ch.To == bfd.StateUp
	if wasUp == up {
		return
	}
	// Neither keyword: both sides are told.
	if (b.VRRP || !b.Checker) && c.opt.ToVRRP != nil {
		c.opt.ToVRRP(now, ch.Name, up)
	}
	if (b.Checker || !b.VRRP) && c.opt.ToChecker != nil {
		c.opt.ToChecker(now, ch.Name, up)
	}
}
