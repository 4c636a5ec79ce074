package daemon

import (
	"net/netip"
	"testing"
	"time"

	"github.com/alived/alived/internal/lvs"
	"github.com/alived/alived/internal/vrrpd"
	"github.com/alived/alived/status"
	"github.com/alived/alived/vrrp"
)

func TestConvertSnapshot(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	ds := &Snapshot{Taken: t0, ConfigFile: "/etc/k.conf", Reloads: 1, Components: map[string]any{
		"vrrp": vrrpd.Snapshot{
			Instances: []vrrpd.InstanceSnapshot{{
				Snapshot: vrrp.Snapshot{Name: "VI_1", VRID: 51, Version: 2, State: vrrp.StateMaster, BasePriority: 100,
					EffectivePriority: 90, MasterAddr: netip.MustParseAddr("10.0.0.2"), Since: t0,
					Stats: vrrp.Stats{AdvertSent: 4, AuthFailure: 2},
					Trackers: []vrrp.TrackerState{{Name: "if:eth1", Weight: 0, Up: true}, {Name: "script:chk", Weight: -10, Up: false},
						{Name: "file:tf", Weight: 6, Up: true}, {Name: "script:up", Weight: 5, Up: false}},
					SyncGroup: "G"},
				Interface: "eth0", VRID: 51, VIPs: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32")},
			}, {
				Snapshot: vrrp.Snapshot{Name: "VI_2", State: vrrp.StateStop},
			}},
			Groups: map[string]string{"G": "MASTER"},
		},
		"lvs": lvs.Snapshot{LastError: "injected", VirtualServers: []status.VirtualServer{{
			Name: "vs1", ID: "group:web/tcp", QuorumUp: true,
			Services: []status.Service{{Proto: "TCP", Address: "10.0.0.1", Port: 80}, {Proto: "FWM", FWMark: 7}},
			RealServers: []status.RealServer{{Address: "2001:db8::1", Port: 8080, ID: "[2001:db8::1]:8080", ConfiguredWeight: 3,
				EffectiveWeight: 0, Up: false, LastError: "refused",
				Override: &status.Override{Kind: status.OverrideDrain, Since: t0, ActiveConns: 2}}},
		}}},
		"unknown": 42,
	}}
	s := ConvertSnapshot(ds, status.Build{Version: "v"})
	if len(s.Instances) != 2 {
		t.Fatalf("instances = %d", len(s.Instances))
	}
	in := s.Instances[0]
	if in.State != "MASTER" || in.EffectivePriority != 90 || in.MasterAddr != "10.0.0.2" || in.Interface != "eth0" ||
		in.VIPs[0] != "192.0.2.1/32" || in.Stats.AdvertSent != 4 || in.Stats.AuthFailure != 2 {
		t.Errorf("instance converted wrongly: %+v", in)
	}
	wantTrk := []status.Tracker{{Kind: "interface", Name: "eth1", Up: true}, {Kind: "script", Name: "chk", Weight: -10},
		{Kind: "file", Name: "tf", Up: true, Weight: 6}, {Kind: "script", Name: "up", Weight: 0}}
	if len(in.Trackers) != len(wantTrk) {
		t.Fatalf("trackers %+v", in.Trackers)
	}
	for i, w := range wantTrk {
		if in.Trackers[i] != w {
			t.Errorf("tracker %d = %+v, want %+v", i, in.Trackers[i], w)
		}
	}
	if len(s.Scripts) != 2 || s.Scripts[0] != (status.Script{Name: "chk"}) {
		t.Errorf("scripts %+v", s.Scripts)
	}
	if s.Instances[1].State != "INIT" {
		t.Errorf("STOP maps to %q, want INIT", s.Instances[1].State)
	}
	if len(s.SyncGroups) != 1 || s.SyncGroups[0].State != "MASTER" || len(s.SyncGroups[0].Members) != 1 || s.SyncGroups[0].Members[0] != "VI_1" {
		t.Errorf("sync groups %+v", s.SyncGroups)
	}
	vs := s.VirtualServers[0]
	if vs.Services[0] != (status.Service{Proto: "TCP", Address: "10.0.0.1", Port: 80}) || vs.Services[1] != (status.Service{Proto: "FWM", FWMark: 7}) {
		t.Errorf("services %+v", vs.Services)
	}
	rs := vs.RealServers[0]
	if rs.Address != "2001:db8::1" || rs.Port != 8080 || rs.ConfiguredWeight != 3 || rs.LastError != "refused" ||
		rs.ID != "[2001:db8::1]:8080" || vs.ID != "group:web/tcp" {
		t.Errorf("real server %+v", rs)
	}
	if o := rs.Override; o == nil || o.Kind != status.OverrideDrain || !o.Since.Equal(t0) || o.ActiveConns != 2 {
		t.Errorf("override not carried: %+v", o)
	}
	if s.LVSError != "injected" {
		t.Errorf("LVS error %q", s.LVSError)
	}
}
