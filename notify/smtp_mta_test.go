package notify

import (
	"context"
	"io"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/internal/testenv"
	"github.com/alived/alived/internal/testsmtp"
)

// TestMailerDeliversThroughOpenSMTPD sends an alert through a real MTA,
// OpenSMTPD (see internal/testsmtp for why that one), listening on a
// loopback port and delivering into a Maildir in a temp dir. The mail must
// arrive and parse, with keepalived's headers, subject and body. It needs
// root (smtpd's privilege separation), hence the root tier.
func TestMailerDeliversThroughOpenSMTPD(t *testing.T) {
	testenv.RequireNetns(t) // the root tier; the test itself stays on loopback
	srv := testsmtp.Start(t, testenv.RequireBinary(t, "smtpd"))

	m := NewMailer(MailerConfig{
		Server: srv.Addr, HeloName: "lb1.example.test", From: "keepalived@example.test",
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
		t.Fatalf("Stats = %+v; smtpd log:\n%s", st, srv.Log())
	}

	// Both recipients map to one mailbox; wait for the deliveries.
	files := srv.WaitMail(t, 2)
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
