package demo

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/alived/alived/internal/testenv"
)

// TestDemoScript runs scripts/demo.sh with DEMO_FAST=1 against a freshly
// built alived and checks its story line by line: n1 master first, n2
// master after n1 is killed, n1 master again after its restart (with the
// client's ARP entry following), n2 master after n1's clean stop, and no
// namespace left behind.
func TestDemoScript(t *testing.T) {
	testenv.RequireNetns(t)
	testenv.RequireBinary(t, "ping")
	dir := t.TempDir()
	bin := filepath.Join(dir, "alived")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/alived/alived/cmd/alived").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command("../../scripts/demo.sh")
	cmd.Env = append(os.Environ(), "BIN="+bin, "DEMO_FAST=1")
	out, err := cmd.CombinedOutput()
	t.Logf("demo output:\n%s", out)
	if err != nil {
		t.Fatalf("demo.sh: %v", err)
	}

	// Split the output into the demo's phases ("== ..." headings) and
	// require the phase's expected master to show up in it.
	phases := regexp.MustCompile(`(?m)^== `).Split(string(out), -1)
	want := []struct{ phase, line string }{
		{"both nodes start", "n1: MASTER 150  n2: BACKUP 100  VIP on: n1     client ping: reply  client ARP 10.77.0.100 -> n1"},
		{"n2 takes over", "n1: down        n2: MASTER 100  VIP on: n2     client ping: reply  client ARP 10.77.0.100 -> n2"},
		{"n1 comes back", "n1: MASTER 150  n2: BACKUP 100  VIP on: n1     client ping: reply  client ARP 10.77.0.100 -> n1"},
		{"n2 is master again", "n1: down        n2: MASTER 100  VIP on: n2     client ping: reply  client ARP 10.77.0.100 -> n2"},
	}
	for _, w := range want {
		found := false
		for _, p := range phases {
			if strings.HasPrefix(p, w.phase) && strings.Contains(p, w.line) {
				found = true
			}
		}
		if !found {
			t.Errorf("phase %q never showed %q", w.phase, w.line)
		}
	}
	ns, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(ns), "\n") {
		if strings.HasPrefix(l, "ad") && strings.Contains(l, "-n1") {
			t.Errorf("demo left namespace %s behind", l)
		}
	}
}
