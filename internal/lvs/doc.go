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
package lvs
