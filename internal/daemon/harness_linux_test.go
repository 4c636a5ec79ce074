package daemon_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/internal/netlab"
	"github.com/alived/alived/internal/testenv"
)

// alivedBin is the binary the namespace tests run, built once per test
// process by TestMain when namespace tests are enabled.
var alivedBin string

func TestMain(m *testing.M) {
	code := func() int {
		if os.Getenv(testenv.EnvNetns) == "1" && os.Geteuid() == 0 {
			dir, err := os.MkdirTemp("", "alived-daemon-test")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer os.RemoveAll(dir)
			alivedBin = filepath.Join(dir, "alived")
			out, err := exec.Command("go", "build", "-o", alivedBin, "github.com/alived/alived/cmd/alived").CombinedOutput()
			if err != nil {
				fmt.Fprintf(os.Stderr, "building alived: %v\n%s", err, out)
				return 1
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

// labSeq keeps lab prefixes unique within the process.
var labSeq atomic.Int32

// newLab builds a namespace lab with the given nodes (name → addresses)
// and removes it at cleanup.
func newLab(t *testing.T, nodes ...[]string) (*netlab.Lab, map[string]*netlab.Node) {
	t.Helper()
	testenv.RequireNetns(t)
	prefix := fmt.Sprintf("d%d%d", os.Getpid()%10000, labSeq.Add(1)%10)
	lab, err := netlab.New(prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Logf("lab cleanup: %v", err)
		}
	})
	out := map[string]*netlab.Node{}
	for _, n := range nodes {
		node, err := lab.AddNode(n[0], n[1:]...)
		if err != nil {
			t.Fatal(err)
		}
		out[n[0]] = node
		if strings.Contains(strings.Join(n[1:], " "), ":") {
			// IPv6 adverts go out from the link-local address, which is
			// tentative (unusable as a source) until DAD is over: wait, as
			// an operator's boot sequence would.
			eventually(t, 5*time.Second, node.Name+": link-local address out of DAD", func() bool {
				o, err := node.Output("ip", "-6", "addr", "show", "dev", node.Link, "tentative")
				return err == nil && strings.TrimSpace(o) == ""
			})
		}
	}
	return lab, out
}

// proc is a daemon (alived or keepalived) running in a lab node.
type proc struct {
	t    *testing.T
	node *netlab.Node
	cmd  *exec.Cmd
	dir  string
	conf string
	log  *os.File
	pid  string // pid file of the process that owns the VIPs
	done chan struct{}
}

// startAlived runs the alived binary in node with conf.
func startAlived(t *testing.T, node *netlab.Node, conf string, extra ...string) *proc {
	t.Helper()
	p := newProc(t, node, "alived", conf)
	args := append([]string{alivedBin, "-n", "-l", "-D", "-f", p.conf, "-p", p.pid}, extra...)
	p.start(args)
	return p
}

// startKeepalived runs keepalived 2.2.7 (VRRP only) in node with conf.
func startKeepalived(t *testing.T, node *netlab.Node, conf string) *proc {
	t.Helper()
	bin := testenv.RequireBinary(t, "keepalived")
	p := newProc(t, node, "keepalived", conf)
	vrrpPid := filepath.Join(p.dir, "vrrp.pid")
	p.start([]string{bin, "-n", "-l", "-D", "-P", "-f", p.conf, "-p", p.pid,
		"-r", vrrpPid, "-c", filepath.Join(p.dir, "check.pid")})
	return p
}

func newProc(t *testing.T, node *netlab.Node, name, conf string) *proc {
	dir := t.TempDir()
	p := &proc{t: t, node: node, dir: dir, conf: filepath.Join(dir, name+".conf"),
		pid: filepath.Join(dir, name+".pid")}
	p.writeConf(conf)
	return p
}

func (p *proc) writeConf(conf string) {
	p.t.Helper()
	if err := os.WriteFile(p.conf, []byte(conf), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func (p *proc) start(argv []string) {
	t := p.t
	t.Helper()
	if p.log == nil {
		f, err := os.Create(filepath.Join(p.dir, "log"))
		if err != nil {
			t.Fatal(err)
		}
		p.log = f
		t.Cleanup(func() {
			p.kill(syscall.SIGKILL)
			if t.Failed() {
				b, _ := os.ReadFile(f.Name())
				t.Logf("log of %s in %s:\n%s", filepath.Base(argv[0]), p.node.Name, b)
			}
			f.Close()
		})
	}
	cmd, err := p.node.Start(p.log, p.log, argv...)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = cmd
	p.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(cmd, p.done)
}

// restart starts the same command again after the process exited.
func (p *proc) restart() {
	p.t.Helper()
	p.start(p.cmd.Args[4:]) // drop "ip netns exec NS"
}

// kill sends sig to the process (ip netns exec execs it, so the pid we
// started is the daemon's) and, for SIGKILL, waits for it to be gone.
func (p *proc) kill(sig syscall.Signal) {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	if sig == syscall.SIGKILL {
		<-p.done
	}
}

// wait waits for the process to exit.
func (p *proc) wait(timeout time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// pidOf reads a pid file.
func pidOf(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// logHas reports whether the process log contains s.
func (p *proc) logHas(s string) bool {
	b, _ := os.ReadFile(p.log.Name())
	return bytes.Contains(b, []byte(s))
}

// eventually polls cond every 10 ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if cond() {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// holders returns the names of the nodes whose link holds vip.
func holders(t *testing.T, vip string, nodes ...*netlab.Node) []string {
	t.Helper()
	var out []string
	for _, n := range nodes {
		ok, err := n.HasAddr(vip)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			out = append(out, n.Name)
		}
	}
	return out
}

// onlyHolder waits until exactly node (of nodes) holds vip.
func onlyHolder(t *testing.T, timeout time.Duration, vip string, node *netlab.Node, nodes ...*netlab.Node) time.Duration {
	t.Helper()
	return eventually(t, timeout, fmt.Sprintf("%s should be the only holder of %s", node.Name, vip), func() bool {
		h := holders(t, vip, nodes...)
		return len(h) == 1 && h[0] == node.Name
	})
}

// stableHolder checks that vip stays exactly on node for d.
func stableHolder(t *testing.T, d time.Duration, vip string, node *netlab.Node, nodes ...*netlab.Node) {
	t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if h := holders(t, vip, nodes...); len(h) != 1 || h[0] != node.Name {
			t.Fatalf("%s: holders %v, want only %s", vip, h, node.Name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// instConf is one vrrp_instance for the tests' configurations.
type instConf struct {
	Name       string
	State      string
	Iface      string
	VRID       int
	Priority   int
	Version    int
	AdvertInt  string
	VIPs       []string
	Unicast    []string // peers; unicast when non-empty
	UnicastSrc string
	Auth       string // PASS password; empty: none
	Extra      string // raw lines inside the block
}

// render writes the vrrp_instance block.
func (c instConf) render() string {
	var b strings.Builder
	name := c.Name
	if name == "" {
		name = "VI_1"
	}
	fmt.Fprintf(&b, "vrrp_instance %s {\n", name)
	if c.State != "" {
		fmt.Fprintf(&b, "    state %s\n", c.State)
	}
	iface := c.Iface
	if iface == "" {
		iface = "eth0"
	}
	fmt.Fprintf(&b, "    interface %s\n    virtual_router_id %d\n    priority %d\n", iface, c.VRID, c.Priority)
	if c.Version != 0 {
		fmt.Fprintf(&b, "    version %d\n", c.Version)
	}
	if c.AdvertInt != "" {
		fmt.Fprintf(&b, "    advert_int %s\n", c.AdvertInt)
	}
	if c.Auth != "" {
		fmt.Fprintf(&b, "    authentication {\n        auth_type PASS\n        auth_pass %s\n    }\n", c.Auth)
	}
	if c.UnicastSrc != "" {
		fmt.Fprintf(&b, "    unicast_src_ip %s\n", c.UnicastSrc)
	}
	if len(c.Unicast) > 0 {
		fmt.Fprintf(&b, "    unicast_peer {\n        %s\n    }\n", strings.Join(c.Unicast, "\n        "))
	}
	fmt.Fprintf(&b, "    virtual_ipaddress {\n        %s\n    }\n", strings.Join(c.VIPs, "\n        "))
	b.WriteString(c.Extra)
	b.WriteString("}\n")
	return b.String()
}

// conf is a whole configuration: global_defs plus instances.
func conf(global string, insts ...instConf) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global_defs {\n    router_id test\n%s}\n", global)
	for _, i := range insts {
		b.WriteString(i.render())
	}
	return b.String()
}
