//go:build linux

// Package checkersbench compares alived's health checking with the
// checker process of keepalived 2.2.7 on the same keepalived.conf, the
// same real servers and the same kernel, in the same run. keepalived's
// checker refuses to start without IPVS, so both run in the IPVS VM
// (internal/vmtest): a QEMU guest without KVM, so absolute numbers are
// several times worse than on hardware, while the two tools see the same
// slow machine.
//
//	ALIVED_TEST_VM=1 go test -run '^$' -bench BenchmarkCheckers -benchtime 1x -timeout 60m -v ./bench/checkers/
//
// ALIVED_BENCH_SCALES lists the workloads as TCPxHTTP real servers
// (default "1000x200,10000x2000"); ALIVED_BENCH_WINDOW is the measuring
// window per tool (default 30s).
package checkersbench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/alived/alived/internal/testenv"
	"github.com/alived/alived/internal/vmtest"
)

const (
	envBin    = "ALIVED_BENCH_BIN"
	envScales = "ALIVED_BENCH_SCALES"
	envWindow = "ALIVED_BENCH_WINDOW"
	// envStrace, when 1, follows the measuring window with 10 s of
	// `strace -c -f` on each checker process and logs the syscall summary
	// (a diagnosis aid: strace slows the traced process down).
	envStrace = "ALIVED_BENCH_STRACE"
	// envAlivedEnv adds space-separated KEY=VALUE settings to alived's
	// environment (GOMAXPROCS=2, GOGC=400, ...) to try runtime settings.
	envAlivedEnv = "ALIVED_BENCH_ALIVED_ENV"
	// envPprof, when 1, runs alived with --debug.pprof and logs the top
	// of a CPU profile taken over the measuring window.
	envPprof = "ALIVED_BENCH_PPROF"
	// envICount sets the VM's instruction-counting shift (see
	// vmtest.Options.ICountShift); 0 runs the faster multi-threaded VM,
	// whose CPU accounting drifts when the host is busy.
	envICount = "ALIVED_BENCH_ICOUNT"
	// envTools, a comma-separated list ("alived"), limits the run to
	// those daemons (for iterating on one; the comparison needs both).
	envTools = "ALIVED_BENCH_TOOLS"

	// realAddr holds every real server, one port each: TCP_CHECK servers
	// from tcpBase, HTTP_GET servers from httpBase, below the ephemeral
	// ports the probes connect from (a probe's source port must never
	// take a port a real server is about to listen on again).
	realAddr  = "10.1.0.1"
	tcpBase   = 20000
	httpBase  = 40000
	portsEnd  = 45000
	portRange = "45000 65000"
	// perVS real servers share one virtual server.
	perVS = 100
)

// BenchmarkCheckers boots the VM and runs itself inside, where each
// workload is measured once with alived and once with keepalived.
func BenchmarkCheckers(b *testing.B) {
	if !vmtest.InGuest() {
		testenv.RequireVM(b)
		testenv.RequireBinary(b, "keepalived")
		dir, err := vmtest.NewShare()
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "alived"), "github.com/alived/alived/cmd/alived")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("building alived: %v\n%s", err, out)
		}
		env := []string{envBin + "=" + filepath.Join(dir, "alived")}
		if os.Getenv(envPprof) == "1" {
			// Go ships the pprof tool as source; build it here, where
			// the module cache is, for the guest.
			if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "pprof"), "cmd/pprof").CombinedOutput(); err != nil {
				b.Fatalf("building pprof: %v\n%s", err, out)
			}
		}
		for _, k := range []string{envScales, envWindow, envStrace, envAlivedEnv, envPprof, envTools} {
			if v := os.Getenv(k); v != "" {
				env = append(env, k+"="+v)
			}
		}
		b.Logf("host load average before: %s", loadavg())
		shift := 0
		if v := os.Getenv(envICount); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 10 {
				b.Fatalf("%s=%q: want a shift 0..10", envICount, v)
			}
			shift = n
		}
		vmtest.RunGoTests(b, vmtest.GoTests{Run: "^$", Bench: "^BenchmarkCheckers$", Env: env, Timeout: 55 * time.Minute, MemoryMB: 3072, ICountShift: shift})
		b.Logf("host load average after: %s", loadavg())
		return
	}
	for i := 0; i < b.N; i++ {
		guest(b)
	}
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}

// scale is one workload: TCP_CHECK and HTTP_GET real servers.
type scale struct{ tcp, http int }

func (s scale) String() string { return fmt.Sprintf("%d TCP + %d HTTP", s.tcp, s.http) }

func parseScales(b *testing.B, s string) []scale {
	if s == "" {
		s = "1000x200,10000x2000"
	}
	var out []scale
	for _, f := range strings.Split(s, ",") {
		t, h, ok := strings.Cut(strings.TrimSpace(f), "x")
		nt, err1 := strconv.Atoi(t)
		nh, err2 := strconv.Atoi(h)
		if !ok || err1 != nil || err2 != nil || nt < 0 || nh < 0 || nt > httpBase-tcpBase || nh > portsEnd-httpBase {
			b.Fatalf("%s: bad workload %q (want TCPxHTTP, e.g. 1000x200)", envScales, f)
		}
		out = append(out, scale{nt, nh})
	}
	return out
}

func guest(b *testing.B) {
	bin := os.Getenv(envBin)
	if bin == "" {
		b.Fatalf("%s not set", envBin)
	}
	window := 30 * time.Second
	if v := os.Getenv(envWindow); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("%s: %v", envWindow, err)
		}
		window = d
	}
	// 12,000 listeners plus the probes in flight need more descriptors
	// than the guest's default limit; the daemons inherit the raised one.
	lim := syscall.Rlimit{Cur: 1 << 20, Max: 1 << 20}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatalf("raising RLIMIT_NOFILE: %v", err)
	}
	// The real servers share the one vCPU with the daemon under test; on
	// real hardware they are other machines. Running them at a higher
	// priority keeps a busy checker from starving them into timeouts it
	// would then report as false downs. The daemons are started through
	// `nice -n 10`, which brings them back to the normal priority.
	raisePriority(b)
	sh(b, "ip link add reals0 type dummy && ip link set reals0 up && ip addr add "+realAddr+"/16 dev reals0")
	defer exec.Command("ip", "link", "del", "reals0").Run()
	// Both tools close thousands of connections a second; the guest's
	// defaults would run out of ephemeral ports and backlog first.
	sh(b, "sysctl -qw net.ipv4.ip_local_port_range='"+portRange+"' net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096")

	tools := []tool{
		{name: "alived", argv: func(dir, conf string) []string {
			argv := []string{bin, "-n", "-l", "-C", "-f", conf, "-p", filepath.Join(dir, "alived.pid"),
				"--control-socket=" + filepath.Join(dir, "alived.sock")}
			if os.Getenv(envPprof) == "1" {
				argv = append(argv, "--debug.pprof", "--web.listen-address="+pprofAddr)
			}
			return argv
		}},
		{name: "keepalived", argv: func(dir, conf string) []string {
			return []string{"keepalived", "-n", "-l", "-C", "-f", conf, "-p", filepath.Join(dir, "k.pid"),
				"-c", filepath.Join(dir, "k-check.pid"), "-r", filepath.Join(dir, "k-vrrp.pid"), "-b", filepath.Join(dir, "k-bfd.pid")}
		}, checkerPidfile: "k-check.pid"},
	}
	if v := os.Getenv(envTools); v != "" {
		want := strings.Split(v, ",")
		tools = slices.DeleteFunc(tools, func(t tool) bool { return !slices.Contains(want, t.name) })
		if len(tools) == 0 {
			b.Fatalf("%s=%q names no daemon (alived, keepalived)", envTools, v)
		}
	}
	var results []result
	var calib []string
	for _, sc := range parseScales(b, os.Getenv(envScales)) {
		calib = append(calib, fmt.Sprintf("before %s: %.0f %%", sc, calibrate(b)))
		for _, tl := range tools {
			fmt.Fprintf(os.Stderr, "progress: %s with %s\n", sc, tl.name)
			r := run(b, tl, sc, window)
			fmt.Fprintln(os.Stderr, "result:", r)
			results = append(results, r)
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "guest load average at end: %s\n", loadavg())
	fmt.Fprintf(&out, "calibration (a busy loop's CPU over 3 s of guest wall time; 100 %% means the guest's CPU accounting is sound): %s\n", strings.Join(calib, ", "))
	out.WriteString(header + "\n")
	for _, r := range results {
		out.WriteString(r.String() + "\n")
	}
	b.Log("\n" + out.String())
}

// tool is one daemon under test. The checker process is the daemon itself
// unless checkerPidfile names the pid file of a child (keepalived's
// checker process).
type tool struct {
	name           string
	argv           func(dir, conf string) []string
	checkerPidfile string
}

type result struct {
	scale          scale
	tool           string
	window         time.Duration
	tcpRate        float64
	httpRate       float64
	cpu            time.Duration // checker process user+sys during the window
	parentCPU      time.Duration // keepalived's parent process, same window
	peakRSS        int64         // KiB, VmHWM of the checker process
	falseDowns     int
	tcpDown        []time.Duration
	httpDown       []time.Duration
	missedDowns    int
	tableReady     time.Duration
	listenerCPUPct float64
}

const header = "| workload | tool | probes/s TCP+HTTP (target) | checker CPU s/min | CPU per probe | peak RSS | false downs in window | kill→down TCP min/med/max | kill→down HTTP min/med/max | table ready |\n|---|---|---|---|---|---|---|---|---|---|"

func (r result) String() string {
	target := r.scale.tcp + r.scale.http // delay_loop 1
	rate := r.tcpRate + r.httpRate
	perMin := r.cpu.Seconds() * 60 / r.window.Seconds()
	perProbe := "-"
	if rate > 0 {
		perProbe = fmt.Sprintf("%.0f µs", r.cpu.Seconds()/(rate*r.window.Seconds())*1e6)
	}
	cpu := fmt.Sprintf("%.1f (%.0f %% of a core)", perMin, perMin/60*100)
	if r.parentCPU > 0 {
		cpu += fmt.Sprintf(" + parent %.2f", r.parentCPU.Seconds()*60/r.window.Seconds())
	}
	missed := ""
	if r.missedDowns > 0 {
		missed = fmt.Sprintf(" (%d not seen)", r.missedDowns)
	}
	return fmt.Sprintf("| %s | %s | %.0f + %.0f = %.0f (%d) | %s | %s | %.1f MiB | %d | %s | %s%s | %s |",
		r.scale, r.tool, r.tcpRate, r.httpRate, rate, target, cpu, perProbe, float64(r.peakRSS)/1024, r.falseDowns,
		spread(r.tcpDown), spread(r.httpDown), missed, r.tableReady.Round(100*time.Millisecond))
}

func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	r := func(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }
	return r(s[0]) + " / " + r(s[len(s)/2]) + " / " + r(s[len(s)-1]) + " s"
}

// writeConfig writes the keepalived.conf both tools run: perVS real
// servers per virtual server, delay_loop 1, and retry 0 in each checker
// (keepalived takes it there, not on the virtual server) so that a dead
// server is due to leave the table within one delay_loop plus the probe.
func writeConfig(b *testing.B, dir string, sc scale) (conf, fifo string) {
	fifo = filepath.Join(dir, "lvs.fifo")
	var c bytes.Buffer
	fmt.Fprintf(&c, "global_defs {\n router_id bench\n lvs_notify_fifo %s\n}\n", fifo)
	vs := func(n, base, net int, checker string) {
		for i := 0; i < n; i += perVS {
			fmt.Fprintf(&c, "virtual_server 10.%d.%d.%d 80 {\n delay_loop 1\n lb_algo rr\n lb_kind NAT\n protocol TCP\n",
				net, i/perVS/250, i/perVS%250+1)
			for j := i; j < min(i+perVS, n); j++ {
				fmt.Fprintf(&c, " real_server %s %d {\n  %s\n }\n", realAddr, base+j, checker)
			}
			c.WriteString("}\n")
		}
	}
	vs(sc.tcp, tcpBase, 2, "TCP_CHECK {\n   connect_timeout 3\n   retry 0\n  }")
	vs(sc.http, httpBase, 3, "HTTP_GET {\n   url {\n    path /\n    status_code 200\n   }\n   connect_timeout 3\n   retry 0\n  }")
	conf = filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(conf, c.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		b.Fatal(err)
	}
	return conf, fifo
}

func run(b *testing.B, tl tool, sc scale, window time.Duration) result {
	dir := b.TempDir()
	conf, fifo := writeConfig(b, dir, sc)
	srv := startServers(b, sc)
	defer srv.close()
	raisePriority(b) // threads the listeners added
	events := readFIFO(b, fifo)
	defer events.close()
	sh(b, "ipvsadm -C")

	logf, err := os.Create(filepath.Join(dir, tl.name+".log"))
	if err != nil {
		b.Fatal(err)
	}
	defer logf.Close()
	argv := append([]string{"nice", "-n", strconv.Itoa(-serverNice)}, tl.argv(dir, conf)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if v := os.Getenv(envAlivedEnv); v != "" && tl.name == "alived" {
		cmd.Env = append(os.Environ(), strings.Fields(v)...)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(2 * time.Minute):
			_ = cmd.Process.Kill()
			<-exited
		}
		sh(b, "ipvsadm -C")
	}
	defer stop()
	fail := func(format string, args ...any) {
		stop()
		logTail(b, logf.Name())
		b.Fatalf(format, args...)
	}

	// Wait for the whole table: both tools add every real server before
	// the first check result (keepalived's and alived's default is up).
	want := sc.tcp/perVS + sc.http/perVS + sc.tcp + sc.http
	if sc.tcp%perVS != 0 {
		want++
	}
	if sc.http%perVS != 0 {
		want++
	}
	for {
		if n := ipvsLines(b); n >= want {
			break
		}
		select {
		case err := <-exited:
			exited <- err
			fail("%s exited before the table was complete: %v", tl.name, err)
		default:
		}
		if time.Since(start) > 5*time.Minute {
			fail("%s: table incomplete after 5 minutes (%d of %d lines)", tl.name, ipvsLines(b), want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	r := result{scale: sc, tool: tl.name, window: window, tableReady: time.Since(start)}

	pid := cmd.Process.Pid
	parent := 0
	if tl.checkerPidfile != "" {
		parent = pid
		pid = readPid(b, filepath.Join(dir, tl.checkerPidfile))
	}
	// Let the schedule settle: both tools spread the first checks over
	// the first delay_loop (alived: warmup) and then run steadily.
	time.Sleep(5 * time.Second)

	downsBefore := events.count("DOWN")
	kern0 := tcpExt(b)
	tcp0, http0 := srv.tcpAccepts.Load(), srv.httpRequests.Load()
	cpu0, pcpu0 := procCPU(b, pid), time.Duration(0)
	if parent != 0 {
		pcpu0 = procCPU(b, parent)
	}
	var self0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self0)
	t0 := time.Now()
	var prof chan string
	if os.Getenv(envPprof) == "1" && tl.name == "alived" {
		prof = make(chan string, 1)
		go func() { prof <- cpuProfileTop(dir, bin(tl, dir, conf), window) }()
	}
	time.Sleep(window)
	elapsed := time.Since(t0)
	if prof != nil {
		fmt.Fprintf(os.Stderr, "CPU profile of alived (%s):\n%s\n", sc, <-prof)
	}
	r.window = elapsed
	r.cpu = procCPU(b, pid) - cpu0
	if parent != 0 {
		r.parentCPU = procCPU(b, parent) - pcpu0
	}
	var self1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self1)
	r.listenerCPUPct = (tv(self1.Utime) + tv(self1.Stime) - tv(self0.Utime) - tv(self0.Stime)).Seconds() / elapsed.Seconds() * 100
	r.tcpRate = float64(srv.tcpAccepts.Load()-tcp0) / elapsed.Seconds()
	r.httpRate = float64(srv.httpRequests.Load()-http0) / elapsed.Seconds()
	r.falseDowns = events.count("DOWN") - downsBefore
	// Kernel counters that tell dropped SYNs and recycled 4-tuples apart
	// from a checker that did not look in time.
	kern1 := tcpExt(b)
	var kern []string
	for _, k := range []string{"ListenOverflows", "ListenDrops", "TCPTimeWaitOverflow", "TW", "TWRecycled", "TCPReqQFullDrop", "PAWSEstab", "TCPChallengeACK", "TCPSYNChallenge"} {
		kern = append(kern, fmt.Sprintf("%s %d", k, kern1[k]-kern0[k]))
	}
	fmt.Fprintf(os.Stderr, "progress: %s %s kernel TcpExt during the window: %s\n", tl.name, sc, strings.Join(kern, ", "))
	if r.falseDowns > 0 {
		// Say why: the first lines of the tool's log about failures.
		fmt.Fprintf(os.Stderr, "%s marked %d live real servers down; from its log:\n%s\n", tl.name, r.falseDowns, grepLog(logf.Name(), 15))
	}
	if os.Getenv(envStrace) == "1" {
		out := filepath.Join(dir, "strace.txt")
		st := exec.Command("timeout", "-s", "INT", "10", "strace", "-c", "-f", "-o", out, "-p", strconv.Itoa(pid))
		_ = st.Run()
		data, _ := os.ReadFile(out)
		fmt.Fprintf(os.Stderr, "strace -c of %s (%s) over 10 s, TCP %d / HTTP %d probes in the window before:\n%s\n",
			tl.name, sc, int(r.tcpRate*10), int(r.httpRate*10), data)
	}

	// Kill 20 TCP and 5 HTTP real servers spread over the pool and time
	// each until the tool reports it DOWN on the LVS FIFO.
	killed := map[int]time.Time{}
	kill := func(n, base, k int) {
		for i := 0; i < k && n > 0; i++ {
			port := base + i*n/k
			if _, ok := killed[port]; ok {
				continue
			}
			srv.kill(port)
			killed[port] = time.Now()
		}
	}
	kill(sc.tcp, tcpBase, 20)
	kill(sc.http, httpBase, 5)
	deadline := time.Now().Add(30 * time.Second)
	for {
		seen := events.downs()
		missing := 0
		for port := range killed {
			if _, ok := seen[port]; !ok {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			for port, at := range killed {
				d, ok := seen[port]
				if !ok || d.Before(at) {
					r.missedDowns++
					continue
				}
				if port >= httpBase {
					r.httpDown = append(r.httpDown, d.Sub(at))
				} else {
					r.tcpDown = append(r.tcpDown, d.Sub(at))
				}
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.peakRSS = peakRSS(b, pid)
	stop()
	fmt.Fprintf(os.Stderr, "progress: listener process used %.0f %% of a core\n", r.listenerCPUPct)
	return r
}

const pprofAddr = "127.0.0.1:9165"

// serverNice is the real servers' priority (the test process's).
const serverNice = -10

// raisePriority sets every thread of this process to serverNice: Linux
// keeps a nice value per thread.
func raisePriority(b *testing.B) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, serverNice); err != nil {
			b.Fatalf("setpriority: %v", err)
		}
	}
}

// calibrate runs a shell busy loop for 3 s of guest wall time and returns
// the share of a core /proc charges it. Without KVM, a guest whose vCPU
// threads the host starves sees its CPU accounting drift from its clock;
// this number says how far, so a run on a busy host shows itself.
func calibrate(b *testing.B) float64 {
	cmd := exec.Command("/bin/sh", "-c", "while :; do :; done")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	c0, t0 := procCPU(b, cmd.Process.Pid), time.Now()
	time.Sleep(3 * time.Second)
	return (procCPU(b, cmd.Process.Pid) - c0).Seconds() / time.Since(t0).Seconds() * 100
}

// bin returns the tool's executable.
func bin(tl tool, dir, conf string) string { return tl.argv(dir, conf)[0] }

// cpuProfileTop takes a CPU profile of alived over d and returns the top
// of `go tool pprof` (the guest sees the host's Go installation).
func cpuProfileTop(dir, exe string, d time.Duration) string {
	path := filepath.Join(dir, "cpu.pprof")
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, int(d.Seconds())-1)
	if out, err := exec.Command("curl", "-sfo", path, url).CombinedOutput(); err != nil {
		return fmt.Sprintf("curl %s: %v %s", url, err, out)
	}
	tool := filepath.Join(filepath.Dir(exe), "pprof")
	top := func(profile string, args ...string) string {
		cmd := exec.Command(tool, append(append([]string{"-top"}, args...), exe, profile)...)
		cmd.Env = append(os.Environ(), "HOME="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Sprintf("pprof: %v\n%s", err, out)
		}
		return string(out)
	}
	// By own time, then by time including callees (which shows where a
	// syscall's cost comes from), then what the heap holds at the end.
	all := top(path, "-nodecount=40") + top(path, "-cum", "-nodecount=50")
	heapPath := filepath.Join(dir, "heap.pprof")
	heapURL := fmt.Sprintf("http://%s/debug/pprof/heap", pprofAddr)
	if out, err := exec.Command("curl", "-sfo", heapPath, heapURL).CombinedOutput(); err != nil {
		return all + fmt.Sprintf("curl %s: %v %s", heapURL, err, out)
	}
	return all + top(heapPath, "-sample_index=inuse_space", "-nodecount=25")
}

func tv(t syscall.Timeval) time.Duration {
	return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
}

// servers are the real servers: one listener per port on realAddr. TCP
// ones accept and close; HTTP ones answer 200 to one request.
type servers struct {
	mu           sync.Mutex
	lns          map[int]net.Listener
	wg           sync.WaitGroup
	tcpAccepts   atomic.Int64
	httpRequests atomic.Int64
}

func startServers(b *testing.B, sc scale) *servers {
	s := &servers{lns: map[int]net.Listener{}}
	listen := func(port int, serve func(net.Conn)) {
		ln, err := net.Listen("tcp4", net.JoinHostPort(realAddr, strconv.Itoa(port)))
		if err != nil {
			s.close()
			b.Fatal(err)
		}
		s.lns[port] = ln
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					if errors.Is(err, net.ErrClosed) {
						return
					}
					continue
				}
				s.wg.Add(1)
				go func() {
					defer s.wg.Done()
					serve(c)
				}()
			}
		}()
	}
	for i := 0; i < sc.tcp; i++ {
		listen(tcpBase+i, func(c net.Conn) {
			s.tcpAccepts.Add(1)
			c.Close()
		})
	}
	for i := 0; i < sc.http; i++ {
		listen(httpBase+i, func(c net.Conn) {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 2048)
			n := 0
			for !bytes.Contains(buf[:n], []byte("\r\n\r\n")) && n < len(buf) {
				m, err := c.Read(buf[n:])
				n += m
				if err != nil {
					return
				}
			}
			s.httpRequests.Add(1)
			_, _ = io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n")
		})
	}
	return s
}

// kill closes one real server's listener: new connections are refused.
func (s *servers) kill(port int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ln, ok := s.lns[port]; ok {
		ln.Close()
		delete(s.lns, port)
	}
}

func (s *servers) close() {
	s.mu.Lock()
	for port, ln := range s.lns {
		ln.Close()
		delete(s.lns, port)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// fifoEvents reads LVS FIFO lines ("RS [ip]:tcp:port [vip]:tcp:80 DOWN")
// and keeps the first DOWN time per real server port.
type fifoEvents struct {
	f    *os.File
	done chan struct{}
	mu   sync.Mutex
	down map[int]time.Time
	n    map[string]int
}

func readFIFO(b *testing.B, path string) *fifoEvents {
	// O_RDWR: opening does not wait for a writer, and the reader never
	// sees EOF when a writer closes.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		b.Fatal(err)
	}
	e := &fifoEvents{f: f, done: make(chan struct{}), down: map[int]time.Time{}, n: map[string]int{}}
	go func() {
		defer close(e.done)
		sc := bufio.NewScanner(f)
		prefix := "RS [" + realAddr + "]:tcp:"
		for sc.Scan() {
			now := time.Now()
			line := sc.Text()
			fields := strings.Fields(line)
			if len(fields) != 4 || fields[0] != "RS" || !strings.HasPrefix(fields[1], "["+realAddr+"]") {
				continue
			}
			port, err := strconv.Atoi(strings.TrimPrefix(fields[0]+" "+fields[1], prefix))
			if err != nil {
				continue
			}
			e.mu.Lock()
			e.n[fields[3]]++
			if _, ok := e.down[port]; !ok && fields[3] == "DOWN" {
				e.down[port] = now
			}
			e.mu.Unlock()
		}
	}()
	return e
}

func (e *fifoEvents) count(state string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n[state]
}

func (e *fifoEvents) downs() map[int]time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[int]time.Time, len(e.down))
	for k, v := range e.down {
		out[k] = v
	}
	return out
}

func (e *fifoEvents) close() {
	e.f.Close()
	<-e.done
}

// procCPU returns a process's user+system time from /proc/PID/stat.
func procCPU(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may
	// contain spaces: state is field 3, utime 14, stime 15.
	rest := string(data[bytes.LastIndexByte(data, ')')+2:])
	f := strings.Fields(rest)
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	// USER_HZ is 100 on every Linux architecture Go supports here.
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// peakRSS returns VmHWM in KiB.
func peakRSS(b *testing.B, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func readPid(b *testing.B, path string) int {
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
				return pid
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("no pid in %s", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ipvsLines counts service and destination lines in /proc/net/ip_vs.
func ipvsLines(b *testing.B) int {
	data, err := os.ReadFile("/proc/net/ip_vs")
	if err != nil {
		b.Fatal(err)
	}
	return bytes.Count(data, []byte("\n")) - 3
}

// tcpExt reads the TcpExt counters of /proc/net/netstat.
func tcpExt(b *testing.B) map[string]int64 {
	data, err := os.ReadFile("/proc/net/netstat")
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]int64{}
	var names []string
	for _, line := range strings.Split(string(data), "\n") {
		rest, ok := strings.CutPrefix(line, "TcpExt:")
		if !ok {
			continue
		}
		if names == nil {
			names = strings.Fields(rest)
			continue
		}
		for i, v := range strings.Fields(rest) {
			if i < len(names) {
				out[names[i]], _ = strconv.ParseInt(v, 10, 64)
			}
		}
	}
	return out
}

// grepLog returns up to n lines of a daemon log that report failures.
func grepLog(path string, n int) string {
	data, _ := os.ReadFile(path)
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		l := strings.ToLower(line)
		if strings.Contains(l, "fail") || strings.Contains(l, "down") || strings.Contains(l, "timeout") {
			out = append(out, line)
			if len(out) == n {
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

func logTail(b *testing.B, path string) {
	data, _ := os.ReadFile(path)
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	b.Logf("%s (tail):\n%s", path, data)
}

func sh(b *testing.B, cmd string) {
	b.Helper()
	if out, err := exec.Command("/bin/sh", "-c", cmd).CombinedOutput(); err != nil {
		b.Fatalf("%s: %v\n%s", cmd, err, out)
	}
}
