// Package lvs is alived's counterpart of keepalived's checker process: it
// wires the virtual_server blocks of a configuration to the health
// checkers, the IPVS reconciler and the notifications.
//
// The data flow is one way:
//
//	config ──► plan (desired services, real servers, checks, scripts)
//	healthcheck.Scheduler ──► Transition ──► ipvs.Pool (health, quorum)
//	    ──► ipvs.Reconciler (kernel) ──► notify.Notifier (scripts, FIFO, mail)
//
// Building a plan from a configuration is pure (BuildPlan); everything
// with state lives in Subsystem, which is meant to be hosted by the
// daemon's event loop: every method runs on the loop goroutine, and the
// scheduler's transitions reach the loop through the Post function the
// loop provides, so pool, reconciler and notifications are only ever
// touched from one goroutine.
//
// # Runtime overrides: drain, maint, weight
//
// An operator can override a real server (or, for drain and maint, every
// real server of a virtual server) without editing the configuration
// (Subsystem.SetOverride). In IPVS terms:
//
//   - drain sets the destination's weight to 0 and keeps it in the table.
//     The schedulers give a weight-0 ("quiescent") destination no new
//     connections, but it stays available: established connections carry
//     on, and persistence templates stay valid (the kernel's
//     ip_vs_check_template invalidates a template when its destination is
//     no longer available, or has weight 0 while
//     net.ipv4.vs.expire_quiescent_template is set - 0 by default), so
//     a client that already has a template keeps being sent to the
//     drained server until the template times out (persistence_timeout).
//     The status shows the destination's active and inactive connections
//     counting down and when they first both read 0 (drained_at). A
//     drained server stays at weight 0 whatever its checks say (even when
//     it fails, or a sorry server takes over, as if inhibit_on_failure
//     were set), so a flap does not cut its remaining connections.
//   - maint removes the destination from the table: no traffic at all.
//     The kernel marks a removed destination unavailable, so its
//     persistence templates are invalidated at their next use and new
//     connections go elsewhere; packets of established connections are
//     dropped while it is out (net.ipv4.vs.expire_nodest_conn=0, the
//     default: the connection entries stay and resume if the server
//     returns before they expire) or expire the connection at its next
//     packet (expire_nodest_conn=1). alived chose removal over "weight 0 +
//     flush the templates" deliberately: IPVS offers no per-destination
//     way to delete templates or connections, and setting
//     expire_quiescent_template would change every drain on the host.
//     drain is thus F5's "disabled" and HAProxy's drain (new connections
//     only from persistent clients, checks still run); maint is stricter
//     than F5's "forced offline" (which keeps established connections)
//     and like HAProxy's maint followed by "shutdown sessions", except
//     that checks keep running so that ready restores the current
//     verdict at once. It is what keepalived does to a failed server
//     without inhibit_on_failure.
//   - weight N replaces the configured (or dynamic) weight; health still
//     applies, so a failing server leaves the table as configured.
//   - ready clears the override: the server goes back to what its checks
//     say now.
//
// Overrides win over checker results and are applied where health enters
// the pool, so quorum and the sorry server see the effective weights: a
// drained server or one in maint contributes 0 toward quorum, as a
// weight-0 server does in keepalived. Overrides are keyed by the targets'
// identities (package config/ident), survive reloads (one whose target a
// reload removes is dropped with a warning) and restarts (the daemon
// saves Overrides and gives them back with RestoreOverrides). Setting or
// clearing one runs no notify_up/notify_down script and writes no FIFO
// line or mail, only a log line: an operator action is not a failure.
// quorum_up/quorum_down still run if the effective weights cross the
// quorum, since the service really changes state then.
package lvs
