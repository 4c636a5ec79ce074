package daemon_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/internal/netlab"
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

// TestVirtualRoutesAndRules: a master installs its virtual_routes and
// virtual_rules, a backup does not, and they follow the VIP on failover.
func TestVirtualRoutesAndRules(t *testing.T) {
	f := fam4
	_, n := newLab(t, []string{"a", f.a}, []string{"b", f.b})
	a, b := n["a"], n["b"]
	node := func(prio int) string {
		i := v3(prio, f.vipCfg)
		i.Extra = "    virtual_routes {\n        192.0.2.0/24 via 10.61.0.254 dev eth0 table 100\n    }\n" +
			"    virtual_rules {\n        from 10.61.0.100/32 table 100 priority 1000\n    }\n"
		return conf("", i)
	}
	has := func(nd *netlab.Node) (route, rule bool) {
		r, _ := nd.Output("ip", "route", "show", "table", "100")
		u, _ := nd.Output("ip", "rule", "show")
		return strings.Contains(r, "192.0.2.0/24 via 10.61.0.254"), strings.Contains(u, "from 10.61.0.100 lookup 100")
	}
	pa := startAlived(t, a, node(150))
	startAlived(t, b, node(100))
	onlyHolder(t, 3*time.Second, f.vip, a, a, b)
	eventually(t, time.Second, "a has the route and rule, b neither", func() bool {
		ra, ua := has(a)
		rb, ub := has(b)
		return ra && ua && !rb && !ub
	})
	pa.kill(syscall.SIGTERM)
	onlyHolder(t, 2*time.Second, f.vip, b, a, b)
	eventually(t, time.Second, "the route and rule moved to b", func() bool {
		ra, ua := has(a)
		rb, ub := has(b)
		return !ra && !ua && rb && ub
	})
}

// TestReloadNotifyFIFO: a reload that moves notify_fifo makes the next
// transition's line go to the new FIFO only.
func TestReloadNotifyFIFO(t *testing.T) {
	f := fam4
	_, n := newLab(t, []string{"a", f.a})
	dir := t.TempDir()
	p1, p2 := filepath.Join(dir, "one"), filepath.Join(dir, "two")
	fifo1, fifo2 := newFIFO(t, p1), newFIFO(t, p2)
	pa := startAlived(t, n["a"], conf("    notify_fifo "+p1+"\n", v3(150, f.vipCfg)))
	drainUntil(t, fifo1, `INSTANCE "VI_1" MASTER 150`, 3*time.Second)
	pa.writeConf(conf("    notify_fifo "+p2+"\n", v3(150, f.vipCfg)))
	pa.kill(syscall.SIGHUP)
	eventually(t, 3*time.Second, "reloaded", func() bool { return pa.logHas("reloads=1") })
	pa.kill(syscall.SIGTERM)
	drainUntil(t, fifo2, `INSTANCE "VI_1" STOP 150`, 3*time.Second)
	select {
	case l := <-fifo1.lines:
		t.Errorf("old FIFO still written after the reload: %q", l)
	default:
	}
}
