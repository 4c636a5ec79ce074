//go:build linux

// Package controlbench measures the control plane on the 1,000 × 10
// benchmark configuration in the IPVS VM: how long an operator waits from
// a drain to the kernel's weight change, and from adding a real server
// (stage + apply) to the new destination in the kernel table — for alived
// through its API and through alivectl, and for keepalived 2.2.7 the way
// its operators do it (edit keepalived.conf, SIGHUP), in the same run.
//
//	ALIVED_TEST_VM=1 go test -count=1 -run '^$' -bench BenchmarkControl -benchtime 1x -v -timeout 30m ./bench/control/
package controlbench

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/api"
	"github.com/alived/alived/config/edit"
	"github.com/alived/alived/internal/control"
	"github.com/alived/alived/internal/testenv"
	"github.com/alived/alived/internal/vmtest"
	"github.com/alived/alived/ipvs"
)

const (
	services = 1000
	reals    = 10
	// reps is how many times each step is timed per round, rounds how
	// many times the alived and keepalived phases alternate.
	reps   = 5
	rounds = 2
)

const envBin = "ALIVED_BENCH_BIN"

func vip(i int) netip.Addr    { return netip.AddrFrom4([4]byte{10, 0, byte(i / 250), byte(i%250 + 1)}) }
func realIP(j int) netip.Addr { return netip.AddrFrom4([4]byte{10, 1, 0, byte(j + 1)}) }

// BenchmarkControl boots the VM with the alived and alivectl binaries
// built from this tree and runs itself inside.
func BenchmarkControl(b *testing.B) {
	if !vmtest.InGuest() {
		testenv.RequireVM(b)
		dir, err := vmtest.NewShare()
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
		for name, pkg := range map[string]string{"alived": "../../cmd/alived", "alivectl": "../../cmd/alivectl"} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("building %s: %v\n%s", pkg, err, out)
			}
		}
		vmtest.RunGoTests(b, vmtest.GoTests{Run: "^$", Bench: "^BenchmarkControl$", Env: []string{envBin + "=" + dir}, Timeout: 25 * time.Minute})
		return
	}
	for i := 0; i < b.N; i++ {
		measure(b)
	}
}

// config is the benchmark table as keepalived.conf: 1,000 NAT services
// with 10 real servers each, no checks (as bench/ipvs).
func config() []byte {
	var kc bytes.Buffer
	kc.WriteString("global_defs {\n router_id bench\n}\n")
	for i := 0; i < services; i++ {
		fmt.Fprintf(&kc, "virtual_server %s 80 {\n lb_algo wrr\n lb_kind NAT\n protocol TCP\n", vip(i))
		for j := 0; j < reals; j++ {
			fmt.Fprintf(&kc, " real_server %s 80 {\n  weight 1\n }\n", realIP(j))
		}
		kc.WriteString("}\n")
	}
	return kc.Bytes()
}

// kernel reads one service's destinations from the kernel over netlink.
type kernel struct {
	c ipvs.Client
}

func (k kernel) weight(vs int, rs netip.Addr) (int, bool) {
	svc := ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: vip(vs), Port: 80}}
	ds, err := k.c.Destinations(svc)
	if err != nil {
		return 0, false
	}
	for _, d := range ds {
		if d.Addr == rs {
			return int(d.Weight), true
		}
	}
	return 0, false
}

// wait polls the kernel until ok, every millisecond (a netlink request
// for one service is cheap), and returns when it became true.
func wait(b *testing.B, limit time.Duration, ok func() bool) time.Time {
	b.Helper()
	end := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(end) {
			b.Fatalf("kernel table did not change within %v", limit)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Now()
}

// tableLines is the number of services + destinations in the kernel.
func tableLines() int {
	data, err := os.ReadFile("/proc/net/ip_vs")
	if err != nil {
		return 0
	}
	return bytes.Count(data, []byte("\n")) - 3
}

type samples map[string][]time.Duration

func (s samples) add(k string, d time.Duration) {
	fmt.Fprintf(os.Stderr, "result: %-58s %v\n", k, d.Round(100*time.Microsecond))
	s[k] = append(s[k], d)
}

func measure(b *testing.B) {
	bin := os.Getenv(envBin)
	dir := b.TempDir()
	sh := func(args ...string) {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			b.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	sh("ip", "link", "add", "reals0", "type", "dummy")
	defer exec.Command("ip", "link", "del", "reals0").Run()
	sh("ip", "link", "set", "reals0", "up")
	sh("ip", "addr", "add", "10.1.255.254/16", "dev", "reals0")
	nl, err := ipvs.Dial()
	if err != nil {
		b.Fatal(err)
	}
	defer nl.Close()
	k := kernel{nl}
	res := samples{}
	full := services * (1 + reals)
	for round := 0; round < rounds; round++ {
		alivedPhase(b, bin, dir, k, full, round, res)
		keepalivedPhase(b, dir, k, full, round, res)
	}
	var keys []string
	for key := range res {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	fmt.Fprintf(os.Stderr, "\n%-58s %5s %10s %10s %10s\n", "step (1,000 × 10 NAT table)", "n", "min", "median", "max")
	for _, key := range keys {
		d := slices.Clone(res[key])
		slices.Sort(d)
		fmt.Fprintf(os.Stderr, "%-58s %5d %10v %10v %10v\n", key, len(d), d[0].Round(100*time.Microsecond),
			d[len(d)/2].Round(100*time.Microsecond), d[len(d)-1].Round(100*time.Microsecond))
	}
}

// alivedPhase starts alived on the table and times drain and add+apply,
// through the API client and through the alivectl binary.
func alivedPhase(b *testing.B, bin, dir string, k kernel, full, round int, res samples) {
	exec.Command("ipvsadm", "-C").Run()
	conf := filepath.Join(dir, "alived.conf")
	if err := os.WriteFile(conf, config(), 0o644); err != nil {
		b.Fatal(err)
	}
	sock := filepath.Join(dir, "alived.sock")
	state := filepath.Join(dir, fmt.Sprintf("state%d", round))
	d := exec.Command(filepath.Join(bin, "alived"), "-n", "-C", "-f", conf, "-p", filepath.Join(dir, "alived.pid"),
		"--control-socket="+sock, "--state-dir="+state, "--web.listen-address=")
	if err := d.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { d.Process.Signal(syscall.SIGTERM); d.Wait() }()
	wait(b, 5*time.Minute, func() bool { return tableLines() == full })
	c := api.NewClient(sock)
	ctx := context.Background()
	for r := 0; r < reps; r++ {
		vs, rs := 100*r+7, realIP(r)
		name := vip(vs).String() + ":80"
		t0 := time.Now()
		if _, err := c.Override(ctx, control.OverrideRequest{VS: name, RS: rs.String() + ":80", Action: "drain"}); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if w, ok := k.weight(vs, rs); !ok || w != 0 {
			b.Fatalf("drain returned but the kernel weight is %d (present %v)", w, ok)
		}
		res.add("alived drain (API call returns, kernel weight 0)", t1.Sub(t0))
		if _, err := c.Override(ctx, control.OverrideRequest{VS: name, RS: rs.String() + ":80", Action: "ready"}); err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		if out, err := exec.Command(filepath.Join(bin, "alivectl"), "--socket="+sock, "rs", "drain", name, rs.String()+":80").CombinedOutput(); err != nil {
			b.Fatalf("alivectl rs drain: %v\n%s", err, out)
		}
		res.add("alived `alivectl rs drain` (process start to exit)", time.Since(t0))
		if _, err := c.Override(ctx, control.OverrideRequest{VS: name, RS: rs.String() + ":80", Action: "ready"}); err != nil {
			b.Fatal(err)
		}

		added := netip.AddrFrom4([4]byte{10, 1, 1, byte(10*round + r + 1)})
		w := uint32(1)
		t0 = time.Now()
		if _, err := c.Stage(ctx, control.Edit{Op: control.AddRS, VS: name, RS: added.String() + ":80", RealServer: &edit.RSSpec{Weight: &w}}); err != nil {
			b.Fatal(err)
		}
		t1 = time.Now()
		if _, err := c.Apply(ctx, api.ApplyRequest{Message: "bench"}); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		t3 := wait(b, time.Minute, func() bool { _, ok := k.weight(vs, added); return ok })
		res.add("alived rs add: stage (checked in memory)", t1.Sub(t0))
		res.add("alived rs add: apply (write, history, reload)", t2.Sub(t1))
		res.add("alived rs add + apply → destination in the kernel", t3.Sub(t0))
	}
}

// keepalivedPhase starts keepalived's checker on the same table and does
// what its operators do to add a real server: edit the file, SIGHUP.
func keepalivedPhase(b *testing.B, dir string, k kernel, full, round int, res samples) {
	exec.Command("ipvsadm", "-C").Run()
	conf := filepath.Join(dir, "keepalived.conf")
	text := config()
	if err := os.WriteFile(conf, text, 0o644); err != nil {
		b.Fatal(err)
	}
	pidFile := filepath.Join(dir, "ka.pid")
	os.Remove(pidFile)
	cmd := exec.Command("keepalived", "-n", "-C", "-f", conf, "-p", pidFile,
		"-c", filepath.Join(dir, "check.pid"), "-r", filepath.Join(dir, "vrrp.pid"))
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	wait(b, 5*time.Minute, func() bool { return tableLines() == full })
	pid := pidOf(b, pidFile)
	for r := 0; r < reps; r++ {
		vs := 100*r + 7
		added := netip.AddrFrom4([4]byte{10, 1, 2, byte(10*round + r + 1)})
		marker := fmt.Sprintf("virtual_server %s 80 {\n", vip(vs))
		text = bytes.Replace(text, []byte(marker), []byte(marker+fmt.Sprintf(" real_server %s 80 {\n  weight 1\n }\n", added)), 1)
		t0 := time.Now()
		if err := os.WriteFile(conf, text, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
			b.Fatal(err)
		}
		t1 := wait(b, time.Minute, func() bool { _, ok := k.weight(vs, added); return ok })
		res.add("keepalived rs add: edit file + SIGHUP → destination", t1.Sub(t0))
		// keepalived has no drain: its operators set the weight to 0 in
		// the file and reload.
		rs := realIP(r)
		old := fmt.Sprintf(" real_server %s 80 {\n  weight 1\n }\n", rs)
		start := bytes.Index(text, []byte(marker))
		at := bytes.Index(text[start:], []byte(old)) + start
		text = slices.Concat(text[:at], []byte(fmt.Sprintf(" real_server %s 80 {\n  weight 0\n }\n", rs)), text[at+len(old):])
		t0 = time.Now()
		if err := os.WriteFile(conf, text, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
			b.Fatal(err)
		}
		t1 = wait(b, time.Minute, func() bool { w, ok := k.weight(vs, rs); return ok && w == 0 })
		res.add("keepalived drain: weight 0 in file + SIGHUP → weight 0", t1.Sub(t0))
	}
}

func pidOf(b *testing.B, path string) int {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if data, err := os.ReadFile(path); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
				return pid
			}
		}
	}
	b.Fatalf("no pid in %s", path)
	return 0
}
