// Package teststack starts, for tests, the stack the management front ends
// drive: a real daemon on its checker side (and its VRRP side when asked)
// over a fake IPVS kernel, the config store and the control service, with
// the status source and the API handler built as cmd/alived builds them.
// The tests of alivectl, the web login layer and the web UI each put their
// own listener in front of it; this package is their one copy of the
// set-up.
package teststack

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/alived/alived/api"
	"github.com/alived/alived/internal/confstore"
	"github.com/alived/alived/internal/control"
	"github.com/alived/alived/internal/daemon"
	"github.com/alived/alived/ipvs"
	"github.com/alived/alived/status"
)

// Options adjust a Stack.
type Options struct {
	// VRRP runs the daemon's VRRP side too (the configuration's
	// instances need their interfaces).
	VRRP bool
	// RepairInterval is the daemon's IPVS repair interval, which is also
	// how often the kernel's counters are read (zero: the default).
	RepairInterval time.Duration
}

// Stack is the running daemon and what stands around it.
type Stack struct {
	// Dir holds the configuration, the history and the overrides.
	Dir  string
	Conf string
	// Kernel is the daemon's fake IPVS table.
	Kernel  *ipvs.Fake
	Daemon  *daemon.Daemon
	Control *control.Service
	Source  *daemon.StatusSource
	// API is the JSON API with every control endpoint, as the control
	// socket serves it.
	API http.Handler

	t testing.TB
}

// Start writes text as keepalived.conf in a new directory (short enough
// for a Unix socket path), starts the daemon and stops it when the test
// ends.
func Start(t testing.TB, text string, opt Options) *Stack {
	t.Helper()
	dir, err := os.MkdirTemp("", "alvst")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	conf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	kernel := ipvs.NewFake()
	d, err := daemon.New(daemon.Options{ConfigFile: conf, NoVRRP: !opt.VRRP, Hostname: "test",
		IPVSRepairInterval: opt.RepairInterval, OverridesFile: filepath.Join(dir, "overrides.json"),
		DialIPVS: func() (ipvs.Client, error) { return kernel, nil }})
	if err != nil {
		t.Fatal(err)
	}
	store, err := confstore.Open(confstore.Options{Dir: filepath.Join(dir, "history")})
	if err != nil {
		t.Fatal(err)
	}
	svc := control.New(control.Options{ConfigFile: conf, Loop: d, Store: store})
	src := daemon.NewStatusSource(d, status.Build{}, time.Now())
	s := &Stack{Dir: dir, Conf: conf, Kernel: kernel, Daemon: d, Control: svc, Source: src,
		API: api.NewHandler(src, api.Options{Controller: svc}), t: t}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return s
}

// Weight is the weight of the kernel destination at addr (port 0: any
// port), -1 when it is absent.
func (s *Stack) Weight(addr string, port uint16) int {
	for _, vs := range s.Kernel.Snapshot() {
		for _, d := range vs.Dests {
			if d.Addr.String() == addr && (port == 0 || d.Port == port) {
				return int(d.Weight)
			}
		}
	}
	return -1
}

// WaitWeight waits until Weight(addr, port) is want: the loop programs
// the kernel on its own goroutine and publishes no event a test could
// await.
func (s *Stack) WaitWeight(addr string, port uint16, want int) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Weight(addr, port) != want {
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: kernel weight %d, want %d", addr, s.Weight(addr, port), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// File is the main configuration file's content.
func (s *Stack) File() string {
	s.t.Helper()
	b, err := os.ReadFile(s.Conf)
	if err != nil {
		s.t.Fatal(err)
	}
	return string(b)
}
