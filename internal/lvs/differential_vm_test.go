//go:build linux

package ipvs

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// guestDifferential runs keepalived 2.2.7 and alived's reconciler on the
// same configuration in turn and requires the same kernel table, as read
// by ipvsadm -Sn.
func guestDifferential(t *testing.T) {
	routeReals(t)
	files, err := filepath.Glob(filepath.Join("testdata", "differential", "*.conf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want := desiredOf(t, filepath.Base(f))
			flushKernel(t)
			ka := keepalivedTable(t, f, want)
			flushKernel(t)
			n := dial(t)
			setup := loadSetup(t, filepath.Base(f))
			pool := NewPool()
			pool.SetConfig(setup.VirtualServers)
			if _, err := NewReconciler(n, Options{}).Start(pool.Desired()); err != nil {
				t.Fatal(err)
			}
			ours := sortedSave(t)
			flushKernel(t)
			if !slices.Equal(ka, ours) {
				t.Fatalf("tables differ\nkeepalived:\n%s\nalived:\n%s", strings.Join(ka, "\n"), strings.Join(ours, "\n"))
			}
			t.Logf("%d lines identical", len(ours))
		})
	}
}

func sortedSave(t *testing.T) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(run(t, "ipvsadm", "-Sn")), "\n")
	slices.Sort(lines)
	return lines
}

// keepalivedTable starts keepalived's checker process on conf, waits until
// its table has as many lines as alived's desired table (or gives up after
// a while and returns what is there), and stops it.
func keepalivedTable(t *testing.T, conf string, want Table) []string {
	t.Helper()
	dir := t.TempDir()
	abs, err := filepath.Abs(conf)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("keepalived", "-n", "-l", "-D", "-C", "--dont-release-ipvs", "-f", abs,
		"-p", filepath.Join(dir, "ka.pid"), "-c", filepath.Join(dir, "check.pid"), "-r", filepath.Join(dir, "vrrp.pid"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	t.Cleanup(stop)
	lines := len(want)
	for _, vs := range want {
		lines += len(vs.Dests)
	}
	deadline := time.Now().Add(20 * time.Second)
	var got []string
	for {
		got = sortedSave(t)
		if len(got) >= lines && got[0] != "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Let a checker that was about to act do so, then read again.
	time.Sleep(time.Second)
	got = sortedSave(t)
	stop()
	return got
}
