package daemon_test

import (
	"syscall"
	"testing"
	"time"
)

// family is one address plan for the two-node tests.
type family struct {
	name        string
	a, b, c     string // node addresses with prefix
	aIP, bIP    string // node addresses without prefix (unicast peers)
	vip, vipCfg string // VIP as ip addr shows it, and as configured
}

var (
	fam4 = family{name: "ipv4", a: "10.61.0.1/24", b: "10.61.0.2/24", c: "10.61.0.3/24",
		aIP: "10.61.0.1", bIP: "10.61.0.2", vip: "10.61.0.100", vipCfg: "10.61.0.100/24"}
	fam6 = family{name: "ipv6", a: "fd61::1/64", b: "fd61::2/64", c: "fd61::3/64",
		aIP: "fd61::1", bIP: "fd61::2", vip: "fd61::100", vipCfg: "fd61::100/64"}
)

// TestTwoNodeFailover runs two alived nodes (priorities 150 and 100) for
// each protocol variant and checks election, failover on kill -9 of the
// master, preemption when it comes back, and the fast (skew-time)
// failover that the priority-0 advert of a SIGTERMed master allows.
func TestTwoNodeFailover(t *testing.T) {
	cases := []struct {
		name    string
		fam     family
		version int
		adv     string
		unicast bool
		// masterDown bounds failover after kill -9: 3 × advert_int + skew
		// plus slack for the namespace plumbing.
		masterDown time.Duration
	}{
		{name: "v2-ipv4-multicast", fam: fam4, version: 2, adv: "1", masterDown: 5 * time.Second},
		{name: "v3-ipv4-unicast", fam: fam4, version: 3, adv: "0.1", unicast: true, masterDown: 2 * time.Second},
		{name: "v3-ipv6-multicast", fam: fam6, version: 3, adv: "0.1", masterDown: 2 * time.Second},
		{name: "v3-ipv6-unicast", fam: fam6, version: 3, adv: "0.1", unicast: true, masterDown: 2 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.fam
			_, n := newLab(t, []string{"a", f.a}, []string{"b", f.b})
			a, b := n["a"], n["b"]
			mk := func(prio int, self, peer string) string {
				ic := instConf{VRID: 51, Priority: prio, Version: tc.version, AdvertInt: tc.adv, VIPs: []string{f.vipCfg}}
				if tc.unicast {
					ic.UnicastSrc, ic.Unicast = self, []string{peer}
				}
				return conf("", ic)
			}
			pa := startAlived(t, a, mk(150, f.aIP, f.bIP))
			pb := startAlived(t, b, mk(100, f.bIP, f.aIP))

			onlyHolder(t, 3*tc.masterDown, f.vip, a, a, b)
			stableHolder(t, 500*time.Millisecond, f.vip, a, a, b)

			// kill -9: no priority-0 advert, the backup waits the full
			// master-down interval. The dead master's VIP stays on its
			// link, so only b's side is checked, then a's VIP is removed
			// by hand as a reboot would.
			pa.kill(syscall.SIGKILL)
			d := eventually(t, tc.masterDown, "b takes over after kill -9", func() bool {
				ok, _ := b.HasAddr(f.vip)
				return ok
			})
			t.Logf("failover after kill -9: %v", d)
			if _, err := a.Output("ip", "addr", "del", f.vipCfg, "dev", a.Link); err != nil {
				t.Fatal(err)
			}

			// The higher priority comes back and preempts.
			pa.restart()
			onlyHolder(t, tc.masterDown+2*time.Second, f.vip, a, a, b)

			// SIGTERM: a sends priority 0, b takes over after its skew
			// time only (well under the master-down interval).
			start := time.Now()
			pa.kill(syscall.SIGTERM)
			if !pa.wait(5 * time.Second) {
				t.Fatal("alived did not exit on SIGTERM")
			}
			onlyHolder(t, tc.masterDown, f.vip, b, a, b)
			t.Logf("failover after SIGTERM: %v", time.Since(start))
			if !pb.logHas("to=MASTER") {
				t.Error("b never logged its transition to MASTER")
			}
		})
	}
}
