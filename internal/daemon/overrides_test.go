package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/alived/alived/config/ident"
	"github.com/alived/alived/internal/lvs"
	"github.com/alived/alived/ipvs"
)

const overrideConf = `
virtual_server 10.0.0.1 80 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 127.0.0.2 80 {
  weight 3
 }
 real_server 127.0.0.3 80 {
  weight 3
 }
}
`

// startWithState runs a checker-only daemon on conf with its overrides
// kept in state; stop ends it (and is also run at cleanup).
func startWithState(t *testing.T, conf, state string, fake *ipvs.Fake) (d *Daemon, stop func()) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := New(Options{ConfigFile: path, NoVRRP: true, Hostname: "test", OverridesFile: state,
		DialIPVS: func() (ipvs.Client, error) { return fake, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}
	t.Cleanup(stop)
	return d, stop
}

// weightOf is 127.0.0.X:80's weight in the fake kernel (-1 if absent).
func weightOf(fake *ipvs.Fake, last byte) int {
	for _, vs := range fake.Snapshot() {
		for _, dst := range vs.Dests {
			if a := dst.Addr.As4(); a[3] == last {
				return int(dst.Weight)
			}
		}
	}
	return -1
}

// TestDrainSurvivesARestart: a drain reaches the kernel before the call
// returns, is saved, and a new daemon on the same state file starts with
// the server drained; a corrupt state file is a warning, not a failed start.
func TestDrainSurvivesARestart(t *testing.T) {
	state := filepath.Join(t.TempDir(), "overrides.json")
	fake := ipvs.NewFake()
	d, stop := startWithState(t, overrideConf, state, fake)
	waitFor(t, "both servers", func() bool { return weightOf(fake, 2) == 3 && weightOf(fake, 3) == 3 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	vs, _ := ident.ParseVS("10.0.0.1:80/tcp")
	rs, _ := ident.ParseRS("127.0.0.2:80")
	if _, err := d.SetOverride(ctx, vs, &rs, lvs.Override{Kind: "drain"}); err != nil {
		t.Fatal(err)
	}
	if w := weightOf(fake, 2); w != 0 {
		t.Fatalf("after drain returned, the kernel weight is %d", w)
	}
	unknown, _ := ident.ParseRS("127.0.0.9:80")
	var nf *lvs.NotFoundError
	if _, err := d.SetOverride(ctx, vs, &unknown, lvs.Override{Kind: "drain"}); !errors.As(err, &nf) {
		t.Fatalf("drain of an unknown server: %v", err)
	}
	stop()

	fake2 := ipvs.NewFake()
	d2, stop2 := startWithState(t, overrideConf, state, fake2)
	waitFor(t, "the restarted daemon's table", func() bool { return weightOf(fake2, 3) == 3 })
	if w := weightOf(fake2, 2); w != 0 {
		t.Fatalf("after a restart the drained server has weight %d", w)
	}
	set, err := d2.Overrides(ctx)
	if err != nil || len(set.Overrides) != 1 || set.Overrides[0].RealServer != "127.0.0.2:80" {
		t.Fatalf("overrides after restart: %+v, %v", set, err)
	}
	stop2()

	if err := os.WriteFile(state, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	fake3 := ipvs.NewFake()
	startWithState(t, overrideConf, state, fake3)
	waitFor(t, "a start over a corrupt state file", func() bool { return weightOf(fake3, 2) == 3 })
}
