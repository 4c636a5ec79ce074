package healthcheck

import (
	"errors"
	"fmt"
	"time"
)

// Timing is the effective schedule of one check, after keepalived's
// inheritance (virtual_server → real_server → checker) and per-kind
// defaults have been applied; build it with ResolveTiming.
type Timing struct {
	// DelayLoop is the interval between checks (delay_loop, default 60 s).
	DelayLoop time.Duration
	// ConnectTimeout bounds one probe (connect_timeout, default 5 s; for
	// MISC_CHECK the daemon passes misc_timeout, default delay_loop).
	ConnectTimeout time.Duration
	// Retry is how many extra checks confirm a failure of an up server
	// before it goes down (retry, default 1; DNS_CHECK 3; MISC_CHECK 0).
	Retry int
	// DelayBeforeRetry is the interval before those extra checks
	// (delay_before_retry, default 1 s; HTTP_GET/SSL_GET 3 s; DNS_CHECK
	// delay_loop).
	DelayBeforeRetry time.Duration
	// Warmup is the upper bound of the random delay before the first check
	// (warmup, default delay_loop; 0 starts at once).
	Warmup time.Duration
	// Alpha starts the check down, so the real server needs a passing check
	// before it is used (alpha, default off).
	Alpha bool
}

// TimingOverride is one layer of timing keywords (virtual_server,
// real_server or checker block); nil fields were not set in that block.
type TimingOverride struct {
	DelayLoop        *time.Duration
	ConnectTimeout   *time.Duration
	Retry            *int
	DelayBeforeRetry *time.Duration
	Warmup           *time.Duration
	Alpha            *bool
}

// ResolveTiming applies layers in order (virtual server first, checker
// last, later layers winning) over keepalived's defaults for kind. Defaults
// that depend on delay_loop (warmup, DNS_CHECK's delay_before_retry,
// MISC_CHECK's timeout) follow the resolved delay_loop.
func ResolveTiming(kind Kind, layers ...TimingOverride) (Timing, error) {
	t := Timing{DelayLoop: 60 * time.Second, ConnectTimeout: 5 * time.Second, Retry: 1}
	var dbrSet, warmSet, ctSet bool
	for _, l := range layers {
		if l.DelayLoop != nil {
			t.DelayLoop = *l.DelayLoop
		}
		if l.ConnectTimeout != nil {
			t.ConnectTimeout, ctSet = *l.ConnectTimeout, true
		}
		if l.Retry != nil {
			t.Retry = *l.Retry
		}
		if l.DelayBeforeRetry != nil {
			t.DelayBeforeRetry, dbrSet = *l.DelayBeforeRetry, true
		}
		if l.Warmup != nil {
			t.Warmup, warmSet = *l.Warmup, true
		}
		if l.Alpha != nil {
			t.Alpha = *l.Alpha
		}
	}
	if !retrySet(layers) {
		switch kind {
		case KindDNS:
			t.Retry = 3
		case KindMisc:
			t.Retry = 0
		}
	}
	if !dbrSet {
		switch kind {
		case KindHTTP, KindSSL:
			t.DelayBeforeRetry = 3 * time.Second
		case KindDNS:
			t.DelayBeforeRetry = t.DelayLoop
		default:
			t.DelayBeforeRetry = time.Second
		}
	}
	if !warmSet {
		t.Warmup = t.DelayLoop
	}
	if kind == KindMisc && !ctSet {
		t.ConnectTimeout = t.DelayLoop
	}
	return t, t.Validate()
}

func retrySet(layers []TimingOverride) bool {
	for _, l := range layers {
		if l.Retry != nil {
			return true
		}
	}
	return false
}

// Validate reports values no schedule can run with.
func (t Timing) Validate() error {
	var errs []error
	if t.DelayLoop <= 0 {
		errs = append(errs, fmt.Errorf("delay_loop %v must be positive", t.DelayLoop))
	}
	if t.ConnectTimeout <= 0 {
		errs = append(errs, fmt.Errorf("connect_timeout %v must be positive", t.ConnectTimeout))
	}
	if t.Retry < 0 {
		errs = append(errs, fmt.Errorf("retry %d must not be negative", t.Retry))
	}
	if t.DelayBeforeRetry < 0 {
		errs = append(errs, fmt.Errorf("delay_before_retry %v must not be negative", t.DelayBeforeRetry))
	}
	if t.Warmup < 0 {
		errs = append(errs, fmt.Errorf("warmup %v must not be negative", t.Warmup))
	}
	return errors.Join(errs...)
}
