package lvs

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alived/alived/internal/testenv"
	"github.com/alived/alived/internal/testsmtp"
)

// logRecord is one captured log line: its message and attributes.
type logRecord struct {
	msg   string
	attrs map[string]string
}

// logCapture is a slog.Handler that keeps every record and wakes waiters
// when one arrives.
type logCapture struct {
	mu      sync.Mutex
	records []logRecord
	wake    chan struct{}
}

func newLogCapture() *logCapture { return &logCapture{wake: make(chan struct{}, 1)} }

func (c *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (c *logCapture) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *logCapture) WithGroup(string) slog.Handler            { return c }
func (c *logCapture) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{msg: r.Message, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	c.mu.Lock()
	c.records = append(c.records, rec)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

// matching returns the records with message msg whose attributes include
// every key=value of attrs.
func (c *logCapture) matching(msg string, attrs ...string) []logRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []logRecord
	for _, r := range c.records {
		ok := r.msg == msg
		for i := 0; ok && i+1 < len(attrs); i += 2 {
			ok = r.attrs[attrs[i]] == attrs[i+1]
		}
		if ok {
			out = append(out, r)
		}
	}
	return out
}

// waitN waits until at least n records match and returns them.
func (c *logCapture) waitN(t *testing.T, within time.Duration, n int, msg string, attrs ...string) []logRecord {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		if got := c.matching(msg, attrs...); len(got) >= n {
			return got
		}
		select {
		case <-c.wake:
		case <-deadline.C:
			t.Fatalf("%d of %d log records %q %q after %v", len(c.matching(msg, attrs...)), n, msg, attrs, within)
		}
	}
}

// TestLogAllFailures checks keepalived's log_all_failures: with it (on
// the checker, or globally as checker_log_all_failures) every failed
// probe of an up checker is logged with the real server, the check and
// the reason, including those its retries forgive; without it only the
// checker's transition is. Once the checker is down, failures are not
// logged either way.
func TestLogAllFailures(t *testing.T) {
	for _, tc := range []struct {
		name, global, checker string
		perProbe              bool
	}{
		{"checker", "", "log_all_failures", true},
		{"global", "global_defs {\n checker_log_all_failures\n}\n", "", true},
		{"off", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newTCPServer(t)
			a.stop()
			logs := newLogCapture()
			conf := fmt.Sprintf(`%s
virtual_server 10.0.0.9 80 {
 delay_loop 0.2
 delay_before_retry 0.05
 retry 2
 warmup 0
 connect_timeout 0.5
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 127.0.0.1 %d {
  TCP_CHECK {
   %s
  }
 }
}
`, tc.global, a.addr.Port(), tc.checker)
			r := startRig(t, conf, func(o *Options) { o.Logger = slog.New(logs) })
			rs := fmt.Sprintf("127.0.0.1:%d", a.addr.Port())
			down := logs.waitN(t, 5*time.Second, 1, "lvs: checker down", "rs", rs, "check", "TCP_CHECK#1")
			if !strings.Contains(down[0].attrs["reason"], "connect") {
				t.Errorf("transition reason %q does not say what failed", down[0].attrs["reason"])
			}
			// Let the down checker fail twice more (the snapshot counts
			// probes), then count.
			runs := func() int {
				for _, v := range r.snapshot().VirtualServers {
					for _, rr := range v.RealServers {
						for _, c := range rr.Checks {
							return c.Runs
						}
					}
				}
				return 0
			}
			start := runs()
			deadline := time.Now().Add(5 * time.Second)
			for runs() < start+2 {
				if time.Now().After(deadline) {
					t.Fatal("checker stopped probing")
				}
				time.Sleep(20 * time.Millisecond) // polling the snapshot, not synchronising
			}
			failed := logs.matching("lvs: check failed", "rs", rs, "check", "TCP_CHECK#1")
			if !tc.perProbe {
				if len(failed) != 0 {
					t.Errorf("per-probe failures logged without log_all_failures: %v", failed)
				}
				return
			}
			// retry 2: three failed probes while up (two forgiven, the
			// third takes it down), none after.
			var attempts []string
			for _, f := range failed {
				attempts = append(attempts, f.attrs["attempt"])
				if !strings.Contains(f.attrs["reason"], "connect") || f.attrs["vs"] == "" {
					t.Errorf("failure record lacks the reason or virtual server: %v", f.attrs)
				}
			}
			if want := []string{"1/3", "2/3", "3/3"}; !slices.Equal(attempts, want) {
				t.Errorf("logged attempts %q, want %q", attempts, want)
			}
		})
	}
}

// mailbox reads the mails a test SMTP server has received.
type mailbox interface {
	// received returns every mail so far (headers and body).
	received() []string
}

func (m *mailSink) received() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.mails...)
}

// maildir reads OpenSMTPD's deliveries.
type maildir struct{ srv *testsmtp.Server }

func (m maildir) received() []string {
	files, _ := filepath.Glob(filepath.Join(m.srv.Maildir, "new", "*"))
	var out []string
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			out = append(out, strings.ReplaceAll(string(b), "\r\n", "\n"))
		}
	}
	return out
}

// mailSummary is "SUBJECT | BODY" of a mail, the part keepalived's
// behaviour decides.
func mailSummary(mail string) string {
	mail = strings.ReplaceAll(mail, "\r\n", "\n")
	head, body, _ := strings.Cut(mail, "\n\n")
	subject := ""
	for _, l := range strings.Split(head, "\n") {
		if s, ok := strings.CutPrefix(l, "Subject: "); ok {
			subject = s
		}
	}
	return subject + " | " + strings.TrimSpace(body)
}

// checkerMailScenario runs a real server with an HTTP_GET and a TCP_CHECK
// through: HTTP fails (the server goes down), TCP fails and recovers while
// HTTP holds the server down, HTTP recovers (the server comes back). It
// returns the summaries of the mails received, waiting for the last one,
// and the real server's port.
func checkerMailScenario(t *testing.T, smtpPort int, to string, noCheckerEmails bool, box mailbox) ([]string, int) {
	web := newHTTPServer(t)
	a := newTCPServer(t)
	logs := newLogCapture()
	flag := ""
	if noCheckerEmails {
		flag = "no_checker_emails"
	}
	conf := fmt.Sprintf(`
global_defs {
 router_id lb1
 notification_email {
  %[4]s
 }
 notification_email_from lb1@example.test
 smtp_server 127.0.0.1 %[3]d
 smtp_connect_timeout 5
 %[5]s
}
virtual_server 10.0.0.7 80 {
 %[6]s
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 127.0.0.1 %[1]d {
  smtp_alert
  HTTP_GET {
   url {
    path /health
    status_code 200
   }
  }
  TCP_CHECK {
   connect_port %[2]d
  }
 }
}
`, web.addr.Port(), a.addr.Port(), smtpPort, to, flag, timing)
	r := startRig(t, conf, func(o *Options) { o.Logger = slog.New(logs) })
	r.waitDests("TCP 10.0.0.7:80", at(web.addr, 1), 2*time.Second)
	rs := fmt.Sprintf("127.0.0.1:%d", web.addr.Port())
	step := func(msg, check string, n int) {
		t.Helper()
		logs.waitN(t, downBound()+5*time.Second, n, msg, "rs", rs, "check", check)
	}
	web.status.Store(500)
	step("lvs: checker down", "HTTP_GET#1", 1)
	r.waitDests("TCP 10.0.0.7:80", "", 2*time.Second)
	a.stop()
	step("lvs: checker down", "TCP_CHECK#1", 1)
	a.start()
	step("lvs: checker up", "TCP_CHECK#1", 1)
	web.status.Store(200)
	step("lvs: checker up", "HTTP_GET#1", 1)
	r.waitDests("TCP 10.0.0.7:80", at(web.addr, 1), 2*time.Second)

	// The mail of the last change (the server back UP) is queued after
	// all the others and the Mailer sends one at a time, so once the MTA
	// has accepted it (the Mailer logs that), every mail alived sent is
	// known. A real MTA delivers into Maildir on its own time, and its
	// spool may still hold other tests' mails: wait for that many mails
	// about this real server.
	logs.waitN(t, 20*time.Second, 1, "SMTP alert successfully sent", "subject",
		fmt.Sprintf("[lb1] Realserver [127.0.0.1]:tcp:%d of virtual server [10.0.0.7]:tcp:80 - UP", web.addr.Port()))
	n := len(logs.matching("SMTP alert successfully sent"))
	about := fmt.Sprintf("Realserver [127.0.0.1]:tcp:%d ", web.addr.Port())
	var got []string
	deadline := time.Now().Add(20 * time.Second)
	for {
		got = got[:0]
		for _, m := range box.received() {
			if s := mailSummary(m); strings.Contains(s, about) {
				got = append(got, s)
			}
		}
		if len(got) >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mails sent, %d delivered: %q", n, len(got), got)
		}
		time.Sleep(20 * time.Millisecond) // polling the mailbox: delivery has no other signal
	}
	return got, int(web.addr.Port())
}

// wantCheckerMails is what keepalived 2.2.7 sends in checkerMailScenario:
// every checker change is mailed, with the real server's state in the
// subject, unless no_checker_emails limits mails to the changes that move
// the real server.
func wantCheckerMails(port int, noCheckerEmails bool) []string {
	subj := func(state string) string {
		return fmt.Sprintf("[lb1] Realserver [127.0.0.1]:tcp:%d of virtual server [10.0.0.7]:tcp:80 - %s", port, state)
	}
	httpDown := subj("DOWN") + " | => CHECK failed on service : HTTP_GET HTTP_GET#1 failed: "
	up := subj("UP") + " | => CHECK succeed on service <="
	if noCheckerEmails {
		return []string{httpDown, up}
	}
	return []string{
		httpDown,
		subj("DOWN") + " | => TCP CHECK failed on service <=",
		subj("DOWN") + " | => TCP CHECK succeed on service <=",
		up,
	}
}

// matchMails compares received summaries with wanted ones; a wanted entry
// ending in ": " matches any reason after it. With ordered false the
// mails may come in any order (Maildir file names do not keep it).
func matchMails(t *testing.T, got, want []string, ordered bool) {
	t.Helper()
	if !ordered {
		got, want = slices.Clone(got), slices.Clone(want)
		slices.Sort(got)
		slices.Sort(want)
	}
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		if strings.HasSuffix(want[i], ": ") {
			ok = strings.HasPrefix(got[i], want[i])
		} else {
			ok = got[i] == want[i]
		}
	}
	if !ok {
		t.Errorf("mails:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestNoCheckerEmails runs checkerMailScenario against a loopback SMTP
// sink, with and without no_checker_emails.
func TestNoCheckerEmails(t *testing.T) {
	for _, flag := range []bool{false, true} {
		t.Run(fmt.Sprintf("no_checker_emails=%v", flag), func(t *testing.T) {
			sink := newMailSink(t)
			port := sink.ln.Addr().(*net.TCPAddr).Port
			got, rsPort := checkerMailScenario(t, port, "ops@example.com", flag, sink)
			matchMails(t, got, wantCheckerMails(rsPort, flag), true)
		})
	}
}

// TestNoCheckerEmailsOpenSMTPD is TestNoCheckerEmails against a real MTA
// (root tier: OpenSMTPD needs root).
func TestNoCheckerEmailsOpenSMTPD(t *testing.T) {
	testenv.RequireNetns(t)
	smtpd := testenv.RequireBinary(t, "smtpd")
	for _, flag := range []bool{false, true} {
		t.Run(fmt.Sprintf("no_checker_emails=%v", flag), func(t *testing.T) {
			srv := testsmtp.Start(t, smtpd)
			_, p, _ := net.SplitHostPort(srv.Addr)
			var port int
			fmt.Sscan(p, &port)
			got, rsPort := checkerMailScenario(t, port, "ops@"+testsmtp.Domain, flag, maildir{srv})
			matchMails(t, got, wantCheckerMails(rsPort, flag), false)
		})
	}
}

// TestRealServerSMTPAlertDefault checks where a real server's smtp_alert
// comes from in keepalived 2.2.7: its own keyword, else global
// smtp_alert_checker, else global smtp_alert, else on; never from its
// virtual server (whose smtp_alert only governs quorum mails).
func TestRealServerSMTPAlertDefault(t *testing.T) {
	for _, tc := range []struct {
		name, global, vs, rs string
		wantVS, wantRS       bool
	}{
		{"nothing set", "", "", "", false, true},
		{"virtual server off", "", "smtp_alert off", "", false, true},
		{"virtual server on", "", "smtp_alert", "", true, true},
		{"global smtp_alert_checker off", "smtp_alert_checker off", "smtp_alert", "", true, false},
		{"global smtp_alert off", "smtp_alert off", "", "", false, false},
		{"global smtp_alert on", "smtp_alert", "", "", true, true},
		{"checker switch wins over smtp_alert", "smtp_alert\n smtp_alert_checker off", "", "", false, false},
		{"real server's own", "smtp_alert", "", "smtp_alert off", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := fmt.Sprintf(`
global_defs {
 %s
}
virtual_server 10.0.0.1 80 {
 %s
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 10.1.0.1 80 {
  %s
 }
}
`, tc.global, tc.vs, tc.rs)
			vs := BuildPlan(loadConfig(t, t.TempDir(), conf)).VirtualServers[0]
			if vs.SMTPAlert != tc.wantVS || vs.Reals[0].SMTPAlert != tc.wantRS {
				t.Errorf("smtp_alert: virtual server %v real server %v, want %v %v", vs.SMTPAlert, vs.Reals[0].SMTPAlert, tc.wantVS, tc.wantRS)
			}
		})
	}
}
