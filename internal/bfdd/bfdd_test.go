package bfdd

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/alived/alived/bfd"
	"github.com/alived/alived/bfd/netio"
	"github.com/alived/alived/config"
)

func loadConf(t *testing.T, text string) *config.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Load(p, config.LoadOptions{Hostname: "test"})
	for _, d := range diags {
		t.Logf("diag: %s", config.Format(d))
	}
	if cfg == nil {
		t.Fatal("config did not load")
	}
	return cfg
}

// TestFanOut: only entering or leaving Up is reported; `vrrp` and
// `checker` choose which side hears it (both when neither is given), and
// every change shows in the snapshot.
func TestFanOut(t *testing.T) {
	cfg := loadConf(t, `
bfd_instance both {
    neighbor_ip 10.0.0.2
}
bfd_instance vonly {
    neighbor_ip 10.0.0.3
    vrrp
}
bfd_instance conly {
    neighbor_ip 10.0.0.4
    checker
}
`)
	var vrrpSide, checker []string
	record := func(to *[]string) StateFunc {
		return func(_ time.Time, name string, up bool) { *to = append(*to, fmt.Sprintf("%s=%v", name, up)) }
	}
	c := New(Options{ToVRRP: record(&vrrpSide), ToChecker: record(&checker)})
	for _, b := range cfg.BFDInstances {
		c.insts[b.Name] = b
	}
	now := time.Now()
	for _, name := range []string{"both", "vonly", "conly"} {
		for _, ch := range [][2]bfd.State{{bfd.StateDown, bfd.StateInit}, {bfd.StateInit, bfd.StateUp}, {bfd.StateUp, bfd.StateDown}, {bfd.StateDown, bfd.StateInit}} {
			c.apply(now, netio.Change{Name: name, From: ch[0], To: ch[1]})
		}
	}
	if got := fmt.Sprint(checker); got != "[both=true both=false conly=true conly=false]" {
		t.Errorf("checker side heard %s", got)
	}
	if got := fmt.Sprint(vrrpSide); got != "[both=true both=false vonly=true vonly=false]" {
		t.Errorf("vrrp side heard %s", got)
	}
	snap := c.Snapshot().(Snapshot)
	if len(snap.Sessions) != 3 || snap.Sessions[0].Name != "both" || snap.Sessions[0].State != "Init" || snap.Sessions[0].Transitions != 4 ||
		snap.Sessions[2].Name != "vonly" || snap.Sessions[2].Neighbor != "10.0.0.3" {
		t.Errorf("snapshot %+v", snap)
	}
}

// TestRemovedSessionIgnored: a change of a session a reload removed is
// dropped, without telling anyone.
func TestRemovedSessionIgnored(t *testing.T) {
	told := false
	c := New(Options{ToVRRP: func(time.Time, string, bool) { told = true }, ToChecker: func(time.Time, string, bool) { told = true }})
	c.apply(time.Now(), netio.Change{Name: "gone", From: bfd.StateInit, To: bfd.StateUp})
	if told || len(c.Snapshot().(Snapshot).Sessions) != 0 {
		t.Errorf("a removed session's change was applied")
	}
}
