package daemon

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/alived/alived/internal/lvs"
	"github.com/alived/alived/internal/vrrpd"
	"github.com/alived/alived/ipvs"
)

// The LVS side must keep observing VRRP states and BFD sessions, sharing
// the daemon's Notifier and previewing reloads through the loop.
var (
	_ VRRPStateObserver = (*lvs.Subsystem)(nil)
	_ BFDObserver       = (*lvs.Subsystem)(nil)
	_ NotifierUser      = (*lvs.Subsystem)(nil)
	_ Previewer         = (*lvs.Subsystem)(nil)
)

// TestVRRPStateReachesLVSSyncDaemon: a state change the VRRP side reports
// (vrrpd.Options.OnStateChange, which vrrpd tests for replayed transitions
// too) reaches the LVS component through the daemon (the two never
// import each other), and moves the kernel's sync daemon: MASTER runs it
// as master, BACKUP as backup.
func TestVRRPStateReachesLVSSyncDaemon(t *testing.T) {
	conf := `global_defs {
    router_id test
    lvs_sync_daemon lo VI_1 id 3
}
vrrp_instance VI_1 {
    interface lo
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        10.9.9.9/32
    }
}
`
	path := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	fake := ipvs.NewFake()
	d, err := New(Options{ConfigFile: path, Hostname: "test",
		DialIPVS: func() (ipvs.Client, error) { return fake, nil }})
	if err != nil {
		t.Fatal(err)
	}
	var vc *vrrpd.Subsystem
	var lc *lvs.Subsystem
	for _, c := range d.comps {
		switch c := c.(type) {
		case *vrrpd.Subsystem:
			vc = c
		case *lvs.Subsystem:
			lc = c
		}
	}
	if vc == nil || lc == nil {
		t.Fatalf("components %v: want vrrp and lvs", d.comps)
	}
	now := time.Now()
	if err := lc.Start(now, d.cfg); err != nil {
		t.Fatal(err)
	}
	defer lc.Stop(now)
	for _, step := range []struct {
		master bool
		want   ipvs.SyncState
	}{{false, ipvs.SyncBackup}, {true, ipvs.SyncMaster}, {false, ipvs.SyncBackup}} {
		d.vrrpStateChanged(now, "VI_1", step.master)
		got := fake.SyncDaemons()
		if len(got) != 1 || got[step.want].SyncID != 3 {
			t.Fatalf("after master=%v: sync daemons %+v, want only %v with id 3", step.master, got, step.want)
		}
	}
}
