package ipvs

import (
	"net/netip"
	"reflect"
	"testing"
)

func webVS() VirtualServer {
	return VirtualServer{
		Name:     "web",
		Services: []Service{tcp("10.0.0.1", 80, "wrr"), tcp("10.0.0.2", 80, "wrr")},
		Reals: []RealServer{
			{Dest: nat("10.1.0.1", 80, 2)},
			{Dest: nat("10.1.0.2", 80, 3), Inhibit: true},
		},
	}
}

func weights(t *testing.T, tab Table, svc Service) map[string]uint32 {
	t.Helper()
	vs, ok := tab[svc.ServiceKey]
	if !ok {
		t.Fatalf("service %s missing from %v", svc.ServiceKey, tab)
	}
	m := map[string]uint32{}
	for _, d := range vs.Dests {
		m[d.DestKey.String()] = d.Weight
	}
	return m
}

func TestPoolDownRemovesOrInhibits(t *testing.T) {
	p := NewPool()
	p.SetConfig([]VirtualServer{webVS()})
	tab := p.Desired()
	for _, s := range webVS().Services {
		if got, want := weights(t, tab, s), map[string]uint32{"10.1.0.1:80": 2, "10.1.0.2:80": 3}; !reflect.DeepEqual(got, want) {
			t.Fatalf("all up: %v, want %v", got, want)
		}
	}
	p.SetUp("web", nat("10.1.0.1", 80, 0).DestKey, false)
	p.SetUp("web", nat("10.1.0.2", 80, 0).DestKey, false)
	if got, want := weights(t, p.Desired(), webVS().Services[0]), map[string]uint32{"10.1.0.2:80": 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("both down: %v, want the inhibited one at weight 0 only", got)
	}
}

func TestPoolDynamicWeightAndAlpha(t *testing.T) {
	vs := webVS()
	vs.Reals[0].Alpha = true
	p := NewPool()
	p.SetConfig([]VirtualServer{vs})
	if got := weights(t, p.Desired(), vs.Services[0]); len(got) != 1 {
		t.Fatalf("alpha server present before its first check: %v", got)
	}
	k := vs.Reals[0].Dest.DestKey
	p.SetUp("web", k, true)
	p.SetWeight("web", k, 9)
	if got := weights(t, p.Desired(), vs.Services[0]); got[k.String()] != 9 {
		t.Fatalf("dynamic weight not applied: %v", got)
	}
	// A reload keeps health: the server stays at its live weight rather
	// than going back to alpha's down state.
	p.SetConfig([]VirtualServer{vs})
	if got := weights(t, p.Desired(), vs.Services[0]); got[k.String()] != 9 {
		t.Fatalf("reload reset health: %v", got)
	}
	if p.SetUp("web", nat("10.9.9.9", 1, 0).DestKey, false) != nil || p.SetUp("nope", k, false) != nil {
		t.Fatal("unknown server changed quorum")
	}
}

func TestPoolQuorumHysteresisAndSorryServer(t *testing.T) {
	vs := VirtualServer{
		Name:       "q",
		Services:   []Service{tcp("10.0.0.1", 80, "rr")},
		Quorum:     4,
		Hysteresis: 1,
		Sorry:      &RealServer{Dest: nat("10.2.0.1", 80, 1)},
	}
	for i, a := range []string{"10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5"} {
		vs.Reals = append(vs.Reals, RealServer{Dest: nat(a, 80, 1), Inhibit: i == 0})
	}
	key := func(i int) DestKey { return vs.Reals[i].Dest.DestKey }
	p := NewPool()
	if ch := p.SetConfig([]VirtualServer{vs}); ch != nil || !p.QuorumUp("q") {
		t.Fatalf("start: changes %v, up %v", ch, p.QuorumUp("q"))
	}
	// 5 -> 3: still within quorum-hysteresis.
	p.SetUp("q", key(4), false)
	if ch := p.SetUp("q", key(3), false); ch != nil {
		t.Fatalf("weight 3 with quorum 4 hysteresis 1 changed quorum: %v", ch)
	}
	if _, sorry := weights(t, p.Desired(), vs.Services[0])["10.2.0.1:80"]; sorry {
		t.Fatal("sorry server present while quorum is up")
	}
	// 3 -> 2: below 4-1, quorum lost; the sorry server replaces the pool
	// and the inhibited server stays at weight 0.
	ch := p.SetUp("q", key(2), false)
	if !reflect.DeepEqual(ch, []QuorumChange{{VirtualServer: "q", Up: false}}) {
		t.Fatalf("quorum loss reported as %v", ch)
	}
	if got, want := weights(t, p.Desired(), vs.Services[0]), map[string]uint32{"10.2.0.1:80": 1, "10.1.0.1:80": 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("quorum lost: %v, want %v", got, want)
	}
	// 2 -> 4: not yet 4+1.
	p.SetUp("q", key(2), true)
	if ch := p.SetUp("q", key(3), true); ch != nil {
		t.Fatalf("weight 4 regained quorum despite hysteresis: %v", ch)
	}
	ch = p.SetUp("q", key(4), true)
	if !reflect.DeepEqual(ch, []QuorumChange{{VirtualServer: "q", Up: true}}) {
		t.Fatalf("quorum gain reported as %v", ch)
	}
	got := weights(t, p.Desired(), vs.Services[0])
	if _, sorry := got["10.2.0.1:80"]; sorry || len(got) != 5 {
		t.Fatalf("quorum regained: %v", got)
	}
	// With sorry_server_inhibit the sorry server stays at weight 0.
	vs.Sorry.Inhibit = true
	p.SetConfig([]VirtualServer{vs})
	if w, ok := weights(t, p.Desired(), vs.Services[0])["10.2.0.1:80"]; !ok || w != 0 {
		t.Fatalf("inhibited sorry server: present %v weight %d", ok, w)
	}
}

func TestPoolGroupServicesAreIndependent(t *testing.T) {
	p := NewPool()
	p.SetConfig([]VirtualServer{webVS()})
	tab := p.Desired()
	a := tab[webVS().Services[0].ServiceKey]
	delete(a.Dests, nat("10.1.0.1", 80, 0).DestKey)
	if len(tab[webVS().Services[1].ServiceKey].Dests) != 2 {
		t.Fatal("group members share one destination map")
	}
}

func TestPoolCloneIsIndependent(t *testing.T) {
	p := NewPool()
	d := Destination{DestKey: DestKey{Addr: netip.MustParseAddr("10.0.0.2"), Port: 80}, Weight: 3}
	svc := Service{ServiceKey: ServiceKey{Family: INET, Protocol: TCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}, Scheduler: "wlc"}
	p.SetConfig([]VirtualServer{{Name: "vs", Services: []Service{svc}, Reals: []RealServer{{Dest: d}}}})
	c := p.Clone()
	c.SetUp("vs", d.DestKey, false)
	c.SetConfig(nil)
	if got := len(p.Desired()[svc.ServiceKey].Dests); got != 1 {
		t.Fatalf("original lost its destination after the clone changed: %d dests", got)
	}
	if len(c.Desired()) != 0 {
		t.Fatalf("clone kept the old configuration: %v", c.Desired())
	}
}
