package vrrpd

import (
	"time"

	"github.com/alived/alived/config"
)

// track_bfd on the VRRP side: a session's Up/not-Up state feeds the
// instances that track it.

// trackBFDs resolves an instance's track_bfd entries: an entry without
// its own weight takes the bfd_instance's weight and direction.
func trackBFDs(cfg *config.Config, v *config.VRRPInstance) []trackRef {
	var out []trackRef
	for _, t := range v.Track.BFDs {
		var b *config.BFDInstance
		for _, x := range cfg.BFDInstances {
			if x.Name == t.Name {
				b = x
			}
		}
		if b == nil {
			continue // the decoder already reported it
		}
		w, rev := b.Weight, b.Reverse
		if t.WeightSet {
			w, rev = t.Weight, t.Reverse
		}
		out = append(out, trackRef{Kind: trackBFD, Name: t.Name, Weight: w, Reverse: rev})
	}
	return out
}

// BFDStateChanged records that bfd_instance name entered (up) or left
// Up and applies it to the instances that track it (the daemon passes
// it to the BFD component as its ToVRRP).
func (c *Subsystem) BFDStateChanged(now time.Time, name string, up bool) {
	if c.stopped {
		return
	}
	if c.bfdUp == nil {
		c.bfdUp = map[string]bool{}
	}
	c.bfdUp[name] = up
	c.log.Info("track_bfd", "bfd", name, "up", up)
	for _, x := range c.insts {
		for _, r := range x.spec.Trackers {
			if r.Kind == trackBFD && r.Name == name {
				c.applyBFD(now, x, r)
			}
		}
	}
	c.flush(now)
}

// applyBFD hands the session's state to one instance. A session starts
// down until it has come Up, as in keepalived, so weight 0 means FAULT
// until then. keepalived's "reverse" negates the weight (a positive
// weight is subtracted while up, a negative one added while down; weight
// 0 reverse is FAULT while up): in the core's terms that is the negated
// weight with the state inverted.
func (c *Subsystem) applyBFD(now time.Time, x *vrrpInst, r trackRef) {
	up, w := c.bfdUp[r.Name], r.Weight
	if r.Reverse {
		up, w = !up, -w
	}
	x.in.SetTracker(x.now(now), r.id(), w, up)
}
