package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/alived/alived/status"
)

type fakeSource struct {
	snap    atomic.Pointer[status.Snapshot]
	reloads atomic.Int32
	fail    error
}

func (f *fakeSource) Snapshot() *status.Snapshot { return f.snap.Load() }
func (f *fakeSource) Reload(ctx context.Context) error {
	f.reloads.Add(1)
	return f.fail
}

func sample() *status.Snapshot {
	return &status.Snapshot{
		Instances:      []status.Instance{{Name: "VI_1", State: status.StateMaster, VRID: 51}},
		SyncGroups:     []status.SyncGroup{{Name: "G", State: status.StateMaster}},
		VirtualServers: []status.VirtualServer{{Name: "vs", RealServers: []status.RealServer{{Address: "10.0.0.1", Port: 80, Up: true}}}},
	}
}

// shortDir returns a directory short enough for a Unix socket path.
func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "alvapi")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}

func serve(t *testing.T, src status.Source, opts Options) (*Client, string) {
	t.Helper()
	path := filepath.Join(shortDir(t), "a.sock")
	srv, err := ListenUnix(path, NewHandler(src, opts))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("socket left behind: %v", err)
		}
	})
	return NewClient(path), path
}

func TestSocketModeAndStatus(t *testing.T) {
	src := &fakeSource{}
	c, path := serve(t, src, Options{Controller: src})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("socket mode %v, want socket 0600", fi.Mode())
	}
	ctx := context.Background()
	if _, err := c.Status(ctx); err == nil {
		t.Error("status before the first snapshot should fail")
	}
	src.snap.Store(sample())
	s, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Instances) != 1 || s.Instances[0].Name != "VI_1" || s.Instances[0].State != "MASTER" || s.VirtualServers[0].RealServers[0].Port != 80 {
		t.Errorf("status round trip: %+v", s)
	}
	if err := c.Reload(ctx); err != nil || src.reloads.Load() != 1 {
		t.Errorf("reload: err %v, calls %d", err, src.reloads.Load())
	}
	src.fail = errors.New("line 3: bad keyword")
	if err := c.Reload(ctx); err == nil || src.reloads.Load() != 2 {
		t.Errorf("refused reload: err %v", err)
	}
}

func TestSecondDaemonCannotTakeSocket(t *testing.T) {
	_, path := serve(t, &fakeSource{}, Options{})
	if _, err := ListenUnix(path, http.NotFoundHandler()); err == nil {
		t.Fatal("a live socket was replaced")
	}
}

func TestStaleSocketReplaced(t *testing.T) {
	path := filepath.Join(shortDir(t), "s.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	_ = ln.Close() // leaves the file, nobody listening: a crashed daemon
	srv, err := ListenUnix(path, http.NotFoundHandler())
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.Serve(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestProbesAndReadOnlyHandler(t *testing.T) {
	src := &fakeSource{}
	h := NewHandler(src, Options{})
	get := func(method, path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec.Code
	}
	if c := get("GET", "/healthz"); c != 200 {
		t.Errorf("healthz = %d", c)
	}
	if c := get("GET", "/readyz"); c != 503 {
		t.Errorf("readyz before start = %d, want 503", c)
	}
	src.snap.Store(sample())
	if c := get("GET", "/readyz"); c != 200 {
		t.Errorf("readyz = %d", c)
	}
	for _, p := range []string{"/api/v1/status", "/api/v1/instances", "/api/v1/sync-groups", "/api/v1/virtual-servers"} {
		if c := get("GET", p); c != 200 {
			t.Errorf("%s = %d", p, c)
		}
	}
	if c := get("POST", "/api/v1/reload"); c/100 == 2 || src.reloads.Load() != 0 {
		t.Errorf("reload on a read-only handler = %d, reloads %d", c, src.reloads.Load())
	}
}

// recordingController remembers who the last reload came from.
type recordingController struct{ who string }

func (c *recordingController) Reload(ctx context.Context) error {
	c.who = Caller(ctx)
	return nil
}

// TestCallerFromPeerCredentials: a request on the control socket is
// attributed to the user on the other end (SO_PEERCRED), which is what
// audit records name.
func TestCallerFromPeerCredentials(t *testing.T) {
	ctl := &recordingController{}
	c, _ := serve(t, &fakeSource{}, Options{Controller: ctl})
	if err := c.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := "uid " + strconv.Itoa(os.Getuid())
	if u, err := user.Current(); err == nil {
		want = u.Username
	}
	if !strings.HasPrefix(ctl.who, want+" (pid "+strconv.Itoa(os.Getpid())+",") {
		t.Fatalf("caller = %q, want %s (pid %d, ...)", ctl.who, want, os.Getpid())
	}
}
