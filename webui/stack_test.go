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
	"github.com/alived/alived/ipvs"
	"github.com/alived/alived/status"
)

// This file composes the web listener the way cmd/alived will: a real
// daemon (checker side, fake IPVS kernel), its control service, the JSON
// API, the events stream and this package's UI, on 127.0.0.1. Copied from
// cmd/alivectl's newStackText pattern (test files are not importable).

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

	mux := http.NewServeMux()
	stub := &stubAuth{}
	stub.register(mux)
	mux.Handle("/api/", stub.require(apiH))
	mux.Handle("/", Handler())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
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

// stubAuth stands in for the authentication layer (package
// internal/webauth, built separately) with exactly its endpoints: POST
// /api/v1/login {"user","password"} → {"user","role"} and a session
// cookie, POST /api/v1/logout, GET /api/v1/whoami. Any user logs in with
// the password "secret"; the users "viewer" and "operator" get those
// roles, everyone else is admin. The integrator swaps in the real layer.
type stubAuth struct{}

const stubCookie = "alived_stub_session"

type stubWho struct {
	User string `json:"user"`
	Role string `json:"role"`
}

func (stubAuth) who(r *http.Request) (stubWho, bool) {
	c, err := r.Cookie(stubCookie)
	if err != nil || c.Value == "" {
		return stubWho{}, false
	}
	role := "admin"
	if c.Value == "viewer" || c.Value == "operator" {
		role = c.Value
	}
	return stubWho{User: c.Value, Role: role}, true
}

func stubJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (a stubAuth) register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/login", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ User, Password string }
		if json.NewDecoder(r.Body).Decode(&req) != nil || req.Password != "secret" || req.User == "" || strings.ContainsAny(req.User, "; ,\"") {
			stubJSON(w, http.StatusUnauthorized, api.ErrorBody{Error: "wrong user or password"})
			return
		}
		http.SetCookie(w, &http.Cookie{Name: stubCookie, Value: req.User, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		r.AddCookie(&http.Cookie{Name: stubCookie, Value: req.User})
		who, _ := a.who(r)
		stubJSON(w, http.StatusOK, who)
	})
	mux.HandleFunc("POST /api/v1/logout", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: stubCookie, Value: "", Path: "/", MaxAge: -1})
		stubJSON(w, http.StatusOK, struct{}{})
	})
	mux.HandleFunc("GET /api/v1/whoami", func(w http.ResponseWriter, r *http.Request) {
		who, ok := a.who(r)
		if !ok {
			stubJSON(w, http.StatusUnauthorized, api.ErrorBody{Error: "not logged in"})
			return
		}
		stubJSON(w, http.StatusOK, who)
	})
}

// require lets only a logged-in user through and names them as the caller
// (the history's author).
func (a stubAuth) require(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, ok := a.who(r)
		if !ok {
			stubJSON(w, http.StatusUnauthorized, api.ErrorBody{Error: "not logged in"})
			return
		}
		h.ServeHTTP(w, r.WithContext(api.WithCaller(r.Context(), who.User+" (web)")))
	})
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
