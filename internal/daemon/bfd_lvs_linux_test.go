package daemon

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/internal/bfdd"
	"github.com/alived/alived/internal/netlab"
	"github.com/alived/alived/internal/testenv"
	"github.com/alived/alived/ipvs"
)

// TestBFDCheckKeepalived: a checker-only daemon in one namespace with a
// BFD session to keepalived 2.2.7 in another; the real server with
// BFD_CHECK leaves the (fake) IPVS pool when keepalived is killed and
// returns when it restarts, while the server without checks stays.
func TestBFDCheckKeepalived(t *testing.T) {
	testenv.RequireNetns(t)
	bin := testenv.RequireBinary(t, "keepalived")
	lab, err := netlab.New(fmt.Sprintf("l%d", os.Getpid()%100000))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lab.Close() })
	a, err := lab.AddNode("a", "192.0.2.1/24")
	if err != nil {
		t.Fatal(err)
	}
	k, err := lab.AddNode("k", "192.0.2.2/24")
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	kconf := filepath.Join(dir, "k.conf")
	if err := os.WriteFile(kconf, []byte(`
bfd_instance to_a {
    neighbor_ip 192.0.2.1
    source_ip 192.0.2.2
    min_rx 50
    min_tx 50
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	klog, err := os.Create(filepath.Join(dir, "k.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer klog.Close()
	var kcmd *exec.Cmd
	startK := func() {
		for _, f := range []string{"k.pid", "bfd.pid", "vrrp.pid", "check.pid"} {
			_ = os.Remove(filepath.Join(dir, f))
		}
		kcmd, err = k.Start(klog, klog, bin, "-n", "-l", "-D", "-f", kconf, "-p", filepath.Join(dir, "k.pid"),
			"-b", filepath.Join(dir, "bfd.pid"), "-r", filepath.Join(dir, "vrrp.pid"), "-c", filepath.Join(dir, "check.pid"))
		if err != nil {
			t.Fatal(err)
		}
	}
	// killK stops keepalived without a goodbye (no AdminDown): parent
	// frozen, BFD child killed, then the parent.
	killK := func() time.Time {
		_ = kcmd.Process.Signal(syscall.SIGSTOP)
		at := time.Now()
		if b, err := os.ReadFile(filepath.Join(dir, "bfd.pid")); err == nil {
			if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		_ = kcmd.Process.Kill()
		_ = kcmd.Wait()
		return at
	}
	t.Cleanup(func() {
		if kcmd != nil && kcmd.ProcessState == nil {
			killK()
		}
		if t.Failed() {
			b, _ := os.ReadFile(klog.Name())
			t.Logf("keepalived log:\n%s", b)
		}
	})

	path := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(path, []byte(`
bfd_instance to_k {
    neighbor_ip 192.0.2.2
    source_ip 192.0.2.1
    min_rx 50
    min_tx 50
}
virtual_server 192.0.2.10 80 {
    delay_loop 60
    lvs_sched rr
    lvs_method NAT
    protocol TCP
    real_server 192.0.2.2 80 {
        BFD_CHECK {
            name to_k
        }
    }
    real_server 192.0.2.3 80 {
    }
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	fake := ipvs.NewFake()
	d, err := New(Options{ConfigFile: path, NoVRRP: true, Hostname: "test",
		DialIPVS: func() (ipvs.Client, error) { return fake, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	// The loop runs inside a's namespace: the BFD sockets it opens
	// (at start and on reload) belong there.
	go func() { runErr <- netlab.Do(a.NS, func() error { return d.Run(ctx) }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-runErr; err != nil {
			t.Errorf("run: %v", err)
		}
	})

	bfdState := func() string {
		s := d.Snapshot()
		if s == nil {
			return ""
		}
		b, _ := s.Components["bfd"].(bfdd.Snapshot)
		if len(b.Sessions) != 1 {
			return ""
		}
		return b.Sessions[0].State
	}
	inPool := func(addr string) bool {
		_, ok := fakeDests(fake)[ipvs.DestKey{Addr: netip.MustParseAddr(addr), Port: 80}]
		return ok
	}
	// Until the session reports, BFD_CHECK keeps its initial (up) state.
	waitFor(t, "both real servers in the pool", func() bool { return inPool("192.0.2.2") && inPool("192.0.2.3") })

	startK()
	waitFor(t, "BFD session Up", func() bool { return bfdState() == "Up" })
	if !inPool("192.0.2.2") {
		t.Fatal("real server left the pool while its BFD session came Up")
	}

	// Reload as a diff: the unchanged session keeps its state, and new
	// timers go through a Poll Sequence without leaving Up.
	transitions := func() int {
		b, _ := d.Snapshot().Components["bfd"].(bfdd.Snapshot)
		return b.Sessions[0].Transitions
	}
	before := transitions()
	if err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	conf, _ := os.ReadFile(path)
	if err := os.WriteFile(path, []byte(strings.Replace(string(conf), "min_tx 50", "min_tx 80", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // a second of 80 ms packets, polls included
	if got := transitions(); got != before || bfdState() != "Up" {
		t.Fatalf("after two reloads: state %s, %d transitions (was %d)", bfdState(), got, before)
	}

	killed := killK()
	waitFor(t, "BFD_CHECK server out of the pool", func() bool { return !inPool("192.0.2.2") })
	t.Logf("BFD_CHECK: keepalived killed -> real server out of the pool after %v (detection time 250ms)", time.Since(killed))
	if !inPool("192.0.2.3") {
		t.Error("the server without BFD_CHECK left the pool too")
	}

	startK()
	waitFor(t, "BFD_CHECK server back in the pool", func() bool { return inPool("192.0.2.2") })
}
