package healthcheck

import (
	"bufio"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// The SMTP server in these tests is github.com/emersion/go-smtp, a complete
// RFC 5321 server implementation (it backs the maddy mail server): a real
// server of its kind that runs in-process on loopback, so the check is
// exercised in the unit tier without installing and configuring an MTA.

type smtpBackend struct{}

func (smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return smtpSession{}, nil }

type smtpSession struct{}

func (smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (smtpSession) Data(io.Reader) error                 { return nil }
func (smtpSession) Reset()                               {}
func (smtpSession) Logout() error                        { return nil }

func TestSMTPCheckAgainstRealServer(t *testing.T) {
	l := listen(t)
	srv := smtp.NewServer(smtpBackend{})
	srv.Domain = "mx.test"
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	c, err := NewSMTP(SMTPOptions{Conn: Conn{Addr: addrOf(t, l.Addr())}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := checkWithin(t, c, 2*time.Second)
	mustPass(t, r)
}

// scriptedSMTP answers with fixed replies and records the client's lines.
func scriptedSMTP(t *testing.T, banner, heloReply string) (netip.AddrPort, <-chan []string) {
	t.Helper()
	l := listen(t)
	lines := make(chan []string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		var got []string
		defer func() { lines <- got }()
		br := bufio.NewReader(c)
		io.WriteString(c, banner)
		for _, reply := range []string{heloReply, "221 bye\r\n"} {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			got = append(got, strings.TrimRight(line, "\r\n"))
			io.WriteString(c, reply)
		}
	}()
	return addrOf(t, l.Addr()), lines
}

func TestSMTPDialogue(t *testing.T) {
	ap, lines := scriptedSMTP(t, "220-first line\r\n220 ready\r\n", "250 hi\r\n")
	c, err := NewSMTP(SMTPOptions{Conn: Conn{Addr: ap}, HeloName: "lb1.example"})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := checkWithin(t, c, time.Second)
	mustPass(t, r)
	got := <-lines
	if want := []string{"HELO lb1.example", "QUIT"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("client sent %q, want %q", got, want)
	}
}

func TestSMTPDefaultHelo(t *testing.T) {
	ap, lines := scriptedSMTP(t, "220 ready\r\n", "250 hi\r\n")
	c, _ := NewSMTP(SMTPOptions{Conn: Conn{Addr: ap}})
	mustPass(t, c.Check(t.Context()))
	if got := <-lines; len(got) == 0 || got[0] != "HELO "+DefaultHeloName {
		t.Errorf("client sent %q", got)
	}
}

func TestSMTPFailures(t *testing.T) {
	for name, replies := range map[string][2]string{
		"banner 554":   {"554 no service\r\n", "250 hi\r\n"},
		"HELO refused": {"220 ready\r\n", "501 bad helo\r\n"},
	} {
		t.Run(name, func(t *testing.T) {
			ap, _ := scriptedSMTP(t, replies[0], replies[1])
			c, _ := NewSMTP(SMTPOptions{Conn: Conn{Addr: ap}})
			r, _ := checkWithin(t, c, time.Second)
			mustFail(t, r, name)
		})
	}
	t.Run("endless reply", func(t *testing.T) {
		l := listen(t)
		go func() {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			for {
				if _, err := io.WriteString(c, "220-"+strings.Repeat("x", 1000)+"\r\n"); err != nil {
					return
				}
			}
		}()
		c, _ := NewSMTP(SMTPOptions{Conn: Conn{Addr: addrOf(t, l.Addr())}})
		r, took := checkWithin(t, c, 5*time.Second)
		mustFail(t, r, "endless multi-line banner")
		if took > time.Second || !strings.Contains(r.Err.Error(), "longer than") {
			t.Errorf("got %v after %v: the reply bound should end the probe early", r.Err, took)
		}
	})
	t.Run("refused", func(t *testing.T) {
		c, _ := NewSMTP(SMTPOptions{Conn: Conn{Addr: closedPort(t)}})
		r, _ := checkWithin(t, c, time.Second)
		mustFail(t, r, "refused")
	})
	t.Run("no banner", func(t *testing.T) {
		c, _ := NewSMTP(SMTPOptions{Conn: Conn{Addr: silentServer(t)}})
		r, _ := checkWithin(t, c, 300*time.Millisecond)
		mustFail(t, r, "silent")
		if !errors.Is(r.Err, ErrTimeout) {
			t.Errorf("%v is not a timeout", r.Err)
		}
	})
	if _, err := NewSMTP(SMTPOptions{Conn: Conn{Addr: closedPort(t)}, HeloName: "a b"}); err == nil {
		t.Error("helo_name with a space accepted")
	}
}
