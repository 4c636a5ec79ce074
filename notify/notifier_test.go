package notify

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNotifierDoesScriptsFIFOsAndMail(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "scripts")
	script := writeScript(t, "log.sh", `echo "$*" >> "$OUT"`+"\n")
	t.Setenv("OUT", out)

	all, err := OpenFIFO(filepath.Join(dir, "all"), FIFOOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vrrpF, err := OpenFIFO(filepath.Join(dir, "vrrp"), FIFOOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lvsF, err := OpenFIFO(filepath.Join(dir, "lvs"), FIFOOptions{})
	if err != nil {
		t.Fatal(err)
	}
	smtp := newFakeSMTP(t)
	n := NewNotifier(Config{
		RouterID: "lb1",
		Runner:   &Runner{Timeout: 5 * time.Second},
		FIFO:     all, VRRPFIFO: vrrpF, LVSFIFO: lvsF,
		Mailer:        NewMailer(MailerConfig{Server: smtp.ln.Addr().String(), From: "a@b", To: []string{"c@d"}}),
		NoEmailFaults: true,
	})
	scripts := VRRPScripts{
		Master:  &Command{Argv: []string{script, "master"}},
		Generic: &Command{Argv: []string{script, "generic"}},
	}
	events := []Event{
		InstanceEvent("VI_1", StateMaster, 100),
		InstanceEvent("VI_1", StateMaster, 100), // same state again: no second mail
		InstanceEvent("VI_1", StateFault, 0),    // no_email_faults: no mail
		RealServerEvent(vs80, rs80, false, CheckBody("TCP", false, "")),
	}
	for _, e := range events {
		var cmds []Command
		if e.Kind == KindInstance {
			cmds = scripts.Commands(e)
		}
		if !n.Notify(e, cmds, true) {
			t.Fatalf("Notify(%v) reported a loss", e)
		}
	}
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	b, _ := os.ReadFile(out)
	wantScripts := "master\ngeneric INSTANCE VI_1 MASTER 100\nmaster\ngeneric INSTANCE VI_1 MASTER 100\ngeneric INSTANCE VI_1 FAULT 0\n"
	if string(b) != wantScripts {
		t.Errorf("scripts ran:\n%s\nwant:\n%s", b, wantScripts)
	}
	// Close removed the FIFOs it created, so read what is left through the
	// counters: notify_fifo got all 4 lines, the class FIFOs their share.
	st := n.Stats()
	if st.FIFO.Written != 4 || st.VRRPFIFO.Written != 3 || st.LVSFIFO.Written != 1 {
		t.Errorf("FIFO lines written: notify %d (want 4), vrrp %d (want 3), lvs %d (want 1)",
			st.FIFO.Written, st.VRRPFIFO.Written, st.LVSFIFO.Written)
	}
	if st.Mail.Sent != 2 || st.ScriptsFailed != 0 || st.Scripts.Done != 3 {
		t.Errorf("Stats = %+v, want 2 mails, 3 script batches", st)
	}
	var subjects []string
	for _, l := range smtp.transcript() {
		if s, ok := strings.CutPrefix(l, "Subject: "); ok {
			subjects = append(subjects, s)
		}
	}
	want := []string{
		"[lb1] VRRP Instance VI_1 - Entering MASTER state",
		"[lb1] Realserver [1.2.3.4]:tcp:80 of virtual server [192.168.201.15]:tcp:80 - DOWN",
	}
	if strings.Join(subjects, "\n") != strings.Join(want, "\n") {
		t.Errorf("mails:\n%s\nwant:\n%s", strings.Join(subjects, "\n"), strings.Join(want, "\n"))
	}
}

func TestNotifierFIFOLinesInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	f, err := OpenFIFO(path, FIFOOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := openReader(t, path)
	defer r.Close()
	n := NewNotifier(Config{VRRPFIFO: f})
	defer n.Close(context.Background())
	events := []Event{
		InstanceEvent("VI_1", StateBackup, 100),
		GroupEvent("G", StateBackup),
		InstanceEvent("VI_1", StateMaster, 100),
		GroupEvent("G", StateMaster),
		QuorumEvent(vs80, true, ""), // LVS: not on vrrp_notify_fifo
	}
	for _, e := range events {
		n.Notify(e, nil, false)
	}
	br := bufio.NewReader(r)
	for _, e := range events[:4] {
		got, err := br.ReadString('\n')
		if err != nil || got != e.FIFOLine() {
			t.Fatalf("read %q, %v; want %q", got, err, e.FIFOLine())
		}
	}
}

func TestNotifierStopScriptsGetOneSecond(t *testing.T) {
	script := writeScript(t, "hang.sh", "exec sleep 300\n")
	n := NewNotifier(Config{Runner: &Runner{Timeout: time.Minute, KillGrace: 100 * time.Millisecond}})
	s := VRRPScripts{Stop: &Command{Argv: []string{script}}}
	e := InstanceEvent("VI_1", StateStop, 100)
	start := time.Now()
	n.Notify(e, s.Commands(e), false)
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < StopScriptTimeout || el > 10*time.Second {
		t.Errorf("stop script ran %v, want about %v", el, StopScriptTimeout)
	}
	if st := n.Stats(); st.ScriptsTimedOut != 1 || st.ScriptsFailed != 0 || st.Scripts.Done != 1 {
		t.Errorf("Stats = %+v, want one timed-out script", st)
	}
}
