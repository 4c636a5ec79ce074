package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/internal/testenv"
)

// killBFD kills keepalived's BFD process without a goodbye (no AdminDown
// packet): the parent is frozen so it cannot restart the child, the child
// is killed, then the parent. It returns when the child was killed.
func (p *proc) killBFD() time.Time {
	_ = p.cmd.Process.Signal(syscall.SIGSTOP)
	at := time.Now()
	if pid := pidOf(filepath.Join(p.dir, "bfd.pid")); pid != 0 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	p.kill(syscall.SIGKILL)
	// keepalived refuses to start over pid files of a killed instance.
	for _, f := range []string{p.pid, "bfd.pid", "vrrp.pid", "check.pid"} {
		_ = os.Remove(filepath.Join(p.dir, filepath.Base(f)))
	}
	return at
}

// TestBFDTrackKeepalived: a VRRP instance tracking (weight 0) a BFD
// session to keepalived 2.2.7 stays in FAULT until the session is Up,
// becomes MASTER once it is, goes to FAULT (VIP released) when keepalived
// is killed, and comes back when keepalived returns.
func TestBFDTrackKeepalived(t *testing.T) {
	_, n := newLab(t, []string{"a", "192.0.2.1/24"}, []string{"k", "192.0.2.2/24"})
	a, k := n["a"], n["k"]
	al := startAlived(t, a, `
bfd_instance to_k {
    neighbor_ip 192.0.2.2
    source_ip 192.0.2.1
    min_rx 50
    min_tx 50
}
vrrp_instance VI {
    state MASTER
    interface eth0
    virtual_router_id 61
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.100/24
    }
    track_bfd {
        to_k
    }
}
`)
	eventually(t, 5*time.Second, "alived started", func() bool { return al.logHas("started") })
	time.Sleep(1500 * time.Millisecond) // longer than a master-down interval
	if ok, _ := a.HasAddr("192.0.2.100"); ok {
		t.Fatal("VIP added while the tracked BFD session was never Up")
	}

	bin := testenv.RequireBinary(t, "keepalived")
	kp := newProc(t, k, "keepalived", `
bfd_instance to_a {
    neighbor_ip 192.0.2.1
    source_ip 192.0.2.2
    min_rx 50
    min_tx 50
}
`)
	kp.start([]string{bin, "-n", "-l", "-D", "-f", kp.conf, "-p", kp.pid, "-b", filepath.Join(kp.dir, "bfd.pid"),
		"-r", filepath.Join(kp.dir, "vrrp.pid"), "-c", filepath.Join(kp.dir, "check.pid")})
	up := eventually(t, 10*time.Second, "VIP added once BFD is Up", func() bool {
		ok, _ := a.HasAddr("192.0.2.100")
		return ok
	})
	t.Logf("keepalived started -> alived MASTER after %v", up)

	killed := kp.killBFD()
	eventually(t, 3*time.Second, "VIP released after keepalived was killed", func() bool {
		ok, _ := a.HasAddr("192.0.2.100")
		return !ok
	})
	t.Logf("track_bfd: keepalived killed -> VIP released after %v (detection time 250ms)", time.Since(killed))
	if !al.logHas(fmt.Sprintf("(%s) Entering Down state", "to_k")) {
		t.Error("alived did not log the session going Down")
	}

	kp.restart()
	eventually(t, 10*time.Second, "VIP back once keepalived returns", func() bool {
		ok, _ := a.HasAddr("192.0.2.100")
		return ok
	})
}
