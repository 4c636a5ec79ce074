package healthcheck

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/internal/testenv"
)

// TestSMTPCheckAgainstOpenSMTPD runs SMTP_CHECK against a real MTA,
// OpenSMTPD (Debian package "opensmtpd", installed by
// scripts/install-deps.sh), started in the foreground on a loopback port.
// It is strict about the dialogue (it refuses pipelined commands), so it
// catches a checker that does not wait for each reply. It needs root for
// its privilege separation, hence the root tier.
func TestSMTPCheckAgainstOpenSMTPD(t *testing.T) {
	testenv.RequireNetns(t) // the root tier; the test stays on loopback
	smtpd := testenv.RequireBinary(t, "smtpd")

	dir := t.TempDir()
	port := closedPort(t)
	conf := filepath.Join(dir, "smtpd.conf")
	cfg := "listen on 127.0.0.1 port " + strconv.Itoa(int(port.Port())) + "\n" +
		`action "keep" maildir "` + filepath.Join(dir, "Maildir") + `"` + "\n" +
		`match from any for domain "example.test" action "keep"` + "\n"
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "smtpd.log")
	logf, err := os.Create(logPath)
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
		// Stop only the smtpd this test started: its own process group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	// Wait for the listener: polling is the only signal smtpd gives.
	for deadline := time.Now().Add(20 * time.Second); ; {
		c, err := net.DialTimeout("tcp", port.String(), time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("smtpd exited: %v\n%s", err, log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("smtpd not listening on %s:\n%s", port, log)
		}
		time.Sleep(50 * time.Millisecond)
	}

	c, err := NewSMTP(SMTPOptions{Conn: Conn{Addr: port}, HeloName: "lb1.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if r, _ := checkWithin(t, c, 5*time.Second); r.Err != nil {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("check %d: %v\nsmtpd log:\n%s", i+1, r.Err, log)
		}
	}
}
