package webauth

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alived/alived/internal/confstore"
	"github.com/alived/alived/internal/control"
	"github.com/alived/alived/internal/teststack"
)

// The real stack: a daemon on its checker side with a fake kernel, its
// control service and the API behind Auth, served over loopback TCP as
// the web listener serves it (the pattern of cmd/alivectl's
// newStackText).

const stackConf = `virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 127.0.0.2 80 {
    weight 1
  }
  real_server 127.0.0.4 80 {
    weight 1
  }
}
`

// lockedClock is a clock the test moves while the server reads it.
type lockedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *lockedClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *lockedClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type webStack struct {
	*teststack.Stack
	t   *testing.T
	url string
	svc *control.Service
	clk *lockedClock
}

func newWebStack(t *testing.T) *webStack {
	t.Helper()
	st := teststack.Start(t, stackConf, teststack.Options{})
	svc := st.Control
	users := &Users{Version: UsersFileVersion}
	for _, u := range []struct {
		n string
		r Role
	}{{"alice", Admin}, {"bob", Operator}, {"vicky", Viewer}} {
		if err := users.Add(u.n, u.r, u.n+"-passw0rd", fastKDF); err != nil {
			t.Fatal(err)
		}
	}
	usersFile := filepath.Join(st.Dir, "users.json")
	if err := users.Save(usersFile); err != nil {
		t.Fatal(err)
	}
	clk := &lockedClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	auth := New(Options{UsersFile: usersFile, Staged: svc, Now: clk.now, KDF: fastKDF})
	srv := httptest.NewServer(auth.Handler(st.API))
	t.Cleanup(srv.Close)
	s := &webStack{Stack: st, t: t, url: srv.URL, svc: svc, clk: clk}
	s.waitWeight("127.0.0.2", 1)
	return s
}

func (s *webStack) weight(addr string) int { return s.Weight(addr, 0) }

func (s *webStack) waitWeight(addr string, want int) { s.WaitWeight(addr, 0, want) }

func (s *webStack) file() string { return s.File() }

// call makes one request with a session cookie and extra headers.
func (s *webStack) call(method, path, cookie, body string, hdr ...string) (int, string) {
	s.t.Helper()
	r, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if cookie != "" {
		r.AddCookie(&http.Cookie{Name: CookieName, Value: cookie})
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if method == "POST" && path == "/api/v1/login" {
		for _, c := range resp.Cookies() {
			if c.Name == CookieName {
				return resp.StatusCode, c.Value
			}
		}
	}
	return resp.StatusCode, string(b)
}

func (s *webStack) login(user string) string {
	s.t.Helper()
	code, cookie := s.call("POST", "/api/v1/login", "", `{"user":"`+user+`","password":"`+user+`-passw0rd"}`)
	if code != 200 {
		s.t.Fatalf("login %s: %d %s", user, code, cookie)
	}
	return cookie
}

// TestRolesAgainstTheDaemon: every role against a route of each class on
// the real stack — the kernel, the file, the staged edits and the
// history show that refused requests changed nothing and that allowed
// ones were recorded under the web user's name.
func TestRolesAgainstTheDaemon(t *testing.T) {
	s := newWebStack(t)
	admin, op, viewer := s.login("alice"), s.login("bob"), s.login("vicky")
	drain := `{"vs":"10.0.0.1:80","rs":"127.0.0.2:80","action":"drain"}`
	addRS := `{"op":"add-rs","vs":"10.0.0.1:80","rs":"127.0.0.3:80","real_server":{"weight":2}}`
	step := func(name, method, path, cookie, body string, want int, hdr ...string) {
		t.Helper()
		if code, out := s.call(method, path, cookie, body, hdr...); code != want {
			t.Fatalf("%s: %d %s, want %d", name, code, out, want)
		}
	}

	// Reads are for everyone logged in.
	step("viewer reads status", "GET", "/api/v1/status", viewer, "", 200)
	step("viewer reads config", "GET", "/api/v1/config", viewer, "", 200)
	step("viewer reads an escaped name", "GET", "/api/v1/config/virtual-servers/10.0.0.1:80%2Ftcp", viewer, "", 200)
	step("nobody reads status", "GET", "/api/v1/status", "", "", 401)

	// Overrides: operator and up.
	step("viewer drains", "POST", "/api/v1/overrides", viewer, drain, 403)
	if w := s.weight("127.0.0.2"); w != 1 {
		t.Fatalf("a refused drain reached the kernel: weight %d", w)
	}
	step("operator drains", "POST", "/api/v1/overrides", op, drain, 200)
	if w := s.weight("127.0.0.2"); w != 0 {
		t.Fatalf("drained server has weight %d", w)
	}
	step("operator readies", "POST", "/api/v1/overrides", op, `{"vs":"10.0.0.1:80","rs":"127.0.0.2:80","action":"ready"}`, 200)

	// Edits: the operator only switches servers on and off.
	step("operator adds a real server", "POST", "/api/v1/changes", op, addRS, 403)
	if ops := s.svc.StagedOps(); len(ops) != 0 {
		t.Fatalf("a refused edit was staged: %v", ops)
	}
	step("admin adds a real server", "POST", "/api/v1/changes", admin, addRS, 200)
	step("operator applies the admin's add", "POST", "/api/v1/apply", op, `{}`, 403)
	step("operator discards the admin's add", "DELETE", "/api/v1/changes", op, "", 403)
	step("admin discards", "DELETE", "/api/v1/changes", admin, "", 200)
	step("operator disables a real server", "POST", "/api/v1/changes", op,
		`{"op":"disable-rs","vs":"10.0.0.1:80","rs":"127.0.0.2:80"}`, 200)
	step("operator plans it", "POST", "/api/v1/plan", op, `{}`, 200)
	step("operator applies it", "POST", "/api/v1/apply", op, `{"message":"maintenance"}`, 200)
	if !strings.Contains(s.file(), "#alived-disabled: ") {
		t.Fatalf("disable not written:\n%s", s.file())
	}
	s.waitWeight("127.0.0.2", -1)
	step("operator reloads", "POST", "/api/v1/reload", op, `{}`, 403)
	step("operator rolls back", "POST", "/api/v1/history/0/rollback", op, `{}`, 403)
	step("operator applies a file", "POST", "/api/v1/apply", op, `{"file":"/etc/passwd"}`, 403)

	// A cross-origin form post with the admin's cookie changes nothing.
	before := s.file()
	step("cross-origin form post", "POST", "/api/v1/changes", admin, addRS, 403,
		"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site", "Content-Type", "application/x-www-form-urlencoded")
	step("cross-origin drain", "POST", "/api/v1/overrides", admin, `{"vs":"10.0.0.1:80","action":"maint"}`, 403,
		"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site")
	if ops := s.svc.StagedOps(); len(ops) != 0 || s.file() != before {
		t.Fatalf("a cross-origin post changed something: staged %v", ops)
	}

	// The admin edits; history names the web users.
	step("admin adds a real server", "POST", "/api/v1/changes", admin, addRS, 200)
	step("admin applies", "POST", "/api/v1/apply", admin, `{}`, 200)
	s.waitWeight("127.0.0.3", 2)
	_, out := s.call("GET", "/api/v1/history", viewer, "")
	var hist []confstore.RevisionInfo
	if err := json.Unmarshal([]byte(out), &hist); err != nil {
		t.Fatal(err)
	}
	var authors []string
	for _, h := range hist {
		authors = append(authors, h.Author)
	}
	if strings.Join(authors, ",") != "web:alice,web:bob" && strings.Join(authors, ",") != "web:bob,web:alice" {
		t.Fatalf("history authors %v, want web:bob and web:alice", authors)
	}

	// An expired session is refused and changes nothing.
	s.clk.add(DefaultIdleTimeout)
	step("expired session drains", "POST", "/api/v1/overrides", admin, `{"vs":"10.0.0.1:80","rs":"127.0.0.3:80","action":"maint"}`, 401)
	if w := s.weight("127.0.0.3"); w != 2 {
		t.Fatalf("an expired session's request reached the kernel: weight %d", w)
	}
}
