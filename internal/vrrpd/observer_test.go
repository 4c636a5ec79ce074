package vrrpd

import (
	"fmt"
	"testing"
	"time"

	"github.com/alived/alived/vrrp"
)

// TestStateChangesReachObserver: every instance state change the side
// performs reaches Options.OnStateChange, replayed (quiet) transitions of
// an instance re-created on reload included; sync group transitions do
// not (the observer follows instances).
func TestStateChangesReachObserver(t *testing.T) {
	var heard []string
	c := New(Options{OnStateChange: func(_ time.Time, instance string, master bool) {
		heard = append(heard, fmt.Sprintf("%s=%v", instance, master))
	}})
	// quiet keeps perform from running notify scripts (no notifier here)
	// and is also the reload-replay path, which the observer still hears.
	x := &vrrpInst{spec: &instanceSpec{Name: "VI_1"}, quiet: true}
	now := time.Now()
	for _, to := range []vrrp.State{vrrp.StateBackup, vrrp.StateMaster, vrrp.StateFault} {
		c.perform(now, x, vrrp.Action{Kind: vrrp.ActNotify, To: to})
	}
	c.perform(now, x, vrrp.Action{Kind: vrrp.ActNotify, To: vrrp.StateMaster, Group: "G"})
	if got := fmt.Sprint(heard); got != "[VI_1=false VI_1=true VI_1=false]" {
		t.Errorf("observer heard %s", got)
	}
}
