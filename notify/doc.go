// Package notify turns state changes into the notifications keepalived users
// rely on: notify scripts (with keepalived's exact argv), lines on notify
// FIFOs, and SMTP alert mails.
//
// The package has its own Event type and never imports vrrp or ipvs; the
// daemon translates its transitions into Events. Everything that can be slow
// (running a script, talking to an SMTP server) happens behind a bounded
// queue owned by this package, so the caller — the daemon's event loop —
// never blocks: when a queue is full the work is dropped and counted.
//
// Formats follow keepalived 2.2.7 (vrrp_notify.c, check/ipwrapper.c,
// core/smtp.c); the FIFO formats are checked against a real keepalived in a
// namespace test (oracle_test.go).
package notify
