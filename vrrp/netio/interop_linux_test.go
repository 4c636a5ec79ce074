package netio

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/internal/testenv"
	"github.com/alived/alived/vrrp"
)

const keepalivedConf = `global_defs {
    router_id netio_interop
}
vrrp_instance V4 {
    state MASTER
    interface va
    virtual_router_id 61
    priority 150
    advert_int 1
    virtual_ipaddress {
        10.88.0.200/32
    }
}
vrrp_instance V4U {
    state MASTER
    interface va
    virtual_router_id 63
    priority 150
    advert_int 1
    unicast_src_ip 10.88.0.1
    unicast_peer {
        10.88.0.2
    }
    virtual_ipaddress {
        10.88.0.201/32
    }
}
vrrp_instance V6 {
    version 3
    state MASTER
    interface va
    virtual_router_id 62
    priority 150
    advert_int 1
    virtual_ipaddress {
        fd88::200/128
    }
}
`

// startKeepalived runs keepalived 2.2.7 (VRRP only) in namespace ns and
// stops it at cleanup through its own pid file.
func startKeepalived(t *testing.T, ns string) {
	t.Helper()
	bin := testenv.RequireBinary(t, "keepalived")
	dir := t.TempDir()
	conf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(conf, []byte(keepalivedConf), 0o644); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(dir, "keepalived.pid")
	log, err := os.Create(filepath.Join(dir, "keepalived.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, bin, "-n", "-l", "-D", "-P",
		"-f", conf, "-p", pidFile,
		"-r", filepath.Join(dir, "vrrp.pid"), "-c", filepath.Join(dir, "check.pid"))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting keepalived: %v", err)
	}
	t.Cleanup(func() {
		stopped := false
		if b, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
				stopped = syscall.Kill(pid, syscall.SIGTERM) == nil
			}
		}
		if !stopped {
			// No pid file yet: stop the process we started, by its pid.
			_ = cmd.Process.Kill()
		}
		_ = cmd.Wait()
		log.Close()
		if t.Failed() {
			out, _ := os.ReadFile(log.Name())
			t.Logf("keepalived output:\n%s", out)
		}
	})
}

// readVRID reads from c until an advert for vrid arrives (a socket also
// sees keepalived's other instances).
func readVRID(t *testing.T, c *Conn, vrid byte) ([]byte, Meta) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	if err := c.SetReadDeadline(deadline); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	for {
		p, m, err := c.Read(buf)
		if err != nil {
			t.Fatalf("waiting for VRID %d: %v", vrid, err)
		}
		if len(p) > 1 && p[1] == vrid {
			return p, m
		}
	}
}

// A real keepalived 2.2.7 master in A: its adverts (VRRPv2 over IPv4
// multicast and unicast, VRRPv3 over IPv6) arrive at our Conns in B with the
// metadata the receive checks need, decode with package vrrp and carry
// checksums that verify against that metadata. Then an advert of ours with a
// higher priority makes keepalived step down and remove its VIP, which shows
// keepalived accepts what Conn sends.
func TestNetnsKeepalivedInterop(t *testing.T) {
	l := newLab(t)
	rx4 := listenIn(t, l.nsB, Config{Ifindex: l.ifB, Source: labB4})
	rx6 := listenIn(t, l.nsB, Config{Ifindex: l.ifB, IPv6: true})
	rxU := listenIn(t, l.nsB, Config{Ifindex: l.ifB, Unicast: true})
	mon, err := NewMonitor(MonitorOptions{Namespace: &l.nsA})
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	startKeepalived(t, l.a)

	// keepalived with state MASTER and priority 150 waits about one advert
	// interval before its first advert.
	p, m := readVRID(t, rx4, 61)
	var adv vrrp.Advert
	if err := adv.Decode(p, false); err != nil {
		t.Fatalf("decoding keepalived's IPv4 advert %x: %v", p, err)
	}
	if adv.Version != 2 || adv.VRID != 61 || adv.Priority != 150 || len(adv.Addrs) != 1 || adv.Addrs[0] != netip.MustParseAddr("10.88.0.200") {
		t.Errorf("IPv4 advert %+v, want v2 VRID 61 priority 150 with 10.88.0.200", adv)
	}
	if want := (Meta{Src: labA4, Dst: DefaultGroup4, TTL: 255, Ifindex: l.ifB}); m != want {
		t.Errorf("IPv4 meta %+v, want %+v", m, want)
	}
	if !vrrp.VerifyChecksum(p, 2, m.Src, m.Dst, false) {
		t.Errorf("IPv4 advert checksum does not verify: %x", p)
	}

	p, m = readVRID(t, rx6, 62)
	if err := adv.Decode(p, true); err != nil {
		t.Fatalf("decoding keepalived's IPv6 advert %x: %v", p, err)
	}
	if adv.Version != 3 || adv.VRID != 62 || adv.Priority != 150 || len(adv.Addrs) != 1 || adv.Addrs[0] != netip.MustParseAddr("fd88::200") {
		t.Errorf("IPv6 advert %+v, want v3 VRID 62 priority 150 with fd88::200", adv)
	}
	if want := (Meta{Src: l.linkLocalA, Dst: DefaultGroup6, TTL: 255, Ifindex: l.ifB}); m != want {
		t.Errorf("IPv6 meta %+v, want %+v", m, want)
	}
	if !vrrp.VerifyChecksum(p, 3, m.Src, m.Dst, false) {
		t.Errorf("IPv6 advert checksum does not verify: %x", p)
	}

	// The unicast instance reaches the unicast-only socket, addressed to
	// B, with keepalived's default unicast_ttl of 255.
	p, m = readVRID(t, rxU, 63)
	if err := adv.Decode(p, false); err != nil {
		t.Fatalf("decoding keepalived's unicast advert %x: %v", p, err)
	}
	if want := (Meta{Src: labA4, Dst: labB4, TTL: 255, Ifindex: l.ifB}); m != want {
		t.Errorf("unicast meta %+v, want %+v", m, want)
	}
	if !vrrp.VerifyChecksum(p, 2, m.Src, m.Dst, false) {
		t.Errorf("unicast advert checksum does not verify: %x", p)
	}

	// keepalived adds the VIP right after its first advert as master.
	vip := VIP{Prefix: netip.MustParsePrefix("10.88.0.200/32"), Ifindex: l.ifA}
	awaitEvent(t, mon, func(ev Event) bool {
		return ev.Kind == EventAddrAdded && ev.Ifindex == l.ifA && ev.Addr == vip.Prefix
	}, "keepalived adding its VIP")

	// Our turn: a priority-200 advert for VRID 61 from B.
	ours := v2Advert(61, 200, vip.Prefix.Addr())
	send := func() {
		if _, err := rx4.WriteTo(ours, rx4.Group()); err != nil {
			t.Fatalf("WriteTo: %v", err)
		}
	}
	send()
	// A real master repeats every advert_int; do the same until keepalived
	// reacts, so one lost packet does not fail the test.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	timeout := time.After(10 * time.Second)
	for removed := false; !removed; {
		select {
		case ev, ok := <-mon.Events():
			if !ok {
				t.Fatal("monitor closed")
			}
			removed = ev.Kind == EventAddrRemoved && ev.Addr == vip.Prefix
		case <-tick.C:
			send()
		case <-timeout:
			t.Fatal("keepalived did not remove its VIP after a higher-priority advert")
		}
	}
}
