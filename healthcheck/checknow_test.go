package healthcheck

import (
	"context"
	"errors"
	"testing"
	"time"
)

// probeCounter is a checker that reports each probe on a channel.
type probeCounter struct{ probes chan struct{} }

func (p *probeCounter) Kind() Kind { return KindFile }
func (p *probeCounter) Check(context.Context) Result {
	p.probes <- struct{}{}
	return Result{}
}

func TestCheckNowProbesAtOnce(t *testing.T) {
	pc := &probeCounter{probes: make(chan struct{}, 16)}
	s, err := NewScheduler(Options{OnTransition: func(Transition) {}})
	if err != nil {
		t.Fatal(err)
	}
	// A delay_loop of an hour: only CheckNow can explain a second probe.
	timing := Timing{DelayLoop: time.Hour, ConnectTimeout: time.Second}
	if _, err := s.Add(RealServer{VirtualServer: "vs", RealServer: "rs", Weight: 1,
		Checks: []CheckSpec{{Name: "FILE_CHECK#1", Checker: pc, Timing: timing}}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	wait := func(what string) {
		t.Helper()
		select {
		case <-pc.probes:
		case <-time.After(5 * time.Second):
			t.Fatalf("no probe %s", what)
		}
	}
	wait("at start (warmup 0)")
	// The first probe's result may still be on its way back; CheckNow
	// says so by returning false, and the caller asks again.
	deadline := time.Now().Add(5 * time.Second)
	for !s.CheckNow("vs", "rs", "FILE_CHECK#1") {
		if time.Now().After(deadline) {
			t.Fatal("CheckNow never found the check queued")
		}
		time.Sleep(time.Millisecond) // waiting for the scheduler to requeue; it gives no signal
	}
	wait("after CheckNow")
	if s.CheckNow("vs", "rs", "no-such-check") || s.CheckNow("vs", "nobody", "FILE_CHECK#1") {
		t.Error("CheckNow of an unknown check reported a probe")
	}
}

func TestCheckTrackerFollowsRetries(t *testing.T) {
	timing := Timing{Retry: 2}
	fail, pass := Result{Err: errors.New("down")}, Result{}
	ct := NewCheckTracker(timing)
	if !ct.Up() {
		t.Fatal("a check without alpha starts down")
	}
	for i, want := range []struct {
		r       Result
		changed bool
		up      bool
		retries int
	}{
		{fail, false, true, 1}, // forgiven by retry 1 of 2
		{fail, false, true, 2}, // forgiven by retry 2 of 2
		{fail, true, false, 0}, // retries used up: down
		{fail, false, false, 0},
		{pass, true, true, 0},
		{fail, false, true, 1},
		{pass, false, true, 0}, // a pass resets the retries
	} {
		if changed := ct.Step(timing, want.r); changed != want.changed || ct.Up() != want.up || ct.Retries() != want.retries {
			t.Errorf("step %d: changed %v up %v retries %d, want %v %v %d", i, changed, ct.Up(), ct.Retries(), want.changed, want.up, want.retries)
		}
	}
	alpha := NewCheckTracker(Timing{Alpha: true})
	if alpha.Up() {
		t.Error("an alpha check starts up")
	}
}
