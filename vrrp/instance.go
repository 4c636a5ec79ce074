package vrrp

import (
	"fmt"
	"net/netip"
	"time"
)

// Instance is one vrrp_instance: one virtual router on one interface. It
// performs no I/O and is not safe for concurrent use. Every input method
// takes the current time; the effects are collected and handed out by
// Ready, in the order the caller must perform them.
//
// Like etcd raft's RawNode, each state has its own step (received advert)
// and timer function, swapped in by becomeBackup/becomeMaster, so there is
// no switch over the state spread through the file.
type Instance struct {
	cfg Config

	started bool
	state   State
	since   time.Time

	effPrio  uint8
	trackers []tracker

	adverInt       time.Duration // our own advert interval
	masterAdverInt time.Duration // v3 backups adopt the master's interval
	masterAddr     netip.Addr
	masterPrio     uint8

	// Deadlines; the zero time means "not armed".
	stateDeadline   time.Time // master: next advert; backup: master down
	garpDeadline    time.Time // second GARP burst after becoming master
	refreshDeadline time.Time // periodic GARP refresh
	lowerGARPAt     time.Time // second burst after a lower-priority advert
	reportedTimer   time.Time // last ActSetTimer emitted

	preemptAt      time.Time // preempt_delay expiry; zero: not running
	wantMaster     bool      // down timer expired but the sync group is not ready
	ownerConflicts int       // adverts from another priority-255 owner we outrank
	oldChecksum    bool      // peer speaks the pre-1.3.6 unicast checksum

	stepFn  func(in *Instance, now time.Time, a *Advert, src netip.Addr)
	timerFn func(in *Instance, now time.Time)

	group *SyncGroup

	dsts   []netip.Addr // advert destinations, computed once
	rx, tx Advert       // scratch, so receiving and sending do not allocate
	out    []Action
	stats  Stats
}

// tracker is one tracked object's latest report.
type tracker struct {
	name   string
	weight int
	up     bool
}

// New returns a stopped instance (state INIT) for cfg.
func New(cfg Config) (*Instance, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.VIPs = append([]netip.Addr(nil), cfg.VIPs...)
	cfg.UnicastPeers = append([]Peer(nil), cfg.UnicastPeers...)
	if cfg.Priority == 255 {
		// The address owner always preempts and starts as master
		// (keepalived clears nopreempt and derives state MASTER).
		cfg.NoPreempt = false
		cfg.InitialMaster = true
	}
	var authData [authLen]byte
	if cfg.AuthType == AuthPass {
		copy(authData[:], cfg.AuthPass)
	}
	in := &Instance{
		cfg:      cfg,
		state:    StateInit,
		effPrio:  cfg.Priority,
		adverInt: cfg.AdvertInterval,
		out:      make([]Action, 0, 16),
	}
	in.masterAdverInt = in.adverInt
	in.oldChecksum = cfg.OldUnicastChecksum == ChecksumCompatOld
	in.tx = Advert{Version: cfg.Version, Type: TypeAdvert, VRID: cfg.VRID, AuthType: cfg.AuthType,
		Interval: cfg.intervalField(), Addrs: cfg.VIPs, AuthData: authData}
	in.rx.Addrs = make([]netip.Addr, 0, 16)
	for _, p := range cfg.UnicastPeers {
		in.dsts = append(in.dsts, p.Addr)
	}
	if len(in.dsts) == 0 {
		in.dsts = []netip.Addr{cfg.group()}
	}
	return in, nil
}

// Name is the instance's name.
func (in *Instance) Name() string { return in.cfg.Name }

// State is the current state.
func (in *Instance) State() State { return in.state }

// EffectivePriority is the priority the instance advertises and compares.
func (in *Instance) EffectivePriority() uint8 { return in.effPrio }

// Stats returns a copy of the counters.
func (in *Instance) Stats() Stats { return in.stats }

// ResetStats zeroes the counters and returns their values before (the
// STATS_CLEAR signal's "print, then clear").
func (in *Instance) ResetStats() Stats {
	old := in.stats
	in.stats = Stats{}
	return old
}

// Snapshot is a read-only view of an instance for the API and metrics.
type Snapshot struct {
	Name                 string
	VRID                 uint8
	Version              uint8
	State                State
	BasePriority         uint8
	EffectivePriority    uint8
	MasterAddr           netip.Addr // zero until an advert has been heard or we are master
	MasterPriority       uint8
	Since                time.Time // when State was entered
	AdvertInterval       time.Duration
	MasterAdvertInterval time.Duration
	Stats                Stats
	// Trackers are the tracked objects as last set with SetTracker.
	Trackers []TrackerState
	// SyncGroup is the name of the instance's sync group ("" if none).
	SyncGroup string
}

// TrackerState is one tracker in a Snapshot: its name as given to
// SetTracker, its weight (0: a failure means FAULT) and whether it is up.
type TrackerState struct {
	Name   string
	Weight int
	Up     bool
}

// Snapshot returns the instance's current state and counters.
func (in *Instance) Snapshot() Snapshot {
	return Snapshot{
		Name: in.cfg.Name, VRID: in.cfg.VRID, Version: in.cfg.Version, State: in.state, BasePriority: in.cfg.Priority, EffectivePriority: in.effPrio,
		MasterAddr: in.masterAddr, MasterPriority: in.masterPrio, Since: in.since,
		AdvertInterval: in.adverInt, MasterAdvertInterval: in.masterAdverInt, Stats: in.stats,
		Trackers: in.trackerStates(), SyncGroup: in.groupName(),
	}
}

// groupName is the sync group's name, "" outside a group.
func (in *Instance) groupName() string {
	if in.group == nil {
		return ""
	}
	return in.group.name
}

// trackerStates copies the trackers for a snapshot (nil when none, so an
// instance without trackers costs no allocation).
func (in *Instance) trackerStates() []TrackerState {
	if len(in.trackers) == 0 {
		return nil
	}
	out := make([]TrackerState, len(in.trackers))
	for i, t := range in.trackers {
		out[i] = TrackerState{Name: t.name, Weight: t.weight, Up: t.up}
	}
	return out
}

// Ready returns the actions collected since the last call and forgets
// them. The slice is reused: it is valid until the next call on in.
func (in *Instance) Ready() []Action {
	out := in.out
	in.out = in.out[:0]
	return out
}

// HasReady reports whether actions are waiting.
func (in *Instance) HasReady() bool { return len(in.out) > 0 }

// NextDeadline is when the instance next needs Tick; zero if never.
func (in *Instance) NextDeadline() time.Time {
	var next time.Time
	for _, t := range [...]time.Time{in.stateDeadline, in.garpDeadline, in.refreshDeadline, in.lowerGARPAt} {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

// finish reports a changed deadline; every input method ends with it.
func (in *Instance) finish() {
	if next := in.NextDeadline(); !next.Equal(in.reportedTimer) {
		in.reportedTimer = next
		in.emit(Action{Kind: ActSetTimer, At: next})
	}
}

func (in *Instance) emit(a Action) { in.out = append(in.out, a) }

func (in *Instance) sendAdvert(prio uint8) {
	in.stats.AdvertSent++
	if prio == 0 {
		in.stats.PriZeroSent++
	}
	in.emit(Action{Kind: ActSendAdvert, Priority: prio})
}

func (in *Instance) notify(from, to State) {
	in.emit(Action{Kind: ActNotify, From: from, To: to, Priority: in.effPrio})
}

// skew is Skew_Time for priority p: (256−p)/256 s in v2; in v3 the same
// fraction of the master's advert interval, computed in microseconds as
// keepalived does so that timers match it to the microsecond.
func (in *Instance) skew(p uint8) time.Duration {
	pri := 256 - int64(p)
	if in.cfg.Version == 2 {
		return time.Duration(pri*1_000_000/256) * time.Microsecond
	}
	cs := int64(in.masterAdverInt / (10 * time.Millisecond))
	return time.Duration(pri*cs*625/16) * time.Microsecond
}

// masterDown is Master_Down_Interval: down_timer_adverts master intervals
// plus our skew.
func (in *Instance) masterDown() time.Duration {
	return time.Duration(in.cfg.DownTimerAdverts)*in.masterAdverInt + in.skew(in.effPrio)
}

// Start moves the instance out of INIT: to FAULT if a weight-0 tracker is
// down (or a sync-group sibling is faulty), otherwise to BACKUP with the
// start-up down timer: the address owner becomes master at once (without
// passing through BACKUP), "state MASTER" after one advert interval plus the
// minimum skew, anything else after a full master-down interval.
func (in *Instance) Start(now time.Time) error {
	if in.started {
		return fmt.Errorf("vrrp_instance %s: already started", in.cfg.Name)
	}
	in.started = true
	in.since = now
	if in.ownFault() || in.group.faulty() {
		in.becomeFault(now)
		in.finish()
		return nil
	}
	switch {
	case in.cfg.Priority == 255:
		// The owner goes straight to MASTER (keepalived arms a 1µs timer;
		// doing it now is the same to anyone watching).
		in.becomeMaster(now)
	case in.cfg.InitialMaster:
		in.becomeBackup(now, now.Add(in.adverInt+in.skew(255)))
	default:
		in.becomeBackup(now, now.Add(in.masterDown()))
	}
	in.finish()
	return nil
}

// Stop shuts the instance down (state STOP): a master sends a priority-0
// advert so a backup takes over after only its skew time, then releases
// its addresses.
func (in *Instance) Stop(now time.Time) error {
	if !in.started || in.state == StateStop {
		return ErrNotRunning
	}
	in.leave(now, StateStop)
	in.finish()
	return nil
}

// Tick fires every deadline at or before now.
func (in *Instance) Tick(now time.Time) {
	if !in.started {
		return
	}
	if due(in.stateDeadline, now) && in.timerFn != nil {
		in.timerFn(in, now)
	}
	if due(in.garpDeadline, now) {
		in.garpDeadline = time.Time{}
		in.emit(Action{Kind: ActSendGARP, Repeat: in.cfg.GARPMasterRepeat})
	}
	if due(in.refreshDeadline, now) {
		in.refreshDeadline = now.Add(in.cfg.GARPMasterRefresh)
		in.emit(Action{Kind: ActSendGARP, Repeat: in.cfg.GARPMasterRefreshRepeat})
	}
	if due(in.lowerGARPAt, now) {
		in.lowerGARPAt = time.Time{}
		in.emit(Action{Kind: ActSendGARP, Repeat: in.cfg.GARPLowerPrioRepeat})
	}
	in.finish()
}

func due(t, now time.Time) bool { return !t.IsZero() && !now.Before(t) }

// StepAdvert feeds an advert that has already passed the receive checks
// (Receive does both); src is its IP source address.
func (in *Instance) StepAdvert(now time.Time, a *Advert, src netip.Addr) error {
	if !in.started || in.stepFn == nil {
		return ErrNotRunning
	}
	in.stepFn(in, now, a, src)
	in.finish()
	return nil
}

// SetTracker records the state of a tracked object (track_interface,
// track_script, track_file, ...; the caller folds "reverse" into up and
// reports interface state the same way). weight 0 means a down object
// puts the instance into FAULT; otherwise a positive weight is added while
// the object is up and a negative one while it is down. The effective
// priority is base + Σ weights clamped to 1..254, except that an address
// owner (255) is never adjusted.
func (in *Instance) SetTracker(now time.Time, name string, weight int, up bool) {
	found := false
	for i := range in.trackers {
		if in.trackers[i].name == name {
			in.trackers[i].weight, in.trackers[i].up = weight, up
			found = true
		}
	}
	if !found {
		in.trackers = append(in.trackers, tracker{name: name, weight: weight, up: up})
	}
	old := in.effPrio
	in.effPrio = in.computePriority()
	if in.started && in.state != StateStop {
		switch {
		case in.ownFault() && in.state != StateFault:
			in.becomeFault(now)
		case !in.ownFault() && in.state == StateFault:
			in.group.tryLeaveFault(now, in)
		}
		if in.effPrio != old && in.cfg.NotifyPriorityChanges {
			in.emit(Action{Kind: ActNotifyPriority, Priority: in.effPrio, To: in.state})
		}
	}
	in.finish()
}

func (in *Instance) computePriority() uint8 {
	if in.cfg.Priority == 255 {
		if in.ownerConflicts >= 2 {
			return 254
		}
		return 255
	}
	p := int(in.cfg.Priority)
	for _, t := range in.trackers {
		if t.weight > 0 && t.up || t.weight < 0 && !t.up {
			p += t.weight
		}
	}
	return uint8(min(max(p, 1), 254))
}

func (in *Instance) ownFault() bool {
	for _, t := range in.trackers {
		if t.weight == 0 && !t.up {
			return true
		}
	}
	return false
}

// becomeBackup enters BACKUP with the master-down timer at deadline,
// releasing the addresses if we were master.
func (in *Instance) becomeBackup(now, deadline time.Time) {
	from := in.state
	if from == StateMaster {
		in.releaseMaster()
	}
	in.state, in.since, in.wantMaster = StateBackup, now, false
	in.stepFn, in.timerFn = (*Instance).stepBackup, (*Instance).timerBackup
	in.stateDeadline = deadline
	in.preemptAt = time.Time{}
	in.notify(from, StateBackup)
	in.group.follow(now, in, from)
}

// becomeMaster: send an advert first, then add addresses, routes and rules,
// then the first GARP burst and the timers for the next ones, then notify
// (keepalived's vrrp_state_become_master order).
func (in *Instance) becomeMaster(now time.Time) {
	from := in.state
	in.state, in.since, in.wantMaster = StateMaster, now, false
	in.stepFn, in.timerFn = (*Instance).stepMaster, (*Instance).timerMaster
	in.masterAdverInt = in.adverInt
	in.masterAddr, in.masterPrio = in.cfg.PrimaryAddr, in.effPrio
	in.stats.BecomeMaster++
	in.sendAdvert(in.effPrio)
	in.emit(Action{Kind: ActAddVIPs})
	if in.cfg.HasVirtualRoutes {
		in.emit(Action{Kind: ActAddRoutes})
	}
	if in.cfg.HasVirtualRules {
		in.emit(Action{Kind: ActAddRules})
	}
	if in.cfg.GARPMasterRepeat > 0 {
		in.emit(Action{Kind: ActSendGARP, Repeat: in.cfg.GARPMasterRepeat})
		if in.cfg.GARPMasterDelay > 0 {
			in.garpDeadline = now.Add(in.cfg.GARPMasterDelay)
		}
	}
	if in.cfg.GARPMasterRefresh > 0 {
		in.refreshDeadline = now.Add(in.cfg.GARPMasterRefresh)
	}
	in.stateDeadline = now.Add(in.adverInt)
	in.notify(from, StateMaster)
	in.group.follow(now, in, from)
}

// becomeFault enters FAULT; a master first says goodbye with priority 0.
func (in *Instance) becomeFault(now time.Time) {
	from := in.state
	in.leave(now, StateFault)
	in.group.follow(now, in, from)
}

// leave moves to FAULT or STOP, which both stop all timers.
func (in *Instance) leave(now time.Time, to State) {
	from := in.state
	if from == StateMaster {
		in.sendAdvert(0)
		in.releaseMaster()
	}
	in.state, in.since, in.wantMaster = to, now, false
	in.stepFn, in.timerFn = nil, nil
	in.stateDeadline = time.Time{}
	in.notify(from, to)
}

// releaseMaster removes rules, routes and addresses (the reverse of the
// order they were added in) and stops the GARP timers.
func (in *Instance) releaseMaster() {
	in.stats.ReleaseMaster++
	if in.cfg.HasVirtualRules {
		in.emit(Action{Kind: ActRemoveRules})
	}
	if in.cfg.HasVirtualRoutes {
		in.emit(Action{Kind: ActRemoveRoutes})
	}
	in.emit(Action{Kind: ActRemoveVIPs})
	in.garpDeadline, in.refreshDeadline, in.lowerGARPAt = time.Time{}, time.Time{}, time.Time{}
}

// leaveFault returns a recovered instance to BACKUP with a full
// master-down interval (the owner at once).
func (in *Instance) leaveFault(now time.Time) {
	d := in.masterDown()
	if in.cfg.Priority == 255 {
		d = 0
	}
	in.becomeBackup(now, now.Add(d))
}

// timerBackup: the master is gone. A sync-group member only takes over
// when every other member wants to as well (keepalived prefers backup to
// thrashing); until then it marks itself willing and re-arms the timer.
func (in *Instance) timerBackup(now time.Time) {
	if !in.group.canGoMaster(in) {
		in.wantMaster = true
		in.stateDeadline = now.Add(in.masterDown())
		return
	}
	in.becomeMaster(now)
}

func (in *Instance) timerMaster(now time.Time) {
	in.sendAdvert(in.effPrio)
	in.stateDeadline = now.Add(in.adverInt)
}

// stepBackup: a priority-0 advert cuts the down timer to the skew time; an
// advert we accept (nopreempt, priority ≥ ours, or preempt_delay still
// running) restarts it; a lower-priority advert is discarded so the timer
// runs out and we take over.
func (in *Instance) stepBackup(now time.Time, a *Advert, src netip.Addr) {
	if a.Priority == 0 {
		in.stateDeadline = now.Add(in.skew(in.effPrio))
		return
	}
	delaying := in.cfg.PreemptDelay > 0 && (in.preemptAt.IsZero() || now.Before(in.preemptAt))
	if !in.cfg.NoPreempt && a.Priority < in.effPrio && !delaying {
		return
	}
	if in.cfg.PreemptDelay > 0 {
		if a.Priority >= in.effPrio {
			in.preemptAt = time.Time{}
		} else if in.preemptAt.IsZero() {
			in.preemptAt = now.Add(in.cfg.PreemptDelay)
		}
	}
	in.adopt(a, src)
	in.wantMaster = false
	in.stateDeadline = now.Add(in.masterDown())
}

// adopt records the advert's sender as the master; a v3 backup takes over
// the master's advert interval for its timers.
func (in *Instance) adopt(a *Advert, src netip.Addr) {
	in.masterAddr, in.masterPrio = src, a.Priority
	if in.cfg.Version == 3 && a.Interval > 0 {
		in.masterAdverInt = a.IntervalDuration()
	}
}

// stepMaster: priority 0 is answered at once; a lower priority (or an
// equal one from a lower address) is answered with an advert to force a
// new election; a higher one (or equal from a higher address) wins and we
// become backup. Two address owners: the lower address yields as usual;
// the higher one yields too once the other has kept advertising for two
// adverts, by dropping to 254.
func (in *Instance) stepMaster(now time.Time, a *Advert, src netip.Addr) {
	if a.Priority == 0 {
		in.sendAdvert(in.effPrio)
		in.stateDeadline = now.Add(in.adverInt)
		return
	}
	higher := a.Priority > in.effPrio || a.Priority == in.effPrio && src.Compare(in.cfg.PrimaryAddr) > 0
	if !higher && a.Priority == 255 && in.effPrio == 255 {
		in.ownerConflicts++
		if in.ownerConflicts >= 2 {
			in.effPrio = in.computePriority()
			if in.cfg.NotifyPriorityChanges {
				in.emit(Action{Kind: ActNotifyPriority, Priority: in.effPrio, To: in.state})
			}
			higher = true
		}
	}
	if higher {
		if in.cfg.HigherPrioSendAdvert {
			in.sendAdvert(in.effPrio)
		}
		in.adopt(a, src)
		in.becomeBackup(now, now.Add(in.masterDown()))
		return
	}
	if !in.cfg.LowerPrioNoAdvert {
		in.sendAdvert(in.effPrio)
	}
	if in.cfg.GARPLowerPrioRepeat > 0 {
		in.emit(Action{Kind: ActSendGARP, Repeat: in.cfg.GARPLowerPrioRepeat})
		if in.cfg.GARPLowerPrioDelay > 0 {
			in.lowerGARPAt = now.Add(in.cfg.GARPLowerPrioDelay)
		}
	}
	in.emit(Action{Kind: ActNotifyMasterRxLowerPri, Priority: a.Priority})
}

// AppendAdvert appends our advert with priority prio, sealed for the IP
// source src and destination dst (the group, or one unicast peer: send
// one per peer), to b. It applies v3_checksum_as_v2 and the old unicast
// checksum (configured or auto-detected). It does not allocate when b has
// room.
func (in *Instance) AppendAdvert(b []byte, prio uint8, src, dst netip.Addr) ([]byte, error) {
	in.tx.Priority = prio
	csumDst := dst
	if in.oldChecksum && !in.cfg.IPv6 && !dst.IsMulticast() {
		csumDst = in.cfg.group()
	}
	b, err := in.tx.AppendSealed(b, src, csumDst, in.asV2())
	if err != nil {
		return b, fmt.Errorf("vrrp_instance %s: building advert: %w", in.cfg.Name, err)
	}
	return b, nil
}

// asV2 reports whether v3 checksums omit the pseudo-header. Only IPv4 has
// the option: over IPv6 the kernel computes and checks the checksum with
// the pseudo-header (IPV6_CHECKSUM), whatever keepalived is told.
func (in *Instance) asV2() bool { return in.cfg.V3ChecksumAsV2 && !in.cfg.IPv6 }

// Destinations returns where adverts go: every unicast peer, or the
// multicast group. The slice is shared and must not be modified.
func (in *Instance) Destinations() []netip.Addr { return in.dsts }
