// Package testsmtp runs a real MTA, OpenSMTPD (Debian package "opensmtpd"),
// on a loopback port for tests of the SMTP checker and the SMTP alerter.
//
// OpenSMTPD was chosen because it installs in seconds, runs in the
// foreground from a four-line config (smtpd -d -f FILE) without touching
// the system MTA setup, and is strict (it rejects pipelined commands), so it
// catches protocol sloppiness a permissive test server would hide. It needs
// root for its privilege separation, so callers belong to the root tier
// (testenv.RequireNetns) and find the binary with testenv.RequireBinary.
package testsmtp

import (
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Domain is the mail domain the server accepts and delivers into Maildir.
const Domain = "example.test"

// Server is one running smtpd, stopped by the test's cleanup.
type Server struct {
	// Addr is the loopback host:port smtpd listens on.
	Addr string
	// Maildir receives every mail for any address @Domain.
	Maildir string
	// LogPath is smtpd's combined stdout and stderr.
	LogPath string
}

// Start runs the smtpd binary at path in the foreground, waits until it
// accepts connections and registers its shutdown with t.Cleanup. It fails
// the test if smtpd exits or does not listen within 20 seconds.
func Start(t testing.TB, smtpd string) *Server {
	t.Helper()
	dir := t.TempDir()
	// smtpd's unprivileged delivery needs to traverse the temp dir (and
	// the per-test parent that TempDir makes 0700).
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// OpenSMTPD will not deliver as root: the mailbox belongs to nobody.
	s := &Server{Maildir: filepath.Join(dir, "Maildir"), LogPath: filepath.Join(dir, "smtpd.log")}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("user nobody: %v", err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	if err := os.Mkdir(s.Maildir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(s.Maildir, uid, gid); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	s.Addr = net.JoinHostPort("127.0.0.1", port)
	conf := filepath.Join(dir, "smtpd.conf")
	cfg := strings.Join([]string{
		`table vusers { "@` + Domain + `" = "nobody" }`,
		"listen on 127.0.0.1 port " + port,
		`action "keep" maildir "` + s.Maildir + `" virtual <vusers>`,
		`match from any for domain "` + Domain + `" action "keep"`,
	}, "\n") + "\n"
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(s.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	// The child holds its own descriptor; ours is not needed past Start.
	defer logf.Close()
	cmd := exec.Command(smtpd, "-d", "-f", conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited is closed (not sent on) so that both the wait below and the
	// cleanup can observe the exit; waitErr is read only after it closes.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		// Stop only the smtpd this test started: its own process group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	s.waitListening(t, exited, func() error { return waitErr })
	return s
}

// Log returns smtpd's output so far, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.LogPath)
	return string(b)
}

// WaitMail waits up to 20 seconds until Maildir holds at least n delivered
// mails and returns their paths; it fails the test otherwise.
func (s *Server) WaitMail(t testing.TB, n int) []string {
	t.Helper()
	var files []string
	deadline := time.Now().Add(20 * time.Second)
	for len(files) < n {
		if time.Now().After(deadline) {
			t.Fatalf("mail not delivered to %s (have %d, want %d); smtpd log:\n%s", s.Maildir, len(files), n, s.Log())
		}
		// Polling: delivery leaves no other trace a test can wait on.
		time.Sleep(50 * time.Millisecond)
		files, _ = filepath.Glob(filepath.Join(s.Maildir, "new", "*"))
	}
	return files
}

// waitListening polls until smtpd accepts connections: polling is the
// only signal smtpd gives.
func (s *Server) waitListening(t testing.TB, exited <-chan struct{}, waitErr func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("smtpd exited before listening: %v\n%s", waitErr(), s.Log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("smtpd not listening on %s: %v\n%s", s.Addr, err, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
