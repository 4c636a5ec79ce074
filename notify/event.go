package notify

import (
	"fmt"
	"net/netip"
	"strconv"
)

// Kind says what an Event is about.
type Kind uint8

// Event kinds.
const (
	// KindInstance is a vrrp_instance state transition or instance signal.
	KindInstance Kind = iota + 1
	// KindGroup is a vrrp_sync_group state transition.
	KindGroup
	// KindRealServer is a real server going up or down.
	KindRealServer
	// KindVirtualServer is a virtual server gaining or losing quorum.
	KindVirtualServer
	// KindTrackScript is a vrrp_script / checker script changing result.
	// keepalived only logs these; they produce no FIFO line and no mail,
	// but subscribers of the daemon (API, metrics) may want them.
	KindTrackScript
)

// String returns the word keepalived uses for the kind where it has one.
func (k Kind) String() string {
	switch k {
	case KindInstance:
		return "INSTANCE"
	case KindGroup:
		return "GROUP"
	case KindRealServer:
		return "RS"
	case KindVirtualServer:
		return "VS"
	case KindTrackScript:
		return "SCRIPT"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// State is the VRRP state (or instance signal) an instance or group event
// reports. Its String is the word keepalived writes to FIFOs and passes to
// generic notify scripts.
type State uint8

// VRRP states and instance signals.
const (
	StateMaster State = iota + 1
	StateBackup
	StateFault
	StateStop
	// StateDeleted is reported for an instance removed by a reload only
	// when notify_deleted is configured; otherwise keepalived reports
	// StateFault, and so should the caller.
	StateDeleted
	// StateMasterRxLowerPri: a master heard an advert with a lower
	// priority (notify_master_rx_lower_pri, FIFO only otherwise).
	StateMasterRxLowerPri
	// StateMasterPriority and StateBackupPriority: the effective priority
	// changed (FIFO only, with notify_priority_changes).
	StateMasterPriority
	StateBackupPriority
)

var stateNames = [...]string{
	StateMaster:           "MASTER",
	StateBackup:           "BACKUP",
	StateFault:            "FAULT",
	StateStop:             "STOP",
	StateDeleted:          "DELETED",
	StateMasterRxLowerPri: "MASTER_RX_LOWER_PRI",
	StateMasterPriority:   "MASTER_PRIORITY",
	StateBackupPriority:   "BACKUP_PRIORITY",
}

// String returns keepalived's word for the state; unknown values print as
// keepalived prints them, "{UNKNOWN}".
func (s State) String() string {
	if int(s) < len(stateNames) && stateNames[s] != "" {
		return stateNames[s]
	}
	return "{UNKNOWN}"
}

// isTransition reports whether s is a real state (as opposed to a signal
// such as a priority change), i.e. whether scripts and mails follow it.
func (s State) isTransition() bool { return s >= StateMaster && s <= StateDeleted }

// Service names a virtual or real server the way keepalived formats it in
// FIFO lines and mail subjects.
type Service struct {
	Addr netip.Addr
	Port uint16
	// Proto is "tcp", "udp" or "sctp"; empty prints as keepalived's "none".
	Proto string
	// FWMark, for a virtual server defined by firewall mark, prints "FWM n".
	FWMark uint32
	// Group, for a virtual server defined by virtual_server_group, prints
	// "[group]:port".
	Group string
}

// String formats s as a virtual server: "[192.0.2.1]:tcp:80",
// "FWM 5" or "[groupname]:80".
func (s Service) String() string {
	switch {
	case s.Group != "":
		return fmt.Sprintf("[%s]:%d", s.Group, s.Port)
	case s.FWMark != 0:
		return fmt.Sprintf("FWM %d", s.FWMark)
	}
	return s.trio()
}

// trio formats address, protocol and port as keepalived's
// inet_sockaddrtotrio does; real servers are always printed this way.
func (s Service) trio() string {
	proto := s.Proto
	if proto == "" {
		proto = "none"
	}
	addr := "?"
	if s.Addr.IsValid() {
		addr = s.Addr.WithZone("").String()
	}
	return fmt.Sprintf("[%s]:%s:%d", addr, proto, s.Port)
}

// Event is one notification-worthy change. Build it with the constructors
// (InstanceEvent, GroupEvent, RealServerEvent, QuorumEvent, ScriptEvent),
// which fill exactly the fields that kind uses.
type Event struct {
	Kind Kind
	// Name of the instance, sync group or script.
	Name string
	// State of an instance or group.
	State State
	// Priority is the instance's effective priority (0 for groups).
	Priority int
	// VS is the virtual server of a real-server or quorum event.
	VS Service
	// RS is the real server of a real-server event.
	RS Service
	// Up: real server alive, quorum gained, script succeeded.
	Up bool
	// Detail is the body of the alert mail for checker events, e.g.
	// "=> TCP CHECK failed on service <="; see CheckBody and QuorumBody.
	Detail string
}

// InstanceEvent reports that vrrp_instance name entered state (or, for the
// signal states, that it observed that signal) with its effective priority.
func InstanceEvent(name string, state State, priority int) Event {
	return Event{Kind: KindInstance, Name: name, State: state, Priority: priority}
}

// GroupEvent reports that vrrp_sync_group name entered state. keepalived
// always reports priority 0 for groups.
func GroupEvent(name string, state State) Event {
	return Event{Kind: KindGroup, Name: name, State: state}
}

// RealServerEvent reports that real server rs of virtual server vs went up
// or down; detail is the mail body (see CheckBody).
func RealServerEvent(vs, rs Service, up bool, detail string) Event {
	return Event{Kind: KindRealServer, VS: vs, RS: rs, Up: up, Detail: detail}
}

// QuorumEvent reports that virtual server vs gained (up) or lost quorum;
// detail is the mail body (see QuorumBody).
func QuorumEvent(vs Service, up bool, detail string) Event {
	return Event{Kind: KindVirtualServer, VS: vs, Up: up, Detail: detail}
}

// ScriptEvent reports that track script name now succeeds (ok) or fails.
func ScriptEvent(name string, ok bool) Event {
	return Event{Kind: KindTrackScript, Name: name, Up: ok}
}

// upDown is keepalived's spelling of a boolean health state.
func upDown(up bool) string {
	if up {
		return "UP"
	}
	return "DOWN"
}

// String describes the event for logs, using the FIFO wording.
func (e Event) String() string {
	if l := e.FIFOLine(); l != "" {
		return l[:len(l)-1]
	}
	if e.Kind == KindTrackScript {
		return fmt.Sprintf("SCRIPT %q %s", e.Name, upDown(e.Up))
	}
	return e.Kind.String()
}
