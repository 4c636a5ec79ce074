package vrrp

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// ruleConfig is a plain v2 instance without GARP repeats, so action lists
// stay short.
func ruleConfig(prio uint8) Config {
	c := DefaultConfig()
	c.Name, c.VRID, c.Priority = "VI_1", 1, prio
	c.PrimaryAddr = netip.MustParseAddr("10.0.0.5")
	c.VIPs = []netip.Addr{vip1}
	c.GARPMasterRepeat = 0
	return c
}

// acts renders actions without timers, for compact comparison.
func acts(as []Action) string {
	var out []string
	for _, a := range as {
		if a.Kind != ActSetTimer {
			out = append(out, a.String())
		}
	}
	return strings.Join(out, "; ")
}

func advertFrom(in *Instance, prio uint8) *Advert {
	a := peerAdvert(in.cfg, prio)
	return &a
}

// master returns an instance that has just become master at t0.
func master(t *testing.T, c Config) *Instance {
	t.Helper()
	in := started(t, c)
	in.Tick(in.NextDeadline())
	if in.State() != StateMaster {
		t.Fatalf("state %v after master-down timer", in.State())
	}
	in.Ready()
	return in
}

func TestTimers(t *testing.T) {
	us := time.Microsecond
	tests := []struct {
		name       string
		version    uint8
		interval   time.Duration
		prio       uint8
		downAdv    int
		skew, down time.Duration
	}{
		// v2: (256−p)/256 s whatever the interval.
		{"v2 prio 100", 2, time.Second, 100, 3, 609375 * us, 3*time.Second + 609375*us},
		{"v2 prio 254", 2, 3 * time.Second, 254, 3, 7812 * us, 9*time.Second + 7812*us},
		{"v2 down_timer_adverts 5", 2, time.Second, 100, 5, 609375 * us, 5*time.Second + 609375*us},
		// v3: the same fraction of the (master's) interval, in µs.
		{"v3 1s prio 100", 3, time.Second, 100, 3, 609375 * us, 3*time.Second + 609375*us},
		{"v3 10ms prio 200", 3, 10 * time.Millisecond, 200, 3, 2187 * us, 30*time.Millisecond + 2187*us},
		{"v3 40.95s prio 1", 3, 40950 * time.Millisecond, 1, 1, 40790039 * us, 40950*time.Millisecond + 40790039*us},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ruleConfig(tt.prio)
			c.Version, c.AdvertInterval, c.DownTimerAdverts = tt.version, tt.interval, tt.downAdv
			in := started(t, c)
			if got := in.skew(tt.prio); got != tt.skew {
				t.Errorf("skew = %v, want %v", got, tt.skew)
			}
			if got := in.NextDeadline().Sub(t0); got != tt.down {
				t.Errorf("start-up master-down = %v, want %v", got, tt.down)
			}
		})
	}
}

func TestStartup(t *testing.T) {
	t.Run("owner is master at once, advert first", func(t *testing.T) {
		in, _ := New(ruleConfig(255))
		_ = in.Start(t0)
		if in.State() != StateMaster {
			t.Fatalf("owner state %v", in.State())
		}
		if got := acts(in.Ready()); got != "send-advert prio=255; add-vips; notify INIT->MASTER prio=255" {
			t.Errorf("actions %q", got)
		}
	})
	t.Run("state MASTER waits one interval plus minimum skew", func(t *testing.T) {
		c := ruleConfig(150)
		c.InitialMaster = true
		in := started(t, c)
		if got, want := in.NextDeadline().Sub(t0), time.Second+3906*time.Microsecond; got != want {
			t.Errorf("deadline %v, want %v", got, want)
		}
	})
	t.Run("weight-0 tracker down starts in FAULT", func(t *testing.T) {
		in, _ := New(ruleConfig(100))
		in.SetTracker(t0, "eth0", 0, false)
		_ = in.Start(t0)
		if in.State() != StateFault || !in.NextDeadline().IsZero() {
			t.Errorf("state %v deadline %v", in.State(), in.NextDeadline())
		}
		if got := acts(in.Ready()); got != "notify INIT->FAULT prio=100" {
			t.Errorf("actions %q", got)
		}
	})
	t.Run("start twice", func(t *testing.T) {
		in := started(t, ruleConfig(100))
		if in.Start(t0) == nil {
			t.Error("second Start accepted")
		}
	})
}

func TestBackup(t *testing.T) {
	now := t0.Add(time.Second)
	t.Run("priority 0 cuts the timer to the skew", func(t *testing.T) {
		in := started(t, ruleConfig(100))
		_ = in.StepAdvert(now, advertFrom(in, 0), peerSrc)
		if got := in.NextDeadline().Sub(now); got != 609375*time.Microsecond {
			t.Errorf("deadline +%v, want the skew 609.375ms", got)
		}
	})
	t.Run("higher priority restarts master-down and is recorded", func(t *testing.T) {
		in := started(t, ruleConfig(100))
		_ = in.StepAdvert(now, advertFrom(in, 150), peerSrc)
		s := in.Snapshot()
		if got := in.NextDeadline().Sub(now); got != in.masterDown() || s.MasterAddr != peerSrc || s.MasterPriority != 150 {
			t.Errorf("deadline +%v, master %v/%d", got, s.MasterAddr, s.MasterPriority)
		}
	})
	t.Run("equal priority is accepted whatever the address", func(t *testing.T) {
		in := started(t, ruleConfig(100))
		_ = in.StepAdvert(now, advertFrom(in, 100), netip.MustParseAddr("10.0.0.1"))
		if got := in.NextDeadline().Sub(now); got != in.masterDown() {
			t.Errorf("equal priority from a lower address was discarded: +%v", got)
		}
	})
	t.Run("lower priority is discarded when preempting", func(t *testing.T) {
		in := started(t, ruleConfig(100))
		before := in.NextDeadline()
		_ = in.StepAdvert(now, advertFrom(in, 50), peerSrc)
		if !in.NextDeadline().Equal(before) {
			t.Error("lower-priority advert restarted the timer")
		}
	})
	t.Run("nopreempt accepts lower priority", func(t *testing.T) {
		c := ruleConfig(100)
		c.NoPreempt = true
		in := started(t, c)
		_ = in.StepAdvert(now, advertFrom(in, 50), peerSrc)
		if got := in.NextDeadline().Sub(now); got != in.masterDown() {
			t.Errorf("nopreempt discarded a lower priority: +%v", got)
		}
	})
	t.Run("nopreempt is ignored by the owner", func(t *testing.T) {
		c := ruleConfig(255)
		c.NoPreempt = true
		in, _ := New(c)
		if in.cfg.NoPreempt {
			t.Error("owner kept nopreempt")
		}
	})
	t.Run("preempt_delay accepts lower priority until it expires", func(t *testing.T) {
		c := ruleConfig(100)
		c.PreemptDelay = 10 * time.Second
		in := started(t, c)
		_ = in.StepAdvert(now, advertFrom(in, 50), peerSrc)
		if got := in.NextDeadline().Sub(now); got != in.masterDown() {
			t.Fatalf("first lower advert not accepted: +%v", got)
		}
		late := now.Add(10 * time.Second)
		_ = in.StepAdvert(late.Add(-time.Millisecond), advertFrom(in, 50), peerSrc)
		before := in.NextDeadline()
		_ = in.StepAdvert(late, advertFrom(in, 50), peerSrc)
		if !in.NextDeadline().Equal(before) {
			t.Error("lower advert accepted after preempt_delay expired")
		}
	})
	t.Run("down timer expiry becomes master in keepalived's order", func(t *testing.T) {
		c := ruleConfig(100)
		c.HasVirtualRoutes, c.HasVirtualRules, c.GARPMasterRepeat = true, true, 5
		in := started(t, c)
		at := in.NextDeadline()
		in.Tick(at.Add(-time.Nanosecond))
		if in.State() != StateBackup {
			t.Fatal("became master before the deadline")
		}
		in.Tick(at)
		want := "send-advert prio=100; add-vips; add-routes; add-rules; send-garp repeat=5; notify BACKUP->MASTER prio=100"
		if got := acts(in.Ready()); got != want {
			t.Errorf("actions %q\nwant    %q", got, want)
		}
		if in.Stats().BecomeMaster != 1 {
			t.Error("become_master not counted")
		}
	})
}

func TestMaster(t *testing.T) {
	now := t0.Add(10 * time.Second)
	lowerAddr, higherAddr := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.9")
	tests := []struct {
		name  string
		cfg   func(*Config)
		prio  uint8
		src   netip.Addr
		state State
		want  string
	}{
		{"priority 0 answered at once", nil, 0, peerSrc, StateMaster, "send-advert prio=100"},
		{"lower priority forces an election", nil, 50, peerSrc, StateMaster,
			"send-advert prio=100; notify-master-rx-lower-pri prio=50"},
		{"lower_prio_no_advert", func(c *Config) { c.LowerPrioNoAdvert = true }, 50, peerSrc, StateMaster,
			"notify-master-rx-lower-pri prio=50"},
		{"garp_lower_prio_repeat", func(c *Config) { c.GARPLowerPrioRepeat = 2 }, 50, peerSrc, StateMaster,
			"send-advert prio=100; send-garp repeat=2; notify-master-rx-lower-pri prio=50"},
		{"equal priority from lower address", nil, 100, lowerAddr, StateMaster,
			"send-advert prio=100; notify-master-rx-lower-pri prio=100"},
		{"equal priority from higher address", nil, 100, higherAddr, StateBackup,
			"remove-vips; notify MASTER->BACKUP prio=100"},
		{"higher priority", nil, 150, peerSrc, StateBackup, "remove-vips; notify MASTER->BACKUP prio=100"},
		{"higher_prio_send_advert", func(c *Config) { c.HigherPrioSendAdvert = true }, 150, peerSrc, StateBackup,
			"send-advert prio=100; remove-vips; notify MASTER->BACKUP prio=100"},
		{"routes and rules released in reverse", func(c *Config) { c.HasVirtualRoutes, c.HasVirtualRules = true, true },
			150, peerSrc, StateBackup, "remove-rules; remove-routes; remove-vips; notify MASTER->BACKUP prio=100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ruleConfig(100)
			if tt.cfg != nil {
				tt.cfg(&c)
			}
			in := master(t, c)
			_ = in.StepAdvert(now, advertFrom(in, tt.prio), tt.src)
			if in.State() != tt.state {
				t.Errorf("state %v, want %v", in.State(), tt.state)
			}
			if got := acts(in.Ready()); got != tt.want {
				t.Errorf("actions %q\nwant    %q", got, tt.want)
			}
		})
	}
	t.Run("yielding adopts the new master and its timers", func(t *testing.T) {
		c := ruleConfig(100)
		c.Version, c.AdvertInterval = 3, time.Second
		in := master(t, c)
		a := advertFrom(in, 150)
		a.Interval = 50
		_ = in.StepAdvert(now, a, peerSrc)
		if got, want := in.NextDeadline().Sub(now), 3*500*time.Millisecond+in.skew(100); got != want {
			t.Errorf("master-down +%v, want %v from the new master's 500ms", got, want)
		}
		if in.Stats().ReleaseMaster != 1 {
			t.Error("release_master not counted")
		}
	})
	t.Run("lower-priority GARP second burst", func(t *testing.T) {
		c := ruleConfig(100)
		c.GARPLowerPrioRepeat, c.GARPLowerPrioDelay = 2, 3*time.Second
		in := master(t, c)
		_ = in.StepAdvert(now, advertFrom(in, 50), peerSrc)
		in.Ready()
		in.Tick(now.Add(3 * time.Second))
		if got := acts(in.Ready()); !strings.Contains(got, "send-garp repeat=2") {
			t.Errorf("no second lower-priority burst: %q", got)
		}
	})
	t.Run("adverts every interval", func(t *testing.T) {
		in := master(t, ruleConfig(100))
		start := in.NextDeadline()
		in.Tick(start)
		if got := acts(in.Ready()); got != "send-advert prio=100" || in.NextDeadline().Sub(start) != time.Second {
			t.Errorf("actions %q, next +%v", got, in.NextDeadline().Sub(start))
		}
	})
}

func TestTwoOwners(t *testing.T) {
	now := t0.Add(time.Second)
	t.Run("lower address yields", func(t *testing.T) {
		in, _ := New(ruleConfig(255))
		_ = in.Start(t0)
		_ = in.StepAdvert(now, advertFrom(in, 255), netip.MustParseAddr("10.0.0.9"))
		if in.State() != StateBackup || in.EffectivePriority() != 255 {
			t.Errorf("state %v prio %d", in.State(), in.EffectivePriority())
		}
	})
	t.Run("higher address drops to 254 after two adverts", func(t *testing.T) {
		c := ruleConfig(255)
		c.NotifyPriorityChanges = true
		in, _ := New(c)
		_ = in.Start(t0)
		rogue := netip.MustParseAddr("10.0.0.1")
		_ = in.StepAdvert(now, advertFrom(in, 255), rogue)
		if in.State() != StateMaster {
			t.Fatalf("yielded after one advert: %v", in.State())
		}
		in.Ready()
		_ = in.StepAdvert(now.Add(time.Second), advertFrom(in, 255), rogue)
		if in.State() != StateBackup || in.EffectivePriority() != 254 {
			t.Errorf("state %v prio %d, want BACKUP at 254", in.State(), in.EffectivePriority())
		}
		if got := acts(in.Ready()); !strings.HasPrefix(got, "notify-priority prio=254") {
			t.Errorf("actions %q", got)
		}
	})
}

func TestStopAndFault(t *testing.T) {
	now := t0.Add(10 * time.Second)
	t.Run("master stop sends priority 0", func(t *testing.T) {
		in := master(t, ruleConfig(100))
		_ = in.Stop(now)
		if got := acts(in.Ready()); got != "send-advert prio=0; remove-vips; notify MASTER->STOP prio=100" {
			t.Errorf("actions %q", got)
		}
		if s := in.Stats(); s.PriZeroSent != 1 || in.State() != StateStop || !in.NextDeadline().IsZero() {
			t.Errorf("pri_zero_sent %d state %v deadline %v", s.PriZeroSent, in.State(), in.NextDeadline())
		}
		if in.Stop(now) == nil || in.StepAdvert(now, advertFrom(in, 1), peerSrc) == nil {
			t.Error("a stopped instance accepted input")
		}
	})
	t.Run("backup stop sends nothing", func(t *testing.T) {
		in := started(t, ruleConfig(100))
		_ = in.Stop(now)
		if got := acts(in.Ready()); got != "notify BACKUP->STOP prio=100" {
			t.Errorf("actions %q", got)
		}
	})
	t.Run("master to fault sends priority 0", func(t *testing.T) {
		in := master(t, ruleConfig(100))
		in.SetTracker(now, "eth0", 0, false)
		if got := acts(in.Ready()); got != "send-advert prio=0; remove-vips; notify MASTER->FAULT prio=100" {
			t.Errorf("actions %q", got)
		}
		in.SetTracker(now.Add(time.Second), "eth0", 0, true)
		if in.State() != StateBackup || in.NextDeadline().Sub(now.Add(time.Second)) != in.masterDown() {
			t.Errorf("after recovery: %v, +%v", in.State(), in.NextDeadline().Sub(now))
		}
	})
	t.Run("fault ignores adverts", func(t *testing.T) {
		in := started(t, ruleConfig(100))
		in.SetTracker(now, "eth0", 0, false)
		if in.StepAdvert(now, advertFrom(in, 1), peerSrc) == nil {
			t.Error("FAULT stepped an advert")
		}
	})
}

func TestEffectivePriority(t *testing.T) {
	type tr struct {
		w  int
		up bool
	}
	tests := []struct {
		base uint8
		trs  []tr
		want uint8
	}{
		{100, nil, 100},
		{100, []tr{{50, true}}, 150},
		{100, []tr{{50, false}}, 100},
		{100, []tr{{-30, false}}, 70},
		{100, []tr{{-30, true}}, 100},
		{100, []tr{{100, true}, {100, true}}, 254},
		{100, []tr{{-253, false}}, 1},
		{255, []tr{{-100, false}}, 255},
		{254, []tr{{10, true}}, 254},
		{100, []tr{{0, false}}, 100},
	}
	for _, tt := range tests {
		in, _ := New(ruleConfig(tt.base))
		for i, x := range tt.trs {
			in.SetTracker(t0, string(rune('a'+i)), x.w, x.up)
		}
		if got := in.EffectivePriority(); got != tt.want {
			t.Errorf("base %d trackers %v: %d, want %d", tt.base, tt.trs, got, tt.want)
		}
	}
}

// TestSetTimerActions: every change of the earliest deadline is reported,
// and the report matches NextDeadline.
func TestSetTimerActions(t *testing.T) {
	c := ruleConfig(100)
	c.GARPMasterRepeat, c.GARPMasterDelay = 1, 2*time.Second
	in, _ := New(c)
	_ = in.Start(t0)
	check := func(what string) {
		t.Helper()
		as := in.Ready()
		i := slices.IndexFunc(as, func(a Action) bool { return a.Kind == ActSetTimer })
		if i < 0 || !as[i].At.Equal(in.NextDeadline()) {
			t.Errorf("%s: set-timer %v, NextDeadline %v", what, as, in.NextDeadline())
		}
	}
	check("start")
	in.Tick(in.NextDeadline())
	check("become master")
	_ = in.Stop(t0.Add(5 * time.Second))
	check("stop")
}

func TestSyncGroupRules(t *testing.T) {
	mk := func(name string, vrid uint8) *Instance {
		c := ruleConfig(100)
		c.Name, c.VRID = name, vrid
		in, _ := New(c)
		return in
	}
	t.Run("a faulty member starts the group in FAULT", func(t *testing.T) {
		a, b := mk("a", 1), mk("b", 2)
		g, err := NewSyncGroup("G", a, b)
		if err != nil {
			t.Fatal(err)
		}
		a.SetTracker(t0, "eth0", 0, false)
		_ = a.Start(t0)
		_ = b.Start(t0)
		if a.State() != StateFault || b.State() != StateFault || g.State() != StateFault {
			t.Errorf("states %v %v group %v", a.State(), b.State(), g.State())
		}
		if got := acts(a.Ready()); got != "notify INIT->FAULT prio=100; notify group=G INIT->FAULT" {
			t.Errorf("a: %q", got)
		}
		for _, x := range a.Ready() {
			if x.Group != "" && x.Priority != 0 {
				t.Error("group notify must carry priority 0")
			}
		}
	})
	t.Run("master only when every member's timer expired, then all together", func(t *testing.T) {
		a, b := mk("a", 1), mk("b", 2)
		_, _ = NewSyncGroup("G", a, b)
		_ = a.Start(t0)
		_ = b.Start(t0.Add(time.Second)) // b's own timer is later
		a.Tick(a.NextDeadline())
		if a.State() != StateBackup {
			t.Fatalf("a became %v while b still hears a master", a.State())
		}
		// b hears a live master: a must keep waiting.
		_ = b.StepAdvert(t0.Add(2*time.Second), advertFrom(b, 150), peerSrc)
		b.Tick(b.NextDeadline().Add(-time.Nanosecond))
		if a.State() != StateBackup || b.State() != StateBackup {
			t.Fatalf("states %v %v", a.State(), b.State())
		}
		b.Tick(b.NextDeadline())
		if a.State() != StateMaster || b.State() != StateMaster {
			t.Errorf("after both timers expired: a %v b %v, want both MASTER", a.State(), b.State())
		}
	})
	t.Run("membership rules", func(t *testing.T) {
		a := mk("a", 1)
		_, _ = NewSyncGroup("G", a)
		if _, err := NewSyncGroup("H", a); err == nil {
			t.Error("an instance joined two groups")
		}
		s := started(t, ruleConfig(100))
		if _, err := NewSyncGroup("H", s); err == nil {
			t.Error("a started instance joined a group")
		}
	})
}

func TestResetStats(t *testing.T) {
	in := master(t, ruleConfig(100))
	old := in.ResetStats()
	if old.BecomeMaster != 1 || old.AdvertSent != 1 || in.Stats() != (Stats{}) {
		t.Errorf("ResetStats returned %+v, left %+v", old, in.Stats())
	}
}

func TestConfigValidate(t *testing.T) {
	for name, mut := range map[string]func(*Config){
		"vrid 0":            func(c *Config) { c.VRID = 0 },
		"priority 0":        func(c *Config) { c.Priority = 0 },
		"version 4":         func(c *Config) { c.Version = 4 },
		"v2 ipv6":           func(c *Config) { c.IPv6 = true },
		"v2 fraction":       func(c *Config) { c.AdvertInterval = 1500 * time.Millisecond },
		"v3 too long":       func(c *Config) { c.Version, c.AdvertInterval = 3, 41*time.Second },
		"v3 auth":           func(c *Config) { c.Version, c.AuthType = 3, AuthPass },
		"AH":                func(c *Config) { c.AuthType = AuthAH },
		"vip family":        func(c *Config) { c.VIPs = []netip.Addr{netip.MustParseAddr("fd00::1")} },
		"no primary":        func(c *Config) { c.PrimaryAddr = netip.Addr{} },
		"group not mcast":   func(c *Config) { c.MulticastGroup = vip1 },
		"peer ttl":          func(c *Config) { c.UnicastPeers = []Peer{{Addr: vip2, MinTTL: 9, MaxTTL: 3}} },
		"down adverts":      func(c *Config) { c.DownTimerAdverts = 0 },
		"preempt too long":  func(c *Config) { c.PreemptDelay = 1001 * time.Second },
		"negative garp":     func(c *Config) { c.GARPMasterRepeat = -1 },
		"multicast as peer": func(c *Config) { c.UnicastPeers = []Peer{{Addr: MulticastGroup4}} },
	} {
		c := ruleConfig(100)
		mut(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(ruleConfig(100)); err != nil {
		t.Errorf("good config refused: %v", err)
	}
}
