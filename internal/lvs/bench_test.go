package lvs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/healthcheck"
	"github.com/alived/alived/ipvs"
)

// BenchmarkTransition measures one real-server transition through the
// whole path (pool, reconciler, notifier) with 1000 real servers in the
// virtual server, and reports the netlink writes it costs (one, whatever
// the size of the table).
func BenchmarkTransition(b *testing.B) { benchTransitions(b, 1) }

// BenchmarkTransitionBatch100 is a rack of 100 real servers failing (and
// coming back) in one scheduler batch; ns/op is per batch.
func BenchmarkTransitionBatch100(b *testing.B) { benchTransitions(b, 100) }

func benchTransitions(b *testing.B, batch int) {
	var conf strings.Builder
	conf.WriteString("virtual_server 10.0.0.1 80 {\n lvs_sched wrr\n lvs_method NAT\n protocol TCP\n")
	for i := range 1000 {
		fmt.Fprintf(&conf, " real_server 10.1.%d.%d 8080 {\n }\n", i/250, i%250+1)
	}
	conf.WriteString("}\n")
	cfg := loadConfig(b, b.TempDir(), conf.String())
	kernel := ipvs.NewCounting(ipvs.NewFake())
	// Nothing is posted: real servers without checks never transition on
	// their own, and the benchmark calls apply as the loop would.
	sub, err := New(Options{Post: func(func(time.Time)) {}, Client: kernel})
	if err != nil {
		b.Fatal(err)
	}
	if err := sub.Start(time.Now(), cfg); err != nil {
		b.Fatal(err)
	}
	defer sub.Stop(time.Now())
	vs := sub.plan.VirtualServers[0]
	up := healthcheck.State{Up: true, Weight: 1}
	down := healthcheck.State{Weight: 1}
	ts := make([]healthcheck.Transition, batch)
	start := kernel.Counts()
	b.ResetTimer()
	for i := range b.N {
		from, to := up, down
		if i%2 == 1 {
			from, to = down, up
		}
		for j := range ts {
			ts[j] = healthcheck.Transition{VirtualServer: vs.Name, RealServer: vs.Reals[500+j].Key, Kind: healthcheck.KindTCP, From: from, To: to}
		}
		sub.apply(ts...)
	}
	b.StopTimer()
	end := kernel.Counts()
	b.ReportMetric(float64(end.Writes-start.Writes)/float64(b.N), "writes/op")
	b.ReportMetric(float64(end.Reads-start.Reads)/float64(b.N), "reads/op")
}
