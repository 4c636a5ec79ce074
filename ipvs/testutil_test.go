package ipvs

import (
	"net/netip"
	"testing"
)

func tcp(addr string, port uint16, sched string) Service {
	a := netip.MustParseAddr(addr)
	return Service{ServiceKey: ServiceKey{Family: FamilyOf(a), Protocol: TCP, Addr: a, Port: port}, Scheduler: sched}
}

func fwm(mark uint32, sched string) Service {
	return Service{ServiceKey: ServiceKey{Family: INET, FWMark: mark}, Scheduler: sched}
}

func nat(addr string, port uint16, weight uint32) Destination {
	return Destination{DestKey: DestKey{Addr: netip.MustParseAddr(addr), Port: port}, Forward: Masquerade, Weight: weight}
}

func mustApply(t *testing.T, c Client, ops []Op) {
	t.Helper()
	if _, err := Apply(c, ops); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, c Client) Table {
	t.Helper()
	tab, err := ReadTable(c)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// sameTable compares two tables by their stable rendering, which ignores
// the kernel-owned Hashed flag.
func sameTable(t *testing.T, got, want Table) {
	t.Helper()
	if g, w := got.String(), want.String(); g != w {
		t.Fatalf("table differs\n got:\n%s\nwant:\n%s", g, w)
	}
}
