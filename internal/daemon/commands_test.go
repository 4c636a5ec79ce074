package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/ipvs"
)

// TestPreviewIsACommandThatChangesNothing: Preview runs on the loop, names
// the ops a candidate needs, and the running table stays as it was; a
// candidate a component refuses is an error, not a preview.
func TestPreviewIsACommandThatChangesNothing(t *testing.T) {
	const conf = `
virtual_server 10.0.0.1 80 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 127.0.0.2 80 {
 }
}
`
	fake := ipvs.NewFake()
	d, _ := runLVSDaemon(t, conf, fake)
	waitFor(t, "the first destination", func() bool { return len(fake.Snapshot()) == 1 })
	before := len(fake.Snapshot())
	cand := strings.Replace(conf, "real_server 127.0.0.2 80 {", "real_server 127.0.0.3 80 {\n }\n real_server 127.0.0.2 80 {", 1)
	path := filepath.Join(t.TempDir(), "candidate.conf")
	if err := os.WriteFile(path, []byte(cand), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _ := config.Load(path, config.LoadOptions{Hostname: "test"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := d.Preview(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.IPVSOps) != 1 || !strings.HasPrefix(p.IPVSOps[0], "add-server TCP 10.0.0.1:80 -> 127.0.0.3:80") {
		t.Fatalf("ops = %q", p.IPVSOps)
	}
	if p.NotifierChanged {
		t.Error("notifier reported changed for an edit that touched no notification setting")
	}
	for _, vs := range fake.Snapshot() {
		if len(vs.Dests) != 1 || len(fake.Snapshot()) != before {
			t.Fatalf("preview changed the kernel table: %+v", fake.Snapshot())
		}
	}
	if err := d.Check(ctx, cfg); err != nil {
		t.Fatalf("check of a good candidate: %v", err)
	}
}
