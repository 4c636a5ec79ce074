package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/textproto"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alived/alived/api"
	"github.com/alived/alived/internal/lvs"
	"github.com/alived/alived/internal/teststack"
)

const manageConf = `# hand-written, keep this comment
virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 127.0.0.2 80 {
    weight 1
  }
}
`

// stack is the real stack (internal/teststack) behind the control socket,
// as alived serves it to alivectl.
type stack struct {
	*teststack.Stack
	sock string
}

func newStack(t *testing.T) *stack {
	s := newStackText(t, manageConf)
	s.WaitWeight("127.0.0.2", 0, 1)
	return s
}

// newStackText is newStack on the configuration text.
func newStackText(t testing.TB, text string) *stack {
	t.Helper()
	st := teststack.Start(t, text, teststack.Options{})
	sock := filepath.Join(st.Dir, "a.sock")
	srv, err := api.ListenUnix(sock, st.API)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &stack{Stack: st, sock: sock}
}

// ctl runs alivectl and returns its exit code and output.
func (s *stack) ctl(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(append([]string{"--socket=" + s.sock}, args...), &out, &errOut, false)
	return code, out.String(), errOut.String()
}

// TestManageEndToEnd drives the real stack through alivectl: stage, plan,
// apply, drain, bad input, history and rollback, checking the file on
// disk, the kernel table and the exit codes at each step.
func TestManageEndToEnd(t *testing.T) {
	s := newStack(t)
	code, out, errOut := s.ctl("rs", "add", "10.0.0.1:80", "127.0.0.3:80", "--weight", "2")
	if code != 0 || !strings.Contains(out, "staged: add-rs 127.0.0.3:80") {
		t.Fatalf("rs add: %d %q %q", code, out, errOut)
	}
	if s.File() != manageConf {
		t.Fatal("staging wrote the file")
	}
	code, out, _ = s.ctl("plan")
	if code != 0 || !strings.Contains(out, "+  real_server 127.0.0.3 80 {") || !strings.Contains(out, "VRRP: no instance touched") ||
		!strings.Contains(out, "add-server TCP 10.0.0.1:80 -> 127.0.0.3:80") {
		t.Fatalf("plan: %d\n%s", code, out)
	}
	code, out, errOut = s.ctl("apply", "-m", "third server")
	if code != 0 || !strings.Contains(out, "applied: revision 1") {
		t.Fatalf("apply: %d %q %q", code, out, errOut)
	}
	s.WaitWeight("127.0.0.3", 0, 2)
	if f := s.File(); !strings.HasPrefix(f, "# hand-written, keep this comment\n") || !strings.Contains(f, "real_server 127.0.0.3 80 {") {
		t.Fatalf("file after apply:\n%s", f)
	}

	// A drain reaches the kernel before the command returns.
	if code, out, _ := s.ctl("rs", "drain", "10.0.0.1:80", "127.0.0.3:80"); code != 0 || !strings.Contains(out, "draining") {
		t.Fatalf("drain: %d %s", code, out)
	}
	if w := s.Weight("127.0.0.3", 0); w != 0 {
		t.Fatalf("drained server has kernel weight %d", w)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		// The status is a published snapshot: it shows the drain from the
		// loop's next publish on.
		_, out, _ = s.ctl("status")
		if strings.Contains(out, "DRAIN") && strings.Contains(out, "drain (") || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !regexp.MustCompile(`127\.0\.0\.3:80 +DRAIN +2/0 +drain \(`).MatchString(out) {
		t.Fatalf("status does not show the drain:\n%s", out)
	}
	code, out, _ = s.ctl("--json", "overrides")
	var set lvs.OverrideSet
	if code != 0 || json.Unmarshal([]byte(out), &set) != nil || len(set.Overrides) != 1 || set.Overrides[0].Kind != "drain" {
		t.Fatalf("overrides --json: %d %s", code, out)
	}

	// Bad input: clear errors, documented exit codes, nothing changed.
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"rs", "weight", "10.0.0.1:80", "127.0.0.2:80", "70000"}, exitUsage},
		{[]string{"rs", "drain", "10.0.0.1:80", "127.0.0.9:80"}, exitNotFound},
		{[]string{"vs", "rm", "10.9.9.9:80"}, exitNotFound},
		{[]string{"rs", "add", "10.0.0.1:80", "bad-address"}, exitUsage},
		{[]string{"rs", "add", "10.0.0.1:80", "127.0.0.4:80", "--check", "HTTP_GET", "--check-opt", "no_such_keyword 1"}, exitUsage},
		{[]string{"rs", "add", "10.0.0.1:80", "127.0.0.4:80", "--check", "HTTP_GET"}, exitRejected}, // no url: keepalived refuses
		{[]string{"rollback", "99"}, exitNotFound},
	} {
		code, _, errOut := s.ctl(c.args...)
		if code != c.code || !strings.HasPrefix(errOut, "alivectl: ") {
			t.Errorf("%v: exit %d (%q), want %d", c.args, code, errOut, c.code)
		}
	}
	if code, out, _ := s.ctl("changes"); code != 0 || !strings.Contains(out, "nothing staged") {
		t.Fatalf("refused edits left something staged: %s", out)
	}
	if w := s.Weight("127.0.0.2", 0); w != 1 {
		t.Fatalf("refused weight override changed the kernel: %d", w)
	}

	// The audit log names who did what, newest first.
	if code, out, _ := s.ctl("audit"); code != 0 || !regexp.MustCompile(`(?s)drain 10.0.0.1:80/tcp 127.0.0.3:80.*third server`).MatchString(out) {
		t.Fatalf("audit: %d\n%s", code, out)
	}

	// History and rollback: back to the hand-written file, byte for byte.
	if code, out, _ := s.ctl("history"); code != 0 || !strings.Contains(out, "third server") {
		t.Fatalf("history: %d %s", code, out)
	}
	if code, out, errOut := s.ctl("rollback", "0"); code != 0 {
		t.Fatalf("rollback: %d %s %s", code, out, errOut)
	}
	if s.File() != manageConf {
		t.Fatalf("rollback 0 did not restore the file:\n%s", s.File())
	}
	s.WaitWeight("127.0.0.3", 0, -1)
}

// TestControlAPIRefusesBadRequests: oversized and malformed bodies,
// unknown fields and bad names are refused with their status codes, and
// nothing is staged or written.
func TestControlAPIRefusesBadRequests(t *testing.T) {
	s := newStack(t)
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", s.sock)
	}}}
	do := func(method, path, body string) int {
		t.Helper()
		req, err := http.NewRequest(method, "http://alived"+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode
	}
	huge := `{"op":"add-rs","vs":"10.0.0.1:80","rs":"127.0.0.5:80","real_server":{"extra":[` +
		strings.Repeat(`{"keyword":"x"},`, 80000) + `{"keyword":"x"}]}}`
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/api/v1/changes", huge, http.StatusRequestEntityTooLarge},
		{"POST", "/api/v1/changes", `{"op":"add-rs",`, http.StatusBadRequest},
		{"POST", "/api/v1/changes", `{"op":"rm-rs","vs":"10.0.0.1:80","rs":"127.0.0.2:80","colour":"red"}`, http.StatusBadRequest},
		{"POST", "/api/v1/changes", `{"op":"rm-rs","vs":"10.0.0.1:80"} {"op":"rm-vs"}`, http.StatusBadRequest},
		{"POST", "/api/v1/changes", `{"op":"set-vs","vs":"10.0.0.1:80","virtual_server":{"virtualhost":"a\n}\nvirtual_server 6.6.6.6 80 {"}}`, http.StatusBadRequest},
		{"POST", "/api/v1/overrides", `{"vs":"10.0.0.1:80","rs":"127.0.0.2:80","action":"weight","weight":-1}`, http.StatusBadRequest},
		{"POST", "/api/v1/overrides", `{"vs":"10.0.0.1:80","rs":"127.0.0.2:80","action":"explode"}`, http.StatusBadRequest},
		{"GET", "/api/v1/config/virtual-servers/10.0.0.1:80%2Fudp", "", http.StatusNotFound},
		{"GET", "/api/v1/config/virtual-servers/nonsense", "", http.StatusBadRequest},
		{"GET", "/api/v1/history/x", "", http.StatusBadRequest},
		{"POST", "/api/v1/apply", `{}`, http.StatusBadRequest}, // nothing staged
	} {
		if got := do(c.method, c.path, c.body); got != c.want {
			t.Errorf("%s %s %.60q: %d, want %d", c.method, c.path, c.body, got, c.want)
		}
	}
	if got := do("GET", "/api/v1/config/virtual-servers/10.0.0.1:80%2Ftcp", ""); got != http.StatusOK {
		t.Errorf("an escaped virtual server name: %d", got)
	}
	if s.File() != manageConf || s.Weight("127.0.0.2", 0) != 1 {
		t.Fatal("a refused request changed the file or the kernel")
	}
	if code, out, _ := s.ctl("changes"); code != 0 || !strings.Contains(out, "nothing staged") {
		t.Fatalf("a refused request staged something: %s", out)
	}
}

// smtpStub answers one SMTP dialogue at a time with fixed replies and
// keeps what the client sent.
func smtpStub(t *testing.T) (addr string, got func() string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tp := textproto.NewConn(c)
			_ = tp.PrintfLine("220 stub ready")
			inData := false
			for {
				l, err := tp.ReadLine()
				if err != nil {
					break
				}
				mu.Lock()
				seen.WriteString(l + "\n")
				mu.Unlock()
				switch {
				case inData && l == ".":
					inData = false
					_ = tp.PrintfLine("250 2.0.0 queued as 42")
				case inData:
				case l == "DATA":
					inData = true
					_ = tp.PrintfLine("354 go ahead")
				case l == "QUIT":
					_ = tp.PrintfLine("221 bye")
				default:
					_ = tp.PrintfLine("250 ok")
				}
			}
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })
	return ln.Addr().String(), func() string { mu.Lock(); defer mu.Unlock(); return seen.String() }
}

// TestGlobalsAndTestMail: SMTP settings are staged as an edit of
// global_defs, and a test mail goes out with the staged settings and
// shows the server's replies.
func TestGlobalsAndTestMail(t *testing.T) {
	s := newStack(t)
	addr, got := smtpStub(t)
	host, port, _ := net.SplitHostPort(addr)
	if code, _, errOut := s.ctl("globals", "test-mail"); code != exitUsage || !strings.Contains(errOut, "smtp_server") {
		t.Fatalf("test mail without settings: %d %s", code, errOut)
	}
	if code, out, errOut := s.ctl("globals", "set", "--email", "ops@example.test, oncall@example.test", "--from", "lb1@example.test",
		"--smtp-server", host, "--smtp-port", port, "--smtp-timeout", "5"); code != 0 {
		t.Fatalf("globals set: %d %s %s", code, out, errOut)
	}
	code, out, errOut := s.ctl("globals", "test-mail")
	if code != 0 || !strings.Contains(out, "RCPT: 250 ok") || !strings.Contains(out, "end of DATA: 250 2.0.0 queued as 42") {
		t.Fatalf("test mail: %d\n%s%s", code, out, errOut)
	}
	if tr := got(); !strings.Contains(tr, "RCPT TO:<oncall@example.test>") || !strings.Contains(tr, "MAIL FROM:<lb1@example.test>") {
		t.Fatalf("the stub saw:\n%s", tr)
	}
	if s.File() != manageConf {
		t.Fatal("a test mail wrote the staged settings")
	}
	code, out, _ = s.ctl("plan")
	if code != 0 || !strings.Contains(out, "+    notification_email {") || !strings.Contains(out, "notifications: settings change") {
		t.Fatalf("plan of the SMTP settings:\n%s", out)
	}
}
