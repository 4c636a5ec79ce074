package ipvs

import "testing"

func TestFollowVRRPSwitchesRoles(t *testing.T) {
	f := NewFake()
	d := SyncDaemon{Interface: "eth1", SyncID: 7}
	for _, step := range []struct {
		master bool
		want   SyncState
	}{{false, SyncBackup}, {false, SyncBackup}, {true, SyncMaster}, {true, SyncMaster}, {false, SyncBackup}} {
		if err := FollowVRRP(f, d, step.master); err != nil {
			t.Fatal(err)
		}
		got := f.SyncDaemons()
		if len(got) != 1 || got[step.want] != d {
			t.Fatalf("master=%v: running %v, want only %s", step.master, got, step.want)
		}
	}
}
