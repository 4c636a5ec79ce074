package sdnotify

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeSystemd listens where $NOTIFY_SOCKET points and returns each
// datagram's assignments.
func fakeSystemd(t *testing.T, abstract bool) (string, func() map[string]string) {
	t.Helper()
	var addr, name string
	if abstract {
		name = "alived-sdnotify-test-" + strconv.Itoa(os.Getpid())
		addr = "@" + name
		name = "\x00" + name
	} else {
		dir, err := os.MkdirTemp("", "sdn")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(dir) })
		addr = filepath.Join(dir, "notify")
		name = addr
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return addr, func() map[string]string {
		t.Helper()
		buf := make([]byte, 4096)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no notification: %v", err)
		}
		msg := string(buf[:n])
		if !strings.HasSuffix(msg, "\n") {
			t.Errorf("datagram %q does not end in a newline", msg)
		}
		kv := map[string]string{}
		for _, line := range strings.Split(strings.TrimSuffix(msg, "\n"), "\n") {
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Errorf("malformed assignment %q", line)
			}
			kv[k] = v
		}
		return kv
	}
}

func TestProtocol(t *testing.T) {
	for _, abstract := range []bool{false, true} {
		addr, recv := fakeSystemd(t, abstract)
		t.Setenv("NOTIFY_SOCKET", addr)
		n := FromEnv()
		if os.Getenv("NOTIFY_SOCKET") != "" {
			t.Error("NOTIFY_SOCKET left for child processes")
		}
		if err := n.Ready("VI_1 MASTER\nsecond line"); err != nil {
			t.Fatal(err)
		}
		kv := recv()
		if kv["READY"] != "1" || kv["STATUS"] != "VI_1 MASTER second line" || kv["MAINPID"] != strconv.Itoa(os.Getpid()) {
			t.Errorf("ready: %v", kv)
		}
		var before, after uint64
		before, _ = monotonicUsec()
		if err := n.Reloading(); err != nil {
			t.Fatal(err)
		}
		after, _ = monotonicUsec()
		kv = recv()
		usec, err := strconv.ParseUint(kv["MONOTONIC_USEC"], 10, 64)
		if kv["RELOADING"] != "1" || err != nil || usec < before || usec > after {
			t.Errorf("reloading: %v (monotonic window %d..%d)", kv, before, after)
		}
		if err := n.Ready("reloaded"); err != nil {
			t.Fatal(err)
		}
		if kv := recv(); kv["READY"] != "1" {
			t.Errorf("ready after reload: %v", kv)
		}
		if err := n.Stopping(); err != nil {
			t.Fatal(err)
		}
		if kv := recv(); kv["STOPPING"] != "1" {
			t.Errorf("stopping: %v", kv)
		}
	}
}

func TestNoSocketIsSilent(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	n := FromEnv()
	if n.Enabled() {
		t.Fatal("enabled without NOTIFY_SOCKET")
	}
	if err := n.Ready("x"); err != nil {
		t.Errorf("disabled notifier returned %v", err)
	}
	var zero *Notifier
	if err := zero.Stopping(); err != nil {
		t.Errorf("nil notifier returned %v", err)
	}
}

func TestUnreachableSocketIsAnError(t *testing.T) {
	n := New(filepath.Join(t.TempDir(), "nobody"))
	if err := n.Ready("x"); err == nil {
		t.Error("sending to a missing socket succeeded")
	}
}
