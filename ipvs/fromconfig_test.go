package ipvs

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/alived/alived/config"
	"github.com/alived/alived/config/syntax"
)

// loadSetup loads a differential fixture and builds its setup.
func loadSetup(t *testing.T, name string) Setup {
	t.Helper()
	cfg, diags := config.Load(filepath.Join("testdata", "differential", name), config.LoadOptions{})
	for _, d := range diags {
		if d.Severity == syntax.Fatal {
			t.Fatalf("%s: %v", name, d)
		}
	}
	s, err := FromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func desiredOf(t *testing.T, name string) Table {
	t.Helper()
	p := NewPool()
	p.SetConfig(loadSetup(t, name).VirtualServers)
	return p.Desired()
}

func TestFromConfigGroupsExpand(t *testing.T) {
	got := desiredOf(t, "groups.conf")
	var keys []string
	for _, k := range got.Keys() {
		keys = append(keys, k.String())
		if len(got[k].Dests) != 2 {
			t.Errorf("%s has %d destinations, want the group's 2", k, len(got[k].Dests))
		}
	}
	want := "TCP 10.0.0.10:80,TCP 10.0.0.11:80,TCP 10.0.0.12:80,TCP 10.0.0.20:8080,FWM 7"
	if strings.Join(keys, ",") != want {
		t.Fatalf("group expanded to %v, want %s", keys, want)
	}
}

func TestFromConfigPersistenceAndFlags(t *testing.T) {
	got := desiredOf(t, "persistence.conf")
	p := got[tcp("10.0.0.4", 443, "").ServiceKey].Service
	if p.Flags&Persistent == 0 || p.Timeout != 600 || p.MaskBits != 24 {
		t.Errorf("persistence: %+v", p)
	}
	sh := got[tcp("10.0.0.4", 80, "").ServiceKey].Service
	if sh.Timeout != 360 || sh.Flags != Persistent|SchedFlag1|SchedFlag2 {
		t.Errorf("bare persistence_timeout and sh flags: %+v", sh)
	}
	mh := got[tcp("10.0.0.4", 81, "").ServiceKey]
	if mh.Service.Flags != SchedFlag2 || mh.SortedDests()[0].Forward != DirectRoute {
		t.Errorf("mh-port / DR: %+v", mh)
	}
}

func TestFromConfigSorryAndInhibit(t *testing.T) {
	got := desiredOf(t, "sorry.conf")
	w := weights(t, got, tcp("10.0.0.5", 80, ""))
	if len(w) != 2 || w["10.1.0.20:80"] != 0 || w["10.1.0.21:80"] != 1 {
		t.Errorf("sorry_server_inhibit while quorum is up: %v", w)
	}
	w = weights(t, got, tcp("10.0.0.5", 81, ""))
	if len(w) != 1 || w["10.1.0.22:81"] != 1 {
		t.Errorf("alpha servers down at start must bring in the sorry server: %v", w)
	}
	w = weights(t, desiredOf(t, "inhibit.conf"), tcp("10.0.0.6", 80, ""))
	if len(w) != 2 || w["10.1.0.30:80"] != 0 || w["10.1.0.32:80"] != 1 {
		t.Errorf("alpha + inhibit_on_failure: %v", w)
	}
}

func TestFromConfigMethods(t *testing.T) {
	got := desiredOf(t, "methods.conf")
	ds := got[tcp("10.0.0.2", 443, "").ServiceKey].Dests
	find := func(a string) Destination {
		for _, d := range ds {
			if d.Addr.String() == a {
				return d
			}
		}
		t.Fatalf("no destination %s", a)
		return Destination{}
	}
	if d := find("10.1.0.5"); d.Forward != Tunnel || d.TunnelType != GUE || d.TunnelPort != 6080 || d.TunnelFlags != TunnelChecksum {
		t.Errorf("gue tunnel: %+v", d)
	}
	if d := find("10.1.0.6"); d.Forward != Masquerade || d.UpperThreshold != 100 || d.LowerThreshold != 10 {
		t.Errorf("NAT with thresholds: %+v", d)
	}
	if d := find("10.1.0.3"); d.Forward != DirectRoute || d.Weight != 2 {
		t.Errorf("DR default: %+v", d)
	}
	u := tcp("10.0.0.3", 53, "")
	u.Protocol = UDP
	if svc := got[u.ServiceKey].Service; svc.Flags != OnePacket || svc.Scheduler != "rr" {
		t.Errorf("UDP ops service: %+v", svc)
	}
}
