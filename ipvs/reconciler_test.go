package ipvs

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

func desiredWeb() Table {
	t := Table{}
	t.Add(tcp("10.0.0.1", 80, "wrr"), nat("10.1.0.1", 80, 1), nat("10.1.0.2", 80, 2))
	t.Add(tcp("10.0.0.1", 443, "rr"), nat("10.1.0.1", 443, 1))
	return t
}

func TestStartAdoptsWithoutTouchingMatchingServices(t *testing.T) {
	f := NewFake()
	mustApply(t, f, Plan(desiredWeb(), Table{}, PlanOptions{}))
	foreign := Table{}
	foreign.Add(tcp("10.9.9.9", 22, "rr"), nat("10.1.0.9", 22, 1))
	mustApply(t, f, Plan(foreign, Table{}, PlanOptions{}))

	c := NewCounting(f)
	r := NewReconciler(c, Options{})
	res, err := r.Start(desiredWeb())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Ops) != 0 || c.Counts().Writes != 0 {
		t.Fatalf("adoption wrote to the kernel: %v", res.Ops)
	}
	if _, ok := f.Snapshot()[tcp("10.9.9.9", 22, "").ServiceKey]; !ok {
		t.Fatal("a service the config does not name was removed")
	}
	if r.Owned(tcp("10.9.9.9", 22, "").ServiceKey) {
		t.Error("foreign service became owned")
	}
}

func TestStartCorrectsDifferencesAndFlushes(t *testing.T) {
	f := NewFake()
	stale := desiredWeb()
	stale.Add(tcp("10.0.0.1", 80, "rr"), nat("10.1.0.1", 80, 1), nat("10.1.0.3", 80, 1))
	stale.Add(tcp("10.9.9.9", 22, "rr"))
	mustApply(t, f, Plan(stale, Table{}, PlanOptions{}))

	r := NewReconciler(f, Options{Flush: true})
	if _, err := r.Start(desiredWeb()); err != nil {
		t.Fatal(err)
	}
	sameTable(t, f.Snapshot(), desiredWeb())
}

func TestUpdateAppliesOnlyTheDifference(t *testing.T) {
	f := NewFake()
	c := NewCounting(f)
	r := NewReconciler(c, Options{})
	if _, err := r.Start(desiredWeb()); err != nil {
		t.Fatal(err)
	}
	before := c.Counts()
	next := desiredWeb()
	vs := next[tcp("10.0.0.1", 80, "").ServiceKey]
	d := vs.Dests[nat("10.1.0.2", 80, 0).DestKey]
	d.Weight = 7
	vs.Dests[d.DestKey] = d
	res, err := r.Update(next)
	if err != nil {
		t.Fatal(err)
	}
	delta := c.Counts()
	if len(res.Ops) != 1 || delta.Writes-before.Writes != 1 || delta.Reads != before.Reads {
		t.Fatalf("one weight change cost %d writes and %d reads (ops %v)", delta.Writes-before.Writes, delta.Reads-before.Reads, res.Ops)
	}
	sameTable(t, f.Snapshot(), next)
}

func TestUpdateRemovesOnlyOwnedServices(t *testing.T) {
	f := NewFake()
	foreign := Table{}
	foreign.Add(tcp("10.9.9.9", 22, "rr"))
	mustApply(t, f, Plan(foreign, Table{}, PlanOptions{}))
	r := NewReconciler(f, Options{})
	if _, err := r.Start(desiredWeb()); err != nil {
		t.Fatal(err)
	}
	smaller := desiredWeb()
	delete(smaller, tcp("10.0.0.1", 443, "").ServiceKey)
	if _, err := r.Update(smaller); err != nil {
		t.Fatal(err)
	}
	want := smaller.Clone()
	want.Add(tcp("10.9.9.9", 22, "rr"))
	sameTable(t, f.Snapshot(), want)
}

func TestUpdateAfterFailureReadsKernel(t *testing.T) {
	f := NewFake()
	r := NewReconciler(f, Options{})
	if _, err := r.Start(Table{}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	f.FailWith(func(op Op) error {
		if op.Kind == CreateDest && op.Dest.Weight == 2 {
			return boom
		}
		return nil
	})
	if _, err := r.Update(desiredWeb()); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the injected failure", err)
	}
	f.FailWith(nil)
	// The plan half-applied; the next update must not trust it.
	if _, err := r.Update(desiredWeb()); err != nil {
		t.Fatal(err)
	}
	sameTable(t, f.Snapshot(), desiredWeb())
}

func TestRepairUndoesDrift(t *testing.T) {
	f := NewFake()
	var logbuf bytes.Buffer
	r := NewReconciler(f, Options{Logger: slog.New(slog.NewTextHandler(&logbuf, nil))})
	if _, err := r.Start(desiredWeb()); err != nil {
		t.Fatal(err)
	}
	s := tcp("10.0.0.1", 80, "wrr")
	if err := f.RemoveDestination(s, nat("10.1.0.2", 80, 0)); err != nil {
		t.Fatal(err)
	}
	if err := f.UpdateService(tcp("10.0.0.1", 443, "lc")); err != nil {
		t.Fatal(err)
	}
	if err := f.CreateService(tcp("10.9.9.9", 22, "rr")); err != nil {
		t.Fatal(err)
	}
	res, err := r.Repair()
	if err != nil {
		t.Fatal(err)
	}
	eqKinds(t, res.Ops, CreateDest, UpdateService)
	want := desiredWeb()
	want.Add(tcp("10.9.9.9", 22, "rr"))
	sameTable(t, f.Snapshot(), want)
	if !strings.Contains(logbuf.String(), "repairing drift") || !strings.Contains(logbuf.String(), "10.1.0.2:80") {
		t.Errorf("drift not logged:\n%s", logbuf.String())
	}
}

// signalHandler is a slog handler that reports each record's message.
type signalHandler struct{ msgs chan<- string }

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	h.msgs <- r.Message
	return nil
}
func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h signalHandler) WithGroup(string) slog.Handler      { return h }

func TestRunRepairsUntilStopped(t *testing.T) {
	f := NewFake()
	msgs := make(chan string, 64)
	r := NewReconciler(f, Options{Logger: slog.New(signalHandler{msgs})})
	if _, err := r.Start(desiredWeb()); err != nil {
		t.Fatal(err)
	}
	if err := f.RemoveService(tcp("10.0.0.1", 443, "")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var runErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		runErr = r.Run(ctx, 10*time.Millisecond)
	}()
	deadline := time.After(10 * time.Second)
	for seen := false; !seen; {
		select {
		case m := <-msgs:
			seen = m == "ipvs: repairing drift"
		case <-deadline:
			t.Fatal("no repair within 10s")
		}
	}
	cancel()
	wg.Wait()
	if !errors.Is(runErr, context.Canceled) {
		t.Errorf("Run returned %v", runErr)
	}
	sameTable(t, f.Snapshot(), desiredWeb())
}

func TestStopModes(t *testing.T) {
	foreign := Table{}
	foreign.Add(tcp("10.9.9.9", 22, "rr"))
	for _, tc := range []struct {
		mode StopMode
		want Table
	}{
		{Release, foreign},
		{Keep, func() Table { t := desiredWeb(); t.Add(tcp("10.9.9.9", 22, "rr")); return t }()},
		{FlushAll, Table{}},
	} {
		f := NewFake()
		mustApply(t, f, Plan(foreign, Table{}, PlanOptions{}))
		r := NewReconciler(f, Options{})
		if _, err := r.Start(desiredWeb()); err != nil {
			t.Fatal(err)
		}
		if err := r.Stop(tc.mode); err != nil {
			t.Fatal(err)
		}
		sameTable(t, f.Snapshot(), tc.want)
	}
}

func TestStartSetsTimeoutsOrFails(t *testing.T) {
	r := NewReconciler(NewFake(), Options{Timeouts: Timeouts{TCP: 900}})
	if _, err := r.Start(Table{}); err == nil {
		t.Fatal("lvs_timeouts silently ignored by a client that cannot set them")
	}
	ft := &timeoutFake{Fake: NewFake()}
	r = NewReconciler(ft, Options{Timeouts: Timeouts{TCP: 900, UDP: 30}})
	if _, err := r.Start(Table{}); err != nil {
		t.Fatal(err)
	}
	if ft.got != (Timeouts{TCP: 900, UDP: 30}) {
		t.Errorf("timeouts set to %+v", ft.got)
	}
}

type timeoutFake struct {
	*Fake
	got Timeouts
}

func (f *timeoutFake) SetTimeouts(t Timeouts) error { f.got = t; return nil }

func TestUpdateRecoversFromDriftItDidNotKnow(t *testing.T) {
	f := NewFake()
	r := NewReconciler(f, Options{})
	if _, err := r.Start(desiredWeb()); err != nil {
		t.Fatal(err)
	}
	s := tcp("10.0.0.1", 80, "wrr")
	if err := f.RemoveDestination(s, nat("10.1.0.2", 80, 0)); err != nil {
		t.Fatal(err)
	}
	next := desiredWeb()
	next[s.ServiceKey].Dests[nat("10.1.0.2", 80, 0).DestKey] = nat("10.1.0.2", 80, 9)
	if _, err := r.Update(next); err != nil {
		t.Fatalf("update over an unnoticed deletion: %v", err)
	}
	sameTable(t, f.Snapshot(), next)
}

// Periodic repair keeps its interval while a read is cheap and stretches
// it so that reading never takes more than 1/repairShare of the time.
func TestNextRepairWait(t *testing.T) {
	for _, c := range []struct{ interval, took, want time.Duration }{
		{5 * time.Second, 0, 5 * time.Second},
		{5 * time.Second, 10 * time.Millisecond, 5 * time.Second},
		{5 * time.Second, 100 * time.Millisecond, 5 * time.Second},
		{5 * time.Second, 101 * time.Millisecond, 5050 * time.Millisecond},
		{5 * time.Second, 300 * time.Millisecond, 15 * time.Second},
		{time.Second, time.Second, 50 * time.Second},
	} {
		if got := nextRepairWait(c.interval, c.took); got != c.want {
			t.Errorf("nextRepairWait(%v, %v) = %v, want %v", c.interval, c.took, got, c.want)
		}
	}
}
