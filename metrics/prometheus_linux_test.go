package metrics

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/internal/netlab"
	"github.com/alived/alived/internal/testenv"
)

// promResult is the part of Prometheus' /api/v1/query answer the test reads.
type promResult struct {
	Status string `json:"status"`
	Data   struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

// query asks the Prometheus server in node mon for expr and returns the
// value per scrape target.
func query(t *testing.T, mon *netlab.Node, expr string) map[string]float64 {
	t.Helper()
	out, err := mon.Output("curl", "-sf", "http://127.0.0.1:9090/api/v1/query?query="+url.QueryEscape(expr))
	if err != nil {
		return nil // Prometheus not up yet
	}
	var r promResult
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Status != "success" {
		t.Fatalf("query %s: %v: %s", expr, err, out)
	}
	vals := map[string]float64{}
	for _, s := range r.Data.Result {
		str, _ := s.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			t.Fatalf("query %s: value %v", expr, s.Value)
		}
		vals[s.Metric["instance"]] = v
	}
	return vals
}

// eventually polls the Prometheus server until cond holds: Prometheus
// exposes no event to wait on, only its query API, so the test samples it
// at the scrape interval with a deadline.
func eventually(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestPrometheusScrapesFailover runs two alived nodes and a real
// Prometheus server in namespaces, and reads the master switching back
// through Prometheus' HTTP API.
func TestPrometheusScrapesFailover(t *testing.T) {
	testenv.RequireNetns(t)
	promBin := testenv.RequireBinary(t, "prometheus")
	testenv.RequireBinary(t, "curl")
	dir := t.TempDir()
	bin := filepath.Join(dir, "alived")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/alived/alived/cmd/alived").CombinedOutput(); err != nil {
		t.Fatalf("building alived: %v\n%s", err, out)
	}
	lab, err := netlab.New(fmt.Sprintf("pm%d", os.Getpid()%100000))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
	})
	addrs := map[string]string{"n1": "10.97.0.1", "n2": "10.97.0.2"}
	nodes := map[string]*netlab.Node{}
	for _, name := range []string{"n1", "n2", "mon"} {
		a := "10.97.0.9"
		if addrs[name] != "" {
			a = addrs[name]
		}
		n, err := lab.AddNode(name, a+"/24")
		if err != nil {
			t.Fatal(err)
		}
		nodes[name] = n
	}
	procs := map[string]*exec.Cmd{}
	for name, prio := range map[string]int{"n1": 150, "n2": 100} {
		nd := filepath.Join(dir, name)
		if err := os.MkdirAll(nd, 0o755); err != nil {
			t.Fatal(err)
		}
		conf := fmt.Sprintf("global_defs {\n router_id %s\n}\nvrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 62\n priority %d\n advert_int 1\n virtual_ipaddress {\n  10.97.0.100/32\n }\n}\n", name, prio)
		if err := os.WriteFile(filepath.Join(nd, "keepalived.conf"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		log, err := os.Create(filepath.Join(nd, "log"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = log.Close()
			if t.Failed() {
				b, _ := os.ReadFile(log.Name())
				t.Logf("%s log:\n%s", name, b)
			}
		})
		cmd, err := nodes[name].Start(log, log, bin, "-n", "-l", "-f", filepath.Join(nd, "keepalived.conf"),
			"-p", filepath.Join(nd, "alived.pid"), "--web.listen-address="+addrs[name]+":9165")
		if err != nil {
			t.Fatal(err)
		}
		procs[name] = cmd
	}
	promConf := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(promConf, []byte("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n  - job_name: alived\n    static_configs:\n      - targets: ['10.97.0.1:9165', '10.97.0.2:9165']\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plog, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer plog.Close()
	if _, err := nodes["mon"].Start(plog, plog, promBin, "--config.file="+promConf, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address=127.0.0.1:9090"); err != nil {
		t.Fatal(err)
	}
	mon := nodes["mon"]

	const n1, n2 = "10.97.0.1:9165", "10.97.0.2:9165"
	state := `keepalived_vrrp_state{iname="VI_1",ip_address="10.97.0.100"}`
	eventually(t, "n1 MASTER and n2 BACKUP in Prometheus", 40*time.Second, func() bool {
		v := query(t, mon, state)
		return v[n1] == 2 && v[n2] == 1
	})
	if v := query(t, mon, "alived_build_info"); v[n1] != 1 || v[n2] != 1 {
		t.Errorf("alived_build_info: %v", v)
	}
	// promtool's linter on a live daemon's scrape (process and Go
	// collectors included), not only on the unit test's fixture.
	if promtool, err := exec.LookPath("promtool"); err == nil {
		body, err := mon.Output("curl", "-sf", "http://"+n1+"/metrics")
		if err != nil {
			t.Fatal(err)
		}
		lint := exec.Command(promtool, "check", "metrics")
		lint.Stdin = strings.NewReader(body)
		if out, err := lint.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics on a live scrape: %v\n%s", err, out)
		}
	}

	// Stop the master: n2 takes over and Prometheus sees it.
	if err := procs["n1"].Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	_ = procs["n1"].Wait()
	eventually(t, "n2 MASTER and n1 down in Prometheus", 30*time.Second, func() bool {
		v := query(t, mon, state)
		up := query(t, mon, `up{job="alived"}`)
		return v[n2] == 2 && up[n1] == 0 && up[n2] == 1
	})
	if v := query(t, mon, `keepalived_become_master_total{iname="VI_1"}`); v[n2] < 1 {
		t.Errorf("n2 become_master_total = %v, want >= 1", v)
	}
}
