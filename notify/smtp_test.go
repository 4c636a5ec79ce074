package notify

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSMTP is a minimal scripted SMTP server on loopback that records the
// client's lines. It exists to test the client's dialogue and failure
// handling without root; smtp_mta_test.go checks delivery through a real MTA.
type fakeSMTP struct {
	ln       net.Listener
	mu       sync.Mutex
	sessions [][]string // client lines of each finished session
	// silent makes the server accept connections and never answer.
	silent bool
	// rcptCode is the reply to RCPT (250 unless set).
	rcptCode string
	done     chan struct{} // one value per finished session
	wg       sync.WaitGroup
}

// newFakeSMTP starts a server; opts adjust it before it serves.
func newFakeSMTP(t *testing.T, opts ...func(*fakeSMTP)) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveFakeSMTP(t, ln, opts...)
}

// serveFakeSMTP serves on ln (which may live in another network namespace).
func serveFakeSMTP(t *testing.T, ln net.Listener, opts ...func(*fakeSMTP)) *fakeSMTP {
	t.Helper()
	s := &fakeSMTP{ln: ln, rcptCode: "250", done: make(chan struct{}, 16)}
	for _, o := range opts {
		o(s)
	}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *fakeSMTP) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { s.done <- struct{}{} }()
			s.session(c)
		}()
	}
}

func (s *fakeSMTP) session(c net.Conn) {
	defer c.Close()
	if s.silent {
		// Hold the connection without a greeting until the client gives up.
		_, _ = bufio.NewReader(c).ReadString('\n')
		return
	}
	var lines []string
	defer func() {
		s.mu.Lock()
		s.sessions = append(s.sessions, lines)
		s.mu.Unlock()
	}()
	w := func(l string) { _, _ = c.Write([]byte(l + "\r\n")) }
	w("220 fake ESMTP")
	r := bufio.NewReader(c)
	inData := false
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return
		}
		l = strings.TrimRight(l, "\r\n")
		lines = append(lines, l)
		if inData {
			if l == "." {
				inData = false
				w("250 queued")
			}
			continue
		}
		switch {
		case strings.HasPrefix(l, "HELO "):
			w("250-fake greets you")
			w("250 ok") // multi-line reply: the client must read to the last line
		case strings.HasPrefix(l, "MAIL FROM:"):
			w("250 ok")
		case strings.HasPrefix(l, "RCPT TO:"):
			w(s.rcptCode + " rcpt")
		case l == "DATA":
			inData = true
			w("354 go ahead")
		case l == "QUIT":
			w("221 bye")
			return
		default:
			w("500 what")
		}
	}
}

// transcript returns the client lines of all finished sessions in the
// order the sessions ended.
func (s *fakeSMTP) transcript() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.sessions {
		out = append(out, l...)
	}
	return out
}

// finished returns a copy of the finished sessions.
func (s *fakeSMTP) finished() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]string(nil), s.sessions...)
}

func (s *fakeSMTP) waitSession(t *testing.T) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("SMTP session did not finish")
	}
}

func TestMailerDialogueIsKeepalivedsDialogue(t *testing.T) {
	s := newFakeSMTP(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := NewMailer(MailerConfig{
		Server: s.ln.Addr().String(), HeloName: "lb1.example.test", From: "lb@example.test",
		To: []string{"ops@example.test", "oncall@example.test"}, ConnectTimeout: 5 * time.Second,
		Now: func() time.Time { return now },
	})
	a, _ := AlertFor(InstanceEvent("VI_1", StateMaster, 100), "lb1")
	if !m.Send(a) {
		t.Fatal("Send refused")
	}
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.waitSession(t)
	want := []string{
		"HELO lb1.example.test",
		"MAIL FROM:<lb@example.test>",
		"RCPT TO:<ops@example.test>",
		"RCPT TO:<oncall@example.test>",
		"DATA",
		"Date: Fri, 02 Jan 2026 03:04:05 +0000",
		"From: lb@example.test",
		"Subject: [lb1] VRRP Instance VI_1 - Entering MASTER state",
		"X-Mailer: Keepalived",
		"To: ops@example.test, oncall@example.test",
		"",
		"=> VRRP Instance is now owning VRRP VIPs <=",
		".",
		"QUIT",
	}
	if got := s.transcript(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("dialogue:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st := m.Stats(); st.Sent != 1 || st.Failed != 0 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestMailerDefaultsHeloLocalhost(t *testing.T) {
	s := newFakeSMTP(t)
	m := NewMailer(MailerConfig{Server: s.ln.Addr().String(), From: "a@b", To: []string{"c@d"}})
	m.Send(Alert{Subject: "s", Body: "b"})
	m.Close(context.Background())
	s.waitSession(t)
	if got := s.transcript(); len(got) == 0 || got[0] != "HELO localhost" {
		t.Errorf("first command = %q, want HELO localhost", got)
	}
}

func TestMailerRejectedRecipientCountsFailure(t *testing.T) {
	s := newFakeSMTP(t, func(s *fakeSMTP) { s.rcptCode = "550" })
	m := NewMailer(MailerConfig{Server: s.ln.Addr().String(), From: "a@b", To: []string{"c@d"}})
	m.Send(Alert{Subject: "s", Body: "b"})
	m.Close(context.Background())
	if st := m.Stats(); st.Failed != 1 || st.Sent != 0 {
		t.Errorf("Stats = %+v, want 1 failed", st)
	}
	for _, l := range s.transcript() {
		if l == "DATA" {
			t.Error("client sent DATA after a rejected RCPT")
		}
	}
}

func TestMailerSilentServerNeverBlocksCaller(t *testing.T) {
	s := newFakeSMTP(t, func(s *fakeSMTP) { s.silent = true })
	m := NewMailer(MailerConfig{Server: s.ln.Addr().String(), From: "a@b", To: []string{"c@d"},
		ConnectTimeout: 200 * time.Millisecond, QueueLen: 2})
	start := time.Now()
	accepted := 0
	for range 10 {
		if m.Send(Alert{Subject: "s", Body: "b"}) {
			accepted++
		}
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("Send blocked for %v", el)
	}
	// One mail may already be in flight, so 2 or 3 are accepted.
	if accepted < 2 || accepted > 3 {
		t.Errorf("accepted %d mails with queue length 2", accepted)
	}
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := m.Stats()
	if st.Failed != uint64(accepted) || st.Dropped != uint64(10-accepted) || st.Sent != 0 {
		t.Errorf("Stats = %+v (accepted %d)", st, accepted)
	}
}

func TestMailerUnreachableServerFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	m := NewMailer(MailerConfig{Server: addr, From: "a@b", To: []string{"c@d"}, ConnectTimeout: time.Second})
	m.Send(Alert{Subject: "s", Body: "b"})
	m.Close(context.Background())
	if st := m.Stats(); st.Failed != 1 {
		t.Errorf("Stats = %+v, want 1 failed", st)
	}
}

func TestMailerDisabledWithoutRecipients(t *testing.T) {
	m := NewMailer(MailerConfig{Server: "127.0.0.1:25"})
	if m.Enabled() || m.Send(Alert{}) {
		t.Error("mailer without recipients must send nothing")
	}
	m.Close(context.Background())
}

// TestTestMailReportsTheServersReplies: a test mail runs now and returns
// each reply, so the operator sees the server's own words, also when it
// refuses.
func TestTestMailReportsTheServersReplies(t *testing.T) {
	ok := newFakeSMTP(t)
	replies, err := TestMail(context.Background(), MailerConfig{Server: ok.ln.Addr().String(), From: "a@b", To: []string{"c@d"}}, Alert{Subject: "s", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"greeting: 220", "HELO: 250", "MAIL: 250", "RCPT: 250", "DATA: 354", "end of DATA: 250", "QUIT: 221"}
	if len(replies) != len(want) {
		t.Fatalf("replies = %q", replies)
	}
	for i, w := range want {
		if !strings.HasPrefix(replies[i], w) {
			t.Errorf("reply %d = %q, want %q...", i, replies[i], w)
		}
	}
	refusing := newFakeSMTP(t, func(s *fakeSMTP) { s.rcptCode = "550" })
	replies, err = TestMail(context.Background(), MailerConfig{Server: refusing.ln.Addr().String(), From: "a@b", To: []string{"c@d"}}, Alert{Subject: "s", Body: "b"})
	if err == nil || len(replies) == 0 || !strings.HasPrefix(replies[len(replies)-1], "RCPT: 550") {
		t.Fatalf("refused mail: replies %q, err %v", replies, err)
	}
}
