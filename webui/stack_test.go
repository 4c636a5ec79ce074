package webui

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/api"
	"github.com/alived/alived/config"
	"github.com/alived/alived/config/ident"
	"github.com/alived/alived/internal/confstore"
	"github.com/alived/alived/internal/control"
	"github.com/alived/alived/internal/daemon"
	"github.com/alived/alived/internal/lvs"
	"github.com/alived/alived/internal/webauth"
	"github.com/alived/alived/ipvs"
	"github.com/alived/alived/status"
)

// This file composes the web listener the way cmd/alived does: a real
// daemon (checker side, fake IPVS kernel; VRRP when asked), its control
// service, the JSON API with the events stream behind internal/webauth,
// and this package's UI, on 127.0.0.1. Copied from cmd/alivectl's
// newStackText pattern (test files are not importable).

// liveLoop is the daemon as cmd/alived hands it to the control service.
type liveLoop struct{ d *daemon.Daemon }

func (l liveLoop) Reload(ctx context.Context) error { return l.d.Reload(ctx) }
func (l liveLoop) Candidate(ctx context.Context, ov config.Overlay) (*status.Preview, error) {
	return l.d.Candidate(ctx, ov)
}
func (l liveLoop) CheckCandidate(ctx context.Context, ov config.Overlay) (*config.Config, error) {
	return l.d.CheckCandidate(ctx, ov)
}
func (l liveLoop) ReloadWith(ctx context.Context, cfg *config.Config) error {
	return l.d.ReloadWith(ctx, cfg)
}
func (l liveLoop) SetOverride(ctx context.Context, vs ident.VS, rs *ident.RS, o lvs.Override) (lvs.OverrideSet, error) {
	return l.d.SetOverride(ctx, vs, rs, o)
}
func (l liveLoop) Overrides(ctx context.Context) (lvs.OverrideSet, error) { return l.d.Overrides(ctx) }

// stack is the daemon, its kernel and the web listener's URL.
type stack struct {
	t      testing.TB
	url    string
	conf   string
	kernel *ipvs.Fake
	d      *daemon.Daemon
}

// newStack starts the daemon on the configuration text and serves the UI;
// vrrp runs the daemon's VRRP side too (the configuration's instances
// need their interfaces: see vethPair).
func newStack(t testing.TB, text string, vrrp bool) *stack {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	kernel := ipvs.NewFake()
	d, err := daemon.New(daemon.Options{ConfigFile: conf, NoVRRP: !vrrp, Hostname: "test",
		// Frequent repair passes read the counters often, so a drain
		// counts down on screen within a fraction of a second.
		IPVSRepairInterval: 200 * time.Millisecond,
		OverridesFile:      filepath.Join(dir, "overrides.json"), DialIPVS: func() (ipvs.Client, error) { return kernel, nil }})
	if err != nil {
		t.Fatal(err)
	}
	store, err := confstore.Open(confstore.Options{Dir: filepath.Join(dir, "history")})
	if err != nil {
		t.Fatal(err)
	}
	svc := control.New(control.Options{ConfigFile: conf, Loop: liveLoop{d}, Store: store})
	src := daemon.NewStatusSource(d, status.Build{}, time.Now())
	apiH := api.NewHandler(src, api.Options{Controller: svc})

	// The web listener as cmd/alived composes it: the API behind
	// webauth's logins and roles, the UI at /, cross-origin protection
	// around both.
	usersFile := filepath.Join(dir, "users.json")
	writeUsers(t, usersFile)
	auth := webauth.New(webauth.Options{UsersFile: usersFile, Staged: svc})
	mux := http.NewServeMux()
	mux.Handle("/api/", auth.Handler(apiH))
	mux.Handle("/", Handler())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: webauth.Protect(mux), ReadHeaderTimeout: 5 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- d.Run(ctx) }()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		cancel()
		_ = srv.Close()
		if err := <-runDone; err != nil {
			t.Error(err)
		}
	})
	return &stack{t: t, url: "http://" + ln.Addr().String() + "/", conf: conf, kernel: kernel, d: d}
}

// weight is addr:port's weight in the fake kernel, -1 when absent.
func (s *stack) weight(addr string, port uint16) int {
	for _, vs := range s.kernel.Snapshot() {
		for _, d := range vs.Dests {
			if d.Addr.String() == addr && d.Port == port {
				return int(d.Weight)
			}
		}
	}
	return -1
}

// waitWeight waits for the daemon to program the fake kernel.
func (s *stack) waitWeight(addr string, port uint16, want int) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.weight(addr, port) != want {
		if time.Now().After(deadline) {
			s.t.Fatalf("%s:%d: kernel weight %d, want %d", addr, port, s.weight(addr, port), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *stack) file() string {
	b, err := os.ReadFile(s.conf)
	if err != nil {
		s.t.Fatal(err)
	}
	return string(b)
}

// writeUsers writes a users file with alice and admin (admin), operator
// and viewer, each with the password "secret".
func writeUsers(t testing.TB, path string) {
	t.Helper()
	// Cheap KDF parameters: verification reads them from the hash.
	hash, err := webauth.HashPassword("secret", webauth.KDFParams{Memory: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	u := webauth.Users{Version: webauth.UsersFileVersion}
	for name, role := range map[string]webauth.Role{"alice": "admin", "admin": "admin", "operator": "operator", "viewer": "viewer"} {
		u.Users = append(u.Users, webauth.User{Name: name, Role: role, PasswordHash: hash})
	}
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// login logs user in through the API and returns the session cookie.
func (s *stack) login(user string) *http.Cookie {
	s.t.Helper()
	resp, err := http.Post(s.url+"api/v1/login", "application/json", strings.NewReader(`{"user":"`+user+`","password":"secret"}`))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == webauth.CookieName {
			return c
		}
	}
	s.t.Fatalf("login %s: %d, no session cookie", user, resp.StatusCode)
	return nil
}

// publish makes the daemon publish a snapshot now (any command does).
// The daemon reads IPVS counters off its loop and publishes them only
// with the next event, so while a drain runs on an otherwise quiet
// daemon, fresh connection counts reach the status (and the page) only
// when something else happens; the test stands in for that something.
func (s *stack) publish() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.d.Overrides(ctx); err != nil {
		s.t.Fatal(err)
	}
}

// vethPair creates the veth pair name/name+"p" with 192.0.2.1/24 on name,
// both up, for a real VRRP instance to run on (it sends its adverts into
// the pair and nowhere else); the cleanup deletes it. Needs root, which
// the namespace switch already requires.
func vethPair(t testing.TB, name string) {
	t.Helper()
	_ = exec.Command("ip", "link", "del", name).Run() // left over from a killed run
	script := "ip link add " + name + " type veth peer name " + name + "p && ip link set " + name + " up && ip link set " +
		name + "p up && ip addr add 192.0.2.1/24 dev " + name
	if out, err := exec.Command("sh", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("creating veth %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", name).Run() })
}
