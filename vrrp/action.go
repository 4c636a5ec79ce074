package vrrp

import (
	"fmt"
	"time"
)

// ActionKind says what an [Action] asks the caller to do.
type ActionKind uint8

// Actions, in the order keepalived performs them within one transition.
// The caller performs the actions of one Ready batch in order.
const (
	// ActSendAdvert: build an advert with Instance.AppendAdvert using
	// Action.Priority and send it to the group or every unicast peer.
	// Priority 0 is the "I am leaving" advert.
	ActSendAdvert ActionKind = iota + 1
	// ActAddVIPs: add the virtual addresses and the excluded virtual
	// addresses (and accept-mode rules) of the instance.
	ActAddVIPs
	// ActAddRoutes: add the instance's virtual_routes.
	ActAddRoutes
	// ActAddRules: add the instance's virtual_rules.
	ActAddRules
	// ActRemoveRules: remove the instance's virtual_rules.
	ActRemoveRules
	// ActRemoveRoutes: remove the instance's virtual_routes.
	ActRemoveRoutes
	// ActRemoveVIPs: remove the virtual and excluded addresses.
	ActRemoveVIPs
	// ActSendGARP: send Action.Repeat gratuitous ARPs (IPv4) or unsolicited
	// neighbour adverts (IPv6) for every VIP and eVIP.
	ActSendGARP
	// ActNotify: the instance (or, with Action.Group set, the sync group)
	// went from Action.From to Action.To; run notify scripts, write the
	// FIFO, send mail. Action.Priority is the effective priority (0 for
	// groups, as keepalived passes it).
	ActNotify
	// ActNotifyMasterRxLowerPri: a master heard an advert of lower priority
	// (Action.Priority); run notify_master_rx_lower_pri.
	ActNotifyMasterRxLowerPri
	// ActNotifyPriority: the effective priority changed to Action.Priority
	// (only with notify_priority_changes); Action.To is the current state.
	ActNotifyPriority
	// ActSetTimer: the instance next needs Tick at Action.At (zero: no
	// timer pending). Emitted whenever the earliest deadline changes.
	ActSetTimer
)

var actionNames = [...]string{
	ActSendAdvert: "send-advert", ActAddVIPs: "add-vips", ActAddRoutes: "add-routes", ActAddRules: "add-rules",
	ActRemoveRules: "remove-rules", ActRemoveRoutes: "remove-routes", ActRemoveVIPs: "remove-vips",
	ActSendGARP: "send-garp", ActNotify: "notify", ActNotifyMasterRxLowerPri: "notify-master-rx-lower-pri",
	ActNotifyPriority: "notify-priority", ActSetTimer: "set-timer",
}

// String is the kind's name as scenario files write it.
func (k ActionKind) String() string {
	if int(k) < len(actionNames) && actionNames[k] != "" {
		return actionNames[k]
	}
	return fmt.Sprintf("action(%d)", uint8(k))
}

// Action is one effect the caller must perform. Only the fields the Kind
// documents are set.
type Action struct {
	Kind     ActionKind
	Priority uint8
	Repeat   int
	From, To State
	// Group is the sync group's name for group notifies, empty otherwise.
	Group string
	// At is the deadline of ActSetTimer.
	At time.Time
}

// String renders the action as scenario files expect it; relative to
// nothing, so ActSetTimer shows the absolute deadline.
func (a Action) String() string {
	switch a.Kind {
	case ActSendAdvert:
		return fmt.Sprintf("%s prio=%d", a.Kind, a.Priority)
	case ActSendGARP:
		return fmt.Sprintf("%s repeat=%d", a.Kind, a.Repeat)
	case ActNotify:
		if a.Group != "" {
			return fmt.Sprintf("%s group=%s %s->%s", a.Kind, a.Group, a.From, a.To)
		}
		return fmt.Sprintf("%s %s->%s prio=%d", a.Kind, a.From, a.To, a.Priority)
	case ActNotifyMasterRxLowerPri, ActNotifyPriority:
		return fmt.Sprintf("%s prio=%d", a.Kind, a.Priority)
	case ActSetTimer:
		return fmt.Sprintf("%s at=%s", a.Kind, a.At.Format(time.RFC3339Nano))
	}
	return a.Kind.String()
}
