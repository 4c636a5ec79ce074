package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/config/syntax"
	"github.com/alived/alived/internal/notifyconf"
	"github.com/alived/alived/status"
)

// The loop's typed commands beyond reload and stop. Each runs on the loop
// goroutine, so it sees and changes component state without locks; the
// exported method waits for the result. They are what the control API
// (alivectl, the web UI) drives the daemon with; the status reader
// (metrics, dumps) never gets a handle on them.

// Previewer is implemented by a component that can tell what a reload
// would change without changing anything (the VRRP and LVS sides); Preview
// asks every one, on the loop goroutine, after every component's Check
// accepted cfg.
type Previewer interface {
	// Preview adds to out what Reload(cfg) would do.
	Preview(cfg *config.Config, out *status.Preview)
}

// call runs fn on the loop and returns its error.
func (d *Daemon) call(ctx context.Context, fn func(now time.Time) error) error {
	return d.sendCommand(ctx, command{kind: cmdFunc, fn: fn, reply: make(chan error, 1)})
}

// Check reports whether every component would accept cfg on reload,
// changing nothing.
func (d *Daemon) Check(ctx context.Context, cfg *config.Config) error {
	return d.call(ctx, func(time.Time) error { return d.checkComponents(cfg) })
}

// checkComponents runs every component's Check on cfg.
func (d *Daemon) checkComponents(cfg *config.Config) error {
	for _, c := range d.comps {
		if err := c.Check(cfg); err != nil {
			return fmt.Errorf("rejected by %s: %w", c.Name(), err)
		}
	}
	return nil
}

// Preview checks cfg as a reload would and reports what applying it would
// change: VRRP instances kept, added, removed or restarted, kernel table
// operations, checks started or stopped, and whether the notifier is
// replaced. Nothing changes. A cfg a component refuses is an error.
func (d *Daemon) Preview(ctx context.Context, cfg *config.Config) (*status.Preview, error) {
	p := &status.Preview{}
	err := d.call(ctx, func(time.Time) error {
		if err := d.checkComponents(cfg); err != nil {
			return err
		}
		for _, c := range d.comps {
			if pv, ok := c.(Previewer); ok {
				pv.Preview(cfg, p)
			}
		}
		p.NotifierChanged = !notifyconf.SameNotifier(d.cfg, cfg)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Candidate reads the configuration with ov laid over the files on disk,
// exactly as a reload would read it, and previews it (see Preview). A
// candidate a reload would refuse is a *ConfigError with every refusing
// diagnostic; warnings below that are in the preview. Nothing is written
// or changed, and the daemon's log is not touched: the caller reports.
func (d *Daemon) Candidate(ctx context.Context, ov config.Overlay) (*status.Preview, error) {
	c, err := d.check(true, ov)
	if err != nil {
		return nil, err
	}
	p, err := d.Preview(ctx, c.Config)
	if err != nil {
		return nil, err
	}
	for _, dg := range c.Diagnostics {
		if dg.Severity < syntax.Error {
			p.Warnings = append(p.Warnings, config.Format(dg))
		}
	}
	return p, nil
}

// CheckCandidate is Candidate without the preview: it reads the
// configuration with ov laid over the disk as a reload would and asks
// every component whether it would accept it. The configuration it
// returns can be handed to ReloadWith once the files on disk hold ov.
func (d *Daemon) CheckCandidate(ctx context.Context, ov config.Overlay) (*config.Config, error) {
	c, err := d.check(true, ov)
	if err != nil {
		return nil, err
	}
	if err := d.Check(ctx, c.Config); err != nil {
		return nil, err
	}
	return c.Config, nil
}

// ReloadWith reloads as a diff to cfg, a configuration CheckCandidate
// read from exactly the files now on disk, so the control service's apply
// does not parse the same files a third time. It refuses, changing
// nothing, what a reload would refuse.
func (d *Daemon) ReloadWith(ctx context.Context, cfg *config.Config) error {
	return d.call(ctx, func(time.Time) error { return d.reloadTo(cfg) })
}
