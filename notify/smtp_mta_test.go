package notify

import (
	"context"
	"io"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/internal/testenv"
)

// TestMailerDeliversThroughOpenSMTPD sends an alert through a real MTA,
// OpenSMTPD (Debian package "opensmtpd"), which the test configures to
// listen on a loopback port and deliver into a Maildir in a temp dir. The
// mail must arrive and parse, with keepalived's headers, subject and body.
//
// OpenSMTPD was chosen because it installs in seconds, runs in the
// foreground from a four-line config (smtpd -d -f FILE) without touching
// the system MTA setup, and is strict (it rejects pipelined commands),
// so it catches protocol sloppiness a permissive test server would hide.
// It needs root (privilege separation), hence the root tier.
func TestMailerDeliversThroughOpenSMTPD(t *testing.T) {
	testenv.RequireNetns(t) // the root tier; the test itself stays on loopback
	smtpd := testenv.RequireBinary(t, "smtpd")

	dir := t.TempDir()
	// smtpd's unprivileged delivery needs to traverse the temp dir (and
	// the per-test parent that TempDir makes 0700).
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// OpenSMTPD will not deliver as root: the mailbox belongs to nobody.
	maildir := filepath.Join(dir, "Maildir")
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("user nobody: %v", err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	if err := os.Mkdir(maildir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(maildir, uid, gid); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	conf := filepath.Join(dir, "smtpd.conf")
	cfg := strings.Join([]string{
		`table vusers { "@example.test" = "nobody" }`,
		"listen on 127.0.0.1 port " + port,
		`action "keep" maildir "` + maildir + `" virtual <vusers>`,
		`match from any for domain "example.test" action "keep"`,
	}, "\n") + "\n"
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "smtpd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(smtpd, "-d", "-f", conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// Stop only the smtpd we started (its own process group).
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	addr := net.JoinHostPort("127.0.0.1", port)
	waitListening(t, addr, exited, logf.Name())

	m := NewMailer(MailerConfig{
		Server: addr, HeloName: "lb1.example.test", From: "keepalived@example.test",
		To: []string{"ops@example.test", "oncall@example.test"}, ConnectTimeout: 10 * time.Second,
	})
	a, _ := AlertFor(RealServerEvent(vs80, rs80, false, CheckBody("", false, "HTTP request failed")), "lb1")
	if !m.Send(a) {
		t.Fatal("Send refused")
	}
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := m.Stats(); st.Sent != 1 {
		log, _ := os.ReadFile(logf.Name())
		t.Fatalf("Stats = %+v; smtpd log:\n%s", st, log)
	}

	// Both recipients map to one mailbox; wait for the deliveries.
	var files []string
	deadline := time.Now().Add(20 * time.Second)
	for len(files) < 2 {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("mail not delivered to %s (have %d); smtpd log:\n%s", maildir, len(files), log)
		}
		time.Sleep(50 * time.Millisecond)
		files, _ = filepath.Glob(filepath.Join(maildir, "new", "*"))
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("delivered mail does not parse: %v\n%s", err, raw)
	}
	for h, want := range map[string]string{
		"Subject":  "[lb1] Realserver [1.2.3.4]:tcp:80 of virtual server [192.168.201.15]:tcp:80 - DOWN",
		"From":     "keepalived@example.test",
		"To":       "ops@example.test, oncall@example.test",
		"X-Mailer": "Keepalived",
	} {
		if got := msg.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if _, err := msg.Header.Date(); err != nil {
		t.Errorf("Date header: %v", err)
	}
	body, _ := io.ReadAll(msg.Body)
	if got := strings.TrimSpace(string(body)); got != "=> CHECK failed on service : HTTP request failed <=" {
		t.Errorf("body %q", got)
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// waitListening waits until addr accepts connections or the server exits.
func waitListening(t *testing.T, addr string, exited <-chan error, logPath string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("server exited before listening: %v\n%s", err, log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("server not listening on %s: %v\n%s", addr, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
