package daemon

import (
	"context"
	"errors"
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

// TestCandidateReadsTheOverlayAsAReloadWould: a candidate held only in
// memory is checked and previewed; one a reload would refuse comes back
// as a ConfigError naming file:line, and the daemon keeps running the
// file on disk.
func TestCandidateReadsTheOverlayAsAReloadWould(t *testing.T) {
	const conf = `
virtual_server 10.0.0.1 80 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 127.0.0.2 80 {
 }
 include reals.conf
}
`
	fake := ipvs.NewFake()
	d, _ := runLVSDaemon(t, conf, fake)
	waitFor(t, "the service", func() bool { return len(fake.Snapshot()) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reals := filepath.Join(filepath.Dir(d.opts.ConfigFile), "reals.conf")
	p, err := d.Candidate(ctx, config.Overlay{Files: map[string][]byte{reals: []byte("real_server 127.0.0.4 80 {\n}\n")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.IPVSOps) != 1 || !strings.HasPrefix(p.IPVSOps[0], "add-server TCP 10.0.0.1:80 -> 127.0.0.4:80") {
		t.Fatalf("ops = %q", p.IPVSOps)
	}
	if _, err := os.Stat(reals); !os.IsNotExist(err) {
		t.Fatalf("the overlay reached the disk: %v", err)
	}

	bad := strings.Replace(conf, "lvs_sched rr", "lvs_sched rr\n delay_loop abc", 1)
	_, err = d.Candidate(ctx, config.Overlay{Files: map[string][]byte{d.opts.ConfigFile: []byte(bad)}})
	var ce *ConfigError
	if !errors.As(err, &ce) || len(ce.Diagnostics) == 0 || !strings.HasPrefix(ce.Diagnostics[0], d.opts.ConfigFile+":4:") {
		t.Fatalf("bad candidate: err = %v, want a ConfigError at %s:4", err, d.opts.ConfigFile)
	}
	if st := statusOf(d); st == nil || st.Reloads != 0 {
		t.Fatalf("a candidate check reloaded the daemon: %+v", st)
	}
}
