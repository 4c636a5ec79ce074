package daemon

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

// BFDObserver is implemented by a component that follows bfd_instance
// sessions: the VRRP side (track_bfd) and the LVS side (BFD_CHECK). The
// loop calls it on the loop goroutine whenever a session enters or
// leaves Up; which sides are told depends on the bfd_instance's `vrrp`
// and `checker` keywords, as in keepalived.
type BFDObserver interface {
	// BFDStateChanged reports that session name is now up (Up) or not.
	BFDStateChanged(now time.Time, name string, up bool)
}

// bfdComponent runs every bfd_instance. The sessions and their timers
// live in a netio.Runner with a goroutine of its own (keepalived runs BFD
// as a separate process for the same reason: 10 ms timers must not wait
// behind other work); only Up/not-Up changes reach the loop.
type bfdComponent struct {
	post      func(func(time.Time))
	goAdapter func(func())
	log       *slog.Logger
	// tell fans a change out to the observers (the daemon's
	// bfdStateChanged).
	tell func(now time.Time, name string, up, vrrp, checker bool)

	runner *netio.Runner
	cancel context.CancelFunc
	insts  map[string]*config.BFDInstance
	state  map[string]status.BFDSession

	// Changes from the runner wait here for the loop (changed, drain).
	mu     sync.Mutex
	queue  []netio.Change
	posted bool
}

// BFDSnapshot is the BFD component's snapshot: sessions sorted by name,
// as the status API shows them.
type BFDSnapshot struct {
	Sessions []status.BFDSession `json:"sessions"`
}

func newBFDComponent(post func(func(time.Time)), goAdapter func(func()), log *slog.Logger,
	tell func(now time.Time, name string, up, vrrp, checker bool)) *bfdComponent {
	return &bfdComponent{post: post, goAdapter: goAdapter, log: log, tell: tell,
		insts: map[string]*config.BFDInstance{}, state: map[string]status.BFDSession{}}
}

// Name implements Component.
func (c *bfdComponent) Name() string { return "bfd" }

// Check implements Component: every bfd_instance the decoder kept can run.
func (c *bfdComponent) Check(*config.Config) error { return nil }

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

// Start implements Component: it opens the sockets of every session (a
// session that cannot start is logged and left out, as keepalived
// disables such an instance) and starts the runner.
func (c *bfdComponent) Start(now time.Time, cfg *config.Config) error {
	c.runner = netio.NewRunner(netio.Options{OnChange: c.changed, Logger: c.log})
	c.configure(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	r := c.runner
	c.goAdapter(func() {
		if err := r.Run(ctx); err != nil {
			c.log.Error("bfd: runner stopped", "err", err)
		}
	})
	return nil
}

func (c *bfdComponent) configure(cfg *config.Config) {
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

// Reload implements Component: sessions whose name and endpoint are
// unchanged keep their state (new timers go through a Poll Sequence);
// the others are stopped or started.
func (c *bfdComponent) Reload(now time.Time, cfg *config.Config) error {
	c.configure(cfg)
	return nil
}

// Stop implements Component: the runner sends AdminDown on every session
// and closes its sockets; Run waits for it as an adapter.
func (c *bfdComponent) Stop(time.Time) {
	if c.cancel != nil {
		c.cancel()
	}
}

// NextDeadline implements Component: the runner keeps its own timers.
func (c *bfdComponent) NextDeadline() time.Time { return time.Time{} }

// Tick implements Component.
func (c *bfdComponent) Tick(time.Time) {}

// Snapshot implements Component.
func (c *bfdComponent) Snapshot() any {
	s := BFDSnapshot{Sessions: make([]status.BFDSession, 0, len(c.state))}
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
// queue over; it ends when the loop takes the drain or stops.
func (c *bfdComponent) changed(ch netio.Change) {
	c.mu.Lock()
	c.queue = append(c.queue, ch)
	post := !c.posted
	c.posted = true
	c.mu.Unlock()
	if post {
		go c.post(c.drain)
	}
}

// drain applies the queued changes in order; it runs on the loop.
func (c *bfdComponent) drain(now time.Time) {
	c.mu.Lock()
	q := c.queue
	c.queue, c.posted = nil, false
	c.mu.Unlock()
	for _, ch := range q {
		c.apply(now, ch)
	}
}

// apply records a change and tells the observers when the session
// entered or left Up: keepalived's VRRP and checker processes only learn
// "up" or "down".
func (c *bfdComponent) apply(now time.Time, ch netio.Change) {
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
	toVRRP, toChecker := b.VRRP || !b.Checker, b.Checker || !b.VRRP
	c.tell(now, ch.Name, up, toVRRP, toChecker)
}

// bfdStateChanged passes a session's change to the VRRP side (if vrrp)
// and to every other BFDObserver (if checker).
func (d *Daemon) bfdStateChanged(now time.Time, name string, up, vrrp, checker bool) {
	for _, c := range d.comps {
		o, ok := c.(BFDObserver)
		if !ok {
			continue
		}
		if _, isVRRP := c.(*vrrpComponent); isVRRP && !vrrp || !isVRRP && !checker {
			continue
		}
		o.BFDStateChanged(now, name, up)
	}
}
