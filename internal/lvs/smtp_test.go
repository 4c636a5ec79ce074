package lvs

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// mailSink is a minimal SMTP server on loopback that stores the DATA of
// every mail it accepts.
type mailSink struct {
	ln    net.Listener
	mu    sync.Mutex
	mails []string
	wg    sync.WaitGroup
}

func newMailSink(t *testing.T) *mailSink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &mailSink{ln: ln}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			m.wg.Add(1)
			go func() {
				defer m.wg.Done()
				m.session(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); m.wg.Wait() })
	return m
}

func (m *mailSink) session(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(s string) { fmt.Fprintf(c, "%s\r\n", s) }
	say("220 sink")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
		case cmd == "DATA":
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			m.mu.Lock()
			m.mails = append(m.mails, b.String())
			m.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func (m *mailSink) wait(t *testing.T, within time.Duration, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		m.mu.Lock()
		mails := append([]string(nil), m.mails...)
		m.mu.Unlock()
		for _, mail := range mails {
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(mail, w)
			}
			if ok {
				return mail
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mails %q, want one containing all of %q", mails, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSMTPAlertsOnRealServerAndQuorum(t *testing.T) {
	sink := newMailSink(t)
	a := newTCPServer(t)
	addr := sink.ln.Addr().(*net.TCPAddr)
	conf := fmt.Sprintf(`
global_defs {
 router_id lb1
 notification_email {
  ops@example.com
 }
 notification_email_from lb1@example.com
 smtp_server 127.0.0.1 %[3]d
 smtp_connect_timeout 5
}
virtual_server 10.0.0.6 80 {
 %[1]s
 smtp_alert
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 127.0.0.1 %[2]d {
  TCP_CHECK { }
 }
}
`, timing, a.addr.Port(), addr.Port)
	r := startRig(t, conf, nil)
	r.waitDests("TCP 10.0.0.6:80", at(a.addr, 1), time.Second)
	a.stop()
	sink.wait(t, downBound()+5*time.Second,
		fmt.Sprintf("Subject: [lb1] Realserver [127.0.0.1]:tcp:%d of virtual server [10.0.0.6]:tcp:80 - DOWN\r\n", a.addr.Port()),
		"\r\n\r\n=> TCP CHECK failed on service <=")
	sink.wait(t, 5*time.Second, "Subject: [lb1] Virtualserver [10.0.0.6]:tcp:80 - DOWN\r\n", "=> Lost quorum")
	a.start()
	sink.wait(t, delayLoop+margin+5*time.Second,
		fmt.Sprintf("Subject: [lb1] Realserver [127.0.0.1]:tcp:%d of virtual server [10.0.0.6]:tcp:80 - UP\r\n", a.addr.Port()),
		"=> TCP CHECK succeed on service <=")
	sink.wait(t, 5*time.Second, "Subject: [lb1] Virtualserver [10.0.0.6]:tcp:80 - UP\r\n", "=> Gained quorum")
}
