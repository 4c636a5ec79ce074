package webauth

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alived/alived/api"
	"github.com/alived/alived/internal/control"
)

// fakeStaged is the staged edits the policy sees.
type fakeStaged struct{ ops []control.Op }

func (f *fakeStaged) StagedOps() []control.Op { return f.ops }

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is an Auth in front of a recording API stand-in.
type env struct {
	t      *testing.T
	path   string
	clk    *clock
	a      *Auth
	h      http.Handler
	logs   *syncBuffer
	staged *fakeStaged
	// hits are the requests that reached the API, with their caller.
	mu   sync.Mutex
	hits []string
}

const (
	alicePW = "alice-passw0rd"
	bobPW   = "bob-passw0rd"
	vickyPW = "vicky-passw0rd"
)

func newEnv(t *testing.T, mod func(*Options)) *env {
	e := &env{t: t, path: filepath.Join(t.TempDir(), "users.json"), clk: newClock(), logs: &syncBuffer{}, staged: &fakeStaged{}}
	e.writeUsers(func(u *Users) {
		for _, x := range []struct {
			n, pw string
			r     Role
		}{{"alice", alicePW, Admin}, {"bob", bobPW, Operator}, {"vicky", vickyPW, Viewer}} {
			if err := u.Add(x.n, x.r, x.pw, fastKDF); err != nil {
				t.Fatal(err)
			}
		}
	})
	opt := Options{UsersFile: e.path, Staged: e.staged, Now: e.clk.now, KDF: fastKDF,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if mod != nil {
		mod(&opt)
	}
	e.a = New(opt)
	e.h = e.a.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.hits = append(e.hits, r.Method+" "+r.URL.Path+" by "+api.Caller(r.Context()))
		e.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	return e
}

// writeUsers edits the users file; the mtime is stepped so that the
// change is seen even within the file system's timestamp granularity.
func (e *env) writeUsers(fn func(*Users)) {
	u, err := LoadUsersOrEmpty(e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	fn(u)
	if err := u.Save(e.path); err != nil {
		e.t.Fatal(err)
	}
	future := time.Now().Add(time.Duration(len(u.Users)+len(e.hits)) * time.Second)
	_ = os.Chtimes(e.path, future, future)
}

// req describes one request.
type req struct {
	method, path, body string
	cookie             string
	hdr                map[string]string
	local              string // the listener's address; loopback when empty
	tls                bool
	remote             string
}

func (e *env) do(q req) *httptest.ResponseRecorder {
	r := httptest.NewRequest(q.method, "http://alived.example"+q.path, strings.NewReader(q.body))
	local := q.local
	if local == "" {
		local = "127.0.0.1:9165"
	}
	r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, net.TCPAddrFromAddrPort(mustAddrPort(local))))
	if q.remote != "" {
		r.RemoteAddr = q.remote
	}
	if q.cookie != "" {
		r.AddCookie(&http.Cookie{Name: CookieName, Value: q.cookie})
	}
	for k, v := range q.hdr {
		r.Header.Set(k, v)
	}
	if q.tls {
		r.TLS = &tls.ConnectionState{}
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// login logs in and returns the session cookie's value.
func (e *env) login(user, pw string) string {
	e.t.Helper()
	w := e.do(req{method: "POST", path: "/api/v1/login", body: `{"user":"` + user + `","password":"` + pw + `"}`})
	if w.Code != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", user, w.Code, w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == CookieName {
			return c.Value
		}
	}
	e.t.Fatal("login set no session cookie")
	return ""
}

func (e *env) hitCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.hits)
}

// TestLoginSessionLogout: a login answers who and sets an HttpOnly,
// SameSite=Strict cookie (not Secure over plain HTTP); whoami and the API
// accept it and name the web user as the caller; wrong password and
// unknown user get one and the same answer; logout ends the session.
func TestLoginSessionLogout(t *testing.T) {
	e := newEnv(t, nil)
	w := e.do(req{method: "POST", path: "/api/v1/login", body: `{"user":"alice","password":"` + alicePW + `"}`})
	var id api.Identity
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &id) != nil || id != (api.Identity{User: "alice", Role: "admin"}) {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	c := w.Result().Cookies()[0]
	if c.Name != CookieName || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure {
		t.Fatalf("cookie %+v", c)
	}
	if w := e.do(req{method: "GET", path: "/api/v1/whoami", cookie: c.Value}); w.Code != 200 || !strings.Contains(w.Body.String(), `"alice"`) {
		t.Fatalf("whoami: %d %s", w.Code, w.Body)
	}
	if w := e.do(req{method: "POST", path: "/api/v1/reload", cookie: c.Value, body: "{}"}); w.Code != 200 {
		t.Fatalf("admin reload: %d", w.Code)
	}
	if e.hits[0] != "POST /api/v1/reload by web:alice" {
		t.Fatalf("API saw %q", e.hits[0])
	}
	wrong := e.do(req{method: "POST", path: "/api/v1/login", body: `{"user":"alice","password":"nope-nope"}`})
	unknown := e.do(req{method: "POST", path: "/api/v1/login", body: `{"user":"mallory","password":"nope-nope"}`})
	if wrong.Code != 401 || unknown.Code != 401 || wrong.Body.String() != unknown.Body.String() || len(wrong.Result().Cookies()) != 0 {
		t.Fatalf("bad logins: %d %s / %d %s", wrong.Code, wrong.Body, unknown.Code, unknown.Body)
	}
	if w := e.do(req{method: "POST", path: "/api/v1/logout", cookie: c.Value}); w.Code != 200 || w.Result().Cookies()[0].MaxAge >= 0 {
		t.Fatalf("logout: %d", w.Code)
	}
	if w := e.do(req{method: "GET", path: "/api/v1/status", cookie: c.Value}); w.Code != 401 {
		t.Fatalf("after logout: %d", w.Code)
	}
	if w := e.do(req{method: "GET", path: "/api/v1/status"}); w.Code != 401 || !strings.Contains(w.Body.String(), `"error"`) {
		t.Fatalf("no login: %d %s", w.Code, w.Body)
	}
	if w := e.do(req{method: "GET", path: "/healthz"}); w.Code != 200 {
		t.Fatalf("healthz needs no login: %d", w.Code)
	}
}

// TestLoginRateLimited: after five failures from one address the next
// attempt is refused with 429 and Retry-After, even with the right
// password, until the wait is over; failures for one user from many
// addresses are limited too.
func TestLoginRateLimited(t *testing.T) {
	e := newEnv(t, nil)
	try := func(user, pw, remote string) *httptest.ResponseRecorder {
		return e.do(req{method: "POST", path: "/api/v1/login", remote: remote, body: `{"user":"` + user + `","password":"` + pw + `"}`})
	}
	for i := range 5 {
		if w := try("vicky", "wrong-pass", "192.0.2.7:1000"); w.Code != 401 {
			t.Fatalf("failure %d: %d", i+1, w.Code)
		}
	}
	w := try("vicky", vickyPW, "192.0.2.7:1000")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("sixth attempt: %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if w := try("alice", alicePW, "192.0.2.7:1000"); w.Code != 429 {
		t.Fatalf("the address is limited for every user: %d", w.Code)
	}
	if w := try("bob", bobPW, "192.0.2.8:1000"); w.Code != 200 {
		t.Fatalf("another address and user: %d", w.Code)
	}
	e.clk.add(time.Second)
	if w := try("vicky", vickyPW, "192.0.2.7:1000"); w.Code != 200 {
		t.Fatalf("after the wait: %d %s", w.Code, w.Body)
	}
	for i := range 5 {
		try("alice", "wrong-pass", "198.51.100."+string(rune('1'+i))+":1")
	}
	if w := try("alice", alicePW, "203.0.113.1:1"); w.Code != 429 {
		t.Fatalf("a user attacked from many addresses: %d", w.Code)
	}
}

// TestLoginRefusals: oversized and malformed bodies, plain HTTP on a
// non-loopback address (unless allowed), and cross-origin logins.
func TestLoginRefusals(t *testing.T) {
	e := newEnv(t, nil)
	good := `{"user":"alice","password":"` + alicePW + `"}`
	for _, c := range []struct {
		name string
		q    req
		want int
	}{
		{"oversized", req{body: `{"user":"alice","password":"` + strings.Repeat("x", 5000) + `"}`}, 413},
		{"malformed", req{body: `{"user":`}, 400},
		{"unknown field", req{body: `{"user":"alice","password":"x","admin":true}`}, 400},
		{"plain HTTP, public address", req{body: good, local: "192.0.2.10:9165"}, 403},
		{"HTTPS, public address", req{body: good, local: "192.0.2.10:9165", tls: true}, 200},
		{"cross-origin", req{body: good, hdr: map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}}, 403},
	} {
		c.q.method, c.q.path = "POST", "/api/v1/login"
		if w := e.do(c.q); w.Code != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, w.Code, w.Body, c.want)
		}
	}
	ins := newEnv(t, func(o *Options) { o.AllowInsecureLogin = true })
	if w := ins.do(req{method: "POST", path: "/api/v1/login", body: good, local: "192.0.2.10:9165"}); w.Code != 200 {
		t.Errorf("--web.allow-insecure-login: %d", w.Code)
	}
}

// TestSessionsEnd: an idle session expires (401), and changing the users
// file takes effect without a restart: a new password ends old
// sessions, a removed user's sessions end, a new user can log in.
func TestSessionsEnd(t *testing.T) {
	e := newEnv(t, nil)
	get := func(cookie string) int {
		return e.do(req{method: "GET", path: "/api/v1/status", cookie: cookie}).Code
	}
	idle := e.login("vicky", vickyPW)
	e.clk.add(DefaultIdleTimeout + time.Second)
	if code := get(idle); code != 401 {
		t.Fatalf("expired session: %d", code)
	}
	a, b := e.login("alice", alicePW), e.login("bob", bobPW)
	e.writeUsers(func(u *Users) {
		_ = u.SetPassword("alice", "alice-new-passw0rd", fastKDF)
		_ = u.Remove("bob")
		_ = u.Add("dave", Viewer, "dave-passw0rd", fastKDF)
	})
	if get(a) != 401 || get(b) != 401 {
		t.Fatal("sessions survived a password change or removal")
	}
	e.login("dave", "dave-passw0rd")
	e.login("alice", "alice-new-passw0rd")
}

// TestUsersFileAbsentOrBroken: without a users file the API is off
// (503, how to turn it on); a malformed file refuses everything and is
// logged once.
func TestUsersFileAbsentOrBroken(t *testing.T) {
	a := New(Options{UsersFile: filepath.Join(t.TempDir(), "none.json")})
	w := httptest.NewRecorder()
	a.Handler(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/status", nil))
	if a.Enabled() || w.Code != 503 || !strings.Contains(w.Body.String(), "alivectl user add NAME --role admin") {
		t.Fatalf("no users file: enabled %v, %d %s", a.Enabled(), w.Code, w.Body)
	}
	e := newEnv(t, nil)
	if err := os.WriteFile(e.path, []byte(`{"version":1,"users":[{"name":"x","role":"superuser"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if w := e.do(req{method: "POST", path: "/api/v1/login", body: `{"user":"alice","password":"` + alicePW + `"}`}); w.Code != 503 {
			t.Fatalf("login with a broken users file: %d", w.Code)
		}
	}
	if !e.a.Enabled() || strings.Count(e.logs.String(), "users file unusable") != 1 {
		t.Fatalf("broken file: enabled %v, logged:\n%s", e.a.Enabled(), e.logs)
	}
}

// TestBearerTokens: a token authenticates with its user's role and is
// named in the caller; a cross-origin request carrying one passes (no
// browser sends it by itself); an unknown token or another scheme is
// refused.
func TestBearerTokens(t *testing.T) {
	e := newEnv(t, nil)
	var tok string
	e.writeUsers(func(u *Users) { tok, _ = u.NewToken("bob", e.clk.now()) })
	auth := map[string]string{"Authorization": "Bearer " + tok, "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
	if w := e.do(req{method: "POST", path: "/api/v1/overrides", body: "{}", hdr: auth}); w.Code != 200 {
		t.Fatalf("operator token: %d %s", w.Code, w.Body)
	}
	if h := e.hits[0]; h != "POST /api/v1/overrides by web:bob (token "+tokenID(tok)+")" {
		t.Fatalf("API saw %q", h)
	}
	if w := e.do(req{method: "POST", path: "/api/v1/reload", body: "{}", hdr: map[string]string{"Authorization": "Bearer " + tok}}); w.Code != 403 {
		t.Fatalf("operator token reloading: %d", w.Code)
	}
	cookie := e.login("alice", alicePW)
	for _, h := range []string{"Bearer " + tok + "x", "Bearer alived_00000000_x", "Basic YWxpY2U6eA==", "Bearer "} {
		if w := e.do(req{method: "GET", path: "/api/v1/status", cookie: cookie, hdr: map[string]string{"Authorization": h}}); w.Code != 401 {
			t.Errorf("Authorization %q (with a valid cookie): %d", h, w.Code)
		}
	}
}

// TestCrossOriginFormPost: a form another site posts with the victim's
// cookie is refused and never reaches the API.
func TestCrossOriginFormPost(t *testing.T) {
	e := newEnv(t, nil)
	cookie := e.login("alice", alicePW)
	for _, hdr := range []map[string]string{
		{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded"},
		{"Origin": "http://evil.example", "Content-Type": "text/plain"},
	} {
		w := e.do(req{method: "POST", path: "/api/v1/reload", body: "x=1", cookie: cookie, hdr: hdr})
		if w.Code != 403 || e.hitCount() != 0 {
			t.Fatalf("cross-origin post %v: %d, reached the API %d times", hdr, w.Code, e.hitCount())
		}
	}
	if w := e.do(req{method: "POST", path: "/api/v1/reload", body: "{}", cookie: cookie,
		hdr: map[string]string{"Sec-Fetch-Site": "same-origin"}}); w.Code != 200 {
		t.Fatalf("same-origin post: %d", w.Code)
	}
}

// TestRolePolicy: each role against each class of route, including the
// operator's conditional edits (the real stack test checks the same
// against the daemon).
func TestRolePolicy(t *testing.T) {
	e := newEnv(t, nil)
	c := map[Role]string{Admin: e.login("alice", alicePW), Operator: e.login("bob", bobPW), Viewer: e.login("vicky", vickyPW)}
	type want struct{ viewer, operator, admin int }
	for _, x := range []struct {
		method, path, body string
		staged             []control.Op
		want               want
	}{
		{"GET", "/api/v1/status", "", nil, want{200, 200, 200}},
		{"GET", "/api/v1/history/3", "", nil, want{200, 200, 200}},
		{"POST", "/api/v1/overrides", `{"action":"drain"}`, nil, want{403, 200, 200}},
		{"POST", "/api/v1/changes", `{"op":"disable-rs"}`, nil, want{403, 200, 200}},
		{"POST", "/api/v1/changes", `{"op":"add-rs"}`, nil, want{403, 403, 200}},
		{"POST", "/api/v1/changes", `{"op":`, nil, want{403, 403, 200}},
		{"POST", "/api/v1/apply", `{}`, []control.Op{control.DisableRS, control.EnableVS}, want{403, 200, 200}},
		{"POST", "/api/v1/apply", `{}`, []control.Op{control.DisableRS, control.AddRS}, want{403, 403, 200}},
		{"POST", "/api/v1/apply", `{"file":"/tmp/x.conf"}`, nil, want{403, 403, 200}},
		{"POST", "/api/v1/plan", `{}`, []control.Op{control.EnableRS}, want{403, 200, 200}},
		{"DELETE", "/api/v1/changes", ``, []control.Op{control.SetGlobals}, want{403, 403, 200}},
		{"DELETE", "/api/v1/changes", ``, []control.Op{control.DisableVS}, want{403, 200, 200}},
		{"POST", "/api/v1/reload", `{}`, nil, want{403, 403, 200}},
		{"POST", "/api/v1/history/2/rollback", `{}`, nil, want{403, 403, 200}},
	} {
		e.staged.ops = x.staged
		for role, code := range map[Role]int{Viewer: x.want.viewer, Operator: x.want.operator, Admin: x.want.admin} {
			before := e.hitCount()
			w := e.do(req{method: x.method, path: x.path, body: x.body, cookie: c[role]})
			if w.Code != code {
				t.Errorf("%s %s %s (staged %v) as %s: %d %s, want %d", x.method, x.path, x.body, x.staged, role, w.Code, w.Body, code)
			}
			if reached := e.hitCount() > before; reached != (code == 200) {
				t.Errorf("%s %s as %s: reached the API %v", x.method, x.path, role, reached)
			}
		}
	}
}

// TestSecretsNotLogged: passwords (right and wrong) and tokens never
// reach the log, while logins and failures are logged.
func TestSecretsNotLogged(t *testing.T) {
	e := newEnv(t, nil)
	var tok string
	e.writeUsers(func(u *Users) { tok, _ = u.NewToken("alice", e.clk.now()) })
	e.login("alice", alicePW)
	e.do(req{method: "POST", path: "/api/v1/login", body: `{"user":"alice","password":"typo-` + alicePW + `"}`})
	e.do(req{method: "POST", path: "/api/v1/login", body: `{"user":"` + alicePW + `","password":"x-passw0rd"}`})
	e.do(req{method: "GET", path: "/api/v1/status", hdr: map[string]string{"Authorization": "Bearer " + tok}})
	e.do(req{method: "GET", path: "/api/v1/status", hdr: map[string]string{"Authorization": "Bearer " + tok + "x"}})
	e.do(req{method: "POST", path: "/api/v1/reload", body: "{}", hdr: map[string]string{"Authorization": "Bearer " + tok}})
	logs := e.logs.String()
	if !strings.Contains(logs, "web: login") || !strings.Contains(logs, "web: login failed") {
		t.Fatalf("logins not logged:\n%s", logs)
	}
	secret := strings.SplitN(tok, "_", 3)[2]
	for _, s := range []string{alicePW, secret} {
		if strings.Contains(logs, s) {
			t.Fatalf("the log holds a secret %q:\n%s", s, logs)
		}
	}
}

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
