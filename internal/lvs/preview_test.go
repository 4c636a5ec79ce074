package lvs

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/status"
)

// TestPreviewReportsWithoutChanging: a preview names the kernel ops and
// check changes a reload would cause, and neither the fake kernel nor the
// running plan changes; the reload that follows then does exactly that.
func TestPreviewReportsWithoutChanging(t *testing.T) {
	a, b, c := newTCPServer(t), newTCPServer(t), newTCPServer(t)
	conf := func(extra string, timeout int) string {
		return fmt.Sprintf(`
virtual_server 10.0.0.1 80 {
 delay_loop 1
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 127.0.0.1 %d {
  TCP_CHECK { connect_timeout %d }
 }
 real_server 127.0.0.1 %d {
  TCP_CHECK { }
 }
 %s
}
`, a.addr.Port(), timeout, b.addr.Port(), extra)
	}
	r := startRig(t, conf("", 3), nil)
	key := "TCP 10.0.0.1:80"
	before := r.dests(key)
	added := fmt.Sprintf("real_server 127.0.0.1 %d {\n weight 2\n TCP_CHECK { }\n }", c.addr.Port())
	cand := loadConfig(t, t.TempDir(), conf(added, 5))

	var p status.Preview
	r.loop.do(func() { r.sub.Preview(cand, &p) })
	wantOp := fmt.Sprintf("add-server %s -> 127.0.0.1:%d", key, c.addr.Port())
	if len(p.IPVSOps) != 1 || !strings.HasPrefix(p.IPVSOps[0], wantOp) {
		t.Fatalf("IPVS ops = %q, want one %q", p.IPVSOps, wantOp)
	}
	started := fmt.Sprintf("%s / 127.0.0.1:%d / TCP_CHECK#1", key, c.addr.Port())
	if !slices.Equal(p.Checks.Started, []string{started}) {
		t.Errorf("started = %q, want %q", p.Checks.Started, started)
	}
	changed := fmt.Sprintf("%s / 127.0.0.1:%d / TCP_CHECK#1", key, a.addr.Port())
	if !slices.Equal(p.Checks.Changed, []string{changed}) {
		t.Errorf("changed = %q, want %q (connect_timeout 3 → 5)", p.Checks.Changed, changed)
	}
	if len(p.Checks.Stopped) != 0 {
		t.Errorf("stopped = %q, want none", p.Checks.Stopped)
	}
	if got := r.dests(key); got != before {
		t.Fatalf("preview changed the kernel: %s → %s", before, got)
	}

	// Removing the new server again previews as its removal.
	if err := r.reload(conf(added, 5)); err != nil {
		t.Fatal(err)
	}
	r.waitDests(key, normDests(before+" "+at(c.addr, 2)), 5*time.Second)
	var back status.Preview
	r.loop.do(func() { r.sub.Preview(loadConfig(t, t.TempDir(), conf("", 5)), &back) })
	if len(back.IPVSOps) != 1 || !strings.HasPrefix(back.IPVSOps[0], "delete-server "+key) {
		t.Errorf("IPVS ops for the removal = %q", back.IPVSOps)
	}
	if !slices.Equal(back.Checks.Stopped, []string{started}) {
		t.Errorf("stopped = %q, want %q", back.Checks.Stopped, started)
	}
}
