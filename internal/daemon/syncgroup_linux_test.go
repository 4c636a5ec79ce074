package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSyncGroupOnTheWire: two instances in a vrrp_sync_group on each of
// two nodes. When one of the master's instances faults (a weight-0
// track_file), the group takes its sibling down too, so the backup node
// becomes master of both VIPs; the group's FIFO lines follow keepalived's
// format. When the fault clears, the master node takes both back.
func TestSyncGroupOnTheWire(t *testing.T) {
	f := fam4
	_, n := newLab(t, []string{"a", f.a}, []string{"b", f.b})
	a, b := n["a"], n["b"]
	dir := t.TempDir()
	faultFile := filepath.Join(dir, "fault")
	if err := os.WriteFile(faultFile, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := newFIFO(t, filepath.Join(dir, "fifo"))
	const vip2, vip2Cfg = "10.61.0.102", "10.61.0.102/24"
	group := "vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n}\n"
	node := func(prio int, global, extra1 string) string {
		i1 := v3(prio, f.vipCfg)
		i1.Extra = extra1
		i2 := v3(prio, vip2Cfg)
		i2.Name, i2.VRID = "VI_2", 61
		return conf(global, i1, i2) + group
	}
	tf := fmt.Sprintf("track_file ff {\n    file %s\n    weight 0\n}\n", faultFile)
	startAlived(t, a, node(150, "    vrrp_notify_fifo "+filepath.Join(dir, "fifo")+"\n",
		"    track_file {\n        ff\n    }\n")+tf)
	startAlived(t, b, node(100, "", ""))
	onlyHolder(t, 3*time.Second, f.vip, a, a, b)
	onlyHolder(t, 3*time.Second, vip2, a, a, b)
	drainUntil(t, fifo, `GROUP "G" MASTER 0`, 3*time.Second)

	if err := os.WriteFile(faultFile, []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	drainUntil(t, fifo, `GROUP "G" FAULT 0`, 3*time.Second)
	onlyHolder(t, 2*time.Second, f.vip, b, a, b)
	onlyHolder(t, 2*time.Second, vip2, b, a, b)

	if err := os.WriteFile(faultFile, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	drainUntil(t, fifo, `GROUP "G" MASTER 0`, 3*time.Second)
	onlyHolder(t, 2*time.Second, f.vip, a, a, b)
	onlyHolder(t, 2*time.Second, vip2, a, a, b)
}

// drainUntil reads FIFO lines until want arrives.
func drainUntil(t *testing.T, r *fifoReader, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	var seen []string
	for {
		select {
		case l := <-r.lines:
			if l == want {
				return
			}
			seen = append(seen, l)
		case <-deadline:
			t.Fatalf("no FIFO line %q within %v; saw %q", want, timeout, seen)
		}
	}
}
