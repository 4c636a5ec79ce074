package notify

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/alived/alived/internal/netlab"
	"github.com/alived/alived/internal/testenv"
)

// TestKeepalivedOracle runs real keepalived 2.2.7 in a private network
// namespace with a notify_fifo, a generic notify script on an instance and
// a sync group, and smtp_alert pointed at a capturing SMTP server inside
// the namespace. Every FIFO line, every script argv and every mail
// keepalived produces is compared byte for byte with what this package
// produces for the same event.
func TestKeepalivedOracle(t *testing.T) {
	testenv.RequireNetns(t)
	keepalived := testenv.RequireBinary(t, "keepalived")

	ns := fmt.Sprintf("alvF%d", os.Getpid())
	ipNS := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip -n %s %v: %v\n%s", ns, args, err, out)
		}
	}
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	ipNS("link", "set", "lo", "up")
	// A veth pair with both ends in the namespace: adverts go nowhere,
	// so the instance becomes master on its own.
	ipNS("link", "add", "d0", "type", "veth", "peer", "name", "d1")
	ipNS("addr", "add", "10.213.0.1/24", "dev", "d0")
	ipNS("link", "set", "d0", "up")
	ipNS("link", "set", "d1", "up")

	// The capturing SMTP server listens on the namespace's loopback.
	ln := listenInNetns(t, ns)
	smtp := serveFakeSMTP(t, ln)
	_, smtpPort, _ := net.SplitHostPort(ln.Addr().String())

	dir := t.TempDir()
	argvLog := filepath.Join(dir, "argv.log")
	gen := filepath.Join(dir, "gen.sh")
	if err := os.WriteFile(gen, []byte("#!/bin/sh\nIFS='|'; echo \"$0|$*\" >> "+argvLog+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	fifoPath := filepath.Join(dir, "notify.fifo")
	if err := unix.Mkfifo(fifoPath, 0o600); err != nil {
		t.Fatal(err)
	}
	// O_RDWR: the reader never sees EOF before keepalived opens its end.
	rfd, err := unix.Open(fifoPath, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	fifoR := os.NewFile(uintptr(rfd), fifoPath)
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		br := bufio.NewReader(fifoR)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			lines <- l
		}
	}()
	t.Cleanup(func() { fifoR.Close() })

	conf := filepath.Join(dir, "keepalived.conf")
	cfg := fmt.Sprintf(`global_defs {
  router_id lbF
  notification_email {
    ops@example.test
    oncall@example.test
  }
  notification_email_from ka@example.test
  smtp_server 127.0.0.1 %s
  smtp_helo_name helo.example.test
  smtp_connect_timeout 5
  notify_fifo %s
  script_user root
}
vrrp_sync_group G1 {
  group {
    VI_1
  }
  notify "%s grp"
  smtp_alert
}
vrrp_instance VI_1 {
  state BACKUP
  interface d0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.213.0.100/24
  }
  notify "%s inst"
  notify_master "%s master"
  smtp_alert
}
`, smtpPort, fifoPath, gen, gen, gen)
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, keepalived, "-n", "-l", "-D", "-P", "-f", conf,
		"-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"))
	logf, err := os.Create(filepath.Join(dir, "keepalived.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		// ip netns exec execs keepalived, so this pid is keepalived's.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})
	logOnFail := func() {
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("keepalived log:\n%s", b)
		}
	}
	defer logOnFail()

	var got []string
	waitFor := func(want string) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("FIFO closed before %q", want)
				}
				got = append(got, l)
				if l == want {
					return
				}
			case <-deadline:
				t.Fatalf("no FIFO line %q from keepalived; got %q", want, got)
			}
		}
	}
	waitFor(GroupEvent("G1", StateMaster).FIFOLine())
	waitMails(t, smtp, 2, "Entering MASTER state")
	stop()
	stopped = true
	waitFor(InstanceEvent("VI_1", StateStop, 100).FIFOLine())

	// Every line keepalived wrote must be exactly what we write for the
	// event it describes.
	lineRE := regexp.MustCompile(`^(INSTANCE|GROUP) "([^"]*)" ([A-Z_]+) (\d+)\n$`)
	for _, l := range got {
		m := lineRE.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("keepalived FIFO line %q has an unexpected shape", l)
			continue
		}
		e := eventFrom(t, m[1], m[2], m[3], m[4])
		if ours := e.FIFOLine(); ours != l {
			t.Errorf("FIFO line: keepalived %q, ours %q", l, ours)
		}
	}

	// Every generic notify invocation must have our argv.
	b, err := os.ReadFile(argvLog)
	if err != nil {
		t.Fatalf("generic notify script never ran: %v", err)
	}
	scripts := map[string]VRRPScripts{
		"inst": {Generic: &Command{Argv: []string{gen, "inst"}}},
		"grp":  {Generic: &Command{Argv: []string{gen, "grp"}}},
	}
	var runs []string
	sawMaster := false
	for _, run := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if argv := strings.Split(run, "|"); len(argv) > 1 && argv[1] == "master" {
			// notify_master: configured arguments only.
			sawMaster = true
			s := VRRPScripts{Master: &Command{Argv: []string{gen, "master"}}}
			cmds := s.Commands(InstanceEvent("VI_1", StateMaster, 100))
			if len(cmds) != 1 || strings.Join(cmds[0].Argv, "|") != run {
				t.Errorf("notify_master argv: keepalived %q, ours %v", run, cmds)
			}
			continue
		}
		runs = append(runs, run)
	}
	if !sawMaster {
		t.Error("notify_master never ran")
	}
	if len(runs) < 4 {
		t.Errorf("generic notify ran %d times, want at least BACKUP/MASTER for instance and group: %q", len(runs), runs)
	}
	for _, run := range runs {
		argv := strings.Split(run, "|")
		if len(argv) != 6 {
			t.Errorf("generic notify argv %q: want script, 1 configured and 4 extra arguments", argv)
			continue
		}
		e := eventFrom(t, argv[2], argv[3], argv[4], argv[5])
		cmds := scripts[argv[1]].Commands(e)
		if len(cmds) != 1 || strings.Join(cmds[0].Argv, "|") != run {
			t.Errorf("generic notify argv: keepalived %q, ours %v", run, cmds)
		}
	}

	// Every mail keepalived sent must have our dialogue and message, up to
	// the Date value.
	// Sessions opened while keepalived exits (its STOP mails) end before
	// HELO; keepalived itself never completes them.
	complete := 0
	for _, s := range smtp.finished() {
		if len(s) == 0 {
			continue
		}
		complete++
		compareMail(t, s)
	}
	if complete < 2 {
		t.Errorf("keepalived completed %d mails, want at least the 2 MASTER ones", complete)
	}
}

// eventFrom builds the Event a keepalived line or argv describes.
func eventFrom(t *testing.T, kind, name, state, prio string) Event {
	t.Helper()
	var st State
	for s := StateMaster; s <= StateBackupPriority; s++ {
		if s.String() == state {
			st = s
		}
	}
	if st == 0 {
		t.Errorf("unknown keepalived state %q", state)
	}
	p, err := strconv.Atoi(prio)
	if err != nil {
		t.Errorf("priority %q: %v", prio, err)
	}
	if kind == "GROUP" {
		return GroupEvent(name, st)
	}
	return InstanceEvent(name, st, p)
}

// compareMail checks one captured keepalived SMTP session against ours.
func compareMail(t *testing.T, s []string) {
	t.Helper()
	var subject, date string
	for _, l := range s {
		if v, ok := strings.CutPrefix(l, "Subject: "); ok {
			subject = v
		}
		if v, ok := strings.CutPrefix(l, "Date: "); ok {
			date = v
		}
	}
	d, err := time.Parse(rfc822Date, date)
	if err != nil {
		t.Errorf("keepalived Date %q does not parse with our layout: %v\nsession: %q", date, err, s)
		return
	}
	// Find the event whose alert has this subject.
	var alert Alert
	found := false
	for _, e := range []Event{
		InstanceEvent("VI_1", StateMaster, 0), InstanceEvent("VI_1", StateBackup, 0),
		InstanceEvent("VI_1", StateFault, 0), InstanceEvent("VI_1", StateStop, 0),
		GroupEvent("G1", StateMaster), GroupEvent("G1", StateBackup),
		GroupEvent("G1", StateFault), GroupEvent("G1", StateStop),
	} {
		if a, _ := AlertFor(e, "lbF"); a.Subject == subject {
			alert, found = a, true
		}
	}
	if !found {
		t.Errorf("keepalived subject %q matches none of ours", subject)
		return
	}
	to := []string{"ops@example.test", "oncall@example.test"}
	want := []string{"HELO helo.example.test", "MAIL FROM:<ka@example.test>", "RCPT TO:<ops@example.test>", "RCPT TO:<oncall@example.test>", "DATA"}
	msg := strings.TrimSuffix(string(Message(d, "ka@example.test", to, alert)), "\r\n")
	want = append(want, strings.Split(msg, "\r\n")...)
	// keepalived ends the body with an extra empty line before the dot.
	want = append(want, "", ".", "QUIT")
	if strings.Join(s, "\n") != strings.Join(want, "\n") {
		t.Errorf("mail dialogue:\nkeepalived:\n%s\nours:\n%s", strings.Join(s, "\n"), strings.Join(want, "\n"))
	}
}

// waitMails waits until n finished sessions have a subject containing sub.
func waitMails(t *testing.T, s *fakeSMTP, n int, sub string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		count := 0
		for _, sess := range s.finished() {
			for _, l := range sess {
				if strings.HasPrefix(l, "Subject: ") && strings.Contains(l, sub) {
					count++
				}
			}
		}
		if count >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d mails with %q after 20s: %q", count, sub, s.finished())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// listenInNetns opens a TCP listener on 127.0.0.1 inside namespace name.
// The socket keeps belonging to that namespace after netlab.Do returns.
func listenInNetns(t *testing.T, name string) net.Listener {
	t.Helper()
	var ln net.Listener
	if err := netlab.Do(name, func() (err error) {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return ln
}
