package netio

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/bfd"
	"github.com/alived/alived/internal/netlab"
	"github.com/alived/alived/internal/testenv"
)

type labFamily struct {
	name     string
	a, k     string // CIDRs
	aIP, kIP string
	ttl      int // keepalived's default ttl/hoplimit for the family
}

var labFamilies = []labFamily{
	{name: "ipv4", a: "192.0.2.1/24", k: "192.0.2.2/24", aIP: "192.0.2.1", kIP: "192.0.2.2", ttl: 255},
	{name: "ipv6", a: "2001:db8::1/64", k: "2001:db8::2/64", aIP: "2001:db8::1", kIP: "2001:db8::2", ttl: bfd.DefaultHopLimit6},
}

func newLab(t *testing.T, nodes ...[2]string) map[string]*netlab.Node {
	t.Helper()
	testenv.RequireNetns(t)
	lab, err := netlab.New(fmt.Sprintf("b%d", os.Getpid()%100000))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lab.Close() })
	out := map[string]*netlab.Node{}
	for _, n := range nodes {
		node, err := lab.AddNode(n[0], n[1])
		if err != nil {
			t.Fatal(err)
		}
		out[n[0]] = node
	}
	return out
}

// runIn starts a runner whose sockets live in node's namespace.
func runIn(t *testing.T, node *netlab.Node, rec *recorder, c SessionConfig) *Runner {
	t.Helper()
	r := NewRunner(Options{OnChange: rec.add})
	if err := netlab.Do(node.NS, func() error { return r.Configure([]SessionConfig{c}) }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

// keepalived is a keepalived 2.2.7 running only a bfd_instance.
type keepalived struct {
	t    *testing.T
	node *netlab.Node
	dir  string
	argv []string
	log  *os.File
	cmd  interface {
		Wait() error
	}
	pid int
}

func startKeepalived(t *testing.T, node *netlab.Node, conf string) *keepalived {
	t.Helper()
	bin := testenv.RequireBinary(t, "keepalived")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "k.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	k := &keepalived{t: t, node: node, dir: dir, log: log,
		argv: []string{bin, "-n", "-l", "-D", "-f", filepath.Join(dir, "k.conf"), "-p", filepath.Join(dir, "k.pid"),
			"-b", filepath.Join(dir, "bfd.pid"), "-r", filepath.Join(dir, "vrrp.pid"), "-c", filepath.Join(dir, "check.pid")}}
	t.Cleanup(func() {
		k.kill()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("keepalived log:\n%s", b)
		}
		log.Close()
	})
	k.start()
	return k
}

func (k *keepalived) start() {
	cmd, err := k.node.Start(k.log, k.log, k.argv...)
	if err != nil {
		k.t.Fatal(err)
	}
	k.cmd, k.pid = cmd, cmd.Process.Pid
}

func pidFile(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// kill stops keepalived without a goodbye: the parent (`ip netns exec`
// execs keepalived, so the command's pid is keepalived's) is frozen so it
// cannot restart its BFD child, the child is killed, then the parent.
// It returns when the BFD child was killed.
func (k *keepalived) kill() time.Time {
	if k.pid == 0 {
		return time.Time{}
	}
	_ = syscall.Kill(k.pid, syscall.SIGSTOP)
	at := time.Now()
	if child := pidFile(filepath.Join(k.dir, "bfd.pid")); child != 0 {
		_ = syscall.Kill(child, syscall.SIGKILL)
	}
	_ = syscall.Kill(k.pid, syscall.SIGKILL)
	_ = k.cmd.Wait()
	k.pid = 0
	for _, f := range []string{"k.pid", "bfd.pid", "vrrp.pid", "check.pid"} {
		_ = os.Remove(filepath.Join(k.dir, f))
	}
	return at
}

func (k *keepalived) logged(s string) bool {
	b, _ := os.ReadFile(k.log.Name())
	return bytes.Contains(b, []byte(s))
}

// interopInterval is min_tx/min_rx on both sides of the interop tests.
// keepalived's default of 10 ms (50 ms detection) flaps on a loaded
// shared CI host (seen: 140 ms scheduling gaps at load 11 on 2 cores).
const interopInterval = 50 * time.Millisecond

// TestKeepalivedInterop: alived's BFD and keepalived 2.2.7's come Up with
// each other (both sides say so), alived detects keepalived's death
// within the detection time (5 x 50 ms) and the session comes Up again
// when keepalived returns. IPv4 and IPv6.
func TestKeepalivedInterop(t *testing.T) {
	for _, f := range labFamilies {
		t.Run(f.name, func(t *testing.T) {
			n := newLab(t, [2]string{"a", f.a}, [2]string{"k", f.k})
			rec := newRecorder()
			c := SessionConfig{
				Config: bfd.Config{Name: "to_k", DesiredMinTx: interopInterval, RequiredMinRx: interopInterval,
					IdleTx: time.Second, DetectMult: 5, TTL: f.ttl},
				Neighbor: netip.MustParseAddr(f.kIP), Source: netip.MustParseAddr(f.aIP),
			}
			r := runIn(t, n["a"], rec, c)
			k := startKeepalived(t, n["k"], fmt.Sprintf(`global_defs {
    router_id k
}
bfd_instance to_a {
    neighbor_ip %s
    source_ip %s
    min_rx %d
    min_tx %d
}
`, f.aIP, f.kIP, interopInterval.Milliseconds(), interopInterval.Milliseconds()))
			rec.waitFor(t, "to_k", bfd.StateUp, 10*time.Second)
			deadline := time.Now().Add(5 * time.Second)
			for !k.logged("(to_a) Entering Up state") {
				if time.Now().After(deadline) {
					t.Fatal("keepalived never logged its session Up")
				}
				time.Sleep(50 * time.Millisecond)
			}
			st := r.Status()[0]
			t.Logf("alived session: tx %v detect %v remote mult %d", st.TxInterval, st.DetectTime, st.RemoteMult)
			if st.DetectTime != 5*interopInterval {
				t.Errorf("detection time %v, want 5 x %v", st.DetectTime, interopInterval)
			}

			// A settled session: keepalived's side has not flapped.
			time.Sleep(time.Second)
			if k.logged("Entering Down state") {
				t.Error("keepalived's session went Down while both sides ran")
			}
			killed := k.kill()
			down := rec.waitFor(t, "to_k", bfd.StateDown, 2*time.Second)
			took := down.Time.Sub(killed)
			t.Logf("BFD detection: keepalived killed -> alived Down after %v (diag %v)", took, down.Diag)
			if down.Diag != bfd.DiagDetectionExpired {
				t.Errorf("diag %v, want Control Detection Time Expired", down.Diag)
			}
			if took > 5*interopInterval+250*time.Millisecond {
				t.Errorf("detection took %v, want about %v", took, 5*interopInterval)
			}

			k.start()
			rec.waitFor(t, "to_k", bfd.StateUp, 10*time.Second)
		})
	}
}

// TestAlivedPairInNamespaces: two alived runners in two namespaces come
// Up; stopping one takes the other Down at once (AdminDown).
func TestAlivedPairInNamespaces(t *testing.T) {
	f := labFamilies[0]
	n := newLab(t, [2]string{"a", f.a}, [2]string{"k", f.k})
	ra, rk := newRecorder(), newRecorder()
	mk := func(name, self, peer string) SessionConfig {
		return SessionConfig{Config: bfd.Config{Name: name, DesiredMinTx: 10 * time.Millisecond, RequiredMinRx: 10 * time.Millisecond,
			IdleTx: time.Second, DetectMult: 3, TTL: 255}, Neighbor: netip.MustParseAddr(peer), Source: netip.MustParseAddr(self)}
	}
	runIn(t, n["a"], ra, mk("a", f.aIP, f.kIP))
	rkR := NewRunner(Options{OnChange: rk.add})
	if err := netlab.Do(n["k"].NS, func() error { return rkR.Configure([]SessionConfig{mk("k", f.kIP, f.aIP)}) }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = rkR.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	ra.waitFor(t, "a", bfd.StateUp, 10*time.Second)
	rk.waitFor(t, "k", bfd.StateUp, 10*time.Second)
	cancel()
	<-done
	if c := ra.waitFor(t, "a", bfd.StateDown, time.Second); c.Diag != bfd.DiagNeighborSignaledDown {
		t.Fatalf("diag %v", c.Diag)
	}
}
