package ipvs

import (
	"context"
	"net/netip"
	"testing"
)

func TestFakeServiceStats(t *testing.T) {
	f := NewFake()
	tcp := Service{ServiceKey: ServiceKey{Family: INET, Protocol: TCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}, Scheduler: "rr"}
	fwm := Service{ServiceKey: ServiceKey{Family: INET, FWMark: 5}, Scheduler: "rr"}
	d1 := Destination{DestKey: DestKey{Addr: netip.MustParseAddr("10.0.1.1"), Port: 80}, Weight: 1}
	d2 := Destination{DestKey: DestKey{Addr: netip.MustParseAddr("10.0.1.2"), Port: 80}, Weight: 1}
	for _, s := range []Service{tcp, fwm} {
		if err := f.CreateService(s); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []Destination{d1, d2} {
		if err := f.CreateDestination(tcp, d); err != nil {
			t.Fatal(err)
		}
	}
	f.SetCounters(tcp.ServiceKey, DestKey{}, Counters{Connections: 9, InBytes: 900, ActiveConns: 100})
	f.SetCounters(tcp.ServiceKey, d1.DestKey, Counters{Connections: 4, ActiveConns: 3, InactiveConns: 1})
	f.SetCounters(tcp.ServiceKey, d2.DestKey, Counters{Connections: 5, ActiveConns: 2})
	// Set through a key carrying a protocol: the kernel stores fwmark
	// services without one, and so must the lookup.
	f.SetCounters(ServiceKey{Family: INET, Protocol: TCP, FWMark: 5}, DestKey{}, Counters{OutPackets: 11})

	stats, err := f.ServiceStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ix := IndexStats(stats)
	st, ok := ix.Lookup(tcp.ServiceKey)
	if !ok {
		t.Fatalf("no stats for %s in %+v", tcp.ServiceKey, stats)
	}
	// Active and inactive connections of a service are its destinations'.
	if want := (Counters{Connections: 9, InBytes: 900, ActiveConns: 5, InactiveConns: 1}); st.Counters != want {
		t.Errorf("service counters = %+v, want %+v", st.Counters, want)
	}
	if st.Dests[d1.DestKey].Connections != 4 || st.Dests[d2.DestKey].ActiveConns != 2 || len(st.Dests) != 2 {
		t.Errorf("destination counters = %+v", st.Dests)
	}
	if st, ok := ix.Lookup(ServiceKey{Family: INET, Protocol: UDP, FWMark: 5}); !ok || st.Counters.OutPackets != 11 {
		t.Errorf("fwmark service counters = %+v (found %v)", st.Counters, ok)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.ServiceStats(ctx); err == nil {
		t.Error("ServiceStats with a cancelled context succeeded")
	}
}

func TestCountersAdd(t *testing.T) {
	a := Counters{1, 2, 3, 4, 5, 6, 7}
	if got, want := a.Add(a), (Counters{2, 4, 6, 8, 10, 12, 14}); got != want {
		t.Errorf("Add = %+v, want %+v", got, want)
	}
}
