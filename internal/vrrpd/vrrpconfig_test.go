package vrrpd

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/vrrp"
)

// fakeIfaces is an ifaceLookup over a fixed table.
func fakeIfaces(m map[string]ifaceInfo) ifaceLookup {
	return func(name string) (ifaceInfo, error) {
		if i, ok := m[name]; ok {
			return i, nil
		}
		return ifaceInfo{}, errors.New("no such interface")
	}
}

var testIfaces = fakeIfaces(map[string]ifaceInfo{
	"eth0": {Index: 2, Addrs: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.100/24"), // a VIP left over from a previous run
		netip.MustParsePrefix("10.0.0.1/24"),
		netip.MustParsePrefix("fd00::1/64"),
		netip.MustParsePrefix("fe80::1/64"),
	}},
	"eth1": {Index: 3, Addrs: []netip.Prefix{netip.MustParsePrefix("192.168.1.1/24")}},
})

// loadConf parses text as a keepalived.conf.
func loadConf(t *testing.T, text string) *config.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Load(p, config.LoadOptions{Hostname: "test"})
	for _, d := range diags {
		t.Logf("diag: %s", config.Format(d))
	}
	if cfg == nil {
		t.Fatal("config did not load")
	}
	return cfg
}

func TestMapInstanceDefaultsAndSource(t *testing.T) {
	cfg := loadConf(t, `
vrrp_script chk {
    script "/bin/true"
    weight -20
}
track_file tf {
    file /tmp/x
    weight 3 reverse
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 120
    advert_int 2
    nopreempt
    authentication {
        auth_type PASS
        auth_pass 12345678abc
    }
    virtual_ipaddress {
        10.0.0.100/24
        10.0.0.101/24 dev eth1 label eth1:vip
    }
    track_interface {
        eth1 weight 10
    }
    track_script {
        chk
    }
    track_file {
        tf weight -5
    }
}
`)
	s, err := mapInstance(&cfg.Global, cfg, cfg.Instances[0], testIfaces)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Core
	if c.VRID != 51 || c.Priority != 120 || c.Version != 2 || c.AdvertInterval != 2*time.Second || !c.InitialMaster {
		t.Errorf("core basics: %+v", c)
	}
	if c.AuthType != vrrp.AuthPass || c.AuthPass != "12345678" {
		t.Errorf("auth %v %q", c.AuthType, c.AuthPass)
	}
	// The source is the first address that is not a VIP.
	if c.PrimaryAddr != netip.MustParseAddr("10.0.0.1") || s.Sock.Source != c.PrimaryAddr {
		t.Errorf("primary %v, socket source %v; want 10.0.0.1", c.PrimaryAddr, s.Sock.Source)
	}
	if s.Sock.Unicast || s.Sock.Ifindex != 2 {
		t.Errorf("socket %+v", s.Sock)
	}
	if len(s.VIPs) != 2 || s.VIPs[1].Ifindex != 3 || s.VIPs[1].Label != "eth1:vip" {
		t.Errorf("VIPs %+v", s.VIPs)
	}
	want := []trackRef{
		{Kind: trackInterface, Name: "eth0"},
		{Kind: trackInterface, Name: "eth1", Weight: 10},
		{Kind: trackScript, Name: "chk", Weight: -20},
		// The entry's own weight brings its own (default) direction.
		{Kind: trackFile, Name: "tf", Weight: -5},
	}
	if len(s.Trackers) != len(want) {
		t.Fatalf("trackers %+v, want %+v", s.Trackers, want)
	}
	for i := range want {
		if s.Trackers[i] != want[i] {
			t.Errorf("tracker %d: %+v, want %+v", i, s.Trackers[i], want[i])
		}
	}
}

func TestMapInstanceIPv6UnicastAndErrors(t *testing.T) {
	cfg := loadConf(t, `
vrrp_instance V6 {
    interface eth0
    virtual_router_id 7
    advert_int 0.5
    virtual_ipaddress {
        fd00::100/64
    }
}
vrrp_instance UNI {
    interface eth0
    virtual_router_id 8
    unicast_src_ip 10.0.0.1
    unicast_peer {
        10.0.0.2
    }
    virtual_ipaddress {
        10.0.0.200
    }
}
vrrp_instance NOIF {
    interface eth9
    virtual_router_id 9
    virtual_ipaddress {
        10.0.0.201
    }
}
`)
	v6, err := mapInstance(&cfg.Global, cfg, cfg.Instance("V6"), testIfaces)
	if err != nil {
		t.Fatal(err)
	}
	if !v6.Core.IPv6 || v6.Core.Version != 3 || v6.Core.PrimaryAddr != netip.MustParseAddr("fe80::1") {
		t.Errorf("v6: ipv6=%v version=%d primary=%v; want link-local source", v6.Core.IPv6, v6.Core.Version, v6.Core.PrimaryAddr)
	}
	if !v6.VIPs[0].NoDAD || v6.VIPs[0].PreferredLft == nil {
		t.Error("IPv6 VIPs must skip DAD with a preferred lifetime, as keepalived adds them")
	}
	uni, err := mapInstance(&cfg.Global, cfg, cfg.Instance("UNI"), testIfaces)
	if err != nil {
		t.Fatal(err)
	}
	if !uni.Sock.Unicast || len(uni.Core.UnicastPeers) != 1 || uni.Key.Unicast != true {
		t.Errorf("unicast mapping: %+v", uni.Sock)
	}
	if uni.Key == v6.Key {
		t.Error("different instances share a reload key")
	}
	_, err = mapInstance(&cfg.Global, cfg, cfg.Instance("NOIF"), testIfaces)
	if err == nil || !strings.Contains(err.Error(), "eth9") {
		t.Errorf("missing interface: %v", err)
	}
}

func TestAddStats(t *testing.T) {
	a := vrrp.Stats{AdvertRcvd: 3, BecomeMaster: 1}
	b := vrrp.Stats{AdvertRcvd: 4, PriZeroSent: 2}
	got := addStats(a, b)
	if got.AdvertRcvd != 7 || got.BecomeMaster != 1 || got.PriZeroSent != 2 {
		t.Errorf("addStats = %+v", got)
	}
}
