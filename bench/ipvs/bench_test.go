//go:build linux

// Package ipvsbench measures what it costs to program a large IPVS table
// and to change one real server in it: alived's reconciler against
// ipvsadm -R and keepalived 2.2.7, in the same VM in the same run.
//
//	ALIVED_TEST_VM=1 go test -run '^$' -bench BenchmarkIPVS -benchtime 1x -v ./bench/ipvs/
package ipvsbench

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/internal/lvs"
	"github.com/alived/alived/internal/testenv"
	"github.com/alived/alived/internal/vmtest"
	"github.com/alived/alived/ipvs"
)

const (
	services = 1000
	reals    = 10
)

// BenchmarkIPVS boots the VM and runs itself inside, where it measures
// once and logs a table of results.
func BenchmarkIPVS(b *testing.B) {
	if !vmtest.InGuest() {
		testenv.RequireVM(b)
		vmtest.RunGoTests(b, vmtest.GoTests{Run: "^$", Bench: "^BenchmarkIPVS$", Timeout: 25 * time.Minute})
		return
	}
	for i := 0; i < b.N; i++ {
		measure(b)
	}
}

func vip(i int) netip.Addr    { return netip.AddrFrom4([4]byte{10, 0, byte(i / 250), byte(i%250 + 1)}) }
func realIP(j int) netip.Addr { return netip.AddrFrom4([4]byte{10, 1, 0, byte(j + 1)}) }

// changedService and changedReal name the one real server whose weight
// the "one change" steps set to 5 (all others have weight 1).
const changedService, changedReal = services / 2, 3

// writeFiles writes the same table as keepalived.conf and as ipvsadm -R
// input, with or without the one changed weight.
func writeFiles(b *testing.B, dir string, changed bool) (conf, restore string) {
	var kc, ir bytes.Buffer
	for i := 0; i < services; i++ {
		fmt.Fprintf(&kc, "virtual_server %s 80 {\n lb_algo wrr\n lb_kind NAT\n protocol TCP\n", vip(i))
		fmt.Fprintf(&ir, "-A -t %s:80 -s wrr\n", vip(i))
		for j := 0; j < reals; j++ {
			w := 1
			if changed && i == changedService && j == changedReal {
				w = 5
			}
			fmt.Fprintf(&kc, " real_server %s 80 {\n  weight %d\n }\n", realIP(j), w)
			fmt.Fprintf(&ir, "-a -t %s:80 -r %s:80 -m -w %d\n", vip(i), realIP(j), w)
		}
		kc.WriteString("}\n")
	}
	conf, restore = filepath.Join(dir, "keepalived.conf"), filepath.Join(dir, "restore.txt")
	if err := os.WriteFile(conf, kc.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(restore, ir.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return conf, restore
}

func sh(b *testing.B, cmd string) string {
	b.Helper()
	out, err := exec.Command("/bin/sh", "-c", cmd).CombinedOutput()
	if err != nil {
		b.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	return string(out)
}

// table returns the number of service and destination lines in
// /proc/net/ip_vs, and its text.
func table(b *testing.B) (int, string) {
	data, err := os.ReadFile("/proc/net/ip_vs")
	if err != nil {
		b.Fatal(err)
	}
	return bytes.Count(data, []byte("\n")) - 3, string(data)
}

// waitTable polls the kernel table (there is no event for "another
// program finished programming it") until done says so.
// It gives up after limit and returns false.
func waitTable(b *testing.B, limit time.Duration, done func(n int, text string) bool) (time.Duration, bool) {
	b.Helper()
	start := time.Now()
	for {
		n, text := table(b)
		if done(n, text) {
			return time.Since(start), true
		}
		if time.Since(start) > limit {
			fmt.Fprintf(os.Stderr, "progress: gave up after %v with %d table lines\n", limit, n)
			return time.Since(start), false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var straceLine = regexp.MustCompile(`^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(sendmsg|sendto|setsockopt)\s*$`)

// sendCalls sums the request-sending syscalls in an strace -c summary:
// each netlink request (or old-style IPVS sockopt) is one of them.
func sendCalls(b *testing.B, path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	total := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if m := straceLine.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.Atoi(m[1])
			total += n
		}
	}
	return total
}

type row struct {
	tool, step string
	took       time.Duration
	ops        string
}

func (r row) String() string {
	return fmt.Sprintf("%-12s %-28s %12s  %s", r.tool, r.step, r.took.Round(time.Millisecond), r.ops)
}

// rows collects results and prints each as it comes, so a long run shows
// progress on the VM console.
type rows []row

func (rs *rows) add(r row) {
	fmt.Fprintln(os.Stderr, "result:", r)
	*rs = append(*rs, r)
}

func measure(b *testing.B) {
	dir := b.TempDir()
	sh(b, "ip link add reals0 type dummy && ip link set reals0 up && ip addr add 10.1.255.254/16 dev reals0")
	defer exec.Command("ip", "link", "del", "reals0").Run()
	conf, restore := writeFiles(b, dir, false)
	full := services * (1 + reals)
	var results rows

	// alived: configuration -> the LVS component's plan (production's
	// translation) -> pool -> reconciler -> netlink.
	checked := config.Check(conf, config.CheckOptions{})
	if refused := checked.Refusals(false); len(refused) > 0 {
		b.Fatal(refused)
	}
	plan := lvs.BuildPlan(checked.Config)
	pool := ipvs.NewPool()
	pool.SetConfig(plan.PoolConfig())
	sh(b, "ipvsadm -C")
	nl, err := ipvs.Dial()
	if err != nil {
		b.Fatal(err)
	}
	defer nl.Close()
	c := ipvs.NewCounting(nl)
	r := ipvs.NewReconciler(c, ipvs.Options{})
	step := func(tool, name string, fn func() error) {
		before := c.Counts()
		start := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		after := c.Counts()
		results.add(row{tool, name, took, fmt.Sprintf("%d netlink writes + %d reads", after.Writes-before.Writes, after.Reads-before.Reads)})
	}
	fmt.Fprintln(os.Stderr, "progress: alived")
	step("alived", "program from empty", func() error { _, err := r.Start(pool.Desired()); return err })
	if n, _ := table(b); n != full {
		b.Fatalf("alived programmed %d lines, want %d", n, full)
	}
	pool.SetWeight(fmt.Sprintf("TCP %s:80", vip(changedService)), ipvs.DestKey{Addr: realIP(changedReal), Port: 80}, 5)
	step("alived", "one real-server weight", func() error { _, err := r.Update(pool.Desired()); return err })
	step("alived", "drift check (full read)", func() error { _, err := r.Repair(); return err })
	step("alived", "adopt on restart", func() error {
		_, err := ipvs.NewReconciler(c, ipvs.Options{}).Start(pool.Desired())
		return err
	})

	// ipvsadm -R from a file, then ipvsadm -e for the one change.
	trace := filepath.Join(dir, "strace.txt")
	sh(b, "ipvsadm -C")
	start := time.Now()
	sh(b, "ipvsadm -R < "+restore)
	took := time.Since(start)
	if n, _ := table(b); n != full {
		b.Fatalf("ipvsadm -R programmed %d lines, want %d", n, full)
	}
	sh(b, "ipvsadm -C")
	sh(b, "strace -f -c -o "+trace+" sh -c 'ipvsadm -R < "+restore+"'")
	results.add(row{"ipvsadm -R", "program from empty", took, fmt.Sprintf("%d send syscalls", sendCalls(b, trace))})
	edit := fmt.Sprintf("ipvsadm -e -t %s:80 -r %s:80 -m -w 5", vip(changedService), realIP(changedReal))
	start = time.Now()
	sh(b, edit)
	took = time.Since(start)
	sh(b, "strace -f -c -o "+trace+" "+edit)
	results.add(row{"ipvsadm -e", "one real-server weight", took, fmt.Sprintf("%d send syscalls", sendCalls(b, trace))})

	// keepalived start-up and reload on the same configuration: timed
	// without strace, then counted under strace (start alone, and start
	// plus reload).
	sh(b, "ipvsadm -C")
	startTook, reloadTook := keepalivedRun(b, dir, conf, true, full, "")
	sh(b, "ipvsadm -C")
	keepalivedRun(b, dir, conf, false, full, trace)
	startOps := sendCalls(b, trace)
	sh(b, "ipvsadm -C")
	keepalivedRun(b, dir, conf, true, full, trace)
	bothOps := sendCalls(b, trace)
	results.add(row{"keepalived", "start-up to full table", startTook, fmt.Sprintf("%d send syscalls", startOps)})
	results.add(row{"keepalived", "reload (SIGHUP) one weight", reloadTook, fmt.Sprintf("%d send syscalls", bothOps-startOps)})
	sh(b, "ipvsadm -C")

	var out strings.Builder
	fmt.Fprintf(&out, "IPVS programming, %d services x %d real servers (%d entries), QEMU/TCG guest\n", services, reals, full)
	fmt.Fprintf(&out, "%-12s %-28s %12s  %s\n", "tool", "step", "time", "operations")
	for _, r := range results {
		fmt.Fprintln(&out, r)
	}
	b.Log("\n" + out.String())
}

// keepalivedRun starts keepalived's checker process on conf and times how
// long the full table takes to appear; with reload it rewrites conf with
// the one changed weight, sends SIGHUP and times how long the change takes
// to reach the kernel. With trace set the run is under strace -f -c.
func keepalivedRun(b *testing.B, dir, conf string, reload bool, full int, trace string) (time.Duration, time.Duration) {
	b.Helper()
	writeFiles(b, dir, false)
	pidFile := filepath.Join(dir, "ka.pid")
	os.Remove(pidFile)
	args := []string{"keepalived", "-n", "-C", "--dont-release-ipvs", "-f", conf,
		"-p", pidFile, "-c", filepath.Join(dir, "check.pid"), "-r", filepath.Join(dir, "vrrp.pid")}
	if trace != "" {
		args = append([]string{"strace", "-f", "-c", "-o", trace}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	startTook, ok := waitTable(b, 4*time.Minute, func(n int, _ string) bool { return n == full })
	fmt.Fprintf(os.Stderr, "progress: keepalived (trace=%v) start %v complete=%v\n", trace != "", startTook, ok)
	var reloadTook time.Duration
	if reload && ok {
		writeFiles(b, dir, true)
		start := time.Now()
		if err := syscall.Kill(pidOf(b, pidFile), syscall.SIGHUP); err != nil {
			b.Fatal(err)
		}
		// The changed server is the only destination with weight 5.
		_, ok = waitTable(b, 4*time.Minute, func(_ int, text string) bool { return strings.Contains(text, "Masq    5 ") })
		reloadTook = time.Since(start)
		fmt.Fprintf(os.Stderr, "progress: keepalived reload %v complete=%v\n", reloadTook, ok)
	}
	syscall.Kill(pidOf(b, pidFile), syscall.SIGTERM)
	cmd.Wait()
	return startTook, reloadTook
}

func pidOf(b *testing.B, path string) int {
	var data []byte
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if data, err = os.ReadFile(path); err == nil && len(bytes.TrimSpace(data)) > 0 {
			break
		}
	}
	pid, perr := strconv.Atoi(strings.TrimSpace(string(data)))
	if perr != nil {
		b.Fatalf("keepalived pid file %s: %v %v", path, err, perr)
	}
	return pid
}
