package ipvs

import (
	"testing"
)

func kinds(ops []Op) []OpKind {
	var ks []OpKind
	for _, o := range ops {
		ks = append(ks, o.Kind)
	}
	return ks
}

func eqKinds(t *testing.T, ops []Op, want ...OpKind) {
	t.Helper()
	got := kinds(ops)
	if len(got) != len(want) {
		t.Fatalf("ops %v, want kinds %v", ops, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("ops %v, want kinds %v", ops, want)
		}
	}
}

func TestPlanFromEmptyCreatesServiceThenDests(t *testing.T) {
	want := Table{}
	want.Add(tcp("10.0.0.1", 80, "rr"), nat("10.1.0.2", 80, 1), nat("10.1.0.1", 80, 2))
	ops := Plan(want, Table{}, PlanOptions{})
	eqKinds(t, ops, CreateService, CreateDest, CreateDest)
	if ops[1].Dest.Addr.String() != "10.1.0.1" {
		t.Errorf("destinations not in stable order: %v", ops)
	}
}

func TestPlanIdenticalIsEmpty(t *testing.T) {
	want := Table{}
	want.Add(tcp("10.0.0.1", 80, "wrr"), nat("10.1.0.1", 80, 3))
	want.Add(fwm(7, "sh"), nat("10.1.0.1", 0, 1))
	actual := want.Clone()
	// The kernel reports Hashed on every service, and keeps a timeout on
	// a service that is not persistent; neither is a difference.
	for k, vs := range actual {
		vs.Service.Flags |= Hashed
		vs.Service.Timeout = 300
		actual[k] = vs
	}
	if ops := Plan(want, actual, PlanOptions{}); len(ops) != 0 {
		t.Fatalf("unchanged table planned %v", ops)
	}
}

func TestPlanOneWeightChangeIsOneOp(t *testing.T) {
	want := Table{}
	for i := uint16(1); i <= 50; i++ {
		want.Add(tcp("10.0.0.1", i, "wrr"), nat("10.1.0.1", 80, 1), nat("10.1.0.2", 80, 1))
	}
	actual := want.Clone()
	vs := want[tcp("10.0.0.1", 17, "").ServiceKey]
	d := vs.Dests[nat("10.1.0.2", 80, 0).DestKey]
	d.Weight = 5
	vs.Dests[d.DestKey] = d
	ops := Plan(want, actual, PlanOptions{})
	eqKinds(t, ops, UpdateDest)
	if ops[0].Dest.Weight != 5 || ops[0].Service.Port != 17 {
		t.Errorf("wrong update: %v", ops[0])
	}
}

func TestPlanServiceSettings(t *testing.T) {
	base := tcp("10.0.0.1", 80, "rr")
	for name, mod := range map[string]func(*Service){
		"scheduler":   func(s *Service) { s.Scheduler = "wlc" },
		"persistence": func(s *Service) { s.Flags |= Persistent; s.Timeout = 360 },
		"granularity": func(s *Service) { s.MaskBits = 24 },
		"sched flag":  func(s *Service) { s.Flags |= SchedFlag2 },
	} {
		t.Run(name, func(t *testing.T) {
			s := base
			mod(&s)
			want, actual := Table{}, Table{}
			want.Add(s)
			actual.Add(base)
			eqKinds(t, Plan(want, actual, PlanOptions{}), UpdateService)
		})
	}
	// A persistent service whose timeout changes needs an update too.
	p := base
	p.Flags, p.Timeout = Persistent, 300
	q := p
	q.Timeout = 600
	want, actual := Table{}, Table{}
	want.Add(q)
	actual.Add(p)
	eqKinds(t, Plan(want, actual, PlanOptions{}), UpdateService)
	// A host mask written explicitly equals the default.
	m := base
	m.MaskBits = 32
	want, actual = Table{}, Table{}
	want.Add(m)
	actual.Add(base)
	eqKinds(t, Plan(want, actual, PlanOptions{}))
}

func TestPlanDestinationOrderCreateBeforeRemove(t *testing.T) {
	s := tcp("10.0.0.1", 80, "rr")
	want, actual := Table{}, Table{}
	want.Add(s, nat("10.1.0.3", 80, 1), nat("10.1.0.2", 80, 4))
	actual.Add(s, nat("10.1.0.1", 80, 1), nat("10.1.0.2", 80, 1))
	eqKinds(t, Plan(want, actual, PlanOptions{}), CreateDest, UpdateDest, RemoveDest)
}

func TestPlanTunnelSettingsOnlyMatterForTunnels(t *testing.T) {
	s := tcp("10.0.0.1", 80, "rr")
	d := nat("10.1.0.1", 80, 1)
	e := d
	e.TunnelType, e.TunnelPort = GUE, 6080
	want, actual := Table{}, Table{}
	want.Add(s, d)
	actual.Add(s, e)
	eqKinds(t, Plan(want, actual, PlanOptions{}))
	d.Forward, e.Forward = Tunnel, Tunnel
	want.Add(s, d)
	actual.Add(s, e)
	eqKinds(t, Plan(want, actual, PlanOptions{}), UpdateDest)
}

func TestPlanLeavesForeignServicesAlone(t *testing.T) {
	ours, foreign := tcp("10.0.0.1", 80, "rr"), tcp("10.0.0.9", 80, "rr")
	want, actual := Table{}, Table{}
	want.Add(ours)
	actual.Add(ours)
	actual.Add(foreign, nat("10.1.0.1", 80, 1))
	eqKinds(t, Plan(want, actual, PlanOptions{}))
	owned := func(k ServiceKey) bool { return k == foreign.ServiceKey }
	ops := Plan(want, actual, PlanOptions{Owned: owned})
	eqKinds(t, ops, RemoveService)
	if ops[0].Service.ServiceKey != foreign.ServiceKey {
		t.Errorf("removed %v", ops[0])
	}
}

func TestPlanAppliedToFakeConverges(t *testing.T) {
	f := NewFake()
	want := Table{}
	want.Add(tcp("10.0.0.1", 80, "wrr"), nat("10.1.0.1", 80, 3), nat("10.1.0.2", 80, 0))
	want.Add(fwm(3, "mh"), nat("10.1.0.1", 0, 1))
	want.Add(tcp("2001:db8::1", 443, "sed"), nat("2001:db8::10", 443, 1))
	mustApply(t, f, Plan(want, mustRead(t, f), PlanOptions{}))
	got := mustRead(t, f)
	sameTable(t, got, want)
	if ops := Plan(want, got, PlanOptions{}); len(ops) != 0 {
		t.Fatalf("second plan not empty: %v", ops)
	}
}
