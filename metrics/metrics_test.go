package metrics

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alived/alived/internal/testenv"
	"github.com/alived/alived/status"
)

type fakeSource struct{ s *status.Snapshot }

func (f *fakeSource) Snapshot() *status.Snapshot       { return f.s }
func (f *fakeSource) Reload(ctx context.Context) error { return nil }

func fixture() *status.Snapshot {
	t0 := time.Unix(1_700_000_000, 0)
	return &status.Snapshot{
		Taken: t0, Reloads: 2, LastReload: t0, LastReloadOK: true,
		Build: status.Build{Version: "1.2.3", GoVersion: "go1.26"},
		Instances: []status.Instance{{
			Name: "VI_1", Interface: "eth0", VRID: 51, State: status.StateMaster, BasePriority: 100, EffectivePriority: 90,
			Since: t0, VIPs: []string{"192.0.2.10/32", "192.0.2.11/24"},
			Trackers:    []status.Tracker{{Kind: status.TrackScript, Name: "chk", Up: false, Weight: -10}},
			Stats:       status.Stats{AdvertSent: 7, BecomeMaster: 1, AuthFailure: 3},
			Transitions: map[string]uint64{"timer_expired": 1},
		}},
		SyncGroups: []status.SyncGroup{{Name: "G1", State: status.StateMaster}},
		Scripts:    []status.Script{{Name: "chk", Up: false}},
		VirtualServers: []status.VirtualServer{{
			Name: "10.0.0.1:80", QuorumUp: true, Quorum: 1, WeightSum: 3,
			Services: []status.Service{{Proto: "TCP", Address: "10.0.0.1", Port: 80}},
			Counters: status.Counters{Connections: 5, CountersAvailable: true},
			RealServers: []status.RealServer{
				{Address: "10.0.1.1", Port: 80, ConfiguredWeight: 3, EffectiveWeight: 3, InTable: true, Up: true,
					Checks:   []status.Check{{Name: "TCP_CHECK", Kind: "TCP_CHECK", Up: true, Runs: 4, Duration: 3 * time.Millisecond, LastRun: t0}},
					Counters: status.Counters{Connections: 4, ActiveConns: 2, CountersAvailable: true}},
				{Address: "10.0.1.2", Port: 80, ConfiguredWeight: 2, LastError: "dial tcp 10.0.1.2:80: connect: connection refused",
					Checks:   []status.Check{{Name: "TCP_CHECK", Kind: "TCP_CHECK", LastError: "refused", Duration: time.Second, LastRun: t0}},
					Override: &status.Override{Kind: status.OverrideDrain, Since: t0, DrainedAt: t0.Add(90 * time.Second)}},
			},
		}},
	}
}

// TestMetricNames pins the exported name set: dashboards and alerts depend
// on it, so a rename must change this list on purpose.
func TestMetricNames(t *testing.T) {
	reg, err := NewRegistry(&fakeSource{fixture()})
	if err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mf := range mfs {
		n := mf.GetName()
		if strings.HasPrefix(n, "go_") || strings.HasPrefix(n, "process_") {
			continue
		}
		got = append(got, n)
	}
	want := []string{
		"alived_build_info",
		"alived_check_duration_seconds",
		"alived_config_last_reload_successful",
		"alived_config_last_reload_timestamp_seconds",
		"alived_config_reloads_total",
		"alived_ipvs_backend_connections_active",
		"alived_ipvs_backend_connections_inactive",
		"alived_ipvs_backend_connections_total",
		"alived_ipvs_backend_drain_completed_timestamp_seconds",
		"alived_ipvs_backend_override",
		"alived_ipvs_backend_in_table",
		"alived_ipvs_backend_incoming_bytes_total",
		"alived_ipvs_backend_incoming_packets_total",
		"alived_ipvs_backend_last_failure_reason",
		"alived_ipvs_backend_outgoing_bytes_total",
		"alived_ipvs_backend_outgoing_packets_total",
		"alived_ipvs_backend_up",
		"alived_ipvs_backend_weight",
		"alived_ipvs_backend_weight_configured",
		"alived_ipvs_service_connections_total",
		"alived_ipvs_service_incoming_bytes_total",
		"alived_ipvs_service_incoming_packets_total",
		"alived_ipvs_service_outgoing_bytes_total",
		"alived_ipvs_service_outgoing_packets_total",
		"alived_ipvs_update_failing",
		"alived_virtual_server_quorum_up",
		"alived_virtual_server_sorry_server_active",
		"alived_virtual_server_live_weight",
		"alived_vrrp_base_priority",
		"alived_vrrp_effective_priority",
		"alived_vrrp_last_transition_timestamp_seconds",
		"alived_vrrp_master_transitions_total",
		"alived_vrrp_sync_group_state",
		"alived_vrrp_tracker_up",
		"alived_vrrp_tracker_weight",
		"keepalived_address_list_errors_total",
		"keepalived_advertisements_interval_errors_total",
		"keepalived_advertisements_received_total",
		"keepalived_advertisements_sent_total",
		"keepalived_authentication_failure_total",
		"keepalived_authentication_invalid_total",
		"keepalived_authentication_mismatch_total",
		"keepalived_become_master_total",
		"keepalived_invalid_type_received_total",
		"keepalived_ip_ttl_errors_total",
		"keepalived_packet_length_errors_total",
		"keepalived_priority_zero_received_total",
		"keepalived_priority_zero_sent_total",
		"keepalived_release_master_total",
		"keepalived_script_status",
		"keepalived_up",
		"keepalived_vrrp_state",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("metric names changed:\n got %q\nwant %q", got, want)
	}
}

// scrape returns the text exposition of cs.
func scrape(t *testing.T, cs ...prometheus.Collector) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(Handler(reg))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func TestMetricValues(t *testing.T) {
	got := scrape(t, NewCollector(&fakeSource{fixture()}))
	for _, line := range []string{
		`keepalived_up 1`,
		`keepalived_vrrp_state{iname="VI_1",intf="eth0",ip_address="192.0.2.10",vrid="51"} 2`,
		`keepalived_vrrp_state{iname="VI_1",intf="eth0",ip_address="192.0.2.11",vrid="51"} 2`,
		`keepalived_authentication_failure_total{iname="VI_1",intf="eth0",vrid="51"} 3`,
		`keepalived_advertisements_sent_total{iname="VI_1",intf="eth0",vrid="51"} 7`,
		`keepalived_script_status{name="chk"} 0`,
		`alived_vrrp_effective_priority{iname="VI_1",intf="eth0",vrid="51"} 90`,
		`alived_vrrp_master_transitions_total{iname="VI_1",intf="eth0",reason="timer_expired",vrid="51"} 1`,
		`alived_vrrp_tracker_weight{iname="VI_1",kind="script",name="chk"} -10`,
		`alived_vrrp_sync_group_state{name="G1"} 2`,
		`alived_build_info{goversion="go1.26",revision="",version="1.2.3"} 1`,
		`alived_ipvs_backend_last_failure_reason{local_address="10.0.0.1",local_mark="",local_port="80",proto="TCP",remote_address="10.0.1.1",remote_port="80"} 0`,
		`alived_ipvs_backend_last_failure_reason{local_address="10.0.0.1",local_mark="",local_port="80",proto="TCP",remote_address="10.0.1.2",remote_port="80"} 2`,
		`alived_ipvs_backend_weight_configured{local_address="10.0.0.1",local_mark="",local_port="80",proto="TCP",remote_address="10.0.1.2",remote_port="80"} 2`,
		`alived_ipvs_backend_weight{local_address="10.0.0.1",local_mark="",local_port="80",proto="TCP",remote_address="10.0.1.2",remote_port="80"} 0`,
		`alived_ipvs_backend_connections_active{local_address="10.0.0.1",local_mark="",local_port="80",proto="TCP",remote_address="10.0.1.1",remote_port="80"} 2`,
		`alived_ipvs_service_connections_total{local_address="10.0.0.1",local_mark="",local_port="80",proto="TCP"} 5`,
		`alived_virtual_server_quorum_up{virtual_server="10.0.0.1:80"} 1`,
		`alived_ipvs_backend_override{local_address="10.0.0.1",local_mark="",local_port="80",override="drain",proto="TCP",remote_address="10.0.1.2",remote_port="80"} 1`,
		`alived_ipvs_backend_drain_completed_timestamp_seconds{local_address="10.0.0.1",local_mark="",local_port="80",proto="TCP",remote_address="10.0.1.2",remote_port="80"} 1.70000009e+09`,
	} {
		if !strings.Contains(got, "\n"+line+"\n") {
			t.Errorf("scrape lacks %s", line)
		}
	}
	// Only overridden backends have an override series.
	if strings.Contains(got, `alived_ipvs_backend_override{local_address="10.0.0.1",local_mark="",local_port="80",override="drain",proto="TCP",remote_address="10.0.1.1"`) {
		t.Error("a backend without override exported one")
	}
	// Counters the kernel did not report are absent, not zero.
	if strings.Contains(got, `alived_ipvs_backend_connections_total{local_address="10.0.0.1",local_mark="",local_port="80",proto="TCP",remote_address="10.0.1.2"`) {
		t.Error("backend without counters exported a connection counter")
	}
}

// TestCheckDurationObservedOncePerRun asserts that scraping twice without a
// new probe run does not count the same run twice.
func TestCheckDurationObservedOncePerRun(t *testing.T) {
	src := &fakeSource{fixture()}
	c := NewCollector(src)
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
	next := fixture()
	next.VirtualServers[0].RealServers[0].Checks[0].LastRun = next.Taken.Add(time.Second)
	src.s = next
	got := scrape(t, c)
	for _, line := range []string{
		`alived_check_duration_seconds_count{check="TCP_CHECK",remote_address="10.0.1.1",remote_port="80",virtual_server="10.0.0.1:80"} 2`,
		`alived_check_duration_seconds_count{check="TCP_CHECK",remote_address="10.0.1.2",remote_port="80",virtual_server="10.0.0.1:80"} 1`,
	} {
		if !strings.Contains(got, line+"\n") {
			t.Errorf("scrape lacks %s", line)
		}
	}
}

func TestNotStartedIsNotAnError(t *testing.T) {
	reg, err := NewRegistry(&fakeSource{nil})
	if err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("scrape before start failed: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "keepalived_up" && mf.GetMetric()[0].GetGauge().GetValue() == 0 {
			return
		}
	}
	t.Error("keepalived_up 0 missing before start")
}

func TestFailureReason(t *testing.T) {
	for msg, want := range map[string]int{
		"":                                  ReasonNone,
		"dial tcp: i/o timeout":             ReasonTimeout,
		"context deadline exceeded":         ReasonTimeout,
		"connect: connection refused":       ReasonRefused,
		"connect: no route to host":         ReasonUnreachable,
		"HTTP status 500, expected 200":     ReasonBadResponse,
		"something nobody anticipated here": ReasonOther,
	} {
		if got := FailureReason(msg); got != want {
			t.Errorf("FailureReason(%q) = %d, want %d", msg, got, want)
		}
	}
}

// TestPromtoolCheckMetrics runs promtool's linter over a full scrape.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool := testenv.RequireBinary(t, "promtool")
	reg, err := NewRegistry(&fakeSource{fixture()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(reg))
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
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
