package lvs

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/config/syntax"
	"github.com/alived/alived/healthcheck"
	"github.com/alived/alived/ipvs"
)

// lineOf returns the 1-based line of the first line of text containing s.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q not in config", s)
	return 0
}

func TestPlanTimingInheritance(t *testing.T) {
	conf := `
virtual_server 10.0.0.1 80 {
 delay_loop 3
 retry 4
 connect_timeout 7
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 10.1.0.1 80 {
  connect_timeout 2
  TCP_CHECK {
   delay_before_retry 9
  }
 }
 real_server 10.1.0.2 8080 {
  alpha
  HTTP_GET {
   url { path /
         status_code 200 }
  }
  TCP_CHECK {
   connect_port 81
   warmup 0
  }
 }
}
`
	p := BuildPlan(loadConfig(t, t.TempDir(), conf))
	if len(p.Diagnostics) != 0 {
		t.Fatalf("diagnostics: %v", p.Diagnostics)
	}
	vs := p.VirtualServers[0]
	type want struct {
		name                           string
		delay, timeout, before, warmup time.Duration
		retry                          int
		alpha                          bool
	}
	var got []want
	for _, rs := range vs.Reals {
		for _, c := range rs.Health.Checks {
			w := want{name: rs.Key + " " + c.Name, delay: c.Timing.DelayLoop, timeout: c.Timing.ConnectTimeout,
				before: c.Timing.DelayBeforeRetry, warmup: c.Timing.Warmup, retry: c.Timing.Retry, alpha: c.Timing.Alpha}
			got = append(got, w)
		}
	}
	exp := []want{
		// checker's own delay_before_retry, real server's connect_timeout,
		// virtual server's delay_loop and retry, warmup defaults to delay_loop.
		{name: "10.1.0.1:80 TCP_CHECK#1", delay: 3 * time.Second, timeout: 2 * time.Second, before: 9 * time.Second, warmup: 3 * time.Second, retry: 4},
		// HTTP_GET's own delay_before_retry default (3s) where nobody set
		// one, alpha from the real server.
		{name: "10.1.0.2:8080 HTTP_GET#1", delay: 3 * time.Second, timeout: 7 * time.Second, before: 3 * time.Second, warmup: 3 * time.Second, retry: 4, alpha: true},
		{name: "10.1.0.2:8080 TCP_CHECK#1", delay: 3 * time.Second, timeout: 7 * time.Second, before: time.Second, warmup: 0, retry: 4, alpha: true},
	}
	if !slices.Equal(got, exp) {
		t.Errorf("timings:\n got %+v\nwant %+v", got, exp)
	}
	if vs.Reals[0].Health.Weight != 1 || vs.Reals[0].Health.VirtualServer != "TCP 10.0.0.1:80" {
		t.Errorf("health definition = %+v", vs.Reals[0].Health)
	}
}

func TestPlanBadCheckerIsWarningAtItsLine(t *testing.T) {
	dir := t.TempDir()
	conf := fmt.Sprintf(`
virtual_server 10.0.0.1 80 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 10.1.0.1 80 {
  HTTP_GET {
   url { path /
         regex "(unclosed"
   }
  }
  TCP_CHECK { }
 }
 real_server 10.1.0.2 80 {
  MISC_CHECK {
   misc_path "%s/missing.sh"
  }
 }
}
`, dir)
	cfg := loadConfig(t, dir, conf)
	p := BuildPlan(cfg)
	path := filepath.Join(dir, "keepalived.conf")
	var got []string
	for _, d := range p.Diagnostics {
		got = append(got, config.Format(d))
	}
	if len(got) != 2 {
		t.Fatalf("diagnostics = %q, want one for the regex and one for the missing script", got)
	}
	for i, kw := range []string{"HTTP_GET", "MISC_CHECK"} {
		prefix := fmt.Sprintf("%s:%d:", path, lineOf(t, conf, kw))
		if !strings.HasPrefix(got[i], prefix) || !strings.Contains(got[i], "checker ignored") {
			t.Errorf("diagnostic %q, want it at %s and saying the checker is ignored", got[i], prefix)
		}
	}
	// The real servers remain, with the checks that could be built.
	vs := p.VirtualServers[0]
	if len(vs.Reals) != 2 || len(vs.Reals[0].Health.Checks) != 1 || vs.Reals[0].Health.Checks[0].Name != "TCP_CHECK#1" || len(vs.Reals[1].Health.Checks) != 0 {
		t.Errorf("real servers after dropping checkers: %+v", vs.Reals)
	}
}

func TestPlanServicesAndDestinations(t *testing.T) {
	conf := `
virtual_server_group web {
 10.0.0.1-3 80
}
virtual_server group web {
 lvs_sched sh
 sh-port
 lvs_method DR
 protocol TCP
 persistence_timeout 600
 persistence_granularity 255.255.255.0
 quorum 3
 hysteresis 1
 sorry_server 10.9.9.9 80
 sorry_server_inhibit
 real_server 10.1.0.1 80 {
  weight 4
  uthreshold 100
  lthreshold 10
 }
}
virtual_server 10.0.0.9 443 {
 lvs_sched wrr
 lvs_method TUN type gue port 6080 csum
 protocol TCP
 inhibit_on_failure
 real_server 10.1.0.2 8443 {
 }
}
virtual_server fwmark 5 {
 ip_family inet6
 lvs_sched rr
 lvs_method NAT
 real_server 2001:db8::1 80 {
 }
}
`
	// keepalived -t reports the TUN port mismatch as an error and resets
	// the port; the daemon runs with it.
	p := BuildPlan(loadConfigUpTo(t, t.TempDir(), conf, syntax.Error))
	var names []string
	for _, v := range p.VirtualServers {
		names = append(names, v.Name)
	}
	if want := []string{"group web TCP", "TCP 10.0.0.9:443", "FWM 5 inet6"}; !slices.Equal(names, want) {
		t.Fatalf("virtual servers %q, want %q", names, want)
	}
	g := p.VirtualServers[0].Pool
	var keys []string
	for _, s := range g.Services {
		keys = append(keys, s.ServiceKey.String())
		if s.Scheduler != "sh" || s.Flags != ipvs.Persistent|ipvs.SchedFlag2 || s.Timeout != 600 || s.MaskBits != 24 {
			t.Errorf("group service %s = %+v", s.ServiceKey, s)
		}
	}
	if want := []string{"TCP 10.0.0.1:80", "TCP 10.0.0.2:80", "TCP 10.0.0.3:80"}; !slices.Equal(keys, want) {
		t.Errorf("group services %q, want %q", keys, want)
	}
	rs := g.Reals[0]
	if rs.Dest.Forward != ipvs.DirectRoute || rs.Dest.Weight != 4 || rs.Dest.UpperThreshold != 100 || rs.Dest.LowerThreshold != 10 || rs.Inhibit {
		t.Errorf("group real server = %+v", rs)
	}
	if g.Quorum != 3 || g.Hysteresis != 1 || g.Sorry == nil || !g.Sorry.Inhibit || g.Sorry.Dest.DestKey.String() != "10.9.9.9:80" {
		t.Errorf("group quorum/sorry = %+v / %+v", g, g.Sorry)
	}

	tun := p.VirtualServers[1].Pool.Reals[0]
	// TUN keeps the packet, so the real server's port is the service's.
	if tun.Dest.DestKey != (ipvs.DestKey{Addr: netip.MustParseAddr("10.1.0.2"), Port: 443}) || tun.Dest.TunnelType != ipvs.GUE ||
		tun.Dest.TunnelPort != 6080 || tun.Dest.TunnelFlags != ipvs.TunnelChecksum || !tun.Inhibit {
		t.Errorf("TUN real server = %+v", tun)
	}
	if n := p.VirtualServers[1].Notify.String(); n != "[10.0.0.9]:tcp:443" {
		t.Errorf("notify name %q", n)
	}

	fw := p.VirtualServers[2].Pool
	if k := fw.Services[0].ServiceKey; k.Family != ipvs.INET6 || k.FWMark != 5 {
		t.Errorf("fwmark service key = %+v", k)
	}
}

func TestPlanScriptsAndAlerts(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "n.sh")
	writeFile(t, script, "#!/bin/sh\n", 0o755)
	conf := fmt.Sprintf(`
global_defs {
 smtp_alert
}
virtual_server 10.0.0.1 80 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 quorum_up "%[1]s up"
 real_server 10.1.0.1 80 {
  smtp_alert off
  notify_down "%[1]s down x"
 }
 real_server 10.1.0.2 80 {
  notify_up %[2]s/absent.sh
 }
}
`, script, dir)
	p := BuildPlan(loadConfig(t, dir, conf))
	vs := p.VirtualServers[0]
	if vs.Quorum.Up == nil || !slices.Equal(vs.Quorum.Up.Argv, []string{script, "up"}) || vs.Quorum.Down != nil {
		t.Errorf("quorum scripts = %+v", vs.Quorum)
	}
	if d := vs.Reals[0].Scripts.Down; d == nil || !slices.Equal(d.Argv, []string{script, "down", "x"}) {
		t.Errorf("notify_down = %+v", d)
	}
	// A script that does not exist is disabled, as keepalived does.
	if vs.Reals[1].Scripts.Up != nil {
		t.Errorf("missing notify_up script kept: %+v", vs.Reals[1].Scripts.Up)
	}
	if !vs.SMTPAlert || vs.Reals[0].SMTPAlert || !vs.Reals[1].SMTPAlert {
		t.Errorf("smtp_alert: vs %v rs %v %v, want true false true", vs.SMTPAlert, vs.Reals[0].SMTPAlert, vs.Reals[1].SMTPAlert)
	}
}

func TestCheckBodies(t *testing.T) {
	for _, tc := range []struct {
		kind   healthcheck.Kind
		up     bool
		reason string
		want   string
	}{
		{healthcheck.KindTCP, false, "refused", "=> TCP CHECK failed on service <="},
		{healthcheck.KindTCP, true, "", "=> TCP CHECK succeed on service <="},
		{healthcheck.KindHTTP, false, "HTTP status code error", "=> CHECK failed on service : HTTP status code error <="},
		{healthcheck.KindHTTP, true, "passed", "=> CHECK succeed on service <="},
		{healthcheck.KindMisc, false, "exit 1", "=> MISC CHECK failed on service <="},
		{healthcheck.KindPing, false, "", "=> ICMP CHECK failed on service <="},
		{healthcheck.KindDNS, true, "", "=> DNS_CHECK: succeed on service <="},
	} {
		if got := checkBody(tc.kind, tc.up, tc.reason); got != tc.want {
			t.Errorf("checkBody(%s, %v, %q) = %q, want %q", tc.kind, tc.up, tc.reason, got, tc.want)
		}
	}
}

func TestPlanEveryCheckerKind(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "chk.sh")
	writeFile(t, script, "#!/bin/sh\nexit 0\n", 0o755)
	weightFile := filepath.Join(dir, "w")
	conf := fmt.Sprintf(`
track_file tf {
 file %[2]s
 weight 3
}
virtual_server 10.0.0.1 80 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 10.1.0.1 80 {
  TCP_CHECK { }
  HTTP_GET {
   url { path /
         digest 9b3a0c85a887a256d6939da88aabd8cd }
  }
  SSL_GET {
   url { path /health }
  }
  SMTP_CHECK {
   helo_name me.example
   host {
    connect_ip 10.1.0.5
   }
   host {
    connect_ip 10.1.0.6
    connect_port 2525
   }
  }
  DNS_CHECK {
   type A
   name example.com
  }
  UDP_CHECK {
   payload 0102
   require_reply 0X
  }
  PING_CHECK { }
  MISC_CHECK {
   misc_path "%[1]s arg"
  }
  FILE_CHECK {
   track_file tf
  }
 }
}
`, script, weightFile)
	p := BuildPlan(loadConfig(t, dir, conf))
	for _, d := range p.Diagnostics {
		t.Errorf("diagnostic: %s", config.Format(d))
	}
	var got []string
	for _, c := range p.VirtualServers[0].Reals[0].Health.Checks {
		got = append(got, fmt.Sprintf("%s=%s", c.Name, c.Checker.Kind()))
	}
	want := []string{
		"TCP_CHECK#1=TCP_CHECK", "HTTP_GET#1=HTTP_GET", "SSL_GET#1=SSL_GET",
		// Each deprecated host{} block is a checker of its own.
		"SMTP_CHECK#1/host1=SMTP_CHECK", "SMTP_CHECK#1/host2=SMTP_CHECK",
		"DNS_CHECK#1=DNS_CHECK", "UDP_CHECK#1=UDP_CHECK", "PING_CHECK#1=PING_CHECK",
		"MISC_CHECK#1=MISC_CHECK", "FILE_CHECK#1=FILE_CHECK",
	}
	if !slices.Equal(got, want) {
		t.Errorf("checks:\n got %q\nwant %q", got, want)
	}
}
