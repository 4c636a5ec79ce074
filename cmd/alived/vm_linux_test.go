//go:build linux

package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/internal/testenv"
	"github.com/alived/alived/internal/vmtest"
)

// envVMBin names the host directory (visible read-only in the guest) that
// holds the alived and alivectl binaries the guest test runs.
const envVMBin = "ALIVED_VM_BIN"

// TestVMDaemonLVS runs the real alived binary on a real IPVS kernel: a
// keepalived.conf with one virtual server programs the table, a real
// server that stops answering leaves it and shows down in
// `alivectl status --json`, and a stop releases the table. On the host it
// builds both binaries and boots the VM once.
func TestVMDaemonLVS(t *testing.T) {
	if !vmtest.InGuest() {
		runInVM(t, "^TestVMDaemonLVS$", 3*time.Minute)
		return
	}
	guestDaemonLVS(t)
}

// runInVM builds the alived and alivectl binaries where the guest can
// see them (its /tmp is its own tmpfs: they go to a directory under the
// VM cache, which the guest sees read-only) and runs the test functions
// matching run inside the VM.
func runInVM(t *testing.T, run string, timeout time.Duration) {
	t.Helper()
	testenv.RequireVM(t)
	dir, err := vmtest.NewShare()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for name, pkg := range map[string]string{"alived": ".", "alivectl": "../alivectl"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", pkg, err, b)
		}
	}
	vmtest.RunGoTests(t, vmtest.GoTests{Run: run, Env: []string{envVMBin + "=" + dir}, Timeout: timeout})
}

const vmLVSConf = `global_defs {
 router_id vm
}
virtual_server 10.0.0.1 80 {
 delay_loop 1
 retry 1
 delay_before_retry 1
 connect_timeout 1
 warmup 0
 lb_algo rr
 lb_kind NAT
 protocol TCP
 real_server 10.1.0.1 8080 {
  weight 1
  TCP_CHECK {
  }
 }
 real_server 10.1.0.2 8080 {
  weight 2
  TCP_CHECK {
  }
 }
}
`

func guestDaemonLVS(t *testing.T) {
	bin := os.Getenv(envVMBin)
	if bin == "" {
		t.Fatalf("%s not set", envVMBin)
	}
	guestRun(t, "ip", "link", "add", "reals0", "type", "dummy")
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", "reals0").Run() })
	guestRun(t, "ip", "link", "set", "reals0", "up")
	guestRun(t, "ip", "addr", "add", "10.1.0.1/16", "dev", "reals0")
	guestRun(t, "ip", "addr", "add", "10.1.0.2/16", "dev", "reals0")
	guestRun(t, "ipvsadm", "-C")
	// Listening is enough for TCP_CHECK: the kernel completes the
	// handshake from the backlog.
	var lns []net.Listener
	for _, a := range []string{"10.1.0.1:8080", "10.1.0.2:8080"} {
		ln, err := net.Listen("tcp4", a)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ln.Close() })
		lns = append(lns, ln)
	}

	dir := t.TempDir()
	conf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(conf, []byte(vmLVSConf), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "alived.sock")
	stop := startAlived(t, filepath.Join(bin, "alived"), "-n", "-l", "-D", "-f", conf,
		"-p", filepath.Join(dir, "alived.pid"), "--control-socket="+sock)

	both := "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.1.0.1:8080 -m -w 1\n-a -t 10.0.0.1:80 -r 10.1.0.2:8080 -m -w 2"
	waitIPVS(t, both, 20*time.Second)

	// The second real server stops answering: it leaves the table.
	_ = lns[1].Close()
	waitIPVS(t, "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.1.0.1:8080 -m -w 1", 20*time.Second)

	// The status API says the same.
	out, err := exec.Command(filepath.Join(bin, "alivectl"), "--socket="+sock, "status", "--json").Output()
	if err != nil {
		t.Fatalf("alivectl status --json: %v", err)
	}
	var st struct {
		VirtualServers []struct {
			Name        string `json:"name"`
			RealServers []struct {
				Address string `json:"address"`
				Port    uint16 `json:"port"`
				Up      bool   `json:"up"`
				InTable bool   `json:"in_table"`
			} `json:"real_servers"`
		} `json:"virtual_servers"`
	}
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("status is not JSON: %v\n%s", err, out)
	}
	if len(st.VirtualServers) != 1 || len(st.VirtualServers[0].RealServers) != 2 {
		t.Fatalf("status virtual servers: %s", out)
	}
	for _, rs := range st.VirtualServers[0].RealServers {
		wantUp := rs.Address == "10.1.0.1"
		if rs.Port != 8080 || rs.Up != wantUp || rs.InTable != wantUp {
			t.Errorf("real server %s:%d up=%v in_table=%v, want up and in_table %v", rs.Address, rs.Port, rs.Up, rs.InTable, wantUp)
		}
	}

	// SIGTERM releases the service alived created.
	stop()
	if got := ipvsSave(t); got != "" {
		t.Errorf("alived left the table:\n%s", got)
	}

	// With -I (--dont-release-ipvs) the table outlives the daemon.
	stop = startAlived(t, filepath.Join(bin, "alived"), "-n", "-l", "-I", "-f", conf,
		"-p", filepath.Join(dir, "alived.pid"), "--control-socket="+sock)
	one := "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.1.0.1:8080 -m -w 1"
	waitIPVS(t, one, 20*time.Second)
	stop()
	if got := ipvsSave(t); got != one {
		t.Errorf("alived -I did not keep the table; have:\n%s", got)
	}
	guestRun(t, "ipvsadm", "-C")
}

// startAlived starts the daemon with args and returns a function that
// stops it with SIGTERM (also run at cleanup) and checks it exited
// cleanly.
func startAlived(t *testing.T, path string, args ...string) (stop func()) {
	t.Helper()
	d := exec.Command(path, args...)
	d.Stdout, d.Stderr = os.Stdout, os.Stderr
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- d.Wait() }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		_ = d.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("alived exited: %v", err)
			}
		case <-time.After(15 * time.Second):
			_ = d.Process.Kill()
			<-exited
			t.Error("alived did not stop on SIGTERM")
		}
	}
	t.Cleanup(stop)
	return stop
}

// waitIPVS polls the kernel until `ipvsadm -Sn` (lines sorted) is want.
func waitIPVS(t *testing.T, want string, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		got := ipvsSave(t)
		if got == want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("IPVS table did not become\n%s\nlast seen:\n%s", want, got)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ipvsSave returns `ipvsadm -Sn` with its lines sorted, so the kernel's
// hash order does not matter.
func ipvsSave(t *testing.T) string {
	t.Helper()
	out := guestRun(t, "ipvsadm", "-Sn")
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func guestRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
