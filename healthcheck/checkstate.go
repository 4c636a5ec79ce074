package healthcheck

// CheckTracker follows one check's own up/down state with the rule the
// Scheduler applies (a passing probe is up; an up check goes down after
// Timing.Retry further failures; alpha starts down). The Scheduler only
// reports real-server transitions; callers that must act on a single
// checker's changes, as keepalived does for its per-checker mails and
// log lines, feed it the same results the Scheduler sees.
type CheckTracker struct{ tr tracker }

// NewCheckTracker starts a check up, or down in alpha mode.
func NewCheckTracker(t Timing) CheckTracker { return CheckTracker{tr: newTracker(t)} }

// Up reports whether the check is up.
func (c *CheckTracker) Up() bool { return c.tr.up }

// Retries is how many failures of an up check have been seen since its
// last pass (the retries used up so far).
func (c *CheckTracker) Retries() int { return c.tr.retries }

// Step applies one probe result and reports whether the check's up/down
// state changed.
func (c *CheckTracker) Step(t Timing, r Result) bool {
	was := c.tr.up
	c.tr.step(t, r, 0)
	return c.tr.up != was
}
