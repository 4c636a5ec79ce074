// Command failover measures VRRP failover time in network namespaces:
// from the moment the master is killed (kill -9 plus its link going down,
// as when a machine dies) until the VIP answers pings from a client
// namespace again, for alived and keepalived 2.2.7 with the same
// configuration (VRRPv3, two nodes of priority 150 and 100).
//
// The physical floor is the backup's master-down interval, 3 × advert_int
// plus its skew time ((256−100)/256 × advert_int), counted from the last
// advert the master sent. The crash falls anywhere in an advert interval
// after that advert, so measured from the crash a failover takes between
// 2 × advert_int + skew and 3 × advert_int + skew, plus the client's next
// probe (2 ms apart) reaching the new master; the report shows that
// window as "floor".
//
// Usage (root):
//
//	go run ./bench/failover [-runs 20] [-adverts 1,0.1,0.02] [-impls alived,keepalived]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/alived/alived/internal/netlab"
)

func main() {
	runs := flag.Int("runs", 20, "failovers per implementation and advert interval")
	adverts := flag.String("adverts", "1,0.1,0.02", "advert_int values (seconds, VRRPv3)")
	impls := flag.String("impls", "alived,keepalived", "implementations to measure")
	flag.Parse()
	if err := run(*runs, strings.Split(*adverts, ","), strings.Split(*impls, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "failover:", err)
		os.Exit(1)
	}
}

// result is one series of measurements.
type result struct {
	impl, advert string
	times        []time.Duration
	failed       int
}

func run(runs int, adverts, impls []string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("needs root (network namespaces)")
	}
	dir, err := os.MkdirTemp("", "alived-failover")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "alived")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/alived/alived/cmd/alived").CombinedOutput(); err != nil {
		return fmt.Errorf("building alived: %v\n%s", err, out)
	}
	var results []result
	for _, adv := range adverts {
		for _, impl := range impls {
			r, err := series(dir, bin, impl, adv, runs)
			if err != nil {
				return fmt.Errorf("%s advert_int %s: %w", impl, adv, err)
			}
			results = append(results, r)
			report(os.Stdout, []result{r})
		}
	}
	fmt.Println()
	fmt.Println("summary:")
	report(os.Stdout, results)
	return nil
}

// report prints median and worst per series next to the floor.
func report(w io.Writer, rs []result) {
	fmt.Fprintf(w, "%-11s %-10s %5s %17s %10s %10s %s\n", "impl", "advert_int", "runs", "floor", "median", "worst", "failed")
	for _, r := range rs {
		adv, _ := strconv.ParseFloat(r.advert, 64)
		skew := (256.0 - 100) / 256 * adv
		lo := time.Duration((2*adv + skew) * float64(time.Second))
		hi := time.Duration((3*adv + skew) * float64(time.Second))
		t := slices.Clone(r.times)
		slices.Sort(t)
		med, worst := time.Duration(0), time.Duration(0)
		if len(t) > 0 {
			med, worst = t[len(t)/2], t[len(t)-1]
		}
		floor := lo.Round(time.Millisecond).String() + ".." + hi.Round(time.Millisecond).String()
		fmt.Fprintf(w, "%-11s %-10s %5d %17s %10s %10s %d\n", r.impl, r.advert, len(t),
			floor, med.Round(time.Millisecond), worst.Round(time.Millisecond), r.failed)
	}
}

const vip = "10.71.0.100"

func conf(prio int, adv string) string {
	return fmt.Sprintf(`global_defs {
    router_id bench
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 71
    priority %d
    version 3
    advert_int %s
    virtual_ipaddress {
        %s/24
    }
}
`, prio, adv, vip)
}

// daemon is one VRRP daemon process in a lab node.
type daemon struct {
	node           *netlab.Node
	impl, bin, dir string
	cmd            *exec.Cmd
	done           chan struct{}
}

func (d *daemon) start() error {
	confPath := filepath.Join(d.dir, "conf")
	var argv []string
	if d.impl == "alived" {
		argv = []string{d.bin, "-n", "-l", "-f", confPath, "-p", filepath.Join(d.dir, "pid")}
	} else {
		argv = []string{"keepalived", "-n", "-l", "-P", "-f", confPath, "-p", filepath.Join(d.dir, "pid"),
			"-r", filepath.Join(d.dir, "vrrp.pid"), "-c", filepath.Join(d.dir, "check.pid")}
		_ = os.Remove(filepath.Join(d.dir, "vrrp.pid"))
	}
	log, err := os.OpenFile(filepath.Join(d.dir, "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd, err := d.node.Start(log, log, argv...)
	if err != nil {
		return err
	}
	d.cmd, d.done = cmd, make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(cmd, d.done)
	return nil
}

// crash takes the master's link down and kills its daemon without a
// goodbye, as a dying machine would: the link goes first so that nothing,
// not even the kernel answering pings for the VIP, leaves the node after
// the crash. keepalived's parent is frozen before its VRRP child is
// killed so that it cannot respawn it.
func (d *daemon) crash() error {
	if _, err := d.node.Output("ip", "link", "set", d.node.Link, "down"); err != nil {
		return err
	}
	if d.impl == "keepalived" {
		_ = d.cmd.Process.Signal(syscall.SIGSTOP)
		if b, err := os.ReadFile(filepath.Join(d.dir, "vrrp.pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	_ = d.cmd.Process.Kill()
	<-d.done
	return nil
}

// revive brings the node back: link up, the dead daemon's VIP gone (a
// reboot), daemon started.
func (d *daemon) revive() error {
	_, _ = d.node.Output("ip", "addr", "del", vip+"/24", "dev", d.node.Link)
	if _, err := d.node.Output("ip", "link", "set", d.node.Link, "up"); err != nil {
		return err
	}
	return d.start()
}

func (d *daemon) stop() {
	if d.cmd == nil {
		return
	}
	select {
	case <-d.done:
		return
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.done
	}
	if d.impl == "keepalived" {
		// The VRRP child exits with its parent; wait for its VIP release.
		time.Sleep(200 * time.Millisecond)
	}
}

// series measures runs failovers of one implementation at one interval.
func series(dir, bin, impl, adv string, runs int) (result, error) {
	res := result{impl: impl, advert: adv}
	lab, err := netlab.New(fmt.Sprintf("fb%d", os.Getpid()%10000))
	if err != nil {
		return res, err
	}
	defer lab.Close()
	a, err := lab.AddNode("a", "10.71.0.1/24")
	if err != nil {
		return res, err
	}
	b, err := lab.AddNode("b", "10.71.0.2/24")
	if err != nil {
		return res, err
	}
	cl, err := lab.AddNode("cl", "10.71.0.50/24")
	if err != nil {
		return res, err
	}
	mk := func(n *netlab.Node, prio int) (*daemon, error) {
		d := &daemon{node: n, impl: impl, bin: bin, dir: filepath.Join(dir, impl+adv+n.Name)}
		if err := os.MkdirAll(d.dir, 0o755); err != nil {
			return nil, err
		}
		return d, os.WriteFile(filepath.Join(d.dir, "conf"), []byte(conf(prio, adv)), 0o644)
	}
	da, err := mk(a, 150)
	if err != nil {
		return res, err
	}
	db, err := mk(b, 100)
	if err != nil {
		return res, err
	}
	defer da.stop()
	defer db.stop()
	if err := da.start(); err != nil {
		return res, err
	}
	if err := db.start(); err != nil {
		return res, err
	}
	advD, _ := strconv.ParseFloat(adv, 64)
	settle := time.Duration((4*advD+2)*float64(time.Second)) + 10*time.Second
	for i := range runs {
		// a must be the only holder and the client's ARP entry settled
		// (the kernel ignores a new lladdr within 1 s of the last change).
		if err := waitOnly(a, b, settle); err != nil {
			return res, fmt.Errorf("run %d: %w", i, err)
		}
		time.Sleep(1100 * time.Millisecond)
		d, err := measure(cl, da, time.Duration(advD*20*float64(time.Second))+5*time.Second)
		if err != nil {
			res.failed++
			fmt.Fprintf(os.Stderr, "%s %s run %d: %v\n", impl, adv, i, err)
			if os.Getenv("FAILOVER_DEBUG") != "" {
				neigh, _ := cl.Output("ip", "neigh", "show", vip)
				ha, _ := a.HasAddr(vip)
				hb, _ := b.HasAddr(vip)
				fmt.Fprintf(os.Stderr, "client neigh: %s a=%s holds=%v b=%s holds=%v\n", strings.TrimSpace(neigh), a.MAC, ha, b.MAC, hb)
				p, err := cl.Output("ping", "-c", "3", "-i", "0.2", "-W", "1", vip)
				fmt.Fprintf(os.Stderr, "ping now: %v\n%s\n", err, p)
				for _, d := range []*daemon{da, db} {
					b, _ := os.ReadFile(filepath.Join(d.dir, "log"))
					fmt.Fprintf(os.Stderr, "--- log of %s:\n%s\n", d.node.Name, b)
				}
			}
		} else {
			res.times = append(res.times, d)
		}
		if err := da.revive(); err != nil {
			return res, err
		}
	}
	return res, nil
}

// waitOnly waits until a holds the VIP and b does not.
func waitOnly(a, b *netlab.Node, timeout time.Duration) error {
	end := time.Now().Add(timeout)
	for time.Now().Before(end) {
		ha, _ := a.HasAddr(vip)
		hb, _ := b.HasAddr(vip)
		if ha && !hb {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("a never became the only holder of %s", vip)
}

// measure probes the VIP from the client every 2 ms, crashes the master
// and returns the time from the crash to the first reply after the outage
// (the first reply whose sequence number skips the ones lost).
func measure(cl *netlab.Node, master *daemon, timeout time.Duration) (time.Duration, error) {
	p, err := newProber(cl.NS, vip, 2*time.Millisecond)
	if err != nil {
		return 0, err
	}
	defer p.close()
	// Wait until the VIP answers, then crash the master.
	select {
	case <-p.replies:
	case <-time.After(2 * time.Second):
		return 0, fmt.Errorf("VIP not answering before the crash")
	}
	t0 := time.Now()
	if err := master.crash(); err != nil {
		return 0, err
	}
	last := -1
	deadline := time.After(timeout)
	for {
		select {
		case r, ok := <-p.replies:
			if !ok {
				return 0, fmt.Errorf("prober stopped")
			}
			if r.at.Before(t0) {
				last = r.seq
				continue
			}
			if last >= 0 && r.seq != (last+1)&0xffff {
				return r.at.Sub(t0), nil
			}
			last = r.seq
		case <-deadline:
			return 0, fmt.Errorf("no reply within %v", timeout)
		}
	}
}
