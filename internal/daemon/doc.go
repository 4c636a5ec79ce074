// Package daemon is alived's event loop and nothing else: one goroutine
// that owns every piece of mutable state by hosting the components that
// hold it — the VRRP side (internal/vrrpd), the LVS side (internal/lvs)
// and BFD (internal/bfdd), each a Component whose methods only ever run
// on the loop. keepalived's -P and -C map to Options.NoLVS and
// Options.NoVRRP.
//
// The daemon loads and checks the configuration (config.Check), builds
// the components and wires them to each other through their exported
// options and the small interfaces of component.go (VRRPStateObserver,
// BFDObserver, NotifierUser, Previewer); the components never import this
// package or each other. It arms one timer at the earliest deadline any
// component reports, and applies a reload to every component as a diff
// once all of them accepted it.
//
// The daemon builds one notify.Notifier from global_defs (notify_fifo,
// vrrp_notify_fifo, lvs_notify_fifo, reader scripts, SMTP) and hands it to
// every component, so each FIFO has one writer and its reader script runs
// once; a reload that changes those settings replaces it for all
// components at once.
//
// Adapters — socket readers, the netlink monitor, tracker script runs,
// the BFD runner — are goroutines the components start through the
// daemon (Options.Go of vrrpd and bfdd) so that Run waits for them. They
// never touch state: they post events (functions run on the loop
// goroutine) and the loop does the rest. The LVS side owns and stops its
// own goroutines (check scheduler, IPVS drift repair, counter reads);
// docs/architecture.md lists every goroutine outside the loop and why.
//
// Unlike keepalived, which writes the IPVS table only when something
// changes, the LVS side compares the kernel with its desired table every
// DefaultIPVSRepairInterval (5 s) and undoes changes made behind its back
// (an operator's ipvsadm -d); Options.IPVSRepairInterval tunes or disables
// it.
//
// After every iteration the loop publishes an immutable Snapshot (each
// component's own snapshot type: vrrpd.Snapshot, lvs.Snapshot,
// bfdd.Snapshot) through an atomic pointer; StatusSource converts it into
// the status.Snapshot the API, metrics and the keepalived-style dumps
// read. Those layers change state only through the typed commands
// (Reload, Stop, Check, Preview) that the loop executes in turn.
package daemon
