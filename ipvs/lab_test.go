//go:build linux

package ipvs

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/internal/netlab"
)

// This file builds the guest-side test topology: the VM's own namespace is
// the director holding the VIP, a client namespace sends requests to it,
// and each real server lives in a namespace of its own behind a veth pair,
// routed back through the director as NAT requires.

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// natLab is a director with a VIP, a client and real servers answering
// HTTP with their own name.
type natLab struct {
	VIP    string
	Client string // client namespace
	Reals  []string
}

// newNATLab builds the topology with n real servers at 10.1.I.2:80.
func newNATLab(t *testing.T, n int) *natLab {
	t.Helper()
	pid := os.Getpid()
	l := &natLab{VIP: "10.0.0.100", Client: fmt.Sprintf("cl%d", pid)}
	t.Cleanup(func() { exec.Command("ip", "link", "del", "vip0").Run() })
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Process starts are slow under TCG, so the topology is built with
	// one `ip -batch` for the director and one per namespace.
	host := []string{"link add vip0 type dummy", "addr add " + l.VIP + "/32 dev vip0", "link set vip0 up"}
	inside := map[string][]string{}
	link := func(ns, hostIf, hostAddr, nsAddr, gw string) {
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		host = append(host, "netns add "+ns,
			"link add "+hostIf+" type veth peer name eth0 netns "+ns,
			"addr add "+hostAddr+" dev "+hostIf,
			"link set "+hostIf+" up")
		inside[ns] = []string{"addr add " + nsAddr + " dev eth0", "link set eth0 up", "link set lo up", "route add default via " + gw}
	}
	batch := func(args []string, lines []string) {
		cmd := exec.Command("ip", append(args, "-batch", "-")...)
		cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ip %v -batch: %v\n%s", args, err, out)
		}
	}
	link(l.Client, "vcl", "192.168.100.1/24", "192.168.100.2/24", "192.168.100.1")
	for i := 1; i <= n; i++ {
		link(fmt.Sprintf("rs%d-%d", i, pid), fmt.Sprintf("vrs%d", i), fmt.Sprintf("10.1.%d.1/24", i), fmt.Sprintf("10.1.%d.2/24", i), fmt.Sprintf("10.1.%d.1", i))
	}
	batch(nil, host)
	for ns, lines := range inside {
		batch([]string{"-n", ns}, lines)
	}
	for i := 1; i <= n; i++ {
		ns := fmt.Sprintf("rs%d-%d", i, pid)
		addr := fmt.Sprintf("10.1.%d.2", i)
		l.Reals = append(l.Reals, addr)
		var ln net.Listener
		if err := netlab.Do(ns, func() (err error) {
			ln, err = net.Listen("tcp", addr+":80")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		name := addr
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, name)
		})}
		done := make(chan struct{})
		go func() { defer close(done); srv.Serve(ln) }()
		t.Cleanup(func() { srv.Close(); <-done })
	}
	return l
}

// get sends one HTTP/1.0 request to the VIP from the client namespace on a
// fresh connection (so IPVS schedules each request) and returns the name
// of the real server that answered.
func (l *natLab) get(t testing.TB) (string, error) {
	var body string
	err := netlab.Do(l.Client, func() error {
		c, err := net.DialTimeout("tcp", l.VIP+":80", 3*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err = io.WriteString(c, "GET / HTTP/1.0\r\nHost: vip\r\n\r\n"); err != nil {
			return err
		}
		resp, err := io.ReadAll(c)
		if err != nil {
			return err
		}
		s := string(resp)
		if !strings.HasPrefix(s, "HTTP/1.0 200") {
			return fmt.Errorf("unexpected response %q", s)
		}
		_, body, _ = strings.Cut(s, "\r\n\r\n")
		return nil
	})
	return body, err
}

// counts sends n requests and returns the answers per real server.
func (l *natLab) counts(t testing.TB, n int) map[string]int {
	t.Helper()
	m := map[string]int{}
	for i := 0; i < n; i++ {
		who, err := l.get(t)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		m[who]++
	}
	return m
}
