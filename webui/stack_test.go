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

	"github.com/alived/alived/internal/daemon"
	"github.com/alived/alived/internal/teststack"
	"github.com/alived/alived/internal/webauth"
	"github.com/alived/alived/ipvs"
)

// This file composes the web listener the way cmd/alived does: a real
// daemon (checker side, fake IPVS kernel; VRRP when asked), its control
// service, the JSON API with the events stream behind internal/webauth,
// and this package's UI, on 127.0.0.1. Copied from cmd/alivectl's
// newStackText pattern (test files are not importable).

// stack is the real stack (internal/teststack) and the web listener's
// URL.
type stack struct {
	*teststack.Stack
	t      testing.TB
	url    string
	kernel *ipvs.Fake
	d      *daemon.Daemon
}

// newStack starts the daemon on the configuration text and serves the UI;
// vrrp runs the daemon's VRRP side too (the configuration's instances
// need their interfaces: see vethPair).
func newStack(t testing.TB, text string, vrrp bool) *stack {
	t.Helper()
	// Frequent repair passes read the counters often, so a drain counts
	// down on screen within a fraction of a second.
	st := teststack.Start(t, text, teststack.Options{VRRP: vrrp, RepairInterval: 200 * time.Millisecond})

	// The web listener as cmd/alived composes it: the API behind
	// webauth's logins and roles, the UI at /, cross-origin protection
	// around both.
	usersFile := filepath.Join(st.Dir, "users.json")
	writeUsers(t, usersFile)
	auth := webauth.New(webauth.Options{UsersFile: usersFile, Staged: st.Control})
	mux := http.NewServeMux()
	mux.Handle("/api/", auth.Handler(st.API))
	mux.Handle("/", Handler())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: webauth.Protect(mux), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &stack{Stack: st, t: t, url: "http://" + ln.Addr().String() + "/", kernel: st.Kernel, d: st.Daemon}
}

// waitWeight waits until addr:port has weight want in the fake kernel.
func (s *stack) waitWeight(addr string, port uint16, want int) { s.WaitWeight(addr, port, want) }

func (s *stack) file() string { return s.File() }

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
