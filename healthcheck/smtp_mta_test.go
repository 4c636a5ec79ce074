package healthcheck

import (
	"net/netip"
	"testing"
	"time"

	"github.com/alived/alived/internal/testenv"
	"github.com/alived/alived/internal/testsmtp"
)

// TestSMTPCheckAgainstOpenSMTPD runs SMTP_CHECK against a real MTA,
// OpenSMTPD (Debian package "opensmtpd", installed by
// scripts/install-deps.sh), started in the foreground on a loopback port.
// It is strict about the dialogue (it refuses pipelined commands), so it
// catches a checker that does not wait for each reply. It needs root for
// its privilege separation, hence the root tier.
func TestSMTPCheckAgainstOpenSMTPD(t *testing.T) {
	testenv.RequireNetns(t) // the root tier; the test stays on loopback
	srv := testsmtp.Start(t, testenv.RequireBinary(t, "smtpd"))

	addr, err := netip.ParseAddrPort(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewSMTP(SMTPOptions{Conn: Conn{Addr: addr}, HeloName: "lb1." + testsmtp.Domain})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if r, _ := checkWithin(t, c, 5*time.Second); r.Err != nil {
			t.Fatalf("check %d: %v\nsmtpd log:\n%s", i+1, r.Err, srv.Log())
		}
	}
}
