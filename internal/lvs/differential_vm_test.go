//go:build linux

package lvs

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/config/syntax"
)

// guestDifferential starts keepalived 2.2.7 and alived's LVS subsystem
// (the production translation, pool and reconciler) on the same
// configuration in turn and requires the same kernel table, as read by
// ipvsadm -Sn, once each has programmed it.
func guestDifferential(t *testing.T) {
	sh(t, "ip link add reals0 type dummy")
	t.Cleanup(func() { exec.Command("ip", "link", "del", "reals0").Run() })
	sh(t, "ip link set reals0 up")
	sh(t, "ip addr add 10.1.255.254/16 dev reals0")
	sh(t, "ip addr add 2001:db8:1::ffff/48 dev reals0 nodad")
	files, err := filepath.Glob(filepath.Join("testdata", "differential", "*.conf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sh(t, "ipvsadm -C")
			loop := newTestLoop(t)
			cfg := loadConfigUpTo(t, t.TempDir(), string(text), syntax.Error)
			sub, err := New(Options{Post: loop.post, KeepIPVS: true})
			if err != nil {
				t.Fatal(err)
			}
			loop.do(func() { err = sub.Start(time.Now(), cfg) })
			if err != nil {
				t.Fatal(err)
			}
			ours := sortedSave(t)
			loop.do(func() { sub.Stop(time.Now()) })
			sh(t, "ipvsadm -C")
			ka := keepalivedTable(t, f, len(ours))
			sh(t, "ipvsadm -C")
			if !slices.Equal(ka, ours) {
				t.Fatalf("tables differ\nkeepalived:\n%s\nalived:\n%s", strings.Join(ka, "\n"), strings.Join(ours, "\n"))
			}
			t.Logf("%d lines identical", len(ours))
		})
	}
}

func sortedSave(t *testing.T) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(sh(t, "ipvsadm -Sn")), "\n")
	slices.Sort(lines)
	return lines
}

// keepalivedTable starts keepalived's checker process on conf, waits until
// its table has as many lines as alived's (or gives up after a while and
// returns what is there), and stops it.
func keepalivedTable(t *testing.T, conf string, lines int) []string {
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
