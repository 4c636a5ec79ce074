package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/api"
	"github.com/alived/alived/internal/netlab"
	"github.com/alived/alived/internal/testenv"
)

// notifyListener is a fake systemd: it receives sd_notify datagrams.
type notifyListener struct {
	t    *testing.T
	conn *net.UnixConn
}

// next waits for the next datagram whose assignments satisfy match and
// returns them; datagrams that do not match are skipped.
func (l *notifyListener) next(what string, match func(map[string]string) bool) map[string]string {
	l.t.Helper()
	buf := make([]byte, 4096)
	deadline := time.Now().Add(20 * time.Second)
	for {
		_ = l.conn.SetReadDeadline(deadline)
		n, err := l.conn.Read(buf)
		if err != nil {
			l.t.Fatalf("waiting for %s: %v", what, err)
		}
		kv := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(buf[:n])), "\n") {
			k, v, _ := strings.Cut(line, "=")
			kv[k] = v
		}
		if match(kv) {
			return kv
		}
	}
}

// TestDaemonObservability runs alived in a namespace under a fake
// systemd and checks READY/STATUS/RELOADING/STOPPING, the control socket
// (status and reload) and the JSON and stats dump signals end to end.
func TestDaemonObservability(t *testing.T) {
	testenv.RequireNetns(t)
	dir, err := os.MkdirTemp("", "alvobs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	bin := filepath.Join(dir, "alived")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building alived: %v\n%s", err, out)
	}
	lab, err := netlab.New(fmt.Sprintf("ob%d", os.Getpid()%100000))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lab.Close() })
	node, err := lab.AddNode("n1", "10.96.0.1/24")
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "keepalived.conf")
	jsonDump, statsDump := filepath.Join(dir, "ka.json"), filepath.Join(dir, "ka.stats")
	trackFile := filepath.Join(dir, "tf")
	if err := os.WriteFile(trackFile, []byte("3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	text := "global_defs {\n router_id n1\n json_dump_file " + jsonDump + "\n stats_dump_file " + statsDump + "\n}\n" +
		"track_file tf {\n file " + trackFile + "\n weight 5\n}\n" +
		"vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 63\n priority 100\n advert_int 1\n" +
		" track_file {\n  tf\n }\n virtual_ipaddress {\n  10.96.0.100/32\n }\n}\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	nsock := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: nsock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sd := &notifyListener{t: t, conn: conn}

	sock := filepath.Join(dir, "ctl.sock")
	log, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := node.Command(context.Background(), bin, "-n", "-l", "-f", conf, "-p", filepath.Join(dir, "alived.pid"),
		"--control-socket="+sock, "--web.listen-address=")
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+nsock)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("alived log:\n%s", b)
		}
	})
	// `ip netns exec` execs alived, so the pid is the daemon's.
	kv := sd.next("READY=1", func(kv map[string]string) bool { return kv["READY"] == "1" })
	if !strings.Contains(kv["STATUS"], "VI_1") || kv["MAINPID"] != fmt.Sprint(cmd.Process.Pid) {
		t.Errorf("READY without a useful STATUS or MAINPID: %v (pid %d)", kv, cmd.Process.Pid)
	}
	sd.next("STATUS with MASTER", func(kv map[string]string) bool { return strings.Contains(kv["STATUS"], "VI_1 MASTER") })

	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("control socket: %v mode %v", err, fi)
	}
	ctx := context.Background()
	c := api.NewClient(sock)
	s, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Instances) != 1 || s.Instances[0].State != "MASTER" || s.Instances[0].VRID != 63 {
		t.Errorf("status over the socket: %+v", s.Instances)
	}

	// Reload through the API and through SIGHUP: both are announced.
	if err := c.Reload(ctx); err != nil {
		t.Fatalf("reload over the socket: %v", err)
	}
	kv = sd.next("RELOADING=1", func(kv map[string]string) bool { return kv["RELOADING"] == "1" })
	if kv["MONOTONIC_USEC"] == "" {
		t.Errorf("RELOADING without MONOTONIC_USEC: %v", kv)
	}
	sd.next("READY=1 after reload", func(kv map[string]string) bool { return kv["READY"] == "1" })
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	sd.next("RELOADING=1 on SIGHUP", func(kv map[string]string) bool { return kv["RELOADING"] == "1" })
	sd.next("READY=1 after SIGHUP", func(kv map[string]string) bool { return kv["READY"] == "1" })

	// Dumps. The files appear asynchronously; the daemon gives no other
	// signal that it wrote them, so wait for each with a deadline.
	for sig, path := range map[syscall.Signal]string{sigJSON: jsonDump, syscall.SIGUSR2: statsDump} {
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, err := os.Stat(path); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("signal %v wrote no %s", sig, path)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	b, err := os.ReadFile(jsonDump)
	if err != nil {
		t.Fatal(err)
	}
	var dump []struct {
		Data struct {
			IName             string `json:"iname"`
			State             int    `json:"state"`
			EffectivePriority int    `json:"effective_priority"`
			Trackers          []struct {
				Kind, Name string
				Up         bool
				Weight     int
			} `json:"trackers"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &dump); err != nil || len(dump) != 1 || dump[0].Data.IName != "VI_1" || dump[0].Data.State != 2 {
		t.Fatalf("JSON dump: %v %s", err, b)
	}
	// Every tracker is in the dump with its state: the interface and the
	// track file (value 3 × weight 5).
	d := dump[0].Data
	kinds := map[string]int{}
	for _, tr := range d.Trackers {
		kinds[tr.Kind+":"+tr.Name] = tr.Weight
	}
	if w, ok := kinds["file:tf"]; !ok || w != 15 || d.EffectivePriority != 115 {
		t.Errorf("JSON dump trackers %+v, effective priority %d; want file tf adding 15 to 100", d.Trackers, d.EffectivePriority)
	}
	if _, ok := kinds["interface:eth0"]; !ok {
		t.Errorf("JSON dump lacks the interface tracker: %+v", d.Trackers)
	}
	b, _ = os.ReadFile(statsDump)
	if !strings.HasPrefix(string(b), "VRRP Instance: VI_1\n") {
		t.Errorf("stats dump: %s", b)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sd.next("STOPPING=1", func(kv map[string]string) bool { return kv["STOPPING"] == "1" })
	if err := cmd.Wait(); err != nil {
		t.Errorf("alived exit: %v", err)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("control socket left behind after exit: %v", err)
	}
}
