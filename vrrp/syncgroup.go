package vrrp

import (
	"fmt"
	"time"
)

// SyncGroup is a vrrp_sync_group: its members move together. A member
// becomes master only once every member's master-down timer has expired
// (so one live master keeps the whole group backup), and then takes the
// others with it; a master yielding takes the
// other masters to backup, and one member's fault takes every member to
// FAULT until no member has a fault of its own any more. Group notifies
// (ActNotify with Group set, priority 0) are emitted by the member whose
// transition changed the group's state.
type SyncGroup struct {
	name    string
	members []*Instance
	state   State
	busy    bool // a propagation is running: members' transitions do not recurse
}

// NewSyncGroup binds members into a group. Members must not be started yet
// and must not already belong to a group.
func NewSyncGroup(name string, members ...*Instance) (*SyncGroup, error) {
	g := &SyncGroup{name: name, state: StateInit}
	for _, m := range members {
		if m.group != nil {
			return nil, fmt.Errorf("vrrp_sync_group %s: %s is already in group %s", name, m.cfg.Name, m.group.name)
		}
		if m.started {
			return nil, fmt.Errorf("vrrp_sync_group %s: %s is already started", name, m.cfg.Name)
		}
	}
	for _, m := range members {
		m.group = g
	}
	g.members = append(g.members, members...)
	return g, nil
}

// Name is the group's name.
func (g *SyncGroup) Name() string { return g.name }

// State is the state the group last moved to as a whole.
func (g *SyncGroup) State() State { return g.state }

// faulty reports whether a started member has a fault of its own.
func (g *SyncGroup) faulty() bool {
	if g == nil {
		return false
	}
	for _, m := range g.members {
		if m.started && m.state != StateStop && m.ownFault() {
			return true
		}
	}
	return false
}

// canGoMaster reports whether x may become master: always outside a group
// or when the group already is master, otherwise only when every other
// member's down timer has expired too (keepalived's
// vrrp_sync_can_goto_master).
func (g *SyncGroup) canGoMaster(x *Instance) bool {
	if g == nil || g.state == StateMaster {
		return true
	}
	for _, m := range g.members {
		if m != x && m.state != StateMaster && !m.wantMaster {
			return false
		}
	}
	return true
}

// follow makes the other members follow x's transition from prev.
func (g *SyncGroup) follow(now time.Time, x *Instance, prev State) {
	if g == nil || g.busy {
		return
	}
	g.busy = true
	defer func() { g.busy = false }()
	for _, m := range g.members {
		if m == x || !m.started {
			continue
		}
		switch {
		case x.state == StateFault && m.state != StateFault && m.state != StateStop:
			m.becomeFault(now)
		case x.state == StateMaster && m.state == StateBackup:
			m.becomeMaster(now)
		case x.state == StateBackup && prev == StateMaster && m.state == StateMaster:
			m.becomeBackup(now, now.Add(m.masterDown()))
		default:
			continue
		}
		m.finish()
	}
	g.moveTo(x, x.state)
}

// tryLeaveFault returns the group (or a lone instance) from FAULT once no
// member has a fault of its own.
func (g *SyncGroup) tryLeaveFault(now time.Time, in *Instance) {
	if g == nil {
		in.leaveFault(now)
		return
	}
	if g.faulty() || g.busy {
		return
	}
	g.busy = true
	for _, m := range g.members {
		if m.started && m.state == StateFault {
			m.leaveFault(now)
			if m != in {
				m.finish()
			}
		}
	}
	g.busy = false
	g.moveTo(in, StateBackup)
}

// moveTo records the group's new state and has x emit the group notify.
func (g *SyncGroup) moveTo(x *Instance, to State) {
	if to == g.state || to == StateStop || to == StateInit {
		return
	}
	from := g.state
	g.state = to
	x.emit(Action{Kind: ActNotify, Group: g.name, From: from, To: to})
}
