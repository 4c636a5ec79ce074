package daemon_test

import (
	"testing"
	"time"
)

// TestVIPRemovedWhileMasterIsPutBack: a lone master whose VIP is deleted
// by hand (`ip addr del`) re-adds it on the address-removed netlink event
// and logs a warning naming it. Both families, since IPv6 addresses go
// through a different netlink path and NA instead of GARP.
func TestVIPRemovedWhileMasterIsPutBack(t *testing.T) {
	for _, f := range []family{fam4, fam6} {
		t.Run(f.name, func(t *testing.T) {
			_, n := newLab(t, []string{"a", f.a})
			a := n["a"]
			p := startAlived(t, a, conf("", v3(150, f.vipCfg)))
			onlyHolder(t, 3*time.Second, f.vip, a, a)

			if _, err := a.Output("ip", "addr", "del", f.vipCfg, "dev", a.Link); err != nil {
				t.Fatal(err)
			}
			d := eventually(t, 2*time.Second, "the VIP comes back", func() bool {
				ok, _ := a.HasAddr(f.vip)
				return ok
			})
			t.Logf("VIP back %v after ip addr del", d)
			eventually(t, time.Second, "the log reports the re-add", func() bool {
				return p.logHas("VIP removed by someone else while master; re-added")
			})
		})
	}
}
