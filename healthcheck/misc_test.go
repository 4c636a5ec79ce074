package healthcheck

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/internal/testenv"
)

// script writes an executable shell script into a fresh directory.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "check.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMiscExitStatus(t *testing.T) {
	p := script(t, `exit "$1"`)
	for _, tc := range []struct {
		args    string
		dynamic bool
		pass    bool
		weight  WeightChange
	}{
		{"0", false, true, WeightChange{}},
		{"1", false, false, WeightChange{}},
		{"12", false, false, WeightChange{}},
		{"0", true, true, WeightChange{}},
		{"1", true, false, WeightChange{}},
		{"12", true, true, WeightChange{Mode: WeightSet, Value: 10}},
		{"255", true, true, WeightChange{Mode: WeightSet, Value: 253}},
	} {
		c, err := NewMisc(MiscOptions{Path: p + " " + tc.args, Dynamic: tc.dynamic})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := checkWithin(t, c, 2*time.Second)
		if (r.Err == nil) != tc.pass || r.Weight != tc.weight {
			t.Errorf("exit %s dynamic=%v: got err=%v weight=%+v, want pass=%v weight=%+v",
				tc.args, tc.dynamic, r.Err, r.Weight, tc.pass, tc.weight)
		}
	}
}

// TestMiscTimeoutKillsTheProcessGroup: a script whose child ignores the
// deadline is killed with its whole group when the probe ends.
func TestMiscTimeoutKillsTheProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	p := script(t, `sleep 30 & echo $! > `+pidFile+`; wait`)
	c, err := NewMisc(MiscOptions{Path: p})
	if err != nil {
		t.Fatal(err)
	}
	// Long enough for the script to start its child even on a loaded host.
	r, took := checkWithin(t, c, 1500*time.Millisecond)
	mustFail(t, r, "script timeout")
	if !errors.Is(r.Err, ErrTimeout) || took < 1400*time.Millisecond {
		t.Errorf("got %v after %v, want a timeout at the deadline", r.Err, took)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	for _, ch := range strings.TrimSpace(string(b)) {
		pid = pid*10 + int(ch-'0')
	}
	// SIGKILL is asynchronous and the orphan is reaped by init later, so
	// poll until the process is gone or a zombie.
	deadline := time.Now().Add(2 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("child %d of the timed-out script is still alive", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

func TestMiscArgumentsAreNotShellExpanded(t *testing.T) {
	out := filepath.Join(t.TempDir(), "args")
	p := script(t, `printf '%s|' "$@" > `+out)
	c, err := NewMisc(MiscOptions{Path: p + ` 'a b' "c \"d\"" $HOME e\ f`})
	if err != nil {
		t.Fatal(err)
	}
	mustPass(t, c.Check(t.Context()))
	b, _ := os.ReadFile(out)
	if want := `a b|c "d"|$HOME|e f|`; string(b) != want {
		t.Errorf("script got %q, want %q", b, want)
	}
}

func TestMiscBadInput(t *testing.T) {
	for _, path := range []string{"", "/nonexistent/script", `"unterminated`, `x\`} {
		if _, err := NewMisc(MiscOptions{Path: path}); err == nil {
			t.Errorf("misc_path %q accepted", path)
		}
	}
	if _, err := NewMisc(MiscOptions{Path: "/bin/true", User: "no-such-user-alived"}); err == nil {
		t.Error("unknown user accepted")
	}
}

func TestMiscRunsAsScriptUser(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	// nobody must be able to reach the script and write its output.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "out")
	if err := os.WriteFile(out, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(out, 0o666); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "id.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\nid -u > "+out+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := NewMisc(MiscOptions{Path: p, User: "nobody"})
	if err != nil {
		t.Fatal(err)
	}
	mustPass(t, c.Check(t.Context()))
	b, _ := os.ReadFile(out)
	if got := strings.TrimSpace(string(b)); got != "65534" {
		t.Errorf("script ran as uid %q, want nobody (65534)", got)
	}
}
