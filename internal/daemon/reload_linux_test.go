package daemon_test

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReloadDiff: SIGHUP with instances added, changed and removed. A new
// instance starts and takes its VIP; a master whose priority changes but
// stays highest keeps master without a transition; one whose new priority
// falls below the backup's hands over; a removed master sends priority 0
// so the backup takes its VIP at once.
func TestReloadDiff(t *testing.T) {
	f := fam4
	_, n := newLab(t, []string{"a", f.a}, []string{"b", f.b})
	a, b := n["a"], n["b"]
	const vip2, vip2Cfg = "10.61.0.102", "10.61.0.102/24"
	second := func(prio int) instConf {
		i := v3(prio, vip2Cfg)
		i.Name, i.VRID = "VI_2", 61
		return i
	}
	pa := startAlived(t, a, conf("", v3(150, f.vipCfg)))
	startAlived(t, b, conf("", v3(100, f.vipCfg), second(100)))
	onlyHolder(t, 3*time.Second, f.vip, a, a, b)
	onlyHolder(t, 3*time.Second, vip2, b, a, b)

	reloads := 0
	hup := func(cfg string) {
		t.Helper()
		pa.writeConf(cfg)
		reloads++
		pa.kill(syscall.SIGHUP)
		want := fmt.Sprintf("reloads=%d", reloads)
		eventually(t, 3*time.Second, want, func() bool { return pa.logHas(want) })
	}
	// Added: VI_2 at 150 preempts b's VI_2.
	hup(conf("", v3(150, f.vipCfg), second(150)))
	onlyHolder(t, 3*time.Second, vip2, a, a, b)
	// Changed, still highest: no transition.
	before := len(readLog(t, pa))
	hup(conf("", v3(120, f.vipCfg), second(150)))
	stableHolder(t, 700*time.Millisecond, f.vip, a, a, b)
	if l := readLog(t, pa)[before:]; containsTransition(l, "VI_1") {
		t.Errorf("priority change 150→120 caused a transition:\n%s", l)
	}
	// Changed below the backup: b preempts.
	hup(conf("", v3(90, f.vipCfg), second(150)))
	onlyHolder(t, 3*time.Second, f.vip, b, a, b)
	// Removed: VI_2's priority-0 advert hands it to b after b's skew time.
	start := time.Now()
	hup(conf("", v3(90, f.vipCfg)))
	onlyHolder(t, time.Second, vip2, b, a, b)
	t.Logf("removed master handed over in %v", time.Since(start))
}

// containsTransition reports whether log has a transition line of inst.
func containsTransition(log, inst string) bool {
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "msg=transition") && strings.Contains(l, "instance="+inst+" ") {
			return true
		}
	}
	return false
}
