package healthcheck

import (
	"errors"
	"testing"
	"time"
)

var errProbe = errors.New("probe failed")

func TestTrackerRetryConfirmsFailure(t *testing.T) {
	tm := Timing{DelayLoop: 10 * time.Second, DelayBeforeRetry: 2 * time.Second, Retry: 2}
	tr := newTracker(tm)
	if !tr.up {
		t.Fatal("non-alpha check starts down")
	}
	// Two failures are retried delay_before_retry apart without going down.
	for i := 0; i < 2; i++ {
		if d := tr.step(tm, fail(errProbe), 1); d != 2*time.Second || !tr.up {
			t.Fatalf("failure %d: next %v up=%v, want retry in 2s while up", i+1, d, tr.up)
		}
	}
	// The third consecutive failure takes it down; the schedule returns to delay_loop.
	if d := tr.step(tm, fail(errProbe), 1); d != 10*time.Second || tr.up {
		t.Fatalf("third failure: next %v up=%v, want down and delay_loop", d, tr.up)
	}
	if d := tr.step(tm, fail(errProbe), 1); d != 10*time.Second || tr.up {
		t.Fatalf("failure while down: next %v up=%v", d, tr.up)
	}
	// One pass brings it up.
	if d := tr.step(tm, Result{}, 1); d != 10*time.Second || !tr.up {
		t.Fatalf("pass: next %v up=%v", d, tr.up)
	}
	// A pass in between resets the retry count.
	tr.step(tm, fail(errProbe), 1)
	tr.step(tm, Result{}, 1)
	tr.step(tm, fail(errProbe), 1)
	tr.step(tm, fail(errProbe), 1)
	if !tr.up {
		t.Fatal("retry count not reset by a pass")
	}
}

func TestTrackerAlphaAndRetryZero(t *testing.T) {
	tm := Timing{DelayLoop: time.Second, Alpha: true}
	tr := newTracker(tm)
	if tr.up {
		t.Fatal("alpha check starts up")
	}
	tr.step(tm, Result{}, 1)
	if !tr.up {
		t.Fatal("alpha check not up after a pass")
	}
	tr.step(tm, fail(errProbe), 1)
	if tr.up {
		t.Fatal("retry 0: one failure must take the check down")
	}
}

func TestAggregate(t *testing.T) {
	tm := Timing{DelayLoop: time.Second}
	a, b := newTracker(tm), newTracker(tm)
	if s := aggregate(5, []*tracker{&a, &b}); s != (State{Up: true, Weight: 5}) {
		t.Fatalf("initial %+v", s)
	}
	b.step(tm, fail(errProbe), 5)
	if s := aggregate(5, []*tracker{&a, &b}); s.Up {
		t.Fatal("one failing check must take the server down")
	}
	b.step(tm, Result{}, 5)
	// misc_dynamic exit 12 sets the weight to 10 (delta +5 over weight 5).
	a.step(tm, Result{Weight: WeightChange{Mode: WeightSet, Value: 10}}, 5)
	if s := aggregate(5, []*tracker{&a, &b}); s != (State{Up: true, Weight: 10}) {
		t.Fatalf("after WeightSet: %+v", s)
	}
	// A FILE_CHECK contribution adds on top; exit 0 keeps the MISC weight.
	b.step(tm, Result{Weight: WeightChange{Mode: WeightAdd, Value: -3}}, 5)
	a.step(tm, Result{}, 5)
	if s := aggregate(5, []*tracker{&a, &b}); s.Weight != 7 {
		t.Fatalf("after WeightAdd: %+v", s)
	}
	b.step(tm, Result{Weight: WeightChange{Mode: WeightAdd, Value: -100}}, 5)
	if s := aggregate(5, []*tracker{&a, &b}); s.Weight != 0 {
		t.Fatalf("negative weight not clamped: %+v", s)
	}
	if s := aggregate(1, nil); s != (State{Up: true, Weight: 1}) {
		t.Fatalf("no checks: %+v", s)
	}
}
