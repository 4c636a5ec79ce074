package healthcheck

import "time"

// MaxWeight is the largest weight IPVS accepts; dynamic weights are clamped
// to 0..MaxWeight.
const MaxWeight = 65535

// tracker is the pure per-check state keepalived keeps: up/down, the retry
// count of a failing up check, and the check's dynamic weight contribution.
// It has no clock: step returns the delay to the next probe.
type tracker struct {
	up      bool
	retries int // failures seen since the last pass while still up
	delta   int // contribution to the real server's weight
	lastErr error
}

// newTracker starts a check up, or down in alpha mode.
func newTracker(t Timing) tracker { return tracker{up: !t.Alpha} }

// step applies one probe result. base is the real server's configured
// weight (needed for WeightSet). It returns the delay before the next probe.
func (tr *tracker) step(t Timing, r Result, base int) time.Duration {
	tr.lastErr = r.Err
	if r.Err == nil {
		tr.retries = 0
		tr.up = true
		switch r.Weight.Mode {
		case WeightSet:
			tr.delta = r.Weight.Value - base
		case WeightAdd:
			tr.delta = r.Weight.Value
		}
		return t.DelayLoop
	}
	// keepalived confirms the failure of an up check with `retry` more
	// probes delay_before_retry apart before declaring it down; a down check
	// simply keeps being probed every delay_loop.
	if tr.up && tr.retries < t.Retry {
		tr.retries++
		return t.DelayBeforeRetry
	}
	tr.up = false
	tr.retries = 0
	return t.DelayLoop
}

// State is a real server's health as the daemon needs it: whether every
// check passes, and its weight with dynamic checks applied (the configured
// weight when there are none). What "down" does (remove the destination or,
// with inhibit_on_failure, weight 0) is the daemon's decision.
type State struct {
	Up     bool
	Weight int
}

// aggregate combines check trackers as keepalived does: the real server is
// up only if all its checks are up, and its weight is the configured weight
// plus every check's dynamic contribution, clamped to 0..MaxWeight.
func aggregate(base int, trs []*tracker) State {
	s := State{Up: true, Weight: base}
	for _, tr := range trs {
		if !tr.up {
			s.Up = false
		}
		s.Weight += tr.delta
	}
	s.Weight = min(max(s.Weight, 0), MaxWeight)
	return s
}
