package vmtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// EnvGuest is set to 1 in the environment of test binaries run inside the
// VM by RunGoTests.
const EnvGuest = "ALIVED_IN_VM"

// EnvRun overrides GoTests.Run, to run a subset of the guest tests while
// debugging (for example ALIVED_VM_RUN='^TestVM$/^Drift$').
const EnvRun = "ALIVED_VM_RUN"

// InGuest reports whether the test binary runs inside the VM.
func InGuest() bool { return os.Getenv(EnvGuest) == "1" }

// GoTests describes a test binary run inside the VM.
type GoTests struct {
	// Run is the -test.run pattern of the guest-side tests.
	Run string
	// Bench, if set, is the -test.bench pattern.
	Bench string
	// Env are extra KEY=VALUE settings for the guest test binary.
	Env []string
	// Timeout bounds the whole VM run; zero means 10 minutes.
	Timeout time.Duration
	// MemoryMB is the guest's memory; zero means Options' default.
	MemoryMB int
	// ICountShift is passed to Options.
	ICountShift int
}

// RunGoTests builds the test binary of the package in the working
// directory (go test -c), boots the VM once and runs the tests matching
// g.Run inside it with EnvGuest=1 in the package directory (read-only
// there: tests write to t.TempDir, the guest's tmpfs), streaming the guest console to t.Log.
// t fails if the guest tests fail. The caller must have called
// testenv.RequireVM.
func RunGoTests(t testing.TB, g GoTests) Result {
	t.Helper()
	share, err := NewShare()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(share) })
	bin := filepath.Join(share, "guest.test")
	build := exec.Command(goTool(), "test", "-c", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building guest test binary: %v\n%s", err, out)
	}
	env := []string{EnvGuest + "=1", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/tmp"}
	for _, k := range []string{"ALIVED_TEST_STRICT", "ALIVED_TEST_VM"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, g.Env...)
	if g.Timeout == 0 {
		g.Timeout = 10 * time.Minute
	}
	run := g.Run
	if r := os.Getenv(EnvRun); r != "" {
		run = r
	}
	// The guest binary times out before the VM does, so a hang ends with
	// Go's goroutine dump on the console instead of silence.
	args := []string{"-test.v", "-test.count=1", "-test.run", shellQuote(run), "-test.timeout", (g.Timeout - 30*time.Second).String()}
	if g.Bench != "" {
		args = append(args, "-test.bench", shellQuote(g.Bench), "-test.benchtime=1x")
	}
	// The binary runs in the package directory (read-only in the guest),
	// as go test would run it, so testdata paths work.
	pkgDir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if pkgDir == "/tmp" || strings.HasPrefix(pkgDir, "/tmp/") {
		// The guest mounts a tmpfs over /tmp, so it could not cd here.
		t.Fatalf("VM tests cannot run from %s: the guest hides the host's /tmp; run them from a checkout outside /tmp", pkgDir)
	}
	script := fmt.Sprintf("cd %s && env %s %s %s\n", shellQuote(pkgDir), strings.Join(env, " "), bin, strings.Join(args, " "))
	ctx := context.Background()
	if dt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := dt.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, d.Add(-5*time.Second))
			defer cancel()
		}
	}
	res, err := Run(ctx, Options{Script: script, Share: share, Console: logWriter{t}, Timeout: g.Timeout, MemoryMB: g.MemoryMB, ICountShift: g.ICountShift})
	if err != nil {
		t.Fatalf("VM run: %v", err)
	}
	t.Logf("VM boot-to-test %v, total %v", res.Boot.Round(time.Millisecond), res.Total.Round(time.Millisecond))
	if res.ExitCode != 0 {
		t.Fatalf("guest tests exited with status %d", res.ExitCode)
	}
	return res
}

// logWriter streams console lines into the test log.
type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log("vm| " + strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
