package vrrp

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alived/alived/internal/testenv"
)

// TestCaptureKeepalivedGolden runs real keepalived 2.2.7 for every golden
// case in a fresh pair of network namespaces joined by a veth, captures its
// first advert with tcpdump on the peer side and compares it with the
// stored file (or rewrites the file with -update). It is the interop
// oracle behind TestGoldenKeepalivedAdverts.
func TestCaptureKeepalivedGolden(t *testing.T) {
	testenv.RequireNetns(t)
	keepalived := testenv.RequireBinary(t, "keepalived")
	tcpdump := testenv.RequireBinary(t, "tcpdump")
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			g := captureKeepalived(t, keepalived, tcpdump, c)
			if *update {
				writeGolden(t, c, g)
				return
			}
			want := readGolden(t, c.name)
			if !bytes.Equal(g.msg, want.msg) || g.src != want.src || g.dst != want.dst || g.ttl != want.ttl {
				t.Errorf("keepalived sent %v→%v ttl %d %x; stored %v→%v ttl %d %x",
					g.src, g.dst, g.ttl, g.msg, want.src, want.dst, want.ttl, want.msg)
			}
		})
	}
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// lab builds namespaces <pfx>a and <pfx>b joined by veth va/vb with
// 10.251.0.1/24 and 10.251.0.2/24 and link-locals fe80::1 and fe80::2
// (DAD off so keepalived can use them at once), and removes them at
// cleanup.
func lab(t *testing.T) (nsA, nsB string) {
	t.Helper()
	pfx := fmt.Sprintf("alv%d%s", os.Getpid(), strings.ReplaceAll(t.Name()[len(t.Name())-6:], "/", ""))
	nsA, nsB = pfx+"a", pfx+"b"
	for _, ns := range []string{nsA, nsB} {
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
		for _, k := range []string{"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"} {
			run(t, "ip", "netns", "exec", ns, "sysctl", "-q", "-w", k)
		}
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	run(t, "ip", "link", "add", "va", "netns", nsA, "type", "veth", "peer", "name", "vb", "netns", nsB)
	for i, ns := range []string{nsA, nsB} {
		dev := []string{"va", "vb"}[i]
		run(t, "ip", "-n", ns, "addr", "add", fmt.Sprintf("10.251.0.%d/24", i+1), "dev", dev)
		// No kernel-generated link-local (it would derive from a random
		// MAC): fe80::N is the only one, so captures are reproducible.
		run(t, "ip", "-n", ns, "link", "set", dev, "addrgenmode", "none")
		run(t, "ip", "-n", ns, "addr", "add", fmt.Sprintf("fe80::%d/64", i+1), "dev", dev, "nodad")
		run(t, "ip", "-n", ns, "link", "set", dev, "up")
	}
	return nsA, nsB
}

func keepalivedConf(c goldenCase) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global_defs {\n  router_id golden\n}\nvrrp_instance VI_%s {\n", strings.ReplaceAll(c.name, "-", "_"))
	fmt.Fprintf(&b, "  state MASTER\n  interface va\n  virtual_router_id %d\n  priority %d\n  version %d\n",
		c.vrid, c.priority, c.version)
	if c.version == 2 {
		fmt.Fprintf(&b, "  advert_int %d\n", c.interval)
	} else {
		fmt.Fprintf(&b, "  advert_int %d.%02d\n", c.interval/100, c.interval%100)
	}
	if c.auth == AuthPass {
		fmt.Fprintf(&b, "  authentication {\n    auth_type PASS\n    auth_pass %s\n  }\n", c.pass)
	}
	if c.unicast {
		b.WriteString("  unicast_src_ip 10.251.0.1\n  unicast_peer {\n    10.251.0.2\n  }\n")
	}
	if c.oldChecksum {
		b.WriteString("  old_unicast_checksum\n")
	}
	b.WriteString("  virtual_ipaddress {\n")
	for _, v := range c.vips {
		fmt.Fprintf(&b, "    %s\n", v)
	}
	b.WriteString("  }\n}\n")
	return b.String()
}

func captureKeepalived(t *testing.T, keepalived, tcpdump string, c goldenCase) golden {
	nsA, nsB := lab(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(conf, []byte(keepalivedConf(c)), 0o644); err != nil {
		t.Fatal(err)
	}
	pcap := filepath.Join(dir, "out.pcap")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	dump := exec.CommandContext(ctx, "ip", "netns", "exec", nsB, tcpdump, "-i", "vb", "-n", "-U", "-c", "1",
		"-w", pcap, "ip proto 112 or ip6 proto 112")
	// Wait for tcpdump to say it is listening, so the first advert is not
	// missed.
	ready := make(chan struct{})
	dumpErr := &notifyWriter{marker: "listening on", ready: ready}
	dump.Stderr = dumpErr
	if err := dump.Start(); err != nil {
		t.Fatalf("tcpdump: %v", err)
	}
	select {
	case <-ready:
	case <-ctx.Done():
		t.Fatalf("tcpdump did not start: %s", dumpErr.String())
	}
	ka := exec.Command("ip", "netns", "exec", nsA, keepalived, "-n", "-l", "-D", "-P", "-f", conf,
		"-p", filepath.Join(dir, "k.pid"), "-r", filepath.Join(dir, "v.pid"), "-c", filepath.Join(dir, "c.pid"))
	var kaOut bytes.Buffer
	ka.Stdout, ka.Stderr = &kaOut, &kaOut
	if err := ka.Start(); err != nil {
		t.Fatalf("keepalived: %v", err)
	}
	defer func() {
		// Stop keepalived through its own pid file, never by name.
		if data, err := os.ReadFile(filepath.Join(dir, "k.pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
				if p, err := os.FindProcess(pid); err == nil {
					_ = p.Signal(os.Interrupt)
				}
			}
		}
		done := make(chan error, 1)
		go func() { done <- ka.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = ka.Process.Kill()
			<-done
		}
	}()
	if err := dump.Wait(); err != nil {
		t.Fatalf("tcpdump: %v\n%s\nkeepalived:\n%s", err, dumpErr.String(), kaOut.String())
	}
	data, err := os.ReadFile(pcap)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := pcapPackets(data)
	if err != nil || len(frames) == 0 {
		t.Fatalf("no frames in capture: %v", err)
	}
	g, ok := vrrpFromFrame(frames[0])
	if !ok {
		t.Fatalf("captured frame is not VRRP: %x", frames[0])
	}
	return g
}

// notifyWriter collects output and closes ready once marker has been seen.
type notifyWriter struct {
	mu     sync.Mutex
	w      bytes.Buffer
	marker string
	ready  chan struct{}
	seen   bool
}

func (n *notifyWriter) Write(p []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.w.Write(p)
	if !n.seen && strings.Contains(n.w.String(), n.marker) {
		n.seen = true
		close(n.ready)
	}
	return len(p), nil
}

func (n *notifyWriter) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.w.String()
}
