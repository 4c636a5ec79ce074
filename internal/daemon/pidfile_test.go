package daemon

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestPIDFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alived.pid")
	p, err := CreatePIDFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != strconv.Itoa(os.Getpid())+"\n" {
		t.Errorf("pid file holds %q, want keepalived's \"<pid>\\n\"", b)
	}
	// A second daemon (another open file description) is refused.
	if _, err := CreatePIDFile(path); !errors.Is(err, ErrAlreadyRunning) {
		t.Errorf("second CreatePIDFile: %v, want ErrAlreadyRunning", err)
	}
	if err := p.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("pid file still there after Remove: %v", err)
	}
}

func TestPIDFileStaleAndLive(t *testing.T) {
	dir := t.TempDir()
	// A pid that cannot exist (above pid_max) is stale: taken over.
	stale := filepath.Join(dir, "stale.pid")
	if err := os.WriteFile(stale, []byte("99999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := CreatePIDFile(stale)
	if err != nil {
		t.Fatalf("stale pid file: %v", err)
	}
	defer p.Remove()
	// A live process that does not lock its file (keepalived) is respected:
	// pid 1 is always alive.
	live := filepath.Join(dir, "live.pid")
	if err := os.WriteFile(live, []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := CreatePIDFile(live); !errors.Is(err, ErrAlreadyRunning) {
		t.Errorf("live pid: %v, want ErrAlreadyRunning", err)
	}
	b, _ := os.ReadFile(live)
	if strings.TrimSpace(string(b)) != "1" {
		t.Errorf("refused start rewrote the pid file: %q", b)
	}
}
