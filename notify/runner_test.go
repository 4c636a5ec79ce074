package notify

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// writeScript puts an executable shell script in a temp dir.
func writeScript(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunnerPassesArgvWithoutShell(t *testing.T) {
	out := filepath.Join(t.TempDir(), "argv")
	script := writeScript(t, "argv.sh", `for a in "$@"; do printf '%s|' "$a"; done > "$OUT"`+"\n")
	t.Setenv("OUT", out)
	r := &Runner{Timeout: 5 * time.Second}
	// Shell metacharacters must arrive verbatim: no shell parses argv.
	c := VRRPScripts{Generic: &Command{Argv: []string{script, "a b", "$HOME;ls"}}}.Commands(InstanceEvent("VI 1", StateMaster, 100))
	res := r.Run(context.Background(), c[0])
	if res.Err != nil {
		t.Fatalf("Run: %v (%s)", res.Err, res.Output)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "a b|$HOME;ls|INSTANCE|VI 1|MASTER|100|"; string(got) != want {
		t.Errorf("script argv = %q, want %q", got, want)
	}
}

func TestRunnerExitCodeAndOutput(t *testing.T) {
	script := writeScript(t, "fail.sh", "echo oops\nexit 3\n")
	res := (&Runner{}).Run(context.Background(), Command{Argv: []string{script}})
	if res.Err == nil || res.ExitCode != 3 || res.TimedOut {
		t.Errorf("Run = %+v, want exit 3 with error", res)
	}
	if strings.TrimSpace(res.Output) != "oops" {
		t.Errorf("Output = %q, want oops", res.Output)
	}
	if res := (&Runner{}).Run(context.Background(), Command{Argv: []string{filepath.Join(t.TempDir(), "missing")}}); res.Err == nil {
		t.Error("missing program: want error")
	}
	if res := (&Runner{}).Run(context.Background(), Command{}); res.Err == nil {
		t.Error("empty command: want error")
	}
}

func TestRunnerEnvironmentIsCleaned(t *testing.T) {
	out := filepath.Join(t.TempDir(), "env")
	t.Setenv("OUT", out)
	t.Setenv("LD_PRELOAD", "/nonexistent.so")
	t.Setenv("IFS", "x")
	script := writeScript(t, "env.sh", `env > "$OUT"`+"\n")
	if res := (&Runner{}).Run(context.Background(), Command{Argv: []string{script}}); res.Err != nil {
		t.Fatal(res.Err)
	}
	env, _ := os.ReadFile(out)
	if strings.Contains(string(env), "LD_PRELOAD=") {
		t.Errorf("LD_PRELOAD reached the script:\n%s", env)
	}
	if !strings.Contains(string(env), "OUT="+out) {
		t.Errorf("ordinary variables must be kept:\n%s", env)
	}
}

// pidAlive reports whether pid exists and is not a zombie.
func pidAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// Field 3, after "pid (comm)", is the state; Z is a zombie.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func TestRunnerTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	t.Setenv("PIDFILE", pidFile)
	// The script starts a grandchild and ignores SIGTERM itself, so only
	// the SIGKILL to the whole group after the grace period ends both.
	script := writeScript(t, "hang.sh", `trap '' TERM
sleep 300 &
echo $! > "$PIDFILE"
wait
`)
	r := &Runner{Timeout: 300 * time.Millisecond, KillGrace: 200 * time.Millisecond}
	start := time.Now()
	res := r.Run(context.Background(), Command{Argv: []string{script}})
	elapsed := time.Since(start)
	if !res.TimedOut || res.Err == nil {
		t.Fatalf("Run = %+v, want timed out", res)
	}
	if elapsed > 5*time.Second {
		t.Errorf("Run took %v; the timeout did not stop it", elapsed)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("grandchild pid: %v", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	// The grandchild was SIGKILLed with the group; it is reparented to
	// init (or a subreaper), so wait for it to be reaped rather than sleep.
	deadline := time.Now().Add(5 * time.Second)
	for pidAlive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("grandchild %d survived the timeout", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunnerContextCancelKills(t *testing.T) {
	script := writeScript(t, "sleep.sh", "exec sleep 300\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := (&Runner{Timeout: time.Minute}).Run(ctx, Command{Argv: []string{script}})
	if !res.TimedOut {
		t.Errorf("Run with cancelled ctx = %+v, want killed", res)
	}
}

func TestDispatcherKeepsOrderPerKey(t *testing.T) {
	out := filepath.Join(t.TempDir(), "order")
	script := writeScript(t, "append.sh", `echo "$1" >> "$2"`+"\n")
	r := &Runner{Timeout: 5 * time.Second}
	d := NewDispatcher(32)
	const n = 20
	for i := range n {
		c := Command{Argv: []string{script, strconv.Itoa(i), out}}
		if !d.Submit("VI_1", func(ctx context.Context) {
			if res := r.Run(ctx, c); res.Err != nil {
				t.Errorf("script %d: %v", i, res.Err)
			}
		}) {
			t.Fatalf("Submit %d refused", i)
		}
	}
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for i := range n {
		want.WriteString(strconv.Itoa(i) + "\n")
	}
	if string(b) != want.String() {
		t.Errorf("scripts ran out of order:\n%s", b)
	}
	if s := d.Stats(); s.Submitted != n || s.Done != n || s.Dropped != 0 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestDispatcherBoundDropsAndCounts(t *testing.T) {
	d := NewDispatcher(2)
	release := make(chan struct{})
	started := make(chan struct{})
	d.Submit("k", func(context.Context) { close(started); <-release })
	<-started // the running task no longer occupies the queue
	var ran sync.WaitGroup
	ran.Add(2)
	for i := range 4 {
		ok := d.Submit("k", func(context.Context) { ran.Done() })
		if want := i < 2; ok != want {
			t.Errorf("Submit #%d = %v, want %v", i, ok, want)
		}
	}
	// Another key has its own queue and is not stalled by k's hung task.
	other := make(chan struct{})
	if !d.Submit("other", func(context.Context) { close(other) }) {
		t.Fatal("other key refused")
	}
	select {
	case <-other:
	case <-time.After(5 * time.Second):
		t.Fatal("a hung task on one key stalled another key")
	}
	if s := d.Stats(); s.Dropped != 2 {
		t.Errorf("Dropped = %d, want 2", s.Dropped)
	}
	close(release)
	ran.Wait()
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d.Submit("k", func(context.Context) {}) {
		t.Error("Submit after Close accepted")
	}
	if s := d.Stats(); s.Dropped != 3 || s.Done != 4 {
		t.Errorf("Stats = %+v, want 3 dropped, 4 done", s)
	}
}

func TestDispatcherCloseDeadlineCancelsRunning(t *testing.T) {
	script := writeScript(t, "sleep.sh", "exec sleep 300\n")
	r := &Runner{Timeout: time.Minute, KillGrace: 100 * time.Millisecond}
	d := NewDispatcher(4)
	started := make(chan struct{})
	result := make(chan Result, 1)
	d.Submit("k", func(ctx context.Context) {
		close(started)
		result <- r.Run(ctx, Command{Argv: []string{script}})
	})
	skipped := true
	d.Submit("k", func(context.Context) { skipped = false })
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := d.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want deadline exceeded", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("Close took %v", el)
	}
	if res := <-result; !res.TimedOut {
		t.Errorf("running script not killed: %+v", res)
	}
	if !skipped {
		t.Error("queued task ran after the close deadline")
	}
}

func TestRunnerLogsNoArguments(t *testing.T) {
	var buf strings.Builder
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	script := writeScript(t, "fail.sh", "exit 1\n")
	r := &Runner{Logger: logger}
	// Configured arguments may carry secrets (auth_pass, tokens).
	res := r.Run(context.Background(), Command{Argv: []string{script, "auth_pass=s3cr3t"}})
	if res.Err == nil {
		t.Fatal("want failure")
	}
	if strings.Contains(buf.String(), "s3cr3t") || strings.Contains(res.Err.Error(), "s3cr3t") {
		t.Errorf("secret argument leaked:\nlog: %s\nerr: %v", buf.String(), res.Err)
	}
	if !strings.Contains(buf.String(), "fail.sh") {
		t.Errorf("log does not name the script: %s", buf.String())
	}
}
