package daemon

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/alived/alived/config/ident"
	"github.com/alived/alived/internal/atomicfile"
	"github.com/alived/alived/internal/lvs"
)

// overrideOwner is the component that owns runtime overrides (the LVS
// side). Its methods run on the loop.
type overrideOwner interface {
	SetOverride(now time.Time, vs ident.VS, rs *ident.RS, o lvs.Override) error
	ClearOverride(now time.Time, vs ident.VS, rs *ident.RS) error
	Overrides() lvs.OverrideSet
	RestoreOverrides(set lvs.OverrideSet) []error
	DroppedOverrides() []lvs.OverrideEntry
}

// ErrNoOverrides is returned when no component takes overrides (alived
// runs with -P, VRRP only).
var ErrNoOverrides = errors.New("runtime overrides need the LVS side (alived runs VRRP only)")

// owner returns the component that owns overrides, if any.
func (d *Daemon) owner() overrideOwner {
	for _, c := range d.comps {
		if o, ok := c.(overrideOwner); ok {
			return o
		}
	}
	return nil
}

// SetOverride sets (o.Kind not empty) or clears (o.Kind empty: "ready")
// an operator override of a real server, or of every real server of a
// virtual server when rs is nil. The kernel table has changed when it
// returns; the override set is then saved to the state file, so it
// survives a restart. Errors change nothing: an unknown target is an
// *lvs.NotFoundError.
func (d *Daemon) SetOverride(ctx context.Context, vs ident.VS, rs *ident.RS, o lvs.Override) (lvs.OverrideSet, error) {
	var set lvs.OverrideSet
	err := d.call(ctx, func(now time.Time) error {
		own := d.owner()
		if own == nil {
			return ErrNoOverrides
		}
		var err error
		if o.Kind == "" {
			err = own.ClearOverride(now, vs, rs)
		} else {
			err = own.SetOverride(now, vs, rs, o)
		}
		set = own.Overrides()
		return err
	})
	if err != nil {
		return lvs.OverrideSet{}, err
	}
	d.saveOverrides(set)
	return set, nil
}

// Overrides returns the overrides in force.
func (d *Daemon) Overrides(ctx context.Context) (lvs.OverrideSet, error) {
	var set lvs.OverrideSet
	err := d.call(ctx, func(time.Time) error {
		if own := d.owner(); own != nil {
			set = own.Overrides()
		}
		return nil
	})
	return set, err
}

// saveOverrides writes the override set to Options.OverridesFile. A
// failure is logged, not returned: the override is in force, only its
// survival across a restart is at risk, and the log says so.
func (d *Daemon) saveOverrides(set lvs.OverrideSet) {
	if d.opts.OverridesFile == "" {
		return
	}
	b, err := lvs.MarshalOverrides(set)
	if err == nil {
		err = atomicfile.Write(d.opts.OverridesFile, b, 0o600)
	}
	if err != nil {
		d.log.Error("overrides: cannot save; they are in force but will not survive a restart", "file", d.opts.OverridesFile, "err", err)
	}
}

// restoreOverrides reads the state file before the components start. A
// missing file is normal; a corrupt one is a warning, never a failed
// start: the daemon then runs without overrides, as configured.
func (d *Daemon) restoreOverrides() {
	own := d.owner()
	if own == nil || d.opts.OverridesFile == "" {
		return
	}
	b, err := os.ReadFile(d.opts.OverridesFile)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		d.log.Warn("overrides: cannot read the state file; starting without overrides", "file", d.opts.OverridesFile, "err", err)
		return
	}
	set, err := lvs.UnmarshalOverrides(b)
	if err != nil {
		d.log.Warn("overrides: state file is corrupt; starting without overrides", "file", d.opts.OverridesFile, "err", err)
		return
	}
	for _, err := range own.RestoreOverrides(set) {
		d.log.Warn("overrides: entry not restored", "file", d.opts.OverridesFile, "err", err)
	}
}

// reportDropped logs the overrides a start or reload dropped because
// their target left the configuration, and saves the set without them.
func (d *Daemon) reportDropped() {
	own := d.owner()
	if own == nil {
		return
	}
	dropped := own.DroppedOverrides()
	for _, e := range dropped {
		d.log.Warn("overrides: dropped, its server is no longer configured", "virtual_server", e.VirtualServer, "real_server", e.RealServer, "kind", e.Kind)
	}
	if len(dropped) > 0 {
		d.saveOverrides(own.Overrides())
	}
}
