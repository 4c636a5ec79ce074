package daemon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/config/syntax"
	"github.com/alived/alived/status"
)

func dumpFixture() *status.Snapshot {
	return &status.Snapshot{
		Instances: []status.Instance{{
			Name: "VI_1", Interface: "d0", VRID: 77, Version: 2, State: status.StateMaster, BasePriority: 100, EffectivePriority: 100,
			Since: time.Unix(1795844031, 474471000), AdvertInterval: time.Second, MasterAdvertInterval: time.Second,
			VIPs:     []string{"10.99.0.100/32"},
			Trackers: []status.Tracker{{Kind: status.TrackScript, Name: "chk", Up: true, Weight: 0}, {Kind: status.TrackFile, Name: "tf", Up: true, Weight: 5}},
			Stats:    status.Stats{AdvertSent: 2, BecomeMaster: 1},
		}},
		Scripts: []status.Script{{Name: "chk", Up: true}},
	}
}

// keepalivedStats is what keepalived 2.2.7 wrote on SIGUSR2 for the same
// instance (captured in a namespace with the Debian package).
const keepalivedStats = `VRRP Instance: VI_1
  Advertisements:
    Received: 0
    Sent: 2
  Became master: 1
  Released master: 0
  Packet Errors:
    Length: 0
    TTL: 0
    Invalid Type: 0
    Advertisement Interval: 0
    Address List: 0
  Authentication Errors:
    Invalid Type: 0
    Type Mismatch: 0
    Failure: 0
  Priority Zero:
    Received: 0
    Sent: 0
`

func TestStatsDumpMatchesKeepalived(t *testing.T) {
	if got := string(StatsData(dumpFixture())); got != keepalivedStats {
		t.Errorf("stats dump differs from keepalived's:\n%s", got)
	}
}

func TestStateDumpLines(t *testing.T) {
	got := string(StateData(dumpFixture()))
	for _, line := range []string{
		" VRRP Instance = VI_1\n", "   State = MASTER\n", "   Interface = d0\n", "   Virtual Router ID = 77\n",
		"   Last transition = 1795844031.474471 (", "   Virtual IP (1):\n     10.99.0.100 dev d0 scope global set\n",
		"   Tracked scripts :\n     chk weight 0\n", " VRRP Script = chk\n   Status = GOOD\n", "   Advert interval = 1 sec\n",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("data dump lacks %q:\n%s", line, got)
		}
	}
}

func TestJSONDumpVersions(t *testing.T) {
	b, err := JSONData(dumpFixture(), 1)
	if err != nil {
		t.Fatal(err)
	}
	var v1 []struct {
		Data  map[string]any    `json:"data"`
		Stats map[string]uint64 `json:"stats"`
	}
	if err := json.Unmarshal(b, &v1); err != nil {
		t.Fatalf("v1 is not keepalived's array: %v\n%s", err, b)
	}
	d := v1[0].Data
	// Types and values as keepalived 2.2.7 writes them.
	if d["iname"] != "VI_1" || d["state"] != 2.0 || d["vrid"] != 77.0 || d["adver_int"] != 1.0 || d["vipset"] != true ||
		d["last_transition"] != 1795844031.474471 || d["vips"].([]any)[0] != "10.99.0.100 dev d0 scope global set" {
		t.Errorf("v1 data: %v", d)
	}
	if v1[0].Stats["advert_sent"] != 2 || v1[0].Stats["become_master"] != 1 {
		t.Errorf("v1 stats: %v", v1[0].Stats)
	}
	trk := d["trackers"].([]any)
	if len(trk) != 2 || trk[1].(map[string]any)["name"] != "tf" || trk[1].(map[string]any)["weight"] != 5.0 {
		t.Errorf("trackers not all dumped with state: %v", trk)
	}
	b, err = JSONData(dumpFixture(), 2)
	if err != nil {
		t.Fatal(err)
	}
	var v2 struct {
		VRRP         []json.RawMessage `json:"vrrp"`
		TrackProcess []json.RawMessage `json:"track_process"`
	}
	if err := json.Unmarshal(b, &v2); err != nil || len(v2.VRRP) != 1 || v2.TrackProcess == nil {
		t.Errorf("v2 layout: %v\n%s", err, b)
	}
}

func TestDumpPathsAndAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "k.conf")
	text := "global_defs {\n router_id x\n state_dump_file " + dir + "/d\n stats_dump_file " + dir + "/s\n json_dump_file " + dir + "/j\n json_version 2\n}\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _ := config.Load(conf, config.LoadOptions{Syntax: syntax.Options{}})
	p := DumpPathsFrom(cfg)
	if p.Data != dir+"/d" || p.Stats != dir+"/s" || p.JSON != dir+"/j" || p.JSONVersion != 2 {
		t.Fatalf("paths %+v", p)
	}
	if def := DumpPathsFrom(nil); def.Data != DefaultDataDump || def.JSONVersion != 1 {
		t.Errorf("defaults %+v", def)
	}
	for _, kind := range []string{"data", "stats", "json"} {
		path, err := WriteDumps(kind, dumpFixture(), p)
		if err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
			t.Errorf("%s dump missing: %v", kind, err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
