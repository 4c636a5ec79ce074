package lvs

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/ipvs"
)

const syncConf = `global_defs {
    lvs_sync_daemon lo VI_1 id 7 maxlen 1400 port 8849 ttl 2 group 224.0.0.82
}
vrrp_instance VI_1 {
    interface lo
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        10.9.9.9/32
    }
}
vrrp_instance VI_2 {
    interface lo
    virtual_router_id 52
    priority 100
    virtual_ipaddress {
        10.9.9.10/32
    }
}
`

// syncRoles is the fake kernel's running sync daemons by role name.
func syncRoles(r *rig) map[string]ipvs.SyncDaemon {
	out := map[string]ipvs.SyncDaemon{}
	for role, d := range r.fake.SyncDaemons() {
		out[role.String()] = d
	}
	return out
}

// TestSyncDaemonFollowsVRRP: the kernel's sync daemon runs as master
// while the instance lvs_sync_daemon names is MASTER and as backup
// otherwise, with the configured options; other instances do not move it;
// nothing runs before the instance's state is known; Stop stops it.
func TestSyncDaemonFollowsVRRP(t *testing.T) {
	r := startRig(t, syncConf, nil)
	if got := syncRoles(r); len(got) != 0 {
		t.Fatalf("before any VRRP state: %v, want no sync daemon", got)
	}
	want := ipvs.SyncDaemon{Interface: "lo", SyncID: 7, MaxLen: 1400, Port: 8849, TTL: 2,
		Group: netip.MustParseAddr("224.0.0.82")}
	step := func(inst string, master bool, role string) {
		t.Helper()
		r.loop.do(func() { r.sub.VRRPStateChanged(time.Now(), inst, master) })
		got := syncRoles(r)
		if len(got) != 1 || !reflect.DeepEqual(got[role], want) {
			t.Fatalf("after %s master=%v: sync daemons %+v, want only %s %+v", inst, master, got, role, want)
		}
	}
	step("VI_1", false, "backup")
	step("VI_1", true, "master")
	step("VI_2", false, "master") // not the named instance
	step("VI_1", true, "master")  // repeated state: no change
	step("VI_1", false, "backup")
	step("VI_1", true, "master")

	r.loop.do(func() { r.sub.Stop(time.Now()) })
	if got := syncRoles(r); len(got) != 0 {
		t.Errorf("after Stop: %v, want none", got)
	}
}

// TestSyncDaemonReload: a reload that changes the sync daemon's settings
// restarts it with them in the same role, and one that drops
// lvs_sync_daemon stops it.
func TestSyncDaemonReload(t *testing.T) {
	r := startRig(t, syncConf, nil)
	r.loop.do(func() { r.sub.VRRPStateChanged(time.Now(), "VI_1", true) })
	if err := r.reload(strings.Replace(syncConf, "id 7", "id 9", 1)); err != nil {
		t.Fatal(err)
	}
	got := syncRoles(r)
	if len(got) != 1 || got["master"].SyncID != 9 {
		t.Fatalf("after reload with id 9: %+v, want master with id 9", got)
	}
	if err := r.reload(strings.Replace(syncConf, "lvs_sync_daemon lo VI_1 id 7 maxlen 1400 port 8849 ttl 2 group 224.0.0.82", "router_id x", 1)); err != nil {
		t.Fatal(err)
	}
	if got := syncRoles(r); len(got) != 0 {
		t.Errorf("after reload without lvs_sync_daemon: %v, want none", got)
	}
}

// TestSyncDaemonStateBeforeStart: the VRRP side may report a state
// before the LVS side starts (the daemon starts VRRP first); Start then
// applies it.
func TestSyncDaemonStateBeforeStart(t *testing.T) {
	loop, fake := newTestLoop(t), ipvs.NewFake()
	sub, err := New(Options{Post: loop.post, Client: fake})
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadConfig(t, t.TempDir(), syncConf)
	loop.do(func() {
		sub.VRRPStateChanged(time.Now(), "VI_1", true)
		err = sub.Start(time.Now(), cfg)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { loop.do(func() { sub.Stop(time.Now()) }) })
	if got := fake.SyncDaemons(); len(got) != 1 || got[ipvs.SyncMaster].Interface != "lo" {
		t.Errorf("after Start: %+v, want master on lo", got)
	}
}

// TestSyncDaemonMissingInstanceWarns: lvs_sync_daemon naming no
// configured instance is reported in the plan's diagnostics.
func TestSyncDaemonMissingInstanceWarns(t *testing.T) {
	cfg := loadConfig(t, t.TempDir(), strings.Replace(syncConf, "lo VI_1", "lo VI_9", 1))
	p := BuildPlan(cfg)
	found := false
	for _, d := range p.Diagnostics {
		found = found || strings.Contains(d.Msg, `"VI_9" not found`)
	}
	if !found {
		t.Errorf("diagnostics %v: no warning about VI_9", p.Diagnostics)
	}
	if p := BuildPlan(loadConfig(t, t.TempDir(), syncConf)); len(p.Diagnostics) != 0 {
		t.Errorf("valid lvs_sync_daemon: diagnostics %v", p.Diagnostics)
	}
}
