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
)

// fakeComp records what the loop asks of it. The loop owns it; the test
// reads it only after Run returned or through the snapshot.
type fakeComp struct {
	deadline time.Time
	ticks    int
	reloads  []*config.Config
	stopped  bool
	reject   error
}

func (f *fakeComp) Name() string                          { return "fake" }
func (f *fakeComp) Start(time.Time, *config.Config) error { return nil }
func (f *fakeComp) Check(*config.Config) error            { return f.reject }
func (f *fakeComp) NextDeadline() time.Time               { return f.deadline }
func (f *fakeComp) Reload(_ time.Time, c *config.Config) error {
	f.reloads = append(f.reloads, c)
	return nil
}
func (f *fakeComp) Stop(time.Time) { f.stopped = true }
func (f *fakeComp) Tick(now time.Time) {
	f.ticks++
	f.deadline = time.Time{}
}
func (f *fakeComp) Snapshot() any { return f.ticks }

// newTestDaemon builds a daemon over conf with only the fake component.
func newTestDaemon(t *testing.T, conf string) (*Daemon, *fakeComp, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := New(Options{ConfigFile: path, NoVRRP: true, Hostname: "test"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeComp{}
	d.comps = []Component{f}
	return d, f, path
}

const goodConf = "global_defs {\n    router_id one\n}\n"

func TestLoopTickReloadStop(t *testing.T) {
	d, f, path := newTestDaemon(t, goodConf)
	f.deadline = time.Now().Add(20 * time.Millisecond)
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(context.Background()) }()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The timer fires the component's deadline; the snapshot shows it.
	for d.Snapshot() == nil || d.Snapshot().Components["fake"] != 1 {
		if ctx.Err() != nil {
			t.Fatal("deadline never ticked")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// A good reload reaches the component.
	if err := os.WriteFile(path, []byte("global_defs {\n    router_id two\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Reload(ctx); err != nil {
		t.Fatalf("reload: %v", err)
	}
	// A broken file is refused with file:line and never reaches it.
	if err := os.WriteFile(path, []byte("global_defs {\n    router_id two\n}\nvrrp_instance X {\n    virtual_router_id 300\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := d.Reload(ctx)
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), path+":") {
		t.Errorf("broken reload: %v, want a ConfigError naming %s:line", err, path)
	}
	if err := d.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
	if len(f.reloads) != 1 || f.reloads[0].Global.RouterID != "two" {
		t.Errorf("component saw %d reloads, want 1 with router_id two", len(f.reloads))
	}
	if !f.stopped {
		t.Error("component not stopped")
	}
	if d.Snapshot().Reloads != 1 {
		t.Errorf("snapshot reloads = %d", d.Snapshot().Reloads)
	}
	if err := d.Reload(ctx); err == nil {
		t.Error("reload after stop succeeded")
	}
}

func TestLoopComponentVeto(t *testing.T) {
	d, f, _ := newTestDaemon(t, goodConf)
	f.reject = errors.New("no")
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(ctx) }()
	if err := d.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "no") {
		t.Errorf("vetoed reload: %v", err)
	}
	cancel()
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
	if len(f.reloads) != 0 || !f.stopped {
		t.Errorf("reloads %d stopped %v", len(f.reloads), f.stopped)
	}
}
