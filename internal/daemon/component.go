package daemon

import (
	"time"

	"github.com/alived/alived/config"
)

// Component is a subsystem the loop hosts: the VRRP side (vrrpd.Subsystem),
// the LVS side (lvs.Subsystem) and BFD (bfdd.Subsystem). Every method runs
// on the loop goroutine; a component posts events from its own adapters
// with the post function it is given at construction and never blocks the
// loop. Each component package asserts at compile time that it satisfies
// this interface.
type Component interface {
	// Name identifies the component in logs and snapshots.
	Name() string
	// Start brings the component up with cfg at now.
	Start(now time.Time, cfg *config.Config) error
	// Reload applies a new configuration as a diff. It is only called with
	// a configuration that Check accepted.
	Reload(now time.Time, cfg *config.Config) error
	// Check reports why cfg cannot be applied (nil if it can), without
	// changing anything.
	Check(cfg *config.Config) error
	// Stop shuts the component down gracefully (masters hand over, VIPs
	// are released unless configured otherwise) and stops its adapters.
	Stop(now time.Time)
	// NextDeadline is when the component next needs Tick; zero if never.
	NextDeadline() time.Time
	// Tick runs every timer due at or before now.
	Tick(now time.Time)
	// Snapshot returns an immutable view of the component's state.
	Snapshot() any
}

// VRRPStateObserver is implemented by a component that follows VRRP
// instance states (the LVS side, whose IPVS sync daemon runs as master
// while the instance lvs_sync_daemon names is MASTER). The loop calls it,
// on the loop goroutine, for every state change of every instance, so
// the VRRP side and the observer never import each other.
type VRRPStateObserver interface {
	// VRRPStateChanged reports that instance entered a new state; master
	// tells whether that state is MASTER.
	VRRPStateChanged(now time.Time, instance string, master bool)
}

// BFDObserver is implemented by a component that follows bfd_instance
// sessions: the VRRP side (track_bfd) and the LVS side (BFD_CHECK). The
// loop calls it on the loop goroutine whenever a session enters or
// leaves Up; which sides are told depends on the bfd_instance's `vrrp`
// and `checker` keywords, as in keepalived (see bfdd.Options).
type BFDObserver interface {
	// BFDStateChanged reports that session name is now up (Up) or not.
	BFDStateChanged(now time.Time, name string, up bool)
}
