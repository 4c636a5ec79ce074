package netlab

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/internal/testenv"
)

// newTestLab skips outside the root tier, makes a lab whose name starts
// with prefix and holds the pid, and removes it when the test ends.
func newTestLab(t *testing.T, prefix string) *Lab {
	t.Helper()
	testenv.RequireNetns(t)
	lab, err := New(fmt.Sprintf("%s%d", prefix, os.Getpid()%100000))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
	})
	return lab
}

func TestTwoNodesReachEachOther(t *testing.T) {
	lab := newTestLab(t, "nl")
	a, err := lab.AddNode("a", "192.0.2.1/24", "2001:db8::1/64")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lab.AddNode("b", "192.0.2.2/24", "2001:db8::2/64"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Output("ping", "-c1", "-W2", "192.0.2.2"); err != nil {
		t.Fatalf("IPv4 across the bridge: %v", err)
	}
	if _, err := a.Output("ping", "-6", "-c1", "-W2", "2001:db8::2"); err != nil {
		t.Fatalf("IPv6 across the bridge: %v", err)
	}
	ok, err := a.HasAddr("192.0.2.1")
	if err != nil || !ok {
		t.Fatalf("HasAddr(own address) = %v, %v", ok, err)
	}
	ok, err = a.HasAddr("192.0.2.2")
	if err != nil || ok {
		t.Fatalf("HasAddr(peer address) = %v, %v", ok, err)
	}
}

// TestDoRunsInTheNamespace checks that fn sees the node's namespace while
// the caller keeps its own, and that a listener made inside stays there:
// the node's loopback accepts it, the caller's does not know the port.
func TestDoRunsInTheNamespace(t *testing.T) {
	lab := newTestLab(t, "nd")
	a, err := lab.AddNode("a", "192.0.2.1/24")
	if err != nil {
		t.Fatal(err)
	}
	nsInode := func(path string) uint64 {
		t.Helper()
		var st syscall.Stat_t
		if err := syscall.Stat(path, &st); err != nil {
			t.Fatal(err)
		}
		return st.Ino
	}
	want := nsInode("/run/netns/" + a.NS)
	var inside uint64
	var ln net.Listener
	if err := Do(a.NS, func() error {
		var err error
		inside = nsInode("/proc/thread-self/ns/net")
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if inside != want {
		t.Errorf("fn ran in namespace inode %d, want %s's %d", inside, a.NS, want)
	}
	if got := nsInode("/proc/thread-self/ns/net"); got == want {
		t.Errorf("caller is still in %s after Do", a.NS)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if _, err := a.Output("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/"+port); err != nil {
		t.Errorf("listener not reachable inside %s: %v", a.NS, err)
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err == nil {
		c.Close()
		t.Errorf("listener made inside %s answers on the caller's loopback", a.NS)
	}
	if err := Do("nonexistent-"+a.NS, func() error { return nil }); err == nil {
		t.Error("Do into a missing namespace succeeded")
	}
}
