package daemon

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/internal/lvs"
	"github.com/alived/alived/ipvs"
	"github.com/alived/alived/metrics"
	"github.com/alived/alived/status"
)

// readSignal is a fake kernel that reports each counters read starting;
// once the second read starts, the first one's result is published.
type readSignal struct {
	*ipvs.Fake
	reads chan struct{}
}

func (f *readSignal) ServiceStats(ctx context.Context) ([]ipvs.ServiceStats, error) {
	select {
	case f.reads <- struct{}{}:
	case <-ctx.Done():
	}
	return f.Fake.ServiceStats(ctx)
}

type staticSource struct{ s *status.Snapshot }

func (s staticSource) Snapshot() *status.Snapshot       { return s.s }
func (s staticSource) Reload(ctx context.Context) error { return nil }

// TestKernelCountersReachMetrics follows counters from the (fake) kernel
// through the LVS subsystem's poller, its snapshot and the status
// conversion to the Prometheus exposition, labelled as node_exporter's
// IPVS collector labels them.
func TestKernelCountersReachMetrics(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.conf")
	conf := `
virtual_server 10.0.0.1 80 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 10.0.1.1 8080 {
  weight 1
 }
}
virtual_server fwmark 7 {
 lvs_sched rr
 lvs_method DR
 real_server 10.0.1.2 0 {
  weight 1
 }
}
`
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _ := config.Load(path, config.LoadOptions{Hostname: "lb1"})
	if cfg == nil {
		t.Fatal("config did not load")
	}
	f := &readSignal{Fake: ipvs.NewFake(), reads: make(chan struct{})}
	svc := ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}
	fwm := ipvs.ServiceKey{Family: ipvs.INET, FWMark: 7}
	f.SetCounters(svc, ipvs.DestKey{}, ipvs.Counters{Connections: 12, InPackets: 340, OutPackets: 300, InBytes: 45000, OutBytes: 91000})
	f.SetCounters(svc, ipvs.DestKey{Addr: netip.MustParseAddr("10.0.1.1"), Port: 8080},
		ipvs.Counters{Connections: 12, ActiveConns: 3, InactiveConns: 4, InPackets: 340, OutPackets: 300, InBytes: 45000, OutBytes: 91000})
	f.SetCounters(fwm, ipvs.DestKey{}, ipvs.Counters{Connections: 2})

	// The test goroutine is the loop: Post is never needed without checks.
	sub, err := lvs.New(lvs.Options{Post: func(func(time.Time)) {}, Client: f, StatsInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Start(time.Now(), cfg); err != nil {
		t.Fatal(err)
	}
	defer sub.Stop(time.Now())
	for range 2 {
		select {
		case <-f.reads:
		case <-time.After(5 * time.Second):
			t.Fatal("the stats poller never read the counters")
		}
	}
	st := ConvertSnapshot(&Snapshot{Taken: time.Now(), Components: map[string]any{"lvs": sub.Snapshot()}}, status.Build{})

	reg, err := metrics.NewRegistry(staticSource{st})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(metrics.Handler(reg))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	got := string(body)
	const be = `{local_address="10.0.0.1",local_mark="",local_port="80",proto="TCP",remote_address="10.0.1.1",remote_port="8080"}`
	const sv = `{local_address="10.0.0.1",local_mark="",local_port="80",proto="TCP"}`
	for _, line := range []string{
		`alived_ipvs_backend_connections_active` + be + ` 3`,
		`alived_ipvs_backend_connections_inactive` + be + ` 4`,
		`alived_ipvs_backend_connections_total` + be + ` 12`,
		`alived_ipvs_backend_incoming_packets_total` + be + ` 340`,
		`alived_ipvs_backend_outgoing_bytes_total` + be + ` 91000`,
		`alived_ipvs_service_connections_total` + sv + ` 12`,
		`alived_ipvs_service_incoming_bytes_total` + sv + ` 45000`,
		`alived_ipvs_service_connections_total{local_address="",local_mark="7",local_port="",proto="FWM"} 2`,
	} {
		if !strings.Contains(got, "\n"+line+"\n") {
			t.Errorf("scrape lacks %s", line)
		}
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", got)
	}
	// The exposition stays valid for Prometheus where promtool exists
	// (the metrics package's own test requires it).
	if promtool, err := exec.LookPath("promtool"); err == nil {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	}
}
