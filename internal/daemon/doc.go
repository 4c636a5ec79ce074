// Package daemon is alived's runtime: one event loop that owns every piece
// of mutable state (VRRP instances, sync groups, trackers, and the LVS side
// of internal/lvs: checkers, pool, IPVS reconciler) and the adapters that
// feed it. keepalived's -P and -C map to Options.NoLVS and Options.NoVRRP.
//
// The daemon builds one notify.Notifier from global_defs (notify_fifo,
// vrrp_notify_fifo, lvs_notify_fifo, reader scripts, SMTP) and hands it to
// every component, so each FIFO has one writer and its reader script runs
// once; a reload that changes those settings replaces it for all
// components at once.
//
// Unlike keepalived, which writes the IPVS table only when something
// changes, the LVS side compares the kernel with its desired table every
// DefaultIPVSRepairInterval (5 s) and undoes changes made behind its back
// (an operator's ipvsadm -d); Options.IPVSRepairInterval tunes or disables
// it.
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
