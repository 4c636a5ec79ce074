package daemon_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/internal/netlab"
)

// v3 is the fast instance template of these tests: VRRPv3, advert_int
// 0.1, so master-down is about 0.35 s.
func v3(prio int, vips ...string) instConf {
	return instConf{VRID: 60, Priority: prio, Version: 3, AdvertInt: "0.1", VIPs: vips}
}

// TestThreeNodePartition partitions the master of three nodes away by
// downing its bridge port, checks that the remaining two elect the next
// priority, then heals the partition and checks that exactly one master
// (the highest priority) remains.
func TestThreeNodePartition(t *testing.T) {
	f := fam4
	lab, n := newLab(t, []string{"a", f.a}, []string{"b", f.b}, []string{"c", f.c})
	a, b, c := n["a"], n["b"], n["c"]
	all := []*netlab.Node{a, b, c}
	startAlived(t, a, conf("", v3(150, f.vipCfg)))
	startAlived(t, b, conf("", v3(120, f.vipCfg)))
	startAlived(t, c, conf("", v3(100, f.vipCfg)))
	onlyHolder(t, 3*time.Second, f.vip, a, all...)

	port := lab.Prefix + "v0" // a's end on the bridge
	hub := lab.Prefix + "-hub"
	if _, err := a.Output("ip", "-n", hub, "link", "set", port, "down"); err != nil {
		t.Fatal(err)
	}
	// a is alone and stays master of its own segment; b wins the rest.
	eventually(t, 2*time.Second, "b takes over in the partition", func() bool {
		h := holders(t, f.vip, b, c)
		return len(h) == 1 && h[0] == "b"
	})
	if _, err := a.Output("ip", "-n", hub, "link", "set", port, "up"); err != nil {
		t.Fatal(err)
	}
	onlyHolder(t, 3*time.Second, f.vip, a, all...)
	stableHolder(t, time.Second, f.vip, a, all...)
}

// TestNoPreempt: with nopreempt, a higher-priority node that joins later
// stays backup; it takes over only when the master leaves.
func TestNoPreempt(t *testing.T) {
	f := fam4
	_, n := newLab(t, []string{"a", f.a}, []string{"b", f.b})
	a, b := n["a"], n["b"]
	np := func(prio int) string {
		ic := v3(prio, f.vipCfg)
		ic.State, ic.Extra = "BACKUP", "    nopreempt\n"
		return conf("", ic)
	}
	pb := startAlived(t, b, np(100))
	onlyHolder(t, 3*time.Second, f.vip, b, a, b)
	pa := startAlived(t, a, np(150))
	eventually(t, 3*time.Second, "a running as backup", func() bool { return pa.logHas("to=BACKUP") })
	stableHolder(t, 1500*time.Millisecond, f.vip, b, a, b)
	pb.kill(syscall.SIGTERM)
	onlyHolder(t, 2*time.Second, f.vip, a, a, b)
}

// fifoReader collects the lines alived writes to a notify FIFO that the
// test created and holds open.
type fifoReader struct {
	lines chan string
}

func newFIFO(t *testing.T, path string) *fifoReader {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	// O_RDWR: the open does not wait for a writer and reads never see EOF
	// when alived closes and reopens its end.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := &fifoReader{lines: make(chan string, 100)}
	go func() {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
		close(r.lines)
	}()
	t.Cleanup(func() { f.Close() })
	return r
}

// expect waits for the next FIFO line and compares it. MASTER_RX_LOWER_PRI
// lines are skipped: a master writes one whenever an advert of the old
// master's last moments reaches it, which depends on timing alone.
func (r *fifoReader) expect(t *testing.T, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case got := <-r.lines:
			if strings.Contains(got, " MASTER_RX_LOWER_PRI ") && !strings.Contains(want, " MASTER_RX_LOWER_PRI ") {
				continue
			}
			if got != want {
				t.Fatalf("FIFO line %q, want %q", got, want)
			}
			return
		case <-deadline:
			t.Fatalf("no FIFO line %q within %v", want, timeout)
		}
	}
}

// TestTrackersAndNotify runs a master whose priority follows a
// track_script (weight -60) and a track_file (weight -1 and a weight-0
// one that means FAULT), against a backup of priority 100, and checks the
// failovers these cause, the notify FIFO lines in keepalived's format and
// the generic notify script's four arguments.
func TestTrackersAndNotify(t *testing.T) {
	f := fam4
	_, n := newLab(t, []string{"a", f.a}, []string{"b", f.b})
	a, b := n["a"], n["b"]
	dir := t.TempDir()
	flag := filepath.Join(dir, "healthy")
	weightFile := filepath.Join(dir, "weight")
	faultFile := filepath.Join(dir, "fault")
	for file, content := range map[string]string{flag: "", weightFile: "0\n", faultFile: "0\n"} {
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fifoPath := filepath.Join(dir, "notify.fifo")
	fifo := newFIFO(t, fifoPath)
	notifyLog := filepath.Join(dir, "notify.log")
	script := filepath.Join(dir, "notify.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\" >> "+notifyLog+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	global := "    notify_fifo " + fifoPath + "\n"
	objs := fmt.Sprintf(`vrrp_script chk {
    script "/bin/test -e %s"
    interval 0.1
    # The default timeout is the interval: on a loaded CI machine one slow
    # fork would count as a failure (fall 1) and flip the master.
    timeout 2
    weight -60
    rise 1
    fall 1
}
track_file weight_file {
    file %s
    weight -1
}
track_file fault_file {
    file %s
    weight 0
}
`, flag, weightFile, faultFile)
	ia := v3(150, f.vipCfg)
	ia.Extra = "    track_script {\n        chk\n    }\n    track_file {\n        weight_file\n        fault_file\n    }\n" +
		"    notify " + script + "\n"
	pa := startAlived(t, a, conf(global, ia)+objs)
	startAlived(t, b, conf("", v3(100, f.vipCfg)))

	fifo.expect(t, `INSTANCE "VI_1" BACKUP 150`, 3*time.Second)
	fifo.expect(t, `INSTANCE "VI_1" MASTER 150`, 3*time.Second)
	onlyHolder(t, 2*time.Second, f.vip, a, a, b)

	// The script fails: 150 - 60 = 90 < 100, b preempts.
	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	fifo.expect(t, `INSTANCE "VI_1" BACKUP 90`, 3*time.Second)
	onlyHolder(t, 2*time.Second, f.vip, b, a, b)
	// It recovers; then the weight file takes 60 off instead.
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fifo.expect(t, `INSTANCE "VI_1" MASTER 150`, 3*time.Second)
	onlyHolder(t, 2*time.Second, f.vip, a, a, b)
	if err := os.WriteFile(weightFile, []byte("60\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo.expect(t, `INSTANCE "VI_1" BACKUP 90`, 3*time.Second)
	onlyHolder(t, 2*time.Second, f.vip, b, a, b)
	if err := os.WriteFile(weightFile, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo.expect(t, `INSTANCE "VI_1" MASTER 150`, 3*time.Second)
	// A weight-0 tracker that fails means FAULT.
	if err := os.WriteFile(faultFile, []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo.expect(t, `INSTANCE "VI_1" FAULT 150`, 3*time.Second)
	onlyHolder(t, 2*time.Second, f.vip, b, a, b)
	if err := os.WriteFile(faultFile, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo.expect(t, `INSTANCE "VI_1" BACKUP 150`, 3*time.Second)
	fifo.expect(t, `INSTANCE "VI_1" MASTER 150`, 3*time.Second)
	pa.kill(syscall.SIGTERM)
	fifo.expect(t, `INSTANCE "VI_1" STOP 150`, 3*time.Second)
	if !pa.wait(5 * time.Second) {
		t.Fatal("alived did not exit")
	}

	// The generic notify got keepalived's four arguments, in order
	// (scripts of one instance run in sequence).
	var lines []string
	eventually(t, 3*time.Second, "notify script ran for every transition", func() bool {
		b, _ := os.ReadFile(notifyLog)
		lines = strings.Split(strings.TrimSpace(string(b)), "\n")
		return len(lines) >= 9
	})
	want := []string{"BACKUP 150", "MASTER 150", "BACKUP 90", "MASTER 150", "BACKUP 90", "MASTER 150",
		"FAULT 150", "BACKUP 150", "MASTER 150", "STOP 150"}
	var got []string
	for _, l := range lines {
		got = append(got, strings.TrimPrefix(l, "INSTANCE VI_1 "))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("notify script calls:\n got %v\nwant %v", got, want)
	}
}

// pingStats parses ping's summary line.
func pingStats(t *testing.T, out string) (sent, received int) {
	t.Helper()
	m := regexp.MustCompile(`(\d+) packets transmitted, (\d+) received`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no ping summary in %q", out)
	}
	sent, _ = strconv.Atoi(m[1])
	received, _ = strconv.Atoi(m[2])
	return sent, received
}

// TestReloadUnderTraffic pings the VIP every 10 ms from a client while the
// master is sent SIGHUP 20 times with an unchanged configuration and 20
// times alternating with one that adds a VIP: no state change on either
// node, no lost probe, the extra VIP appears and disappears with the
// configuration. An invalid configuration is then rejected with its
// file:line and changes nothing.
func TestReloadUnderTraffic(t *testing.T) {
	f := fam4
	_, n := newLab(t, []string{"a", f.a}, []string{"b", f.b}, []string{"cl", "10.61.0.50/24"})
	a, b, cl := n["a"], n["b"], n["cl"]
	base := conf("", v3(150, f.vipCfg))
	extra := conf("", v3(150, f.vipCfg, "10.61.0.101/24"))
	pa := startAlived(t, a, base)
	pb := startAlived(t, b, conf("", v3(100, f.vipCfg)))
	onlyHolder(t, 3*time.Second, f.vip, a, a, b)
	if _, err := cl.Output("ping", "-c", "3", "-i", "0.2", f.vip); err != nil {
		t.Fatalf("client cannot reach the VIP before the test: %v", err)
	}

	// Transitions logged from here on would be caused by the reloads.
	logA, logB := len(readLog(t, pa)), len(readLog(t, pb))
	ping := cl.Command(t.Context(), "ping", "-i", "0.01", "-W", "1", f.vip)
	var out strings.Builder
	ping.Stdout = &out
	if err := ping.Start(); err != nil {
		t.Fatal(err)
	}
	reloads := 0
	// Reloads are spread over the ping stream (one per 40 ms tick, 1.6 s
	// in all) so that probes really cross them; back to back they can all
	// finish between two probes on an idle machine.
	pace := time.NewTicker(40 * time.Millisecond)
	defer pace.Stop()
	hup := func() {
		t.Helper()
		<-pace.C
		reloads++
		pa.kill(syscall.SIGHUP)
		want := fmt.Sprintf("reloads=%d", reloads)
		eventually(t, 3*time.Second, "reload "+want, func() bool { return pa.logHas(want) })
	}
	for range 20 {
		hup()
	}
	for i := range 20 {
		if i%2 == 0 {
			pa.writeConf(extra)
		} else {
			pa.writeConf(base)
		}
		hup()
		ok, err := a.HasAddr("10.61.0.101")
		if err != nil {
			t.Fatal(err)
		}
		if ok != (i%2 == 0) {
			t.Fatalf("reload %d: extra VIP present=%v", i, ok)
		}
	}
	_ = ping.Process.Signal(syscall.SIGINT)
	_ = ping.Wait()
	sent, received := pingStats(t, out.String())
	t.Logf("%d probes sent during 40 reloads, %d answered", sent, received)
	if sent < 50 || sent-received > 0 {
		t.Errorf("lost %d of %d probes during reloads", sent-received, sent)
	}
	if strings.Contains(readLog(t, pa)[logA:], "transition") || strings.Contains(readLog(t, pb)[logB:], "transition") {
		t.Error("a reload changed a VRRP state")
	}

	// An invalid configuration is refused with file:line; state untouched.
	pa.writeConf(base + "vrrp_instance BROKEN {\n    virtual_router_id 999\n}\n")
	pa.kill(syscall.SIGHUP)
	eventually(t, 3*time.Second, "reload rejected", func() bool { return pa.logHas("reload rejected") })
	if !regexp.MustCompile(`alived\.conf:\d+`).MatchString(readLog(t, pa)) {
		t.Error("rejection does not name file:line")
	}
	stableHolder(t, 500*time.Millisecond, f.vip, a, a, b)
}

func readLog(t *testing.T, p *proc) string {
	t.Helper()
	b, err := os.ReadFile(p.log.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGARPUpdatesClient: after failover the client's neighbour entry for
// the VIP points to the new master's MAC within the first GARP burst,
// without the client sending anything.
func TestGARPUpdatesClient(t *testing.T) {
	for _, f := range []family{fam4, fam6} {
		t.Run(f.name, func(t *testing.T) {
			cAddr := "10.61.0.50/24"
			if f.vip == fam6.vip {
				cAddr = "fd61::50/64"
			}
			_, n := newLab(t, []string{"a", f.a}, []string{"b", f.b}, []string{"cl", cAddr})
			a, b, cl := n["a"], n["b"], n["cl"]
			ic := func(prio int) string {
				c := v3(prio, f.vipCfg)
				c.Extra = "    garp_master_delay 5\n"
				return conf("", c)
			}
			pa := startAlived(t, a, ic(150))
			startAlived(t, b, ic(100))
			onlyHolder(t, 3*time.Second, f.vip, a, a, b)
			if _, err := cl.Output("ping", "-c", "1", "-W", "1", f.vip); err != nil {
				t.Fatal(err)
			}
			neigh := func() string {
				out, _ := cl.Output("ip", "neigh", "show", f.vip)
				fs := strings.Fields(out)
				for i, w := range fs {
					if w == "lladdr" && i+1 < len(fs) {
						return fs[i+1]
					}
				}
				return ""
			}
			if got := neigh(); got != a.MAC {
				t.Fatalf("client's entry %q, want a's MAC %s", got, a.MAC)
			}
			// The kernel ignores a new lladdr within locktime (1 s) of the
			// last update: let it pass, as a real client's entry would be.
			time.Sleep(1100 * time.Millisecond)
			pa.kill(syscall.SIGKILL)
			if _, err := a.Output("ip", "addr", "del", f.vipCfg, "dev", a.Link); err != nil {
				t.Fatal(err)
			}
			onlyHolder(t, 2*time.Second, f.vip, b, a, b)
			// The second burst comes garp_master_delay (5 s) later: the
			// first one must do it.
			d := eventually(t, 2*time.Second, "client's entry follows the VIP to b", func() bool { return neigh() == b.MAC })
			t.Logf("client entry updated %v after b held the VIP", d)
		})
	}
}

// TestPIDFileRefusesSecondDaemon: a second alived with the same pid file
// exits with an error and leaves the first one running.
func TestPIDFileRefusesSecondDaemon(t *testing.T) {
	f := fam4
	_, n := newLab(t, []string{"a", f.a})
	a := n["a"]
	p1 := startAlived(t, a, conf("", v3(150, f.vipCfg)))
	eventually(t, 3*time.Second, "first daemon wrote its pid", func() bool { return pidOf(p1.pid) == p1.cmd.Process.Pid })
	p2 := newProc(t, a, "alived", conf("", v3(150, f.vipCfg)))
	p2.pid = p1.pid
	p2.start([]string{alivedBin, "-n", "-l", "-f", p2.conf, "-p", p2.pid})
	if !p2.wait(5 * time.Second) {
		t.Fatal("second daemon kept running")
	}
	if p2.cmd.ProcessState.ExitCode() == 0 || !p2.logHas("already running") {
		t.Errorf("second daemon: exit %d, want an 'already running' refusal", p2.cmd.ProcessState.ExitCode())
	}
	if pidOf(p1.pid) != p1.cmd.Process.Pid {
		t.Error("the refused daemon changed the pid file")
	}
}

// TestDontReleaseVRRP: with -V a stopping master leaves its VIPs in place
// (it still announces priority 0); without it they are removed.
func TestDontReleaseVRRP(t *testing.T) {
	f := fam4
	_, n := newLab(t, []string{"a", f.a})
	a := n["a"]
	for _, keep := range []bool{true, false} {
		var extra []string
		if keep {
			extra = []string{"-V"}
		}
		p := startAlived(t, a, conf("", v3(150, f.vipCfg)), extra...)
		eventually(t, 3*time.Second, "master", func() bool { return p.logHas("to=MASTER") })
		onlyHolder(t, time.Second, f.vip, a, a)
		p.kill(syscall.SIGTERM)
		if !p.wait(5 * time.Second) {
			t.Fatal("alived did not exit")
		}
		if has, _ := a.HasAddr(f.vip); has != keep {
			t.Errorf("-V=%v: VIP present after stop = %v", keep, has)
		}
	}
	// A VIP left behind is removed by a daemon that starts as backup (as
	// keepalived does), long before it could become master (advert_int 5).
	if _, err := a.Output("ip", "addr", "add", f.vipCfg, "dev", a.Link); err != nil {
		t.Fatal(err)
	}
	slow := v3(100, f.vipCfg)
	slow.AdvertInt = "5"
	startAlived(t, a, conf("", slow))
	eventually(t, 2*time.Second, "stale VIP removed at start", func() bool {
		has, _ := a.HasAddr(f.vip)
		return !has
	})
}

// TestScriptSecurity: with enable_script_security a notify script in a
// directory anyone can write to is never run, a safe one is; both are
// reached through the same transition.
func TestScriptSecurity(t *testing.T) {
	f := fam4
	_, n := newLab(t, []string{"a", f.a})
	a := n["a"]
	safeDir := t.TempDir()
	unsafeDir := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(unsafeDir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(unsafeDir, 0o777); err != nil { // past the umask
		t.Fatal(err)
	}
	mark := filepath.Join(safeDir, "ran")
	for _, d := range []string{safeDir, unsafeDir} {
		body := "#!/bin/sh\necho " + filepath.Base(d) + " >> " + mark + "\n"
		if err := os.WriteFile(filepath.Join(d, "notify.sh"), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ic := v3(150, f.vipCfg)
	ic.Extra = "    notify_master " + filepath.Join(unsafeDir, "notify.sh") + "\n" +
		"    notify " + filepath.Join(safeDir, "notify.sh") + "\n"
	p := startAlived(t, a, conf("    enable_script_security\n    script_user root\n", ic))
	eventually(t, 3*time.Second, "master", func() bool { return p.logHas("to=MASTER") })
	var got string
	eventually(t, 3*time.Second, "safe notify ran for BACKUP and MASTER", func() bool {
		b, _ := os.ReadFile(mark)
		got = string(b)
		return strings.Count(got, "\n") >= 2
	})
	// Scripts of one event run in order, state-specific first: had the
	// insecure notify_master run, its line would precede the generic
	// notify's MASTER line read above.
	if strings.Contains(got, "open") {
		t.Errorf("insecure notify_master ran: %q", got)
	}
	if !p.logHas("insecure script") {
		t.Error("the daemon did not say why it disabled the script")
	}
}
