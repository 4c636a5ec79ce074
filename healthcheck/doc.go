// Package healthcheck runs keepalived's real-server health checkers
// (TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK, DNS_CHECK, UDP_CHECK,
// PING_CHECK, MISC_CHECK, FILE_CHECK) and turns their results into
// real-server transitions (up/down/weight) for the daemon loop.
//
// Each checker lives in its own file and has an option struct mirroring
// keepalived's keywords and defaults; a constructor validates the options
// and returns a clear error for anything keepalived would reject (bad regex,
// bad digest, bad hex), never a panic. The config layer maps its model onto
// these structs and turns the errors into file:line warnings.
//
// One Scheduler runs every check: first runs are spread by keepalived's
// warmup (random 0..warmup), probes run on a bounded worker pool, and every
// probe is bounded by a context deadline (connect_timeout, misc_timeout), so
// a server that accepts and never answers costs one worker for at most that
// long and never accumulates goroutines. Results go through a pure per-check
// tracker (retry, delay_before_retry, alpha) and a per-real-server
// aggregation (all checks must pass; dynamic weights add up), and the
// scheduler reports changes as Transition values.
//
// Checks run regardless of VRRP state: the package knows nothing of VRRP
// or IPVS (internal/archtest enforces this); the daemon decides what a
// transition does to IPVS weights and which notifications it triggers.
package healthcheck
