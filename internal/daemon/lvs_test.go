package daemon

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/internal/lvs"
	"github.com/alived/alived/ipvs"
	"github.com/alived/alived/status"
)

// runLVSDaemon starts a checker-only daemon over conf whose IPVS table is
// fake; it returns the daemon and how many times the table was opened.
// The daemon is stopped when the test ends.
func runLVSDaemon(t *testing.T, conf string, fake *ipvs.Fake) (*Daemon, *atomic.Int32) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	dials := new(atomic.Int32)
	d, err := New(Options{
		ConfigFile: path, NoVRRP: true, Hostname: "test", IPVSRepairInterval: 50 * time.Millisecond,
		DialIPVS: func() (ipvs.Client, error) { dials.Add(1); return fake, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-runErr; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return d, dials
}

// waitFor polls the published state until ok holds; the loop publishes
// after every event, so there is no event to wait on from outside.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// statusOf converts the daemon's latest snapshot as the API does.
func statusOf(d *Daemon) *status.Snapshot {
	s := d.Snapshot()
	if s == nil {
		return nil
	}
	return ConvertSnapshot(s, status.Build{})
}

// realServer finds addr:port in the first virtual server of st.
func realServer(st *status.Snapshot, port uint16) (status.RealServer, bool) {
	if st == nil || len(st.VirtualServers) == 0 {
		return status.RealServer{}, false
	}
	for _, r := range st.VirtualServers[0].RealServers {
		if r.Address == "127.0.0.1" && r.Port == port {
			return r, true
		}
	}
	return status.RealServer{}, false
}

// fakeDests returns the destinations the fake kernel holds for the
// service 192.0.2.10:80/TCP.
func fakeDests(f *ipvs.Fake) map[ipvs.DestKey]ipvs.Destination {
	for k, vs := range f.Snapshot() {
		if k.Addr == netip.MustParseAddr("192.0.2.10") && k.Port == 80 {
			return vs.Dests
		}
	}
	return nil
}

func listen(t *testing.T) (net.Listener, uint16) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln, uint16(ln.Addr().(*net.TCPAddr).Port)
}

// TestDaemonHostsLVS: a configuration with a virtual server runs its
// checks and programs (fake) IPVS; a failed real server leaves the table
// and shows down in the converted status; drift in the kernel table is
// repaired.
func TestDaemonHostsLVS(t *testing.T) {
	ln1, p1 := listen(t)
	_ = ln1 // stays up: the kernel's backlog completes the check's connect
	ln2, p2 := listen(t)
	conf := fmt.Sprintf(`virtual_server 192.0.2.10 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.1 %d {
        weight 1
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
    real_server 127.0.0.1 %d {
        weight 2
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
`, p1, p2)
	fake := ipvs.NewFake()
	d, dials := runLVSDaemon(t, conf, fake)
	k1 := ipvs.DestKey{Addr: netip.MustParseAddr("127.0.0.1"), Port: p1}
	k2 := ipvs.DestKey{Addr: netip.MustParseAddr("127.0.0.1"), Port: p2}

	waitFor(t, "both real servers in the table and the status", func() bool {
		st := statusOf(d)
		r1, ok1 := realServer(st, p1)
		r2, ok2 := realServer(st, p2)
		dests := fakeDests(fake)
		_, in1 := dests[k1]
		_, in2 := dests[k2]
		return ok1 && ok2 && r1.Up && r2.Up && r1.InTable && r2.InTable && in1 && in2
	})
	if _, ok := d.Snapshot().Components["lvs"].(lvs.Snapshot); !ok {
		t.Fatalf("components[lvs] is %T, want lvs.Snapshot", d.Snapshot().Components["lvs"])
	}
	st := statusOf(d)
	if vs := st.VirtualServers[0]; len(vs.Services) != 1 || vs.Services[0].Address != "192.0.2.10" || vs.Services[0].Port != 80 {
		t.Errorf("services = %+v", vs.Services)
	}
	if r2, _ := realServer(st, p2); r2.ConfiguredWeight != 2 || r2.EffectiveWeight != 2 {
		t.Errorf("real server 2 weights = %d/%d, want 2/2", r2.ConfiguredWeight, r2.EffectiveWeight)
	}

	// Someone deletes a destination behind alived's back: repair puts it
	// back.
	svc := fake.Snapshot()[ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("192.0.2.10"), Port: 80}].Service
	if err := fake.RemoveDestination(svc, fakeDests(fake)[k1]); err != nil {
		t.Fatalf("removing a destination by hand: %v", err)
	}
	waitFor(t, "drift repair to restore the destination", func() bool {
		_, ok := fakeDests(fake)[k1]
		return ok
	})

	// The second real server stops listening: its check fails, it leaves
	// the table and shows down.
	if err := ln2.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stopped real server to go down", func() bool {
		r2, ok := realServer(statusOf(d), p2)
		_, in2 := fakeDests(fake)[k2]
		return ok && !r2.Up && !r2.InTable && !in2
	})
	if r1, _ := realServer(statusOf(d), p1); !r1.Up || !r1.InTable {
		t.Errorf("the healthy real server changed: %+v", r1)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("IPVS opened %d times, want 1", n)
	}
}

// TestDaemonVRRPOnlyOpensNoIPVS: without virtual servers the LVS side is
// hosted but never opens IPVS, so a host without ip_vs runs VRRP.
func TestDaemonVRRPOnlyOpensNoIPVS(t *testing.T) {
	d, dials := runLVSDaemon(t, goodConf, ipvs.NewFake())
	waitFor(t, "the first snapshot", func() bool { return d.Snapshot() != nil })
	snap, ok := d.Snapshot().Components["lvs"].(lvs.Snapshot)
	if !ok || len(snap.VirtualServers) != 0 {
		t.Fatalf("components[lvs] = %#v", d.Snapshot().Components["lvs"])
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("IPVS opened %d times for a configuration without virtual servers", n)
	}
}

// TestDaemonNoLVS: -P leaves the LVS side out.
func TestDaemonNoLVS(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(path, []byte(goodConf), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := New(Options{ConfigFile: path, NoVRRP: true, NoLVS: true, Hostname: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.comps) != 0 {
		t.Errorf("components = %d, want none", len(d.comps))
	}
}

// fifoLines makes a FIFO at path, holds it open for reading and returns
// its lines; the reader ends with the test.
func fifoLines(t *testing.T, path string) <-chan string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	// O_RDWR: opening does not wait for a writer.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		_ = f.Close()
		<-done
	})
	return lines
}

// TestReloadSwapsLVSNotifier: a reload that moves lvs_notify_fifo makes
// the LVS side write its next real-server event to the new FIFO, not the
// old one: the daemon's one Notifier is replaced for every component.
func TestReloadSwapsLVSNotifier(t *testing.T) {
	_, p1 := listen(t)
	ln2, p2 := listen(t)
	dir := t.TempDir()
	oldFIFO, newFIFO := filepath.Join(dir, "old.fifo"), filepath.Join(dir, "new.fifo")
	oldLines, newLines := fifoLines(t, oldFIFO), fifoLines(t, newFIFO)
	conf := func(fifo string) string {
		return fmt.Sprintf(`global_defs {
    lvs_notify_fifo %s
}
virtual_server 192.0.2.10 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.1 %d {
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
    real_server 127.0.0.1 %d {
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
`, fifo, p1, p2)
	}
	d, _ := runLVSDaemon(t, conf(oldFIFO), ipvs.NewFake())
	waitFor(t, "both real servers up", func() bool {
		st := statusOf(d)
		r1, ok1 := realServer(st, p1)
		r2, ok2 := realServer(st, p2)
		return ok1 && ok2 && r1.Up && r2.Up
	})
	if err := os.WriteFile(d.opts.ConfigFile, []byte(conf(newFIFO)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Reload(ctx); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if err := ln2.Close(); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("127.0.0.1:%d", p2)
	select {
	case l := <-newLines:
		if !strings.Contains(l, fmt.Sprint(p2)) || !strings.Contains(l, "DOWN") {
			t.Errorf("new FIFO got %q, want the DOWN of %s", l, want)
		}
	case <-ctx.Done():
		t.Fatal("no line on the new lvs_notify_fifo")
	}
	select {
	case l := <-oldLines:
		t.Errorf("old FIFO still written after reload: %q", l)
	default:
	}
}

// TestQuietDaemonPublishesFreshCounters: the kernel's counters change
// while nothing else happens (no checks, no VRRP); the published status
// follows them anyway, so /metrics and a drain's countdown are never stuck
// at the last event's values.
func TestQuietDaemonPublishesFreshCounters(t *testing.T) {
	const conf = `
virtual_server 10.0.0.1 80 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 127.0.0.2 80 {
 }
}
`
	fake := ipvs.NewFake()
	d, _ := runLVSDaemon(t, conf, fake)
	waitFor(t, "the destination", func() bool { return len(fake.Snapshot()) == 1 })
	var svc ipvs.ServiceKey
	var dst ipvs.DestKey
	for k, vs := range fake.Snapshot() {
		svc = k
		for dk := range vs.Dests {
			dst = dk
		}
	}
	fake.SetCounters(svc, dst, ipvs.Counters{ActiveConns: 7, InactiveConns: 3})
	waitFor(t, "the new counters in the published status", func() bool {
		st := statusOf(d)
		if st == nil || len(st.VirtualServers) == 0 || len(st.VirtualServers[0].RealServers) == 0 {
			return false
		}
		c := st.VirtualServers[0].RealServers[0].Counters
		return c.ActiveConns == 7 && c.InactiveConns == 3
	})
}
