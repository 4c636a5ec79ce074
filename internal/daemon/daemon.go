package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/config/syntax"
	"github.com/alived/alived/internal/bfdd"
	"github.com/alived/alived/internal/lvs"
	"github.com/alived/alived/internal/notifyconf"
	"github.com/alived/alived/internal/vrrpd"
	"github.com/alived/alived/ipvs"
	"github.com/alived/alived/notify"
)

// Options configure a Daemon; they mirror keepalived's command line.
type Options struct {
	// ConfigFile is the keepalived.conf to load (-f); empty means
	// config.DefaultPath.
	ConfigFile string
	// ConfigID selects @id lines (-i); empty means Hostname.
	ConfigID string
	// Hostname is the default router_id and config id.
	Hostname string
	// KeepVIPs leaves virtual addresses in place on exit (-V).
	KeepVIPs bool
	// NoVRRP disables the VRRP side (-C: checker only).
	NoVRRP bool
	// NoLVS disables the health-check/IPVS side (-P: VRRP only).
	NoLVS bool
	// KeepIPVS leaves the IPVS table in place on exit (-I).
	KeepIPVS bool
	// IPVSRepairInterval is how often the LVS side compares the kernel's
	// IPVS table with the one it wants and undoes changes made behind its
	// back (an operator's `ipvsadm -d`). keepalived has no such repair: it
	// only writes the table on changes. Zero means
	// DefaultIPVSRepairInterval; negative disables repair.
	IPVSRepairInterval time.Duration
	// DialIPVS opens the kernel's IPVS table; the LVS side calls it only
	// when virtual servers are configured. Nil means netlink (ipvs.Dial);
	// tests pass one returning a fake.
	DialIPVS func() (ipvs.Client, error)
	// Logger receives the daemon's logs; nil discards them.
	Logger *slog.Logger
	// OverridesFile keeps the operators' runtime overrides (drain, maint,
	// weight) across restarts; empty keeps them in memory only.
	OverridesFile string
	// Now is the clock; nil means time.Now. Tests of the loop pass a fake.
	Now func() time.Time
}

// DefaultIPVSRepairInterval is how often, by default, drift in the
// kernel's IPVS table is repaired (Options.IPVSRepairInterval).
const DefaultIPVSRepairInterval = 5 * time.Second

// Snapshot is the daemon's published state: immutable once published.
type Snapshot struct {
	// Taken is when the loop published it.
	Taken time.Time
	// ConfigFile is the file the running configuration came from.
	ConfigFile string
	// Config is the running configuration (never changed once loaded):
	// what dumps and status read instead of the file, which may hold an
	// edit not yet reloaded.
	Config *config.Config
	// Reloads counts successful reloads.
	Reloads int
	// Components maps a component's name to its own snapshot.
	Components map[string]any
}

// commandKind is what a command asks the loop to do.
type commandKind int

const (
	cmdReload commandKind = iota + 1
	cmdStop
	// cmdFunc runs command.fn (the typed commands of commands.go).
	cmdFunc
)

// command is a request to the loop with its reply channel.
type command struct {
	kind  commandKind
	fn    func(now time.Time) error
	reply chan error
}

// Daemon is the event loop and everything it owns. Create it with New,
// drive it with Run; Reload, Stop and Snapshot may be called from any
// goroutine.
type Daemon struct {
	opts Options
	log  *slog.Logger
	now  func() time.Time

	events chan func(now time.Time)
	cmds   chan command
	done   chan struct{} // closed when Run returns
	snap   atomic.Pointer[Snapshot]

	cfg   *config.Config
	comps []Component
	// notifier is the one Notifier every component notifies through
	// (one writer per FIFO); Run builds it, reload replaces it when the
	// notification settings change, shutdown closes it.
	notifier *notify.Notifier
	reloads  int
	stopped  bool

	adapters sync.WaitGroup
}

// notifierCloseWait bounds how long shutdown waits for queued scripts
// and mails; notifierFlushWait bounds how long a Notifier a reload
// replaced may take to finish its queue, which it does off the loop.
const (
	notifierCloseWait = 2 * time.Second
	notifierFlushWait = 10 * time.Second
)

// eventBuffer bounds the queue between adapters and the loop. Adapters
// block when it is full, which back-pressures socket readers instead of
// losing state changes.
const eventBuffer = 1024

// New loads and checks the configuration and builds the components. It
// starts nothing: Run does.
func New(opts Options) (*Daemon, error) {
	if opts.ConfigFile == "" {
		opts.ConfigFile = config.DefaultPath
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Daemon{
		opts:   opts,
		log:    log,
		now:    opts.Now,
		events: make(chan func(time.Time), eventBuffer),
		cmds:   make(chan command),
		done:   make(chan struct{}),
	}
	cfg, err := d.load(false, config.Overlay{})
	if err != nil {
		return nil, err
	}
	d.cfg = cfg
	var vc *vrrpd.Subsystem
	if !opts.NoVRRP {
		vc = vrrpd.New(vrrpd.Options{Post: d.post, Go: d.goAdapter, KeepVIPs: opts.KeepVIPs,
			OnStateChange: d.vrrpStateChanged, Logger: log.With("component", "vrrp")})
	}
	// BFD first: it stops last, so its final AdminDown changes reach no
	// component that is still running. Without VRRP and LVS nobody would
	// hear of its sessions.
	if !opts.NoVRRP || !opts.NoLVS {
		bo := bfdd.Options{Post: d.post, Go: d.goAdapter, Logger: log.With("component", "bfd"), ToChecker: d.bfdToCheckers}
		if vc != nil {
			bo.ToVRRP = vc.BFDStateChanged
		}
		d.comps = append(d.comps, bfdd.New(bo))
	}
	if vc != nil {
		d.comps = append(d.comps, vc)
	}
	if !opts.NoLVS {
		repair := opts.IPVSRepairInterval
		if repair == 0 {
			repair = DefaultIPVSRepairInterval
		}
		c, err := lvs.New(lvs.Options{
			Post: d.post, Dial: opts.DialIPVS, KeepIPVS: opts.KeepIPVS,
			RepairInterval: max(repair, 0), Logger: log.With("component", "lvs"),
		})
		if err != nil {
			return nil, fmt.Errorf("lvs: %w", err)
		}
		d.comps = append(d.comps, c)
	}
	for _, c := range d.comps {
		if err := c.Check(cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name(), err)
		}
	}
	return d, nil
}

// ConfigError is a configuration the daemon refused, with every
// diagnostic as "file:line: severity: message".
type ConfigError struct {
	Diagnostics []string
}

// Diags returns the diagnostics (control.Diagnosed).
func (e *ConfigError) Diags() []string { return e.Diagnostics }

func (e *ConfigError) Error() string {
	return "configuration rejected:\n  " + strings.Join(e.Diagnostics, "\n  ")
}

// load reads and checks the configuration the one way (config.Check) and
// logs every diagnostic of a configuration it accepts; ov holds a
// candidate's files in memory (the zero Overlay reads the disk as it is),
// so a candidate is checked exactly as a reload would read it. At start-up, as keepalived does, only fatal
// problems refuse the file (errors are logged and the offending parts were
// dropped by the decoder); on reload any load or validation error refuses
// it, because the running state is known good and a typo must not take
// instances down (see config.Checked.Refusals).
func (d *Daemon) load(reload bool, ov config.Overlay) (*config.Config, error) {
	c, err := d.check(reload, ov)
	if err != nil {
		return nil, err
	}
	for _, dg := range c.Diagnostics {
		if dg.Severity >= syntax.Error {
			d.log.Error("config", "diag", config.Format(dg))
		} else {
			d.log.Warn("config", "diag", config.Format(dg))
		}
	}
	return c.Config, nil
}

// check reads the configuration (under ov) the one way the daemon reads
// it and returns a *ConfigError with the diagnostics that refuse it, at
// start-up (reload false) or on reload.
func (d *Daemon) check(reload bool, ov config.Overlay) (*config.Checked, error) {
	c := config.Check(d.opts.ConfigFile, config.CheckOptions{ConfigID: d.opts.ConfigID, Hostname: d.opts.Hostname, Overlay: ov})
	if refused := c.Refusals(reload); len(refused) > 0 {
		bad := make([]string, 0, len(refused))
		for _, dg := range refused {
			bad = append(bad, config.Format(dg))
		}
		return nil, &ConfigError{Diagnostics: bad}
	}
	return c, nil
}

// post hands fn to the loop; it blocks while the queue is full and gives
// up once the loop has stopped. Adapters call it; fn runs on the loop.
func (d *Daemon) post(fn func(now time.Time)) {
	select {
	case d.events <- fn:
	case <-d.done:
	}
}

// goAdapter runs fn as an adapter goroutine that Run waits for on exit;
// fn must return once its own stop condition (a closed socket, a
// cancelled context) holds.
func (d *Daemon) goAdapter(fn func()) {
	d.adapters.Add(1)
	go func() {
		defer d.adapters.Done()
		fn()
	}()
}

// Run starts the components and runs the loop until ctx is cancelled or
// Stop is called, then shuts the components down. It returns an error only
// if start-up failed.
func (d *Daemon) Run(ctx context.Context) error {
	defer func() {
		close(d.done)
		d.adapters.Wait()
	}()
	d.setNotifier(d.buildNotifier(d.cfg))
	vrrpd.InitTrackFiles(d.cfg, false, d.log)
	d.restoreOverrides()
	now := d.now()
	for i, c := range d.comps {
		if err := c.Start(now, d.cfg); err != nil {
			for _, s := range d.comps[:i] {
				s.Stop(now)
			}
			closeNotifier(d.notifier, notifierCloseWait)
			return fmt.Errorf("starting %s: %w", c.Name(), err)
		}
	}
	d.log.Info("started", "config", d.opts.ConfigFile)
	d.reportDropped()
	d.publish(now)

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for !d.stopped {
		d.arm(timer, d.now())
		select {
		case <-ctx.Done():
			d.shutdown()
		case fn := <-d.events:
			fn(d.now())
			// Run what queued meanwhile before touching the timer again,
			// so a burst of adverts costs one publish.
			for more := true; more; {
				select {
				case fn := <-d.events:
					fn(d.now())
				default:
					more = false
				}
			}
		case <-timer.C:
		case c := <-d.cmds:
			c.reply <- d.execute(c)
		}
		now := d.now()
		for _, c := range d.comps {
			if dl := c.NextDeadline(); !dl.IsZero() && !now.Before(dl) {
				c.Tick(now)
			}
		}
		d.publish(now)
	}
	return nil
}

// arm sets timer to the earliest component deadline.
func (d *Daemon) arm(timer *time.Timer, now time.Time) {
	var next time.Time
	for _, c := range d.comps {
		if dl := c.NextDeadline(); !dl.IsZero() && (next.IsZero() || dl.Before(next)) {
			next = dl
		}
	}
	wait := time.Hour
	if !next.IsZero() {
		wait = max(next.Sub(now), 0)
	}
	timer.Reset(wait)
}

// execute runs one command on the loop.
func (d *Daemon) execute(c command) error {
	switch c.kind {
	case cmdReload:
		return d.reload()
	case cmdStop:
		d.shutdown()
		return nil
	case cmdFunc:
		return c.fn(d.now())
	}
	return fmt.Errorf("unknown command %d", c.kind)
}

// shutdown stops every component, last started first.
func (d *Daemon) shutdown() {
	if d.stopped {
		return
	}
	now := d.now()
	for i := len(d.comps) - 1; i >= 0; i-- {
		d.comps[i].Stop(now)
	}
	// Last: the components' final notifications (STOP, real servers
	// going away) are queued in it.
	closeNotifier(d.notifier, notifierCloseWait)
	d.stopped = true
	d.log.Info("stopped")
}

// reload loads the configuration again and applies it as a diff; a
// configuration that fails to load or that any component refuses leaves
// everything as it was.
func (d *Daemon) reload() error {
	cfg, err := d.load(true, config.Overlay{})
	if err != nil {
		d.log.Error("reload rejected", "err", err)
		return err
	}
	return d.reloadTo(cfg)
}

// reloadTo applies cfg, already read and validated, as a diff; a cfg a
// component refuses leaves everything as it was.
func (d *Daemon) reloadTo(cfg *config.Config) error {
	if err := d.checkComponents(cfg); err != nil {
		err = fmt.Errorf("reload %w", err)
		d.log.Error("reload rejected", "err", err)
		return err
	}
	if !notifyconf.SameNotifier(d.cfg, cfg) {
		// New FIFOs, mail or script identity: every component switches to
		// a new Notifier before it reloads, and the old one finishes its
		// queued scripts and mails off the loop.
		old := d.notifier
		d.setNotifier(d.buildNotifier(cfg))
		d.goAdapter(func() { closeNotifier(old, notifierFlushWait) })
	}
	vrrpd.InitTrackFiles(cfg, true, d.log)
	now := d.now()
	var errs []error
	for _, c := range d.comps {
		if err := c.Reload(now, cfg); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.Name(), err))
		}
	}
	d.cfg = cfg
	d.reportDropped()
	d.reloads++
	d.log.Info("reloaded", "config", d.opts.ConfigFile, "reloads", d.reloads)
	return errors.Join(errs...)
}

// publish stores a fresh snapshot.
func (d *Daemon) publish(now time.Time) {
	s := &Snapshot{Taken: now, ConfigFile: d.opts.ConfigFile, Config: d.cfg, Reloads: d.reloads, Components: map[string]any{}}
	for _, c := range d.comps {
		s.Components[c.Name()] = c.Snapshot()
	}
	d.snap.Store(s)
}

// Snapshot returns the latest published state (nil before Run started).
func (d *Daemon) Snapshot() *Snapshot { return d.snap.Load() }

// send delivers a command to the loop and waits for its result.
func (d *Daemon) send(ctx context.Context, k commandKind) error {
	return d.sendCommand(ctx, command{kind: k, reply: make(chan error, 1)})
}

// sendCommand delivers c to the loop and waits for its result.
func (d *Daemon) sendCommand(ctx context.Context, c command) error {
	select {
	case d.cmds <- c:
	case <-d.done:
		return errors.New("daemon not running")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-c.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Reload asks the loop to reload the configuration (SIGHUP) and returns
// its verdict: a *ConfigError when the new file was refused.
func (d *Daemon) Reload(ctx context.Context) error { return d.send(ctx, cmdReload) }

// Stop asks the loop to shut down gracefully; Run then returns.
func (d *Daemon) Stop(ctx context.Context) error { return d.send(ctx, cmdStop) }

// vrrpStateChanged passes a VRRP instance's state change to every
// component that observes them (see VRRPStateObserver). It runs on the
// loop goroutine, called by the VRRP side (vrrpd.Options.OnStateChange).
func (d *Daemon) vrrpStateChanged(now time.Time, instance string, master bool) {
	for _, c := range d.comps {
		if o, ok := c.(VRRPStateObserver); ok {
			o.VRRPStateChanged(now, instance, master)
		}
	}
}

// bfdToCheckers passes a bfd_instance's change to every component other
// than the VRRP side that observes sessions (see BFDObserver): the
// checker side of keepalived, which BFD_CHECK follows. The BFD component
// calls it on the loop goroutine for the sessions the checker side hears
// of; the VRRP side is told directly.
func (d *Daemon) bfdToCheckers(now time.Time, name string, up bool) {
	for _, c := range d.comps {
		o, ok := c.(BFDObserver)
		if !ok {
			continue
		}
		if _, isVRRP := c.(*vrrpd.Subsystem); isVRRP {
			continue
		}
		o.BFDStateChanged(now, name, up)
	}
}
