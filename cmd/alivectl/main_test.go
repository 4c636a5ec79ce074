package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/api"
	"github.com/alived/alived/status"
)

type fakeSource struct {
	s       *status.Snapshot
	reloads int
}

func (f *fakeSource) Snapshot() *status.Snapshot       { return f.s }
func (f *fakeSource) Reload(ctx context.Context) error { f.reloads++; return nil }

func daemonSocket(t *testing.T, src *fakeSource) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "alvctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	path := filepath.Join(dir, "a.sock")
	srv, err := api.ListenUnix(path, api.NewHandler(src, api.Options{Controller: src}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return path
}

func snapshot() *status.Snapshot {
	now := time.Now()
	return &status.Snapshot{
		Started: now.Add(-time.Hour), ConfigFile: "/etc/keepalived/keepalived.conf", Build: status.Build{Version: "t1"},
		Instances: []status.Instance{
			{Name: "VI_1", State: status.StateMaster, Interface: "eth0", VRID: 51, BasePriority: 100, EffectivePriority: 90,
				MasterAddr: "10.0.0.1", Since: now.Add(-time.Minute), VIPs: []string{"192.0.2.1/32"},
				Trackers: []status.Tracker{{Kind: "script", Name: "chk_http", Up: false, Weight: -10}}},
			{Name: "VI_2", State: status.StateBackup, Interface: "eth1", VRID: 52, BasePriority: 50, EffectivePriority: 50},
		},
		VirtualServers: []status.VirtualServer{{
			Name: "10.0.0.100:80", QuorumUp: true, Quorum: 1, WeightSum: 1,
			Services: []status.Service{{Proto: "TCP", Address: "10.0.0.100", Port: 80}},
			RealServers: []status.RealServer{
				{Address: "10.0.1.1", Port: 80, Up: true, InTable: true, ConfiguredWeight: 1, EffectiveWeight: 1},
				{Address: "10.0.1.2", Port: 80, Up: false, ConfiguredWeight: 1, LastError: "connection refused"},
			},
		}},
	}
}

func TestStatusTableNoColourInPipes(t *testing.T) {
	path := daemonSocket(t, &fakeSource{s: snapshot()})
	var out, errb bytes.Buffer
	if code := run([]string{"--socket=" + path, "status"}, &out, &errb, false); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got := out.String()
	if strings.Contains(got, "\x1b[") {
		t.Error("colour codes in non-terminal output")
	}
	for _, want := range []string{"VI_1", "MASTER", "90/100", "script chk_http", "-10", "VI_2", "BACKUP",
		"10.0.1.2:80", "DOWN", "connection refused", "10.0.1.1:80", "UP"} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, got)
		}
	}
	// Columns line up: STATE starts at the same offset in header and rows.
	lines := strings.Split(got, "\n")
	var hdr, row string
	for _, l := range lines {
		if strings.HasPrefix(l, "VRRP INSTANCE") {
			hdr = l
		}
		if strings.HasPrefix(l, "VI_1") {
			row = l
		}
	}
	if strings.Index(hdr, "STATE") != strings.Index(row, "MASTER") {
		t.Errorf("misaligned columns:\n%s\n%s", hdr, row)
	}
}

func TestStatusTableColourOnTerminal(t *testing.T) {
	var out bytes.Buffer
	if err := printStatus(&out, snapshot(), time.Now(), true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), green+"MASTER"+reset) || !strings.Contains(out.String(), red+"DOWN"+reset) {
		t.Errorf("expected coloured states:\n%q", out.String())
	}
}

func TestStatusJSON(t *testing.T) {
	path := daemonSocket(t, &fakeSource{s: snapshot()})
	var out, errb bytes.Buffer
	if code := run([]string{"--socket", path, "status", "--json"}, &out, &errb, true); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var s status.Snapshot
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Instances) != 2 || s.Instances[0].Trackers[0].Name != "chk_http" {
		t.Errorf("json round trip: %+v", s.Instances)
	}
}

func TestReload(t *testing.T) {
	src := &fakeSource{s: snapshot()}
	path := daemonSocket(t, src)
	var out, errb bytes.Buffer
	if code := run([]string{"--socket=" + path, "reload"}, &out, &errb, false); code != 0 || src.reloads != 1 {
		t.Fatalf("exit %d, reloads %d: %s", code, src.reloads, errb.String())
	}
}

func TestNoDaemon(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--socket=/nonexistent/alived.sock", "status"}, &out, &errb, false); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errb.String(), "--control-socket") {
		t.Errorf("no hint about the socket: %s", errb.String())
	}
}

// TestCheck asserts alivectl check gives alived -t's verdicts.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.conf", "global_defs {\n router_id lb1\n}\n")
	bad := write("bad.conf", "vrrp_instance VI_1 {\n interface no-such-if0\n virtual_router_id 51\n priority 100\n}\n")
	var out, errb bytes.Buffer
	if code := run([]string{"check", "-f", good}, &out, &errb, false); code != 0 {
		t.Errorf("good config: exit %d: %s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"check", "-f", bad}, &out, &errb, false); code == 0 || !strings.Contains(errb.String(), "bad.conf:") {
		t.Errorf("bad config: exit %d, diagnostics %q", code, errb.String())
	}
	// -e, as keepalived's: a missing include refuses the configuration
	// instead of being a warning. (keepalived 2.2.7 exits 6 there, its
	// "not configured" code, before its -t mapping runs; alived says 4.)
	inc := write("inc.conf", "global_defs {\n router_id lb1\n}\ninclude missing.conf\n")
	errb.Reset()
	if code := run([]string{"check", "-f", inc}, &out, &errb, false); code != 0 {
		t.Errorf("missing include without -e: exit %d, want 0: %s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"check", "-e", "-f", inc}, &out, &errb, false); code == 0 || !strings.Contains(errb.String(), "fatal") {
		t.Errorf("missing include with -e: exit %d, diagnostics %q; want a fatal refusal", code, errb.String())
	}
}
