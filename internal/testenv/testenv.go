// Package testenv decides whether a test that needs something outside the Go
// toolchain (root, network namespaces, a keepalived binary, the IPVS VM) can
// run here.
//
// Tiers:
//
//   - `go test ./...` runs everything that needs nothing but Go; tests that
//     need more skip with a message saying what is missing and how to enable
//     them.
//   - ALIVED_TEST_NETNS=1 enables root tests that build network namespaces
//     on the host (raw sockets, VRRP between namespaces, real keepalived
//     peers).
//   - ALIVED_TEST_VM=1 enables tests that boot the QEMU VM with a real IPVS
//     kernel.
//   - ALIVED_TEST_STRICT=1 (set by `make test-all` and CI) turns every such
//     skip into a failure, so a CI run cannot pass by silently skipping the
//     tests it was meant to run.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Environment switches understood by this package.
const (
	EnvNetns  = "ALIVED_TEST_NETNS"
	EnvVM     = "ALIVED_TEST_VM"
	EnvStrict = "ALIVED_TEST_STRICT"
)

// Strict reports whether skips must be reported as failures.
func Strict() bool { return os.Getenv(EnvStrict) == "1" }

// skip skips t with msg, or fails it in strict mode.
func skip(t testing.TB, msg string) {
	t.Helper()
	if Strict() {
		t.Fatalf("%s (%s=1 forbids skipping)", msg, EnvStrict)
	}
	t.Skip(msg)
}

// RequireRoot skips t unless the test runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		skip(t, "needs root")
	}
}

// RequireBinary skips t unless name is on PATH and returns its path.
func RequireBinary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		skip(t, "needs "+name+" on PATH (apt-get install it; .ci/run does)")
		return ""
	}
	return p
}

// RequireNetns skips t unless namespace tests are enabled and the test runs
// as root.
func RequireNetns(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvNetns) != "1" {
		if Strict() {
			t.Fatalf("namespace test not enabled: set %s=1 (and run as root)", EnvNetns)
		}
		t.Skipf("namespace test: set %s=1 and run as root to enable", EnvNetns)
	}
	RequireRoot(t)
	RequireBinary(t, "ip")
}

// RequireVM skips t unless VM tests are enabled and the test runs as root.
func RequireVM(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvVM) != "1" {
		if Strict() {
			t.Fatalf("VM test not enabled: set %s=1 (and run as root)", EnvVM)
		}
		t.Skipf("VM test: set %s=1 and run as root to enable", EnvVM)
	}
	RequireRoot(t)
	RequireBinary(t, "qemu-system-x86_64")
}
