//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alived/alived/internal/vmtest"
)

// TestVMControlPlane runs the real binaries on a real IPVS kernel, with a
// VRRP instance holding the VIP and HTTP traffic flowing to it through
// IPVS, and drives the control plane with alivectl: a real server is
// added (stage, plan, apply), another drained and made ready again. The
// plan must say no VRRP instance is touched, the master must not flip,
// no request may fail, and the kernel table must follow each command.
func TestVMControlPlane(t *testing.T) {
	if !vmtest.InGuest() {
		runInVM(t, "^TestVMControlPlane$", 4*time.Minute)
		return
	}
	guestControlPlane(t)
}

const vmControlConf = `global_defs {
 router_id vm
}
vrrp_instance VI_1 {
 state BACKUP
 interface vrrp0
 virtual_router_id 51
 priority 150
 advert_int 1
 virtual_ipaddress {
  10.0.0.1/32
 }
}
virtual_server 10.0.0.1 80 {
 delay_loop 1
 lb_algo rr
 lb_kind NAT
 protocol TCP
 real_server 10.1.0.1 8080 {
  weight 1
  HTTP_GET {
   url {
    path /
    status_code 200
   }
   connect_timeout 1
  }
 }
 real_server 10.1.0.2 8080 {
  weight 1
  HTTP_GET {
   url {
    path /
    status_code 200
   }
   connect_timeout 1
  }
 }
}
`

// vmInstance is the part of an instance's status this test follows.
type vmInstance struct {
	Name  string    `json:"iname"`
	State string    `json:"state"`
	Since time.Time `json:"last_transition"`
	Stats struct {
		BecomeMaster uint64 `json:"become_master"`
	} `json:"stats"`
}

func guestControlPlane(t *testing.T) {
	bin := os.Getenv(envVMBin)
	if bin == "" {
		t.Fatalf("%s not set", envVMBin)
	}
	guestRun(t, "ip", "link", "add", "vrrp0", "type", "veth", "peer", "name", "vrrp1")
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", "vrrp0").Run() })
	guestRun(t, "ip", "link", "set", "vrrp0", "up")
	guestRun(t, "ip", "link", "set", "vrrp1", "up")
	guestRun(t, "ip", "addr", "add", "10.2.0.1/24", "dev", "vrrp0")
	guestRun(t, "ip", "link", "add", "reals0", "type", "dummy")
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", "reals0").Run() })
	guestRun(t, "ip", "link", "set", "reals0", "up")
	for _, a := range []string{"10.1.0.1/16", "10.1.0.2/16", "10.1.0.3/16"} {
		guestRun(t, "ip", "addr", "add", a, "dev", "reals0")
	}
	guestRun(t, "ipvsadm", "-C")
	for _, a := range []string{"10.1.0.1:8080", "10.1.0.2:8080", "10.1.0.3:8080"} {
		ln, err := net.Listen("tcp4", a)
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { _ = srv.Close() })
	}

	dir := t.TempDir()
	conf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(conf, []byte(vmControlConf), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "alived.sock")
	startAlived(t, filepath.Join(bin, "alived"), "-n", "-l", "-f", conf, "-p", filepath.Join(dir, "alived.pid"),
		"--control-socket="+sock, "--state-dir="+filepath.Join(dir, "state"), "--web.listen-address=")
	ctl := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(filepath.Join(bin, "alivectl"), append([]string{"--socket=" + sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("alivectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	instance := func() vmInstance {
		t.Helper()
		var st struct {
			Instances []vmInstance `json:"instances"`
		}
		if err := json.Unmarshal([]byte(ctl("status", "--json")), &st); err != nil || len(st.Instances) != 1 {
			t.Fatalf("status: %v %+v", err, st)
		}
		return st.Instances[0]
	}
	two := "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.1.0.1:8080 -m -w 1\n-a -t 10.0.0.1:80 -r 10.1.0.2:8080 -m -w 1"
	waitIPVS(t, two, 30*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for instance().State != "MASTER" {
		if time.Now().After(deadline) {
			t.Fatalf("VI_1 never became master: %+v", instance())
		}
		time.Sleep(100 * time.Millisecond)
	}
	before := instance()

	// Traffic to the VIP through IPVS, one new connection per request,
	// for as long as the edits take.
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for ctx.Err() == nil {
			resp, err := client.Get("http://10.0.0.1/")
			if err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %s", resp.Status)
				}
			}
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
			} else {
				ok.Add(1)
			}
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { stop(); wg.Wait() })
	for ok.Load() < 5 {
		if failed.Load() > 0 {
			t.Fatalf("traffic through IPVS fails before any edit: %v", firstErr.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}

	ctl("rs", "add", "10.0.0.1:80", "10.1.0.3:8080", "--check", "HTTP_GET", "--path", "/", "--status", "200", "--connect-timeout", "1")
	plan := ctl("plan")
	if !strings.Contains(plan, "VRRP: no instance touched (1 kept)") || !strings.Contains(plan, "add-server TCP 10.0.0.1:80 -> 10.1.0.3:8080") {
		t.Fatalf("plan:\n%s", plan)
	}
	start := time.Now()
	ctl("apply", "-m", "third web server")
	three := two + "\n-a -t 10.0.0.1:80 -r 10.1.0.3:8080 -m -w 1"
	waitIPVS(t, three, 30*time.Second)
	t.Logf("apply → new destination in the kernel table: %v", time.Since(start))

	start = time.Now()
	ctl("rs", "drain", "10.0.0.1:80", "10.1.0.1:8080")
	drained := strings.Replace(three, "10.1.0.1:8080 -m -w 1", "10.1.0.1:8080 -m -w 0", 1)
	if got := ipvsSave(t); got != drained {
		t.Fatalf("after alivectl rs drain returned, the table is\n%s", got)
	}
	t.Logf("alivectl rs drain → weight 0 in the kernel: %v (the command returns after the kernel changed)", time.Since(start))
	// Requests keep succeeding on the other servers while it drains.
	for n := ok.Load() + 10; ok.Load() < n; {
		time.Sleep(20 * time.Millisecond)
	}
	ctl("rs", "ready", "10.0.0.1:80", "10.1.0.1:8080")
	waitIPVS(t, three, 10*time.Second)

	stop()
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d of %d requests failed during the edits (first: %v)", failed.Load(), ok.Load()+failed.Load(), firstErr.Load())
	}
	after := instance()
	if after.State != "MASTER" || !after.Since.Equal(before.Since) || after.Stats.BecomeMaster != before.Stats.BecomeMaster {
		t.Errorf("VRRP changed under the edits: before %+v, after %+v", before, after)
	}
	t.Logf("%d requests through IPVS during the edits, none failed", ok.Load())
	if h := ctl("history"); !strings.Contains(h, "third web server") {
		t.Errorf("history:\n%s", h)
	}
}
