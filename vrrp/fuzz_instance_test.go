package vrrp

import (
	"net/netip"
	"testing"
	"time"
)

// FuzzInstanceEvents drives one instance with an arbitrary sequence of
// inputs (time steps, adverts of any priority from two peers, tracker
// changes, stop) and checks the invariants every action list must keep:
// notifies chain from the state the instance was in, the last set-timer
// equals NextDeadline, BACKUP and MASTER always have a timer and FAULT and
// STOP never do, and an address is added only when not already held.
func FuzzInstanceEvents(f *testing.F) {
	f.Add(uint8(100), false, []byte{0, 200, 1, 150, 0, 255, 2, 0, 1, 0, 3})
	f.Add(uint8(255), true, []byte{1, 255, 1, 255, 0, 10, 4})
	f.Add(uint8(1), false, []byte{2, 7, 0, 255, 1, 0, 0, 255})
	f.Fuzz(func(t *testing.T, prio uint8, v3 bool, ops []byte) {
		if prio == 0 {
			prio = 1
		}
		c := ruleConfig(prio)
		c.GARPMasterRepeat, c.GARPMasterDelay, c.GARPMasterRefresh = 2, time.Second, 3*time.Second
		c.GARPLowerPrioRepeat, c.GARPLowerPrioDelay = 1, 500*time.Millisecond
		c.PreemptDelay = 2 * time.Second
		if v3 {
			c.Version, c.AdvertInterval = 3, 100*time.Millisecond
		}
		in, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		now := t0
		state := StateInit
		holding := false
		var timer time.Time
		check := func() {
			for _, a := range in.Ready() {
				switch a.Kind {
				case ActNotify:
					if a.Group == "" {
						if a.From != state {
							t.Fatalf("notify %v->%v, but the instance was %v", a.From, a.To, state)
						}
						state = a.To
					}
				case ActSetTimer:
					timer = a.At
				case ActAddVIPs:
					if holding {
						t.Fatal("VIPs added twice")
					}
					holding = true
				case ActRemoveVIPs:
					if !holding {
						t.Fatal("VIPs removed while not held")
					}
					holding = false
				}
			}
			if state != in.State() {
				t.Fatalf("notifies say %v, instance is %v", state, in.State())
			}
			if !timer.Equal(in.NextDeadline()) {
				t.Fatalf("last set-timer %v, NextDeadline %v", timer, in.NextDeadline())
			}
			if holding != (state == StateMaster) {
				t.Fatalf("holding VIPs=%v in %v", holding, state)
			}
			switch state {
			case StateBackup, StateMaster:
				if in.stateDeadline.IsZero() || in.stateDeadline.Before(now) {
					t.Fatalf("%v without a future timer (%v at %v)", state, in.stateDeadline, now)
				}
			case StateFault, StateStop:
				if !in.NextDeadline().IsZero() {
					t.Fatalf("%v with a timer", state)
				}
			}
		}
		_ = in.Start(now)
		check()
		peers := [2]netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.9")}
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%5, ops[i+1]
			switch op {
			case 0: // time passes, timers fire
				target := now.Add(time.Duration(arg) * 37 * time.Millisecond)
				for dl := in.NextDeadline(); !dl.IsZero() && !dl.After(target); dl = in.NextDeadline() {
					now = dl
					in.Tick(now)
					check()
				}
				now = target
				in.Tick(now)
			case 1: // an advert
				_ = in.StepAdvert(now, advertFrom(in, arg), peers[arg%2])
			case 2: // a tracker with weight -120..120
				in.SetTracker(now, string(rune('a'+arg%3)), int(arg%7)*40-120, arg&8 != 0)
			case 3:
				_ = in.Stop(now)
			case 4: // a weight-0 tracker
				in.SetTracker(now, "link", 0, arg&1 == 0)
			}
			check()
		}
	})
}
