package daemon_test

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/internal/netlab"
)

// hardKill kills a daemon without letting it say goodbye. keepalived runs
// a parent and a VRRP child: the parent is frozen first so that it cannot
// respawn the child, the child is killed (no priority-0 advert), then the
// parent.
func (p *proc) hardKill() {
	p.t.Helper()
	vrrpPid := pidOf(filepath.Join(p.dir, "vrrp.pid"))
	if filepath.Base(p.cmd.Args[4]) != "keepalived" || vrrpPid == 0 {
		p.kill(syscall.SIGKILL)
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGSTOP)
	_ = syscall.Kill(vrrpPid, syscall.SIGKILL)
	p.kill(syscall.SIGKILL)
}

// TestInteropKeepalived puts alived and keepalived 2.2.7 on one segment
// with the same kind of configuration and checks that each side wins when
// it has the higher priority, that failover works both ways after kill -9
// and that both honour the other's priority-0 advert (fast failover on a
// clean shutdown).
func TestInteropKeepalived(t *testing.T) {
	cases := []struct {
		name       string
		fam        family
		version    int
		adv        string
		unicast    bool
		masterDown time.Duration
	}{
		{name: "v2-multicast", fam: fam4, version: 2, adv: "1", masterDown: 5 * time.Second},
		{name: "v3-multicast", fam: fam4, version: 3, adv: "0.1", masterDown: 2 * time.Second},
		{name: "v3-unicast", fam: fam4, version: 3, adv: "0.1", unicast: true, masterDown: 2 * time.Second},
		{name: "v3-ipv6-multicast", fam: fam6, version: 3, adv: "0.1", masterDown: 2 * time.Second},
	}
	for _, tc := range cases {
		for _, alivedWins := range []bool{true, false} {
			name := tc.name + "/keepalived-master"
			if alivedWins {
				name = tc.name + "/alived-master"
			}
			t.Run(name, func(t *testing.T) {
				f := tc.fam
				_, n := newLab(t, []string{"a", f.a}, []string{"k", f.b})
				a, k := n["a"], n["k"]
				mk := func(prio int, self, peer string) string {
					ic := instConf{VRID: 52, Priority: prio, Version: tc.version, AdvertInt: tc.adv,
						VIPs: []string{f.vipCfg}, Auth: "", Extra: ""}
					if tc.version == 2 {
						ic.Auth = "s3cret"
					}
					if tc.unicast {
						ic.UnicastSrc, ic.Unicast = self, []string{peer}
					}
					return conf("", ic)
				}
				pa, pk := 100, 150
				if alivedWins {
					pa, pk = 150, 100
				}
				al := startAlived(t, a, mk(pa, f.aIP, f.bIP))
				ka := startKeepalived(t, k, mk(pk, f.bIP, f.aIP))
				winner, loser := k, a
				pw, pl := ka, al
				if alivedWins {
					winner, loser, pw, pl = a, k, al, ka
				}
				onlyHolder(t, 3*tc.masterDown, f.vip, winner, a, k)
				stableHolder(t, 500*time.Millisecond, f.vip, winner, a, k)

				// Clean shutdown: the winner's priority-0 advert makes the
				// loser take over after its skew time.
				pw.kill(syscall.SIGTERM)
				if !pw.wait(5 * time.Second) {
					t.Fatal("winner did not exit on SIGTERM")
				}
				d := onlyHolder(t, tc.masterDown, f.vip, loser, a, k)
				t.Logf("takeover after priority 0: %v", d)
				if tc.adv == "1" && d > 2*time.Second {
					t.Errorf("takeover after priority 0 took %v: the priority-0 advert was not honoured", d)
				}

				// The winner returns and preempts.
				pw.restart()
				onlyHolder(t, tc.masterDown+3*time.Second, f.vip, winner, a, k)

				// kill -9 of the winner: the loser takes over after the
				// master-down interval.
				pw.hardKill()
				eventually(t, tc.masterDown, "loser takes over after kill -9", func() bool {
					ok, _ := loser.HasAddr(f.vip)
					return ok
				})
				_ = pl
			})
		}
	}
}

// TestInteropMismatch checks that adverts keepalived would drop are
// dropped by alived too, and accepted ones are accepted: with mismatched
// authentication, VRID, version or (v2) interval both routers are master;
// a v3 interval mismatch is accepted (the backup adopts the master's
// interval) so there is exactly one master.
func TestInteropMismatch(t *testing.T) {
	base := instConf{VRID: 53, Version: 2, AdvertInt: "1", Auth: "pass1"}
	cases := []struct {
		name      string
		alived    func(c *instConf)
		keep      func(c *instConf)
		bothOwn   bool
		masterMax time.Duration
	}{
		{name: "auth", keep: func(c *instConf) { c.Auth = "pass2" }, bothOwn: true},
		{name: "vrid", keep: func(c *instConf) { c.VRID = 54 }, bothOwn: true},
		{name: "version", alived: func(c *instConf) { c.Version, c.Auth = 3, "" }, bothOwn: true},
		{name: "v2-interval", keep: func(c *instConf) { c.AdvertInt = "2" }, bothOwn: true},
		{name: "v3-interval", alived: func(c *instConf) { c.Version, c.Auth, c.AdvertInt = 3, "", "0.5" },
			keep: func(c *instConf) { c.Version, c.Auth, c.AdvertInt = 3, "", "0.2" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fam4
			_, n := newLab(t, []string{"a", f.a}, []string{"k", f.b})
			a, k := n["a"], n["k"]
			ca, ck := base, base
			ca.Priority, ck.Priority = 150, 100
			ca.VIPs, ck.VIPs = []string{f.vipCfg}, []string{f.vipCfg}
			if tc.alived != nil {
				tc.alived(&ca)
			}
			if tc.keep != nil {
				tc.keep(&ck)
			}
			startAlived(t, a, conf("", ca))
			startKeepalived(t, k, conf("", ck))
			nodes := []*netlab.Node{a, k}
			if tc.bothOwn {
				eventually(t, 12*time.Second, "both routers master", func() bool {
					return len(holders(t, f.vip, nodes...)) == 2
				})
				end := time.Now().Add(1500 * time.Millisecond)
				for time.Now().Before(end) {
					if h := holders(t, f.vip, nodes...); len(h) != 2 {
						t.Fatalf("holders %v: one side accepted the other's adverts", h)
					}
					time.Sleep(50 * time.Millisecond)
				}
				return
			}
			onlyHolder(t, 8*time.Second, f.vip, a, nodes...)
			stableHolder(t, 2*time.Second, f.vip, a, nodes...)
		})
	}
}
