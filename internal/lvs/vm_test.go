//go:build linux

package lvs

import (
	"context"
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

// TestVM drives a real kernel's IPVS table from a keepalived.conf, first
// with alived's LVS subsystem, then with keepalived 2.2.7 on the same
// configuration and the same real servers, and requires both to walk the
// table through the same states as real servers fail and come back. On
// the host it boots the VM and runs itself inside.
func TestVM(t *testing.T) {
	if !vmtest.InGuest() {
		testenv.RequireVM(t)
		vmtest.RunGoTests(t, vmtest.GoTests{Run: "^TestVM$", Timeout: 6 * time.Minute})
		return
	}
	t.Run("SameStatesAsKeepalived", guestSameStates)
	t.Run("SyncDaemonFollowsVRRP", guestSyncDaemon)
	t.Run("SameTableAsKeepalived", guestDifferential)
}

// vmConf exercises NAT with weights, inhibit_on_failure, quorum with a
// sorry server, and a persistent DR service whose checker uses
// connect_port.
const vmConf = `
global_defs {
 router_id vm
}
virtual_server 10.0.0.1 80 {
 delay_loop 1
 retry 1
 delay_before_retry 1
 connect_timeout 1
 warmup 0
 lvs_sched wrr
 lvs_method NAT
 protocol TCP
 quorum 2
 sorry_server 10.1.0.9 8080
 real_server 10.1.0.1 8080 {
  weight 1
  TCP_CHECK {
  }
 }
 real_server 10.1.0.2 8080 {
  weight 2
  inhibit_on_failure
  TCP_CHECK {
  }
 }
}
virtual_server 10.0.0.2 443 {
 delay_loop 1
 retry 1
 delay_before_retry 1
 connect_timeout 1
 warmup 0
 lvs_sched sh
 lvs_method DR
 protocol TCP
 persistence_timeout 300
 real_server 10.1.0.1 443 {
  weight 3
  TCP_CHECK {
   connect_port 8080
  }
 }
}
`

// vmStep is one change to the real servers.
type vmStep struct {
	name string
	do   func()
	// down lists the real servers (virtual server name, key) that are
	// down once the step has taken effect; the rest are up.
	down []rsID
}

func guestSameStates(t *testing.T) {
	sh(t, "ip link add reals0 type dummy")
	t.Cleanup(func() { exec.Command("ip", "link", "del", "reals0").Run() })
	sh(t, "ip link set reals0 up")
	sh(t, "ip addr add 10.1.0.1/16 dev reals0")
	sh(t, "ip addr add 10.1.0.2/16 dev reals0")
	sh(t, "ipvsadm -C")
	rs1 := newTCPServerOn(t, "10.1.0.1:8080")
	rs2 := newTCPServerOn(t, "10.1.0.2:8080")
	nat, dr := "TCP 10.0.0.1:80", "TCP 10.0.0.2:443"
	steps := []vmStep{
		{name: "all up", do: func() {}},
		{name: "rs2 stops", do: rs2.stop, down: []rsID{{nat, "10.1.0.2:8080"}}},
		{name: "rs2 back", do: rs2.start},
		{name: "rs1 stops", do: rs1.stop, down: []rsID{{nat, "10.1.0.1:8080"}, {dr, "10.1.0.1:443"}}},
		{name: "rs1 back", do: rs1.start},
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(path, []byte(vmConf), 0o644); err != nil {
		t.Fatal(err)
	}

	// alived: each state is known reached when the subsystem reports it,
	// because the kernel is updated in the same loop step.
	loop := newTestLoop(t)
	cfg := loadConfig(t, dir, vmConf)
	sub, err := New(Options{Post: loop.post})
	if err != nil {
		t.Fatal(err)
	}
	loop.do(func() { err = sub.Start(time.Now(), cfg) })
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, st := range steps {
		st.do()
		waitHealth(t, loop, sub, st.down, 15*time.Second)
		table := ipvsTable(t)
		t.Logf("alived after %q:\n%s", st.name, table)
		want = append(want, table)
	}
	loop.do(func() { sub.Stop(time.Now()) })
	if got := ipvsTable(t); got != "" {
		t.Fatalf("alived left the table:\n%s", got)
	}
	rs1.stop()
	rs2.stop()
	rs1.start()
	rs2.start()

	// keepalived 2.2.7, checker process only, same file.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ka := exec.CommandContext(ctx, "keepalived", "-C", "-n", "-l", "-D", "-f", path,
		"-p", filepath.Join(dir, "ka.pid"), "-c", filepath.Join(dir, "ka-checker.pid"))
	ka.Stdout, ka.Stderr = os.Stdout, os.Stderr
	if err := ka.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- ka.Wait() }()
	stopKA := func() {
		if ka.Process == nil {
			return
		}
		_ = ka.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = ka.Process.Kill()
			<-exited
		}
		ka.Process = nil
	}
	defer stopKA()
	for i, st := range steps {
		st.do()
		if got := waitTable(t, want[i], 15*time.Second); got != want[i] {
			t.Errorf("after %q keepalived's table differs from alived's\nkeepalived:\n%s\nalived:\n%s", st.name, got, want[i])
		}
	}
	stopKA()
	if got := ipvsTable(t); got != "" {
		t.Errorf("keepalived left the table:\n%s", got)
	}
}

// waitHealth waits until exactly the real servers in down are down.
func waitHealth(t *testing.T, loop *testLoop, sub *Subsystem, down []rsID, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var snap Snapshot
		loop.do(func() { snap = sub.snapshot() })
		ok := true
		for _, vs := range snap.VirtualServers {
			for _, rs := range vs.RealServers {
				if rs.Up == slices.Contains(down, rsID{vs.Name, rsKey(rs)}) {
					ok = false
				}
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("real servers did not reach down=%v: %+v", down, snap)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitTable polls the kernel until it holds want, and returns the last
// table read.
func waitTable(t *testing.T, want string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := ipvsTable(t)
		if got == want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ipvsTable returns `ipvsadm -Sn` with its lines sorted, so the kernel's
// hash order does not matter.
func ipvsTable(t *testing.T) string {
	t.Helper()
	out := sh(t, "ipvsadm -Sn")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	lines = slices.DeleteFunc(lines, func(l string) bool { return strings.TrimSpace(l) == "" })
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func sh(t *testing.T, cmd string) string {
	t.Helper()
	f := strings.Fields(cmd)
	out, err := exec.Command(f[0], f[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	return string(out)
}

// guestSyncDaemon: with lvs_sync_daemon and no virtual servers, the
// Subsystem opens IPVS itself and the kernel's sync daemon follows the
// named instance's reported state (ipvsadm --daemon shows the role); Stop
// stops it.
func guestSyncDaemon(t *testing.T) {
	sh(t, "ip link add lsync0 type veth peer name lsync1")
	t.Cleanup(func() { exec.Command("ip", "link", "del", "lsync0").Run() })
	sh(t, "ip addr add 192.168.201.1/24 dev lsync0")
	sh(t, "ip link set lsync0 up")
	sh(t, "ip link set lsync1 up")
	conf := `global_defs {
 lvs_sync_daemon lsync0 VI_1 id 9
}
vrrp_instance VI_1 {
 interface lsync0
 virtual_router_id 51
 priority 100
 virtual_ipaddress {
  192.168.201.100/32
 }
}
`
	loop := newTestLoop(t)
	cfg := loadConfig(t, t.TempDir(), conf)
	sub, err := New(Options{Post: loop.post})
	if err != nil {
		t.Fatal(err)
	}
	loop.do(func() { err = sub.Start(time.Now(), cfg) })
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			loop.do(func() { sub.Stop(time.Now()) })
		}
	})
	daemons := func() string { return strings.TrimSpace(sh(t, "ipvsadm -L --daemon")) }
	if got := daemons(); got != "" {
		t.Fatalf("before any VRRP state: %q, want no sync daemon", got)
	}
	for _, step := range []struct {
		master bool
		want   string
	}{
		{false, "backup sync daemon (mcast=lsync0, syncid=9,"},
		{true, "master sync daemon (mcast=lsync0, syncid=9,"},
		{false, "backup sync daemon (mcast=lsync0, syncid=9,"},
		{true, "master sync daemon (mcast=lsync0, syncid=9,"},
	} {
		loop.do(func() { sub.VRRPStateChanged(time.Now(), "VI_1", step.master) })
		if got := daemons(); strings.Contains(got, "\n") || !strings.HasPrefix(got, step.want) {
			t.Fatalf("master=%v: ipvsadm --daemon says %q, want one line starting %q", step.master, got, step.want)
		}
	}
	loop.do(func() { sub.Stop(time.Now()) })
	stopped = true
	if got := daemons(); got != "" {
		t.Errorf("after Stop: %q, want no sync daemon", got)
	}
}
