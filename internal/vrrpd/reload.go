package vrrpd

import (
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/internal/notifyconf"
	"github.com/alived/alived/status"
	"github.com/alived/alived/vrrp"
	"github.com/alived/alived/vrrp/netio"
)

// groupSigs maps each instance name to a signature of the sync group it
// belongs to in cfg ("" when none): a member can only be kept on reload
// if its group is defined exactly as before.
func groupSigs(cfg *config.Config) map[string]string {
	out := map[string]string{}
	for _, g := range cfg.SyncGroups {
		sig := g.Name + "\x00" + strings.Join(g.Group, "\x00")
		for _, m := range g.Group {
			out[m] = sig
		}
	}
	return out
}

// Reload applies cfg as a diff. Instances are matched as keepalived
// matches them (instanceKey). A matched instance whose protocol settings,
// trackers and sync group are unchanged is kept as it is; a matched one
// whose settings changed is re-created in the state it was in ("adopted":
// a master stays master without an election, keeps its VIPs and only gains
// or loses the ones the change adds or removes); new instances start as at
// start-up and removed ones stop (a master hands over with priority 0).
func (c *Subsystem) Reload(now time.Time, cfg *config.Config) error {
	specs, err := c.plan(cfg)
	if err != nil {
		return err
	}
	c.trk.configure(cfg)
	pairs, keepable, old := c.matchReload(specs, cfg)

	// Removed instances stop first, so their VIPs and sockets are free.
	for _, x := range old {
		c.log.Info("instance removed by reload", "instance", x.spec.Name)
		if err := x.in.Stop(x.now(now)); err == nil {
			for _, a := range x.in.Ready() {
				c.perform(now, x, a)
			}
		}
		delete(x.sock.byVRID, x.spec.Core.VRID)
	}

	var insts, fresh []*vrrpInst
	var freshPrev []*vrrpInst
	c.byName = map[string]*vrrpInst{}
	for _, p := range pairs {
		if p.prev != nil && keepable[p.spec.Name] {
			x := p.prev
			x.spec = p.spec
			insts = append(insts, x)
			c.byName[x.spec.Name] = x
			continue
		}
		if p.prev != nil {
			delete(p.prev.sock.byVRID, p.prev.spec.Core.VRID)
		}
		in, err := vrrp.New(p.spec.Core)
		if err != nil {
			return err // plan validated it; unreachable in practice
		}
		sock, err := c.socket(p.spec.Sock)
		if err != nil {
			c.log.Error("reload: socket", "instance", p.spec.Name, "err", err)
			continue
		}
		x := &vrrpInst{spec: p.spec, in: in, sock: sock}
		sock.byVRID[p.spec.Core.VRID] = x
		insts = append(insts, x)
		c.byName[x.spec.Name] = x
		fresh = append(fresh, x)
		freshPrev = append(freshPrev, p.prev)
		if err := c.ensureAnnouncer(p.spec); err != nil {
			c.log.Error("announcer", "instance", p.spec.Name, "err", err)
		}
	}
	c.insts = insts

	// Groups: keep the ones whose members were all kept, build the others
	// over the fresh instances (which are not started yet).
	var groups []*vrrpGroup
	rebuilt := &config.Config{}
	for _, sg := range cfg.SyncGroups {
		kept := false
		for _, g := range c.groups {
			if g.g.Name() == sg.Name && len(sg.Group) > 0 && keepable[sg.Group[0]] {
				g.scripts = notifyconf.VRRPScripts(&sg.Notify)
				g.smtpAlert = sg.SMTPAlert
				groups = append(groups, g)
				kept = true
			}
		}
		if !kept {
			rebuilt.SyncGroups = append(rebuilt.SyncGroups, sg)
		}
	}
	c.groups = groups
	if err := c.bindGroups(rebuilt, fresh); err != nil {
		c.log.Error("reload: sync group", "err", err)
	}

	for i, x := range fresh {
		c.adopt(now, x, freshPrev[i])
	}
	c.flush(now)
	c.closeUnusedSockets()
	c.cfg = cfg
	return nil
}

// adopt starts a fresh instance x in the state its predecessor prev had
// (nil prev: a new instance, started as at start-up). A master is brought
// to MASTER at once by running its clock ahead to its start-up deadline,
// with the notifies of that replayed transition suppressed; VIPs the new
// configuration no longer has are removed.
func (c *Subsystem) adopt(now time.Time, x *vrrpInst, prev *vrrpInst) {
	c.initTrackers(now, x)
	if prev == nil {
		if err := x.in.Start(now); err != nil {
			c.log.Error("start", "instance", x.spec.Name, "err", err)
		}
		c.clearStale(x)
		c.log.Info("instance added by reload", "instance", x.spec.Name)
		return
	}
	x.base = addStats(prev.base, prev.in.Stats())
	x.quiet = true
	_ = x.in.Start(now)
	if prev.in.State() == vrrp.StateMaster && x.in.State() == vrrp.StateBackup {
		if dl := x.in.NextDeadline(); !dl.IsZero() {
			x.off = dl.Sub(now)
			x.in.Tick(x.now(now))
		}
	}
	for _, a := range x.in.Ready() {
		c.perform(now, x, a)
	}
	x.quiet = false
	if prev.in.State() == vrrp.StateMaster {
		c.removeVIPs(x.spec, vipsNotIn(prev.spec.VIPs, x.spec.VIPs))
	}
	c.log.Info("instance re-created by reload", "instance", x.spec.Name, "state", x.in.State())
}

// vipsNotIn returns the VIPs of a that b does not have.
func vipsNotIn(a, b []netio.VIP) []netio.VIP {
	var out []netio.VIP
	for _, v := range a {
		found := false
		for _, w := range b {
			found = found || (w.Prefix == v.Prefix && w.Ifindex == v.Ifindex)
		}
		if !found {
			out = append(out, v)
		}
	}
	return out
}

// closeUnusedSockets closes sockets no instance uses any more.
func (c *Subsystem) closeUnusedSockets() {
	for k, s := range c.socks {
		if len(s.byVRID) == 0 {
			_ = s.conn.Close()
			delete(c.socks, k)
		}
	}
}

// addStats sums two sets of counters field by field.
func addStats(a, b vrrp.Stats) vrrp.Stats {
	va, vb := reflect.ValueOf(&a).Elem(), reflect.ValueOf(b)
	for i := range va.NumField() {
		if f := va.Field(i); f.Kind() == reflect.Uint64 {
			f.SetUint(f.Uint() + vb.Field(i).Uint())
		}
	}
	return a
}

// reloadPair is one instance of a candidate configuration with the
// running instance it matches (nil for a new one) and whether it can be
// kept as it is.
type reloadPair struct {
	spec *instanceSpec
	prev *vrrpInst
	keep bool
}

// matchReload matches the instances of a candidate configuration with the
// running ones as Reload does and decides which can be kept: a matched
// instance whose protocol settings, trackers and sync group are unchanged
// (keepable), with a sync group re-created as a whole when one member
// changed. old holds the running instances the candidate drops. It changes
// nothing, so Preview shares it.
func (c *Subsystem) matchReload(specs []*instanceSpec, cfg *config.Config) (pairs []*reloadPair, keepable map[string]bool, old map[instanceKey]*vrrpInst) {
	oldSigs := groupSigs(c.cfg)
	newSigs := groupSigs(cfg)
	old = map[instanceKey]*vrrpInst{}
	for _, x := range c.insts {
		old[x.spec.Key] = x
	}
	pairs = make([]*reloadPair, 0, len(specs))
	keepable = map[string]bool{}
	for _, s := range specs {
		p := &reloadPair{spec: s, prev: old[s.Key]}
		if p.prev != nil {
			delete(old, s.Key)
			p.keep = reflect.DeepEqual(p.prev.spec.Core, s.Core) &&
				reflect.DeepEqual(p.prev.spec.Trackers, s.Trackers) &&
				oldSigs[p.prev.spec.Name] == newSigs[s.Name]
		}
		keepable[s.Name] = p.keep
		pairs = append(pairs, p)
	}
	for _, g := range cfg.SyncGroups {
		all := true
		for _, m := range g.Group {
			all = all && keepable[m]
		}
		if !all {
			for _, m := range g.Group {
				keepable[m] = false
			}
		}
	}
	return pairs, keepable, old
}

// Preview fills in what Reload(cfg) would do to the VRRP instances,
// changing nothing. cfg must have passed Check.
func (c *Subsystem) Preview(cfg *config.Config, out *status.Preview) {
	specs, err := c.plan(cfg)
	if err != nil {
		out.Warnings = append(out.Warnings, "vrrp: "+err.Error())
		return
	}
	pairs, keepable, old := c.matchReload(specs, cfg)
	v := &out.VRRP
	for _, p := range pairs {
		switch {
		case p.prev == nil:
			v.Added = append(v.Added, p.spec.Name)
		case keepable[p.spec.Name]:
			v.Kept = append(v.Kept, p.spec.Name)
		default:
			v.Restarted = append(v.Restarted, p.spec.Name)
		}
	}
	for _, x := range old {
		v.Removed = append(v.Removed, x.spec.Name)
	}
	slices.Sort(v.Removed)
}
