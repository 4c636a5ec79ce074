package vrrpd

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/alived/alived/vrrp"
)

const bfdConf = `
bfd_instance plain {
    neighbor_ip 10.0.0.2
}
bfd_instance heavy {
    neighbor_ip 10.0.0.3
    weight 30
}
bfd_instance rev {
    neighbor_ip 10.0.0.4
    weight -20 reverse
}
vrrp_instance VI {
    interface eth0
    virtual_router_id 7
    priority 100
    virtual_ipaddress {
        10.0.0.50
    }
    track_bfd {
        plain
        heavy
        rev
    }
}
vrrp_instance VO {
    interface eth0
    virtual_router_id 8
    priority 100
    virtual_ipaddress {
        10.0.0.51
    }
    track_bfd {
        heavy weight -10
    }
}
`

// TestTrackBFDMapping: a track_bfd entry takes the bfd_instance's weight
// and direction unless it gives its own.
func TestTrackBFDMapping(t *testing.T) {
	cfg := loadConf(t, bfdConf)
	got := map[string]string{}
	for _, v := range cfg.Instances {
		spec, err := mapInstance(&cfg.Global, cfg, v, testIfaces)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range spec.Trackers {
			if r.Kind == trackBFD {
				got[v.Name+"/"+r.id()] = fmt.Sprintf("%d/%v", r.Weight, r.Reverse)
			}
		}
	}
	want := map[string]string{"VI/bfd:plain": "0/false", "VI/bfd:heavy": "30/false", "VI/bfd:rev": "-20/true", "VO/bfd:heavy": "-10/false"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("trackers %v, want %v", got, want)
	}
}

// TestTrackBFDPriority: keepalived's track_bfd arithmetic (vrrp_track.c):
// weight 0 is FAULT while down (while up with reverse); a positive weight
// is added while up, a negative one subtracted while down; reverse
// negates the weight (subtract while up / add while down).
func TestTrackBFDPriority(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		weight  int
		reverse bool
		up      bool
		prio    int
		fault   bool
	}{
		{0, false, false, 100, true},
		{0, false, true, 100, false},
		{0, true, true, 100, true},
		{0, true, false, 100, false},
		{30, false, true, 130, false},
		{30, false, false, 100, false},
		{-20, false, true, 100, false},
		{-20, false, false, 80, false},
		{30, true, true, 70, false},
		{30, true, false, 100, false},
		{-20, true, true, 100, false},
		{-20, true, false, 120, false},
	} {
		t.Run(fmt.Sprintf("w%d/rev=%v/up=%v", tc.weight, tc.reverse, tc.up), func(t *testing.T) {
			cfg := loadConf(t, bfdConf)
			spec, err := mapInstance(&cfg.Global, cfg, cfg.Instances[0], testIfaces)
			if err != nil {
				t.Fatal(err)
			}
			// Only the one tracker under test.
			spec.Trackers = []trackRef{{Kind: trackBFD, Name: "s", Weight: tc.weight, Reverse: tc.reverse}}
			in, err := vrrp.New(spec.Core)
			if err != nil {
				t.Fatal(err)
			}
			c := &Subsystem{log: slog.New(slog.DiscardHandler), byName: map[string]*vrrpInst{}}
			x := &vrrpInst{spec: spec, in: in}
			c.insts = []*vrrpInst{x}
			c.applyBFD(now, x, spec.Trackers[0]) // start-up: never Up yet
			if err := in.Start(now); err != nil {
				t.Fatal(err)
			}
			c.bfdUp = map[string]bool{"s": tc.up}
			c.applyBFD(now, x, spec.Trackers[0])
			if got := int(in.EffectivePriority()); got != tc.prio {
				t.Errorf("priority %d, want %d", got, tc.prio)
			}
			if got := in.State() == vrrp.StateFault; got != tc.fault {
				t.Errorf("fault %v, want %v (state %v)", got, tc.fault, in.State())
			}
		})
	}
}

// TestTrackBFDStartsDown: before a session was ever Up a weight-0 track
// holds the instance in FAULT, as keepalived's bfd_up starts false.
func TestTrackBFDStartsDown(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := loadConf(t, bfdConf)
	spec, err := mapInstance(&cfg.Global, cfg, cfg.Instances[0], testIfaces)
	if err != nil {
		t.Fatal(err)
	}
	in, err := vrrp.New(spec.Core)
	if err != nil {
		t.Fatal(err)
	}
	c := &Subsystem{log: slog.New(slog.DiscardHandler), byName: map[string]*vrrpInst{}}
	x := &vrrpInst{spec: spec, in: in}
	for _, r := range spec.Trackers {
		if r.Kind == trackBFD {
			c.applyBFD(now, x, r)
		}
	}
	if err := in.Start(now); err != nil {
		t.Fatal(err)
	}
	if in.State() != vrrp.StateFault {
		t.Fatalf("state %v, want FAULT until plain is Up", in.State())
	}
}
