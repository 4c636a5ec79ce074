package vmtest

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/internal/testenv"
)

func TestCPIOListsWithSystemCpio(t *testing.T) {
	cpio := testenv.RequireBinary(t, "cpio")
	var buf bytes.Buffer
	cw := &cpioWriter{w: &buf}
	cw.Dir("bin")
	cw.File("bin/hello", 0o755, []byte("abc"))
	cw.Symlink("bin/sh", "hello")
	cw.File("odd", 0o644, []byte("12345"))
	if err := cw.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cpio, "-t", "--quiet")
	cmd.Stdin = &buf
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio -t: %v\n%s", err, out)
	}
	if got, want := strings.Fields(string(out)), []string{"bin", "bin/hello", "bin/sh", "odd"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("cpio lists %v, want %v", got, want)
	}
}

func TestScanConsoleFindsOnlyNoncedMarkers(t *testing.T) {
	in := "boot noise\r\n" + markerExit + "-other:0\n" + markerStart + "-n1\r\nhello\n" + markerExit + "-n1:7\r\n"
	var echo bytes.Buffer
	res, ok := scanConsole(strings.NewReader(in), "n1", time.Now(), &echo)
	if !ok || res.ExitCode != 7 {
		t.Fatalf("got exit %d, seen %v; want 7", res.ExitCode, ok)
	}
	if !strings.Contains(echo.String(), "hello\n") || strings.Contains(echo.String(), "\r") {
		t.Errorf("console not streamed cleanly: %q", echo.String())
	}
	if _, ok := scanConsole(strings.NewReader("panic\n"), "n1", time.Now(), nil); ok {
		t.Error("exit marker invented")
	}
}

func TestWantedModules(t *testing.T) {
	for rel, want := range map[string]bool{
		"kernel/net/netfilter/ipvs/ip_vs.ko": true,
		"kernel/net/":                        true,
		"kernel/drivers/net/veth.ko":         true,
		"kernel/drivers/net/":                true,
		"kernel/drivers/net/wireless/":       false,
		"kernel/sound/core/snd.ko":           false,
	} {
		if got := wanted(rel); got != want {
			t.Errorf("wanted(%q) = %v, want %v", rel, got, want)
		}
	}
}

// TestVMBootsWithIPVS boots the guest and checks that the script runs
// with IPVS available and that its exit status comes back.
func TestVMBootsWithIPVS(t *testing.T) {
	testenv.RequireVM(t)
	var console bytes.Buffer
	res, err := Run(context.Background(), Options{
		Script:  "cat /proc/net/ip_vs && ipvsadm -A -t 10.0.0.1:80 -s mh && ipvsadm -Sn && echo written > out.txt; exit 3\n",
		Console: &console,
		Timeout: 3 * time.Minute,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, console.String())
	}
	if res.ExitCode != 3 {
		t.Fatalf("exit %d, want 3\n%s", res.ExitCode, console.String())
	}
	for _, want := range []string{"IP Virtual Server version", "-A -t 10.0.0.1:80 -s mh"} {
		if !strings.Contains(console.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, console.String())
		}
	}
	t.Logf("boot-to-test %v, total %v", res.Boot, res.Total)
}
