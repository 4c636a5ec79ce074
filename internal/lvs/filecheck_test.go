package lvs

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestFileCheckFollowsTheFile runs a FILE_CHECK (weight 0: any non-zero
// value takes the real server down) with a delay_loop of a minute, so
// only the inotify watch can explain a change taking effect within a
// second. It changes the file by rewriting it, renaming a temporary file
// over it and deleting it, and logs the write-to-kernel latency (-v).
func TestFileCheckFollowsTheFile(t *testing.T) {
	a := newTCPServer(t)
	dir := t.TempDir()
	track := filepath.Join(dir, "state")
	writeFile(t, track, "0\n", 0o644)
	conf := fmt.Sprintf(`
track_file tf {
 file %s
 weight 0
}
virtual_server 10.0.0.8 80 {
 delay_loop 60
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 127.0.0.1 %d {
  FILE_CHECK {
   track_file tf
  }
 }
}
`, track, a.addr.Port())
	logs := newLogCapture()
	r := startRig(t, conf, func(o *Options) { o.Logger = slog.New(logs) })
	const key = "TCP 10.0.0.8:80"
	up := at(a.addr, 1)
	r.waitDests(key, up, 2*time.Second)

	// The latency is taken when the loop applies the change (its log
	// line, written just before the kernel update); the table is then
	// checked too.
	var lat []time.Duration
	changes := 0
	change := func(want string, do func()) {
		t.Helper()
		start := time.Now()
		do()
		changes++
		logs.waitN(t, time.Second, changes, "lvs: real server changed")
		lat = append(lat, time.Since(start))
		r.waitDests(key, want, time.Second)
	}
	for range 5 {
		change("", func() { writeFile(t, track, "1\n", 0o644) })
		change(up, func() { writeFile(t, track, "0\n", 0o644) })
	}
	change("", func() {
		tmp := filepath.Join(dir, ".state.tmp")
		writeFile(t, tmp, "3\n", 0o644)
		if err := os.Rename(tmp, track); err != nil {
			t.Fatal(err)
		}
	})
	// A missing file reads as 0: up again.
	change(up, func() {
		if err := os.Remove(track); err != nil {
			t.Fatal(err)
		}
	})
	slices.Sort(lat)
	t.Logf("FILE_CHECK write → real server change applied over %d changes: p50 %v, max %v", len(lat), lat[len(lat)/2], lat[len(lat)-1])

	// A reload keeps the down check down (the scheduler keeps its state
	// and the file is read again).
	writeFile(t, track, "2\n", 0o644)
	r.waitDests(key, "", time.Second)
	if err := r.reload(conf); err != nil {
		t.Fatal(err)
	}
	r.waitDests(key, "", time.Second)
}
