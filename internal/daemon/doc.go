// Package daemon is alived's runtime: one event loop that owns every piece
// of mutable state (VRRP instances, sync groups, trackers, later the LVS
// side) and the adapters that feed it.
//
// Adapters — socket readers, the netlink monitor, tracker script runs,
// signal handlers in cmd/alived — are goroutines owned by the Daemon. They
// never touch state: they post events (functions run on the loop
// goroutine) and the loop does the rest. Time is an input to the pure
// protocol cores; the loop arms a single timer at the earliest deadline any
// component reports.
//
// After every iteration the loop publishes an immutable Snapshot through an
// atomic pointer, which an API or metrics layer may read at any time; such
// layers change state only by sending Commands (Reload, Stop) that the loop
// executes in turn.
package daemon
