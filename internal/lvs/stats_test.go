package lvs

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/alived/alived/ipvs"
	"github.com/alived/alived/status"
)

// signalFake is a fake kernel that reports each counters read starting,
// so a test can wait until the poller has published a read: when the
// second read starts, the first one's result is stored.
type signalFake struct {
	*ipvs.Fake
	reads chan struct{}
}

func (f *signalFake) ServiceStats(ctx context.Context) ([]ipvs.ServiceStats, error) {
	select {
	case f.reads <- struct{}{}:
	case <-ctx.Done():
	}
	return f.Fake.ServiceStats(ctx)
}

// awaitReads waits for n reads to start on reads, failing with msg after
// 5 s.
func awaitReads(t *testing.T, reads <-chan struct{}, n int, msg string) {
	t.Helper()
	for range n {
		select {
		case <-reads:
		case <-time.After(5 * time.Second):
			t.Fatal(msg)
		}
	}
}

const statsConf = `
virtual_server 10.0.0.1 80 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 10.0.1.1 80 {
  weight 1
 }
 real_server 10.0.1.2 80 {
  weight 1
 }
}
`

func TestSnapshotCarriesKernelCounters(t *testing.T) {
	f := &signalFake{Fake: ipvs.NewFake(), reads: make(chan struct{})}
	svc := ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}
	d1 := ipvs.DestKey{Addr: netip.MustParseAddr("10.0.1.1"), Port: 80}
	f.SetCounters(svc, ipvs.DestKey{}, ipvs.Counters{Connections: 7, InPackets: 70, OutPackets: 60, InBytes: 7000, OutBytes: 6000})
	f.SetCounters(svc, d1, ipvs.Counters{Connections: 5, ActiveConns: 2, InactiveConns: 1, InPackets: 50, OutPackets: 40, InBytes: 5000, OutBytes: 4000})

	r := startRig(t, statsConf, func(o *Options) { o.Client, o.StatsInterval = f, time.Millisecond })
	// When the second read starts, the first one's result is stored.
	awaitReads(t, f.reads, 2, "the stats poller never read the counters")
	s := r.snapshot()
	if len(s.VirtualServers) != 1 {
		t.Fatalf("virtual servers: %+v", s.VirtualServers)
	}
	vs := s.VirtualServers[0]
	want := status.Counters{Connections: 7, ActiveConns: 2, InactiveConns: 1, IncomingPackets: 70, OutgoingPackets: 60,
		IncomingBytes: 7000, OutgoingBytes: 6000, CountersAvailable: true}
	if vs.Counters != want {
		t.Errorf("service counters = %+v, want %+v", vs.Counters, want)
	}
	got := map[string]status.Counters{}
	for _, rs := range vs.RealServers {
		if !rs.Counters.CountersAvailable {
			t.Errorf("%s: counters not available", rs.ID)
		}
		got[rs.ID] = rs.Counters
	}
	if c := got["10.0.1.1:80"]; c.Connections != 5 || c.ActiveConns != 2 || c.IncomingBytes != 5000 {
		t.Errorf("10.0.1.1:80 counters = %+v", c)
	}
	if c := got["10.0.1.2:80"]; c != (status.Counters{CountersAvailable: true}) {
		t.Errorf("10.0.1.2:80 counters = %+v, want zero", c)
	}
}

func TestNoCountersWithoutStatsReader(t *testing.T) {
	// Counting hides the Fake's ServiceStats: a client that cannot read
	// counters gives a snapshot without them, not zeros.
	r := startRig(t, statsConf, func(o *Options) { o.Client = ipvs.NewCounting(ipvs.NewFake()) })
	for _, vs := range r.snapshot().VirtualServers {
		if vs.Counters.CountersAvailable {
			t.Errorf("%s: counters available without a StatsReader", vs.Name)
		}
	}
}

// sharedFake reports each combined table-and-counters read, and fails
// the test if the separate counters poll ever runs.
type sharedFake struct {
	*ipvs.Fake
	t     *testing.T
	reads chan struct{}
}

func (f *sharedFake) ReadTableStats(ctx context.Context) (ipvs.Table, []ipvs.ServiceStats, error) {
	select {
	case f.reads <- struct{}{}:
	case <-ctx.Done():
	case <-time.After(time.Second): // nobody waiting any more
	}
	return f.Fake.ReadTableStats(ctx)
}

func (f *sharedFake) ServiceStats(ctx context.Context) ([]ipvs.ServiceStats, error) {
	f.t.Error("counters were polled separately although drift repair reads them")
	return f.Fake.ServiceStats(ctx)
}

// With drift repair on, its table read brings the counters: one read of
// the kernel table per interval instead of two.
func TestRepairReadCarriesCounters(t *testing.T) {
	f := &sharedFake{Fake: ipvs.NewFake(), t: t, reads: make(chan struct{})}
	svc := ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}
	f.SetCounters(svc, ipvs.DestKey{}, ipvs.Counters{Connections: 9, InPackets: 90})
	r := startRig(t, statsConf, func(o *Options) { o.Client, o.RepairInterval = f, time.Millisecond })
	// When the second read starts, the first one's result is stored.
	awaitReads(t, f.reads, 2, "drift repair never read the table")
	vs := r.snapshot().VirtualServers[0]
	if !vs.Counters.CountersAvailable || vs.Counters.Connections != 9 || vs.Counters.IncomingPackets != 90 {
		t.Errorf("service counters = %+v, want those of the repair read", vs.Counters)
	}
}
