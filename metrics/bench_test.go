package metrics

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/alived/alived/status"
)

// bigSnapshot has 100 VRRP instances and 50 virtual servers of 20 real
// servers each: a large keepalived installation.
func bigSnapshot() *status.Snapshot {
	s := fixture()
	base := s.Instances[0]
	s.Instances = nil
	for i := 0; i < 100; i++ {
		in := base
		in.Name, in.VRID = fmt.Sprintf("VI_%d", i), uint8(i)
		s.Instances = append(s.Instances, in)
	}
	vs0 := s.VirtualServers[0]
	s.VirtualServers = nil
	for v := 0; v < 50; v++ {
		vs := vs0
		vs.Name = fmt.Sprintf("10.1.%d.1:80", v)
		vs.Services = []status.Service{{Proto: "TCP", Address: fmt.Sprintf("10.1.%d.1", v), Port: 80}}
		vs.RealServers = nil
		for r := 0; r < 20; r++ {
			rs := vs0.RealServers[0]
			rs.Address = fmt.Sprintf("10.2.%d.%d", v, r)
			vs.RealServers = append(vs.RealServers, rs)
		}
		s.VirtualServers = append(s.VirtualServers, vs)
	}
	return s
}

// BenchmarkScrape measures one full /metrics scrape of bigSnapshot.
func BenchmarkScrape(b *testing.B) {
	reg, err := NewRegistry(&fakeSource{bigSnapshot()})
	if err != nil {
		b.Fatal(err)
	}
	h := Handler(reg)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// TestBigSnapshotSeries documents the size BenchmarkScrape measures.
func TestBigSnapshotSeries(t *testing.T) {
	reg, err := NewRegistry(&fakeSource{bigSnapshot()})
	if err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		n += len(mf.GetMetric())
	}
	t.Logf("series in the big snapshot: %d", n)
	if n < 10000 {
		t.Errorf("big snapshot has only %d series; the benchmark would not measure a large installation", n)
	}
}
