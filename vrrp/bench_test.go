package vrrp

import (
	"net/netip"
	"testing"
	"time"
)

// BenchmarkAdvertInterval10ms drives one master/backup pair at advert_int
// 0.01 (v3): each op is one advert interval for both instances (the
// master's timer fires, it builds and seals its advert, the backup checks
// and steps it, both hand out their actions). The reported instances/core
// is how many instances one core could keep at that rate: 10ms divided by
// the cost per instance per interval.
func BenchmarkAdvertInterval10ms(b *testing.B) {
	mc, bc := ruleConfig(200), ruleConfig(100)
	for _, c := range []*Config{&mc, &bc} {
		c.Version, c.AdvertInterval = 3, 10*time.Millisecond
	}
	bc.PrimaryAddr = netip.MustParseAddr("10.0.0.6")
	m, _ := New(mc)
	bk, _ := New(bc)
	now := t0
	_ = m.Start(now)
	_ = bk.Start(now)
	m.Tick(m.NextDeadline())
	now = m.NextDeadline()
	buf := make([]byte, 0, 64)
	meta := RxMeta{Src: mc.PrimaryAddr, Dst: MulticastGroup4, TTL: TTL}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		m.Tick(now)
		for _, a := range m.Ready() {
			if a.Kind == ActSendAdvert {
				buf, _ = m.AppendAdvert(buf[:0], a.Priority, mc.PrimaryAddr, MulticastGroup4)
				if err := bk.Receive(now, buf, meta); err != nil {
					b.Fatal(err)
				}
			}
		}
		bk.Ready()
		now = m.NextDeadline()
	}
	b.StopTimer()
	if bk.State() != StateBackup || m.State() != StateMaster {
		b.Fatalf("pair diverged: %v/%v", m.State(), bk.State())
	}
	perInstance := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / 2
	b.ReportMetric(float64(10*time.Millisecond)/perInstance, "instances/core")
}

// BenchmarkReceive is the backup's steady path: one valid advert checked
// and stepped. allocs/op is the allocation count per received advert.
func BenchmarkReceive(b *testing.B) {
	c := ruleConfig(100)
	in, _ := New(c)
	_ = in.Start(t0)
	a := peerAdvert(c, 150)
	msg, _ := a.AppendSealed(nil, peerSrc, MulticastGroup4, false)
	now := t0
	b.ReportAllocs()
	for range b.N {
		now = now.Add(time.Second)
		if err := in.Receive(now, msg, mcastMeta); err != nil {
			b.Fatal(err)
		}
		in.Ready()
	}
}
