package notify

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/alived/alived/internal/testenv"
)

// TestRunnerSwitchesToScriptUser runs a script as script_user (nobody),
// then with an explicit group, and checks the identity the script sees,
// including that it carries no supplementary groups of root's.
func TestRunnerSwitchesToScriptUser(t *testing.T) {
	testenv.RequireRoot(t)
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	daemonGrp, err := user.LookupGroup("daemon")
	if err != nil {
		t.Skipf("no group daemon: %v", err)
	}
	dir := t.TempDir()
	// The script runs as nobody: it needs to reach and write its output.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	script := filepath.Join(dir, "id.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$(id -u) $(id -g) $(id -G)\" > \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(r *Runner, c Command) string {
		t.Helper()
		out := filepath.Join(dir, "out")
		os.Remove(out)
		c.Argv = []string{script, out}
		if res := r.Run(context.Background(), c); res.Err != nil {
			t.Fatalf("Run: %v (%s)", res.Err, res.Output)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	r := &Runner{User: "nobody", Timeout: 5 * time.Second}
	if got, want := run(r, Command{}), nobody.Uid+" "+nobody.Gid+" "+nobody.Gid; got != want {
		t.Errorf("global script_user: id = %q, want %q", got, want)
	}
	if got, want := run(r, Command{User: "nobody", Group: "daemon"}), nobody.Uid+" "+daemonGrp.Gid+" "+daemonGrp.Gid; got != want {
		t.Errorf("per-script user and group: id = %q, want %q", got, want)
	}
	if got := run(&Runner{}, Command{}); !strings.HasPrefix(got, "0 0") {
		t.Errorf("no script_user: id = %q, want root", got)
	}
	if res := r.Run(context.Background(), Command{Argv: []string{script, "x"}, User: "no-such-user-alived"}); res.Err == nil {
		t.Error("unknown user: want error")
	}
}

func TestFIFOOwnerIsConfiguredUser(t *testing.T) {
	testenv.RequireRoot(t)
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	path := filepath.Join(t.TempDir(), "owned.fifo")
	f, err := OpenFIFO(path, FIFOOptions{User: "nobody"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(context.Background())
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	if got := strconv.Itoa(int(st.Uid)) + ":" + strconv.Itoa(int(st.Gid)); got != nobody.Uid+":"+nobody.Gid {
		t.Errorf("FIFO owner %s, want %s:%s", got, nobody.Uid, nobody.Gid)
	}
}
