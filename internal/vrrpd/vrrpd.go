// Package vrrpd is the daemon's VRRP side: every vrrp_instance and
// vrrp_sync_group with their sockets, virtual addresses, routes and rules,
// GARP/NA announcements, trackers (interfaces, vrrp_script, track_file,
// track_bfd) and notifications. The protocol itself is the pure core in
// package vrrp; this package is its I/O and configuration around it. The
// daemon's loop hosts the Subsystem as one of its components, as it hosts
// internal/lvs and internal/bfdd; this package does not import the daemon,
// which wires it to the others through Options and exported methods.
package vrrpd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/internal/notifyconf"
	"github.com/alived/alived/notify"
	"github.com/alived/alived/vrrp"
	"github.com/alived/alived/vrrp/netio"
)

// Options configure a Subsystem.
type Options struct {
	// Post hands a function to the owning event loop, which runs it on the
	// loop goroutine (the daemon's post). The adapters (socket readers,
	// the link monitor, tracker runners) reach the Subsystem this way.
	// Required by Start.
	Post func(func(now time.Time))
	// Go runs an adapter goroutine the owner waits for before it exits
	// (the daemon's adapter group). Required by Start.
	Go func(func())
	// KeepVIPs leaves virtual addresses, routes and rules in place at
	// Stop (keepalived's -V, --dont-release-vrrp).
	KeepVIPs bool
	// OnStateChange, if set, is told of every instance state change,
	// replayed ones included (a master re-created on reload is still
	// master for it), on the loop goroutine: the daemon fans it out to
	// its VRRPStateObservers (the LVS side's sync daemon).
	OnStateChange func(now time.Time, instance string, master bool)
	// Logger; nil discards.
	Logger *slog.Logger
}

// Subsystem hosts every vrrp_instance and vrrp_sync_group: the daemon's
// VRRP side. Its methods (those of the daemon's Component interface, and
// SetNotifier, BFDStateChanged, Preview) run on the loop goroutine and so
// do all of its fields; its adapters (socket readers, the link monitor,
// tracker runners) only post events.
type Subsystem struct {
	post      func(func(time.Time))
	goAdapter func(func())
	log       *slog.Logger
	keepVIPs  bool
	lookup    ifaceLookup

	addrs    *netio.AddrManager
	mon      *netio.Monitor
	notifier *notify.Notifier
	// observe, if set, is told of every instance state change
	// (Options.OnStateChange).
	observe func(now time.Time, instance string, master bool)

	insts   []*vrrpInst
	byName  map[string]*vrrpInst
	groups  []*vrrpGroup
	socks   map[netio.Config]*vrrpSock
	announc map[int]*netio.Announcer
	links   map[string]bool // interface name → up and running
	trk     *trackers
	bfdUp   map[string]bool // bfd_instance → Up (bfd_vrrp.go)

	cfg     *config.Config // the configuration running now
	stopped bool
	buf     []byte // advert scratch buffer
}

// vrrpInst is one running instance with its I/O context.
type vrrpInst struct {
	spec *instanceSpec
	in   *vrrp.Instance
	sock *vrrpSock
	// off shifts the clock the core sees: an instance re-created on reload
	// while master runs ahead by its start-up delay so that it is master
	// at once (see adopt in reload.go). Zero for ordinary instances.
	off time.Duration
	// base holds the counters of instances this one replaced on reload.
	base vrrp.Stats
	// quiet suppresses the notifies of the transitions adopt replays.
	quiet bool
}

// vrrpGroup is a sync group with its notify scripts.
type vrrpGroup struct {
	g         *vrrp.SyncGroup
	scripts   notify.VRRPScripts
	smtpAlert bool
}

// vrrpSock is one raw socket shared by the instances with the same
// interface, family, source, group and unicast-ness; received adverts are
// demultiplexed by VRID.
type vrrpSock struct {
	cfg    netio.Config
	conn   *netio.Conn
	byVRID map[uint8]*vrrpInst
}

// New returns an idle Subsystem; Start opens its sockets.
func New(opt Options) *Subsystem {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Subsystem{post: opt.Post, goAdapter: opt.Go, log: log, keepVIPs: opt.KeepVIPs, lookup: hostInterface,
		observe: opt.OnStateChange,
		byName:  map[string]*vrrpInst{}, socks: map[netio.Config]*vrrpSock{}, announc: map[int]*netio.Announcer{},
		links: map[string]bool{}}
}

// Name identifies the component in the daemon's logs and snapshots.
func (c *Subsystem) Name() string { return "vrrp" }

// hostInterface looks an interface up in the daemon's namespace.
func hostInterface(name string) (ifaceInfo, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return ifaceInfo{}, err
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return ifaceInfo{}, fmt.Errorf("addresses of %s: %w", name, err)
	}
	info := ifaceInfo{Index: ifi.Index}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ip, _ := netip.AddrFromSlice(n.IP)
			ones, _ := n.Mask.Size()
			info.Addrs = append(info.Addrs, netip.PrefixFrom(ip.Unmap(), ones))
		}
	}
	return info, nil
}

// linkUp reports whether an interface is up with carrier right now.
func linkUp(name string) bool {
	ifi, err := net.InterfaceByName(name)
	return err == nil && ifi.Flags&net.FlagUp != 0 && ifi.Flags&net.FlagRunning != 0
}

// plan maps every instance of cfg; it is Check's and Reload's first step.
func (c *Subsystem) plan(cfg *config.Config) ([]*instanceSpec, error) {
	var specs []*instanceSpec
	var errs []error
	seen := map[instanceKey]string{}
	for _, v := range cfg.Instances {
		s, err := mapInstance(&cfg.Global, cfg, v, c.lookup)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", v.Pos, err))
			continue
		}
		if other, dup := seen[s.Key]; dup {
			errs = append(errs, fmt.Errorf("%s: vrrp_instance %s: same VRID, family and interface as %s", v.Pos, v.Name, other))
			continue
		}
		seen[s.Key] = v.Name
		specs = append(specs, s)
	}
	return specs, errors.Join(errs...)
}

// Check reports why cfg cannot be applied: an instance that cannot be
// mapped onto an interface, or two with the same VRID, family and
// interface.
func (c *Subsystem) Check(cfg *config.Config) error {
	_, err := c.plan(cfg)
	return err
}

// SetNotifier makes n the Notifier the Subsystem notifies through. The
// daemon calls it (on the loop) before Start and whenever a reload
// replaces its one Notifier, shared with the LVS side; it is the
// daemon's to close.
func (c *Subsystem) SetNotifier(n *notify.Notifier) { c.notifier = n }

// Start opens the sockets, the link monitor and the trackers and starts
// every instance; the Notifier must have been set.
func (c *Subsystem) Start(now time.Time, cfg *config.Config) error {
	specs, err := c.plan(cfg)
	if err != nil {
		return err
	}
	c.cfg = cfg
	if c.addrs, err = netio.NewAddrManager(); err != nil {
		return fmt.Errorf("address manager: %w", err)
	}
	if c.notifier == nil {
		return errors.New("no notifier: the daemon sets one before Start")
	}
	if c.mon, err = netio.NewMonitor(netio.MonitorOptions{}); err != nil {
		return fmt.Errorf("link monitor: %w", err)
	}
	mon := c.mon
	c.goAdapter(func() {
		for ev := range mon.Events() {
			c.post(func(now time.Time) { c.onLink(now, ev) })
		}
	})
	c.trk = newTrackers(c)
	c.trk.configure(cfg)
	for _, s := range specs {
		if err := c.add(s); err != nil {
			c.Stop(now)
			return err
		}
	}
	if err := c.bindGroups(cfg, c.insts); err != nil {
		c.Stop(now)
		return err
	}
	for _, x := range c.insts {
		c.initTrackers(now, x)
		if err := x.in.Start(x.now(now)); err != nil {
			c.log.Error("start", "instance", x.spec.Name, "err", err)
		}
		c.clearStale(x)
		c.log.Info("instance started", "instance", x.spec.Name, "state", x.in.State(), "priority", x.in.EffectivePriority())
	}
	c.flush(now)
	return nil
}

// now is the time instance x sees.
func (x *vrrpInst) now(t time.Time) time.Time { return t.Add(x.off) }

// add creates the instance for spec (not started) and attaches its socket.
func (c *Subsystem) add(spec *instanceSpec) error {
	in, err := vrrp.New(spec.Core)
	if err != nil {
		return err
	}
	sock, err := c.socket(spec.Sock)
	if err != nil {
		return fmt.Errorf("vrrp_instance %s: %w", spec.Name, err)
	}
	x := &vrrpInst{spec: spec, in: in, sock: sock}
	sock.byVRID[spec.Core.VRID] = x
	c.insts = append(c.insts, x)
	c.byName[spec.Name] = x
	if err := c.ensureAnnouncer(spec); err != nil {
		c.log.Error("announcer", "instance", spec.Name, "err", err)
	}
	return nil
}

// ensureAnnouncer opens the GARP/NA sockets of every interface spec's
// VIPs live on.
func (c *Subsystem) ensureAnnouncer(spec *instanceSpec) error {
	for _, v := range spec.VIPs {
		if _, ok := c.announc[v.Ifindex]; ok {
			continue
		}
		ifi, err := net.InterfaceByIndex(v.Ifindex)
		if err != nil {
			return fmt.Errorf("interface %d: %w", v.Ifindex, err)
		}
		a, err := netio.NewAnnouncer(ifi, nil)
		if err != nil {
			return err
		}
		c.announc[v.Ifindex] = a
	}
	return nil
}

// bindGroups creates the sync groups of cfg over insts (not started).
func (c *Subsystem) bindGroups(cfg *config.Config, insts []*vrrpInst) error {
	for _, sg := range cfg.SyncGroups {
		var members []*vrrp.Instance
		for _, name := range sg.Group {
			for _, x := range insts {
				if x.spec.Name == name {
					members = append(members, x.in)
				}
			}
		}
		if len(members) == 0 {
			continue
		}
		g, err := vrrp.NewSyncGroup(sg.Name, members...)
		if err != nil {
			return fmt.Errorf("%s: %w", sg.Pos, err)
		}
		c.groups = append(c.groups, &vrrpGroup{g: g, scripts: notifyconf.VRRPScripts(&sg.Notify), smtpAlert: sg.SMTPAlert})
	}
	return nil
}

// socket returns the shared socket for cfg, opening it on first use and
// starting its reader.
func (c *Subsystem) socket(cfg netio.Config) (*vrrpSock, error) {
	if s, ok := c.socks[cfg]; ok {
		return s, nil
	}
	conn, err := netio.Listen(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	s := &vrrpSock{cfg: cfg, conn: conn, byVRID: map[uint8]*vrrpInst{}}
	c.socks[cfg] = s
	c.goAdapter(func() { c.read(s) })
	return s, nil
}

// read is a socket's reader adapter: it copies each advert and posts it
// to the loop until the socket is closed.
func (c *Subsystem) read(s *vrrpSock) {
	buf := make([]byte, 65536)
	for {
		msg, meta, err := s.conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			c.log.Warn("vrrp socket read", "err", err)
			// A persistent error (interface gone) must not spin: back off
			// before the next attempt.
			time.Sleep(100 * time.Millisecond)
			continue
		}
		m := append([]byte(nil), msg...)
		c.post(func(now time.Time) { c.receive(now, s, m, meta) })
	}
}

// receive feeds one advert to the instance it is for.
func (c *Subsystem) receive(now time.Time, s *vrrpSock, msg []byte, meta netio.Meta) {
	if c.stopped || len(msg) < 2 {
		return
	}
	x := s.byVRID[msg[1]]
	if x == nil {
		return // another router's VRID: keepalived ignores it unless log_unknown_vrids
	}
	err := x.in.Receive(x.now(now), msg, vrrp.RxMeta{Src: meta.Src, Dst: meta.Dst, TTL: meta.TTL})
	if vrrp.Dropped(err) && !errors.Is(err, vrrp.ErrNotRunning) {
		c.log.Debug("advert dropped", "instance", x.spec.Name, "src", meta.Src, "err", err)
	}
	c.flush(now)
}

// onLink applies a link or address event from the monitor.
func (c *Subsystem) onLink(now time.Time, ev netio.Event) {
	if c.stopped {
		return
	}
	switch ev.Kind {
	case netio.EventLinkUp, netio.EventLinkDown:
		up := ev.Kind == netio.EventLinkUp
		if old, known := c.links[ev.Name]; known && old == up {
			return
		}
		c.links[ev.Name] = up
		c.log.Info("link", "interface", ev.Name, "up", up)
		for _, x := range c.insts {
			for _, t := range x.spec.Trackers {
				if t.Kind == trackInterface && t.Name == ev.Name {
					x.in.SetTracker(x.now(now), t.id(), t.Weight, up != t.Reverse)
				}
			}
		}
		c.flush(now)
	case netio.EventAddrRemoved:
		c.restoreVIP(ev)
	case netio.EventError:
		c.log.Warn("link monitor", "err", ev.Err)
	}
}

// restoreVIP puts back a VIP that disappeared from a MASTER instance: a
// master without its address black-holes the service while still winning
// elections, so the address is re-added at once and announced again
// (GARP/NA) so that neighbours relearn it.
//
// alived's own removals never reach here as a restore: the loop removes
// VIPs only when an instance leaves MASTER (or on reload, when the VIP
// left the configuration, or at stop), and the event is handled after that
// on the same goroutine, so the instance is no longer master or no longer
// lists the address. The HasVIP check covers a stale event that arrives
// after a quick BACKUP → MASTER round trip has already re-added it.
func (c *Subsystem) restoreVIP(ev netio.Event) {
	addr := ev.Addr.Addr()
	for _, x := range c.insts {
		if x.in.State() != vrrp.StateMaster {
			continue
		}
		for _, v := range x.spec.VIPs {
			if v.Ifindex != ev.Ifindex || v.Prefix.Addr() != addr {
				continue
			}
			if has, err := c.addrs.HasVIP(v); err == nil && has {
				return
			}
			if err := c.addrs.AddVIP(v); err != nil {
				c.log.Error("VIP removed by someone else while master; re-adding failed",
					"instance", x.spec.Name, "vip", v.Prefix, "err", err)
				return
			}
			c.log.Warn("VIP removed by someone else while master; re-added",
				"instance", x.spec.Name, "vip", v.Prefix)
			c.announce(x.spec, v, max(x.spec.Core.GARPMasterRepeat, 1))
			return
		}
	}
}

// initTrackers gives a new instance the current state of everything it
// tracks, before it starts.
func (c *Subsystem) initTrackers(now time.Time, x *vrrpInst) {
	for _, t := range x.spec.Trackers {
		switch t.Kind {
		case trackInterface:
			up, known := c.links[t.Name]
			if !known {
				up = linkUp(t.Name)
				c.links[t.Name] = up
			}
			x.in.SetTracker(x.now(now), t.id(), t.Weight, up != t.Reverse)
		case trackBFD:
			c.applyBFD(now, x, t)
		default:
			c.trk.apply(now, x, t)
		}
	}
}

// flush performs every action the instances have collected. A sync group
// makes one instance's input produce actions on its siblings, so every
// instance is flushed.
func (c *Subsystem) flush(now time.Time) {
	for _, x := range c.insts {
		if x.in.HasReady() {
			for _, a := range x.in.Ready() {
				c.perform(now, x, a)
			}
		}
	}
}

// perform carries out one action of instance x.
func (c *Subsystem) perform(now time.Time, x *vrrpInst, a vrrp.Action) {
	sp := x.spec
	switch a.Kind {
	case vrrp.ActSendAdvert:
		for _, dst := range x.in.Destinations() {
			var err error
			c.buf, err = x.in.AppendAdvert(c.buf[:0], a.Priority, sp.Core.PrimaryAddr, dst)
			if err == nil {
				_, err = x.sock.conn.WriteTo(c.buf, dst)
			}
			if err != nil {
				c.log.Warn("send advert", "instance", sp.Name, "dst", dst, "err", err)
			}
		}
	case vrrp.ActAddVIPs:
		for _, v := range sp.VIPs {
			if err := c.addrs.AddVIP(v); err != nil {
				c.log.Error("add VIP", "instance", sp.Name, "vip", v.Prefix, "err", err)
			}
		}
		c.log.Info("VIPs added", "instance", sp.Name, "count", len(sp.VIPs))
	case vrrp.ActRemoveVIPs:
		if c.stopped && c.keepVIPs {
			return
		}
		c.removeVIPs(sp, sp.VIPs)
	case vrrp.ActSendGARP:
		c.garp(sp, a.Repeat)
	case vrrp.ActNotify:
		// Observers hear replayed transitions too (x.quiet): a master
		// re-created on reload is still master for them.
		if a.Group == "" && c.observe != nil {
			c.observe(now, sp.Name, a.To == vrrp.StateMaster)
		}
		if x.quiet {
			return
		}
		c.notifyTransition(x, a)
	case vrrp.ActNotifyMasterRxLowerPri:
		e := notify.InstanceEvent(sp.Name, notify.StateMasterRxLowerPri, int(a.Priority))
		c.notifier.Notify(e, sp.Scripts.Commands(e), false)
	case vrrp.ActNotifyPriority:
		st := notify.StateBackupPriority
		if a.To == vrrp.StateMaster {
			st = notify.StateMasterPriority
		}
		e := notify.InstanceEvent(sp.Name, st, int(a.Priority))
		c.notifier.Notify(e, sp.Scripts.Commands(e), false)
	case vrrp.ActAddRoutes:
		for _, r := range sp.Routes {
			if err := c.addrs.AddRoute(r); err != nil {
				c.log.Error("add route", "instance", sp.Name, "dst", r.Dst, "err", err)
			}
		}
	case vrrp.ActRemoveRoutes:
		if c.stopped && c.keepVIPs {
			return
		}
		for _, r := range sp.Routes {
			if err := c.addrs.DelRoute(r); err != nil {
				c.log.Error("remove route", "instance", sp.Name, "dst", r.Dst, "err", err)
			}
		}
	case vrrp.ActAddRules:
		for _, r := range sp.Rules {
			if err := c.addrs.AddRule(r); err != nil {
				c.log.Error("add rule", "instance", sp.Name, "err", err)
			}
		}
	case vrrp.ActRemoveRules:
		if c.stopped && c.keepVIPs {
			return
		}
		for _, r := range sp.Rules {
			if err := c.addrs.DelRule(r); err != nil {
				c.log.Error("remove rule", "instance", sp.Name, "err", err)
			}
		}
	case vrrp.ActSetTimer:
		// The loop asks every component for NextDeadline after each event.
	}
}

// clearStale removes VIPs a previous run left behind (kill -9, -V) from
// an instance that did not start as master, as keepalived 2.2.7 does when
// it enters BACKUP at start-up: a backup holding the VIP would answer ARP
// for it next to the real master.
func (c *Subsystem) clearStale(x *vrrpInst) {
	if x.in.State() == vrrp.StateMaster {
		return
	}
	for _, v := range x.spec.VIPs {
		if has, err := c.addrs.HasVIP(v); err == nil && has {
			if err := c.addrs.DelVIP(v); err != nil {
				c.log.Error("remove stale VIP", "instance", x.spec.Name, "vip", v.Prefix, "err", err)
				continue
			}
			c.log.Info("removed stale VIP", "instance", x.spec.Name, "vip", v.Prefix)
		}
	}
}

// removeVIPs deletes vips of instance sp.
func (c *Subsystem) removeVIPs(sp *instanceSpec, vips []netio.VIP) {
	for _, v := range vips {
		if err := c.addrs.DelVIP(v); err != nil {
			c.log.Error("remove VIP", "instance", sp.Name, "vip", v.Prefix, "err", err)
		}
	}
	c.log.Info("VIPs removed", "instance", sp.Name, "count", len(vips))
}

// garp sends repeat gratuitous ARPs / unsolicited NAs for each VIP.
func (c *Subsystem) garp(sp *instanceSpec, repeat int) {
	for _, v := range sp.VIPs {
		c.announce(sp, v, repeat)
	}
}

// announce sends repeat gratuitous ARPs (IPv4) or unsolicited NAs (IPv6)
// for one VIP of instance sp.
func (c *Subsystem) announce(sp *instanceSpec, v netio.VIP, repeat int) {
	a := c.announc[v.Ifindex]
	if a == nil {
		return
	}
	addr := v.Prefix.Addr()
	for range repeat {
		var err error
		if addr.Is4() {
			err = a.GratuitousARP(addr)
		} else {
			err = a.UnsolicitedNA(addr, false)
		}
		if err != nil {
			c.log.Warn("announce", "instance", sp.Name, "vip", addr, "err", err)
			return
		}
	}
}

// notifyState maps a core state to the notify package's.
func notifyState(s vrrp.State) (notify.State, bool) {
	switch s {
	case vrrp.StateMaster:
		return notify.StateMaster, true
	case vrrp.StateBackup:
		return notify.StateBackup, true
	case vrrp.StateFault:
		return notify.StateFault, true
	case vrrp.StateStop:
		return notify.StateStop, true
	case vrrp.StateDeleted:
		return notify.StateDeleted, true
	}
	return 0, false
}

// notifyTransition logs a state change and runs its notifications.
func (c *Subsystem) notifyTransition(x *vrrpInst, a vrrp.Action) {
	st, ok := notifyState(a.To)
	if a.Group != "" {
		c.log.Info("sync group transition", "group", a.Group, "from", a.From, "to", a.To)
		if !ok {
			return
		}
		for _, g := range c.groups {
			if g.g.Name() == a.Group {
				e := notify.GroupEvent(a.Group, st)
				c.notifier.Notify(e, g.scripts.Commands(e), g.smtpAlert)
			}
		}
		return
	}
	c.log.Info("transition", "instance", x.spec.Name, "from", a.From, "to", a.To, "priority", a.Priority)
	if !ok {
		return
	}
	e := notify.InstanceEvent(x.spec.Name, st, int(a.Priority))
	c.notifier.Notify(e, x.spec.Scripts.Commands(e), x.spec.SMTPAlert)
}

// NextDeadline is the earliest timer of any instance; zero if none.
func (c *Subsystem) NextDeadline() time.Time {
	var next time.Time
	for _, x := range c.insts {
		dl := x.in.NextDeadline()
		if dl.IsZero() {
			continue
		}
		dl = dl.Add(-x.off)
		if next.IsZero() || dl.Before(next) {
			next = dl
		}
	}
	return next
}

// Tick runs every instance timer due at or before now.
func (c *Subsystem) Tick(now time.Time) {
	for _, x := range c.insts {
		if dl := x.in.NextDeadline(); !dl.IsZero() && !x.now(now).Before(dl) {
			x.in.Tick(x.now(now))
		}
	}
	c.flush(now)
}

// Stop shuts the side down: every instance goes to STOP (masters send
// priority 0 and release their VIPs unless -V), then sockets, monitor,
// trackers are closed. The notifier is the daemon's: it closes it.
func (c *Subsystem) Stop(now time.Time) {
	if c.stopped {
		return
	}
	c.stopped = true
	for _, x := range c.insts {
		if err := x.in.Stop(x.now(now)); err != nil && !errors.Is(err, vrrp.ErrNotRunning) {
			c.log.Warn("stop", "instance", x.spec.Name, "err", err)
		}
	}
	c.flush(now)
	if c.trk != nil {
		c.trk.close()
	}
	for _, s := range c.socks {
		_ = s.conn.Close()
	}
	for _, a := range c.announc {
		_ = a.Close()
	}
	if c.mon != nil {
		_ = c.mon.Close()
	}
	if c.addrs != nil {
		_ = c.addrs.Close()
	}
}

// InstanceSnapshot is one instance in the VRRP side's snapshot.
type InstanceSnapshot struct {
	vrrp.Snapshot
	Interface string
	VRID      uint8
	VIPs      []netip.Prefix
}

// Snapshot is the VRRP side's published state.
type Snapshot struct {
	Instances []InstanceSnapshot
	Groups    map[string]string // sync group → state
}

// Snapshot returns the instances' and sync groups' state as a Snapshot.
func (c *Subsystem) Snapshot() any {
	s := Snapshot{Groups: map[string]string{}}
	for _, x := range c.insts {
		is := InstanceSnapshot{Snapshot: x.in.Snapshot(), Interface: x.spec.Iface, VRID: x.spec.Core.VRID}
		is.Since = is.Since.Add(-x.off)
		is.Stats = addStats(x.base, is.Stats)
		for _, v := range x.spec.VIPs {
			is.VIPs = append(is.VIPs, v.Prefix)
		}
		s.Instances = append(s.Instances, is)
	}
	for _, g := range c.groups {
		s.Groups[g.g.Name()] = g.g.State().String()
	}
	return s
}
