package lvs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/alived/alived/config"
	"github.com/alived/alived/config/syntax"
	"github.com/alived/alived/internal/testenv"
	"github.com/alived/alived/ipvs"
)

// The plan is the one translation of virtual servers into IPVS services
// (the benchmark and the VM differential use it too). These tests run it
// over the differential fixtures, which keepalived 2.2.7 programs into the
// same kernel table in the VM test, and pin the choices made where an
// older second translation disagreed with it.

// fixtureTable builds the desired table of a differential fixture with
// every real server up.
func fixtureTable(t *testing.T, name string) ipvs.Table {
	t.Helper()
	c := config.Check(filepath.Join("testdata", "differential", name), config.CheckOptions{Env: anyIf, Scripts: noScripts{}})
	if r := c.Refusals(false); len(r) > 0 {
		t.Fatalf("%s: %v", name, r)
	}
	p := ipvs.NewPool()
	p.SetConfig(BuildPlan(c.Config).PoolConfig())
	return p.Desired()
}

var anyIf = &config.Env{Interface: func(string) (bool, bool) { return true, false }}

// noScripts is a host without users or files: every script is not found.
type noScripts struct{}

func (noScripts) Stat(string) (config.FileStat, error)      { return config.FileStat{}, fs.ErrNotExist }
func (noScripts) LookPath(string) (string, error)           { return "", fs.ErrNotExist }
func (noScripts) LookupUser(string) (uint32, uint32, error) { return 0, 0, fs.ErrNotExist }
func (noScripts) LookupGroup(string) (uint32, error)        { return 0, fs.ErrNotExist }

func TestTranslationGroupsExpand(t *testing.T) {
	got := fixtureTable(t, "groups.conf")
	var keys []string
	for _, k := range got.Keys() {
		keys = append(keys, k.String())
		if len(got[k].Dests) != 2 {
			t.Errorf("%s has %d destinations, want the group's 2", k, len(got[k].Dests))
		}
	}
	want := "TCP 10.0.0.10:80,TCP 10.0.0.11:80,TCP 10.0.0.12:80,TCP 10.0.0.20:8080,FWM 7"
	if strings.Join(keys, ",") != want {
		t.Fatalf("group expanded to %v, want %s", keys, want)
	}
}

// find returns the service of got whose key prints as key.
func find(t *testing.T, got ipvs.Table, key string) ipvs.VirtualService {
	t.Helper()
	for k, vs := range got {
		if k.String() == key {
			return vs
		}
	}
	t.Fatalf("no service %s in %v", key, got.Keys())
	return ipvs.VirtualService{}
}

func TestTranslationPersistenceAndFlags(t *testing.T) {
	got := fixtureTable(t, "persistence.conf")
	if p := find(t, got, "TCP 10.0.0.4:443").Service; p.Flags&ipvs.Persistent == 0 || p.Timeout != 600 || p.MaskBits != 24 {
		t.Errorf("persistence: %+v", p)
	}
	if sh := find(t, got, "TCP 10.0.0.4:80").Service; sh.Timeout != 360 || sh.Flags != ipvs.Persistent|ipvs.SchedFlag1|ipvs.SchedFlag2 {
		t.Errorf("bare persistence_timeout and sh flags: %+v", sh)
	}
	mh := find(t, got, "TCP 10.0.0.4:81")
	if mh.Service.Flags != ipvs.SchedFlag2 || mh.SortedDests()[0].Forward != ipvs.DirectRoute {
		t.Errorf("mh-port / DR: %+v", mh)
	}
}

func TestTranslationMethods(t *testing.T) {
	got := fixtureTable(t, "methods.conf")
	ds := find(t, got, "TCP 10.0.0.2:443").Dests
	dest := func(a string) ipvs.Destination {
		for _, d := range ds {
			if d.Addr.String() == a {
				return d
			}
		}
		t.Fatalf("no destination %s", a)
		return ipvs.Destination{}
	}
	if d := dest("10.1.0.5"); d.Forward != ipvs.Tunnel || d.TunnelType != ipvs.GUE || d.TunnelPort != 6080 || d.TunnelFlags != ipvs.TunnelChecksum {
		t.Errorf("gue tunnel: %+v", d)
	}
	if d := dest("10.1.0.10"); d.Forward != ipvs.Tunnel || d.TunnelType != ipvs.GRE {
		t.Errorf("gre tunnel: %+v", d)
	}
	if d := dest("10.1.0.6"); d.Forward != ipvs.Masquerade || d.UpperThreshold != 100 || d.LowerThreshold != 10 || d.Weight != 5 {
		t.Errorf("NAT with thresholds: %+v", d)
	}
	if d := dest("10.1.0.3"); d.Forward != ipvs.DirectRoute || d.Weight != 2 {
		t.Errorf("DR default: %+v", d)
	}
	if svc := find(t, got, "UDP 10.0.0.3:53").Service; svc.Flags != ipvs.OnePacket || svc.Scheduler != "rr" {
		t.Errorf("UDP ops service: %+v", svc)
	}
	if svc := find(t, got, "SCTP 10.0.0.3:3868").Service; svc.Scheduler != "rr" {
		t.Errorf("SCTP service: %+v", svc)
	}
}

func TestTranslationSorryInhibit(t *testing.T) {
	got := find(t, fixtureTable(t, "sorry.conf"), "TCP 10.0.0.5:80")
	w := map[string]uint32{}
	for _, d := range got.Dests {
		w[d.DestKey.String()] = d.Weight
	}
	if len(w) != 2 || w["10.1.0.20:80"] != 0 || w["10.1.0.21:80"] != 1 {
		t.Errorf("sorry_server_inhibit while quorum is up: %v", w)
	}
}

// planOf builds the plan of conf, accepting diagnostics up to worst.
func planOf(t *testing.T, conf string, worst syntax.Severity) *Plan {
	t.Helper()
	return BuildPlan(loadConfigUpTo(t, t.TempDir(), conf, worst))
}

// TestTranslationPinned pins each point where the removed
// ipvs.FromConfig disagreed with the plan, with keepalived 2.2.7's
// behaviour (its check_parser.c and ipvswrapper.c, and `keepalived -t`).
func TestTranslationPinned(t *testing.T) {
	service := func(p *Plan, i int) ipvs.Service { return p.VirtualServers[i].Pool.Services[0] }
	dest := func(p *Plan, i int) ipvs.Destination { return p.VirtualServers[i].Pool.Reals[0].Dest }

	t.Run("granularity without timeout is persistent", func(t *testing.T) {
		// pgr_handler sets persistence_timeout to 360 when none is set;
		// ipvs_set_srule applies the netmask only to a persistent
		// service. (The old copy set the mask on a non-persistent one.)
		p := planOf(t, `virtual_server 10.0.0.1 80 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 persistence_granularity 255.255.0.0
 real_server 10.1.0.1 80 {
 }
}
virtual_server 10.0.0.1 81 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 persistence_granularity 255.255.0.0
 persistence_timeout 50
 real_server 10.1.0.1 81 {
 }
}`, syntax.Warning)
		if s := service(p, 0); s.Flags != ipvs.Persistent || s.Timeout != 360 || s.MaskBits != 16 {
			t.Errorf("granularity alone: %+v, want persistent 360 s /16", s)
		}
		if s := service(p, 1); s.Flags != ipvs.Persistent || s.Timeout != 50 || s.MaskBits != 16 {
			t.Errorf("granularity then timeout: %+v, want persistent 50 s /16", s)
		}
	})

	t.Run("scheduler flags", func(t *testing.T) {
		// Words after the scheduler name are ignored (lbalgo_handler);
		// sh-* flags count only under sh, mh-* under mh; the old copy
		// refused an unknown word and applied known ones.
		p := planOf(t, `virtual_server 10.0.0.1 80 {
 lvs_sched sh sh-port bogus
 lvs_method NAT
 protocol TCP
 real_server 10.1.0.1 80 {
 }
}
virtual_server 10.0.0.1 81 {
 lvs_sched mh
 sh-port
 mh-fallback
 flag-3
 lvs_method NAT
 protocol TCP
 real_server 10.1.0.1 81 {
 }
}`, syntax.Warning)
		if len(p.VirtualServers) != 2 {
			t.Fatalf("virtual servers %d, want 2 (an unknown word drops nothing)", len(p.VirtualServers))
		}
		if s := service(p, 0); s.Flags != 0 || s.Scheduler != "sh" {
			t.Errorf("lvs_sched sh sh-port bogus: %+v, want sh without flags", s)
		}
		if s := service(p, 1); s.Flags != ipvs.SchedFlag1|ipvs.SchedFlag3 {
			t.Errorf("mh with sh-port, mh-fallback, flag-3: %v, want flag-1|flag-3", s.Flags)
		}
	})

	t.Run("tunnel type is case-sensitive", func(t *testing.T) {
		// keepalived compares with strcmp: "GUE" is an unknown type (an
		// error), the method stays TUN with the default ipip and no port.
		// The old copy lower-cased it into a GUE tunnel.
		p := planOf(t, `virtual_server 10.0.0.1 80 {
 lvs_sched rr
 lvs_method TUN type GUE port 6080
 protocol TCP
 real_server 10.1.0.1 80 {
 }
}`, syntax.Error)
		if d := dest(p, 0); d.Forward != ipvs.Tunnel || d.TunnelType != ipvs.IPIP || d.TunnelPort != 0 {
			t.Errorf("TUN type GUE: %+v, want an ipip tunnel", d)
		}
	})

	t.Run("DR and TUN real servers take the service port", func(t *testing.T) {
		// validate_check_config resets a DR/TUN real server's port to the
		// service's, and clears it for a fwmark service; the old copy
		// kept the configured port.
		p := planOf(t, `virtual_server 10.0.0.1 80 {
 lvs_sched rr
 lvs_method DR
 protocol TCP
 real_server 10.1.0.1 8080 {
 }
}
virtual_server fwmark 9 {
 lvs_sched rr
 lvs_method TUN
 real_server 10.1.0.1 8080 {
 }
}
virtual_server 10.0.0.2 80 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 10.1.0.1 8080 {
 }
}`, syntax.Error)
		if got := []uint16{dest(p, 0).Port, dest(p, 1).Port, dest(p, 2).Port}; !slices.Equal(got, []uint16{80, 0, 8080}) {
			t.Errorf("real-server ports DR, fwmark TUN, NAT = %v, want [80 0 8080]", got)
		}
	})

	t.Run("quorum above total weight", func(t *testing.T) {
		// The config layer lowers it with keepalived's error; the plan
		// takes the lowered value (the old copy lowered it a second time).
		p := planOf(t, `virtual_server 10.0.0.1 80 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 quorum 10
 real_server 10.1.0.1 80 {
  weight 3
 }
}`, syntax.Error)
		if q := p.VirtualServers[0].Pool.Quorum; q != 3 {
			t.Errorf("quorum %d, want 3", q)
		}
	})

	t.Run("names", func(t *testing.T) {
		// Names stay stable across reloads and tell families and group
		// protocols apart ("FWM 7 inet", "group web TCP"); the old copy
		// dropped both.
		p := planOf(t, `virtual_server_group web {
 10.0.0.1 80
}
virtual_server group web {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 10.1.0.1 80 {
 }
}
virtual_server fwmark 7 {
 lvs_sched rr
 lvs_method NAT
 real_server 10.1.0.1 80 {
 }
}
virtual_server 10.0.0.9 80 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 10.1.0.1 80 {
 }
}`, syntax.Warning)
		var names []string
		for _, v := range p.VirtualServers {
			names = append(names, v.Name)
		}
		if want := []string{"group web TCP", "FWM 7 inet", "TCP 10.0.0.9:80"}; !slices.Equal(names, want) {
			t.Errorf("names %q, want %q", names, want)
		}
	})

	t.Run("duplicate virtual server", func(t *testing.T) {
		// keepalived -t says nothing and the kernel refuses the second
		// service; the plan keeps the first and warns. The old copy
		// passed both to the pool.
		p := planOf(t, `virtual_server 10.0.0.1 80 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 10.1.0.1 80 {
 }
}
virtual_server 10.0.0.1 80 {
 lvs_sched wrr
 lvs_method NAT
 protocol TCP
 real_server 10.1.0.2 80 {
 }
}`, syntax.Warning)
		if len(p.VirtualServers) != 1 || service(p, 0).Scheduler != "rr" || len(p.Diagnostics) != 1 ||
			!strings.Contains(p.Diagnostics[0].Msg, "defined twice") {
			t.Errorf("duplicate: %d virtual servers, diagnostics %v", len(p.VirtualServers), p.Diagnostics)
		}
	})
}

// TestMiscCheckScriptSecurity: MISC_CHECK scripts follow keepalived's
// script security as config.Check applies it to every script: under
// enable_script_security a root-run script that root's own group may
// write is secure (keepalived only distrusts groups other than gid 0),
// while one a non-root group may write is insecure and its checker is
// removed. healthcheck used to apply a stricter rule of its own (no group
// write at all), which refused the first.
func TestMiscCheckScriptSecurity(t *testing.T) {
	testenv.RequireRoot(t) // the rules are about root-owned files
	dir := t.TempDir()
	rootGroup := filepath.Join(dir, "rootgroup.sh")
	otherGroup := filepath.Join(dir, "othergroup.sh")
	for _, p := range []string{rootGroup, otherGroup} {
		writeFile(t, p, "#!/bin/sh\nexit 0\n", 0o775)
		if err := os.Chmod(p, 0o775); err != nil { // umask-proof
			t.Fatal(err)
		}
	}
	if err := os.Chown(rootGroup, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(otherGroup, 0, 5); err != nil {
		t.Fatal(err)
	}
	p := planOf(t, fmt.Sprintf(`global_defs {
 enable_script_security
 script_user root
}
virtual_server 10.0.0.1 80 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 10.1.0.1 80 {
  MISC_CHECK {
   misc_path %s
  }
 }
 real_server 10.1.0.2 80 {
  MISC_CHECK {
   misc_path %s
  }
 }
}`, rootGroup, otherGroup), syntax.Warning)
	reals := p.VirtualServers[0].Reals
	if len(reals[0].Health.Checks) != 1 {
		t.Errorf("root-group-writable script: checks %v, want its MISC_CHECK kept", reals[0].Health.Checks)
	}
	if len(reals[1].Health.Checks) != 0 {
		t.Errorf("script writable by group 5: checks %v, want its MISC_CHECK removed", reals[1].Health.Checks)
	}
}
