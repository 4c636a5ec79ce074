package lvs

import (
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/config/ident"
	"github.com/alived/alived/config/syntax"
	"github.com/alived/alived/healthcheck"
	"github.com/alived/alived/ipvs"
	"github.com/alived/alived/status"
)

// overrideConf has no checkers: the tests drive health themselves
// (rig.health), so every transition is deterministic.
const overrideConf = `
virtual_server 10.0.0.1 80 {
 lvs_sched wrr
 lvs_method NAT
 protocol TCP
 quorum 3
 sorry_server 10.0.9.9 80
 real_server 10.0.1.1 80 {
  weight 3
 }
 real_server 10.0.1.2 80 {
  weight 2
 }
 real_server 10.0.1.3 80 {
  weight 1
  inhibit_on_failure
 }
}
virtual_server 10.0.0.2 443 {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 10.0.2.1 443 {
  weight 1
 }
 real_server 10.0.2.2 443 {
  weight 1
 }
}
`

const (
	svc1 = "TCP 10.0.0.1:80"
	svc2 = "TCP 10.0.0.2:443"
)

var (
	vs1 = mustVS("10.0.0.1:80/tcp")
	vs2 = mustVS("10.0.0.2:443")
	rsA = mustRS("10.0.1.1:80")
	rsB = mustRS("10.0.1.2:80")
	rsC = mustRS("10.0.1.3:80")
)

func mustVS(s string) ident.VS {
	v, err := ident.ParseVS(s)
	if err != nil {
		panic(err)
	}
	return v
}

func mustRS(s string) *ident.RS {
	r, err := ident.ParseRS(s)
	if err != nil {
		panic(err)
	}
	return &r
}

// health reports a health change of real server key (ADDR:PORT) of
// virtual server vs (plan name) as the scheduler would, and waits until
// the loop applied it.
func (r *rig) health(vs, key string, up bool) {
	r.t.Helper()
	r.loop.do(func() {
		id := rsID{vs, key}
		from := r.sub.live[id].state
		to := from
		to.Up = up
		r.sub.apply(healthcheck.Transition{VirtualServer: vs, RealServer: key, From: from, To: to, Reason: "test"})
	})
}

// set runs SetOverride on the loop and returns the kernel's destinations
// of svc as they are when SetOverride returns, in the same loop turn.
func (r *rig) set(vs ident.VS, rs *ident.RS, o Override, svc string) (string, error) {
	var err error
	var dests string
	r.loop.do(func() {
		err = r.sub.SetOverride(time.Now(), vs, rs, o)
		dests = r.dests(svc)
	})
	return dests, err
}

func (r *rig) clear(vs ident.VS, rs *ident.RS, svc string) string {
	r.t.Helper()
	var err error
	var dests string
	r.loop.do(func() {
		err = r.sub.ClearOverride(time.Now(), vs, rs)
		dests = r.dests(svc)
	})
	if err != nil {
		r.t.Fatalf("ClearOverride(%s, %s): %v", vs, rsName(rs), err)
	}
	return dests
}

// realStatus returns real server id (ident name) of the first virtual
// server with ID vs in the snapshot.
func realStatus(t *testing.T, s Snapshot, vs, id string) status.RealServer {
	t.Helper()
	for _, v := range s.VirtualServers {
		if v.ID != vs {
			continue
		}
		for _, rs := range v.RealServers {
			if rs.ID == id {
				return rs
			}
		}
	}
	t.Fatalf("no real server %s of %s in %+v", id, vs, s.VirtualServers)
	return status.RealServer{}
}

const allUp1 = "10.0.1.1:80=3 10.0.1.2:80=2 10.0.1.3:80=1"

// A drain reaches the kernel in the loop turn that sets it (the same
// reconcile a checker's transition takes), survives the server failing
// and recovering, and clearing it restores what health says then.
func TestDrainSameTurnSurvivesFlapAndReadyRestoresHealth(t *testing.T) {
	r := startRig(t, overrideConf, nil)
	if got := r.dests(svc1); got != normDests(allUp1) {
		t.Fatalf("start: %s", got)
	}
	got, err := r.set(vs1, rsA, Override{Kind: status.OverrideDrain}, svc1)
	if err != nil {
		t.Fatal(err)
	}
	if want := normDests("10.0.1.1:80=0 10.0.1.2:80=2 10.0.1.3:80=1"); got != want {
		t.Fatalf("in the SetOverride turn the kernel holds %s, want %s", got, want)
	}
	s := realStatus(t, r.snapshot(), "10.0.0.1:80/tcp", "10.0.1.1:80")
	if s.Override == nil || s.Override.Kind != status.OverrideDrain || s.EffectiveWeight != 0 || !s.InTable || s.Override.Since.IsZero() {
		t.Errorf("drained server status = %+v (override %+v)", s, s.Override)
	}

	// The server fails (no inhibit_on_failure: health alone would remove
	// it) and recovers: the drain holds it at weight 0 throughout.
	r.health(svc1, "10.0.1.1:80", false)
	if got := r.dests(svc1); got != normDests("10.0.1.1:80=0 10.0.1.2:80=2 10.0.1.3:80=1") {
		t.Errorf("drained server after failing: %s", got)
	}
	r.health(svc1, "10.0.1.1:80", true)
	if got := r.dests(svc1); got != normDests("10.0.1.1:80=0 10.0.1.2:80=2 10.0.1.3:80=1") {
		t.Errorf("drained server after recovering: %s", got)
	}

	// ready while health says down: the server leaves the table, as
	// health alone would have it.
	r.health(svc1, "10.0.1.1:80", false)
	if got := r.clear(vs1, rsA, svc1); got != normDests("10.0.1.2:80=2 10.0.1.3:80=1") {
		t.Errorf("ready with the server down: %s", got)
	}
	r.health(svc1, "10.0.1.1:80", true)
	if got := r.dests(svc1); got != normDests(allUp1) {
		t.Errorf("after ready and recovery: %s", got)
	}
	if s := realStatus(t, r.snapshot(), "10.0.0.1:80/tcp", "10.0.1.1:80"); s.Override != nil {
		t.Errorf("override still shown after ready: %+v", s.Override)
	}
}

// Quorum and the sorry server see effective weights: a drained server
// contributes 0, as a weight-0 server does in keepalived, yet stays in
// the table at weight 0 while the sorry server has the traffic.
func TestDrainCountsZeroTowardQuorum(t *testing.T) {
	r := startRig(t, overrideConf, nil)
	// Live weight 6, quorum 3. Draining A (3) and B (2) leaves 1.
	for _, rs := range []*ident.RS{rsA, rsB} {
		if _, err := r.set(vs1, rs, Override{Kind: status.OverrideDrain}, svc1); err != nil {
			t.Fatal(err)
		}
	}
	vs := r.snapshot().VirtualServers[0]
	if vs.QuorumUp || vs.WeightSum != 1 || !vs.SorryActive {
		t.Errorf("quorum up %v, weight sum %d, sorry %v; want lost, 1, active", vs.QuorumUp, vs.WeightSum, vs.SorryActive)
	}
	// The drained servers stay at weight 0; C keeps its place at 0
	// (inhibit_on_failure), the sorry server takes the traffic.
	if got, want := r.dests(svc1), normDests("10.0.1.1:80=0 10.0.1.2:80=0 10.0.1.3:80=0 10.0.9.9:80=1"); got != want {
		t.Errorf("with quorum lost: %s, want %s", got, want)
	}
	r.clear(vs1, rsA, svc1)
	if vs := r.snapshot().VirtualServers[0]; !vs.QuorumUp || vs.WeightSum != 4 {
		t.Errorf("after ready: quorum up %v, weight sum %d", vs.QuorumUp, vs.WeightSum)
	}
	if got, want := r.dests(svc1), normDests("10.0.1.1:80=3 10.0.1.2:80=0 10.0.1.3:80=1"); got != want {
		t.Errorf("after ready: %s, want %s", got, want)
	}
}

// maint takes the destination out of the table (even with
// inhibit_on_failure), health changes do not bring it back, ready does.
func TestMaintRemovesDestination(t *testing.T) {
	r := startRig(t, overrideConf, nil)
	got, err := r.set(vs1, rsC, Override{Kind: status.OverrideMaint}, svc1)
	if err != nil {
		t.Fatal(err)
	}
	if want := normDests("10.0.1.1:80=3 10.0.1.2:80=2"); got != want {
		t.Fatalf("maint: %s, want %s", got, want)
	}
	r.health(svc1, "10.0.1.3:80", false)
	r.health(svc1, "10.0.1.3:80", true)
	if got := r.dests(svc1); got != normDests("10.0.1.1:80=3 10.0.1.2:80=2") {
		t.Errorf("maint after a flap: %s", got)
	}
	if vs := r.snapshot().VirtualServers[0]; vs.WeightSum != 5 {
		t.Errorf("weight sum %d with C in maint, want 5", vs.WeightSum)
	}
	if got := r.clear(vs1, rsC, svc1); got != normDests(allUp1) {
		t.Errorf("after ready: %s", got)
	}
}

// A virtual server's maint or drain applies to all its real servers and
// wins over a real server's weaker override.
func TestVirtualServerOverride(t *testing.T) {
	r := startRig(t, overrideConf, nil)
	if _, err := r.set(vs2, mustRS("10.0.2.1:443"), Override{Kind: status.OverrideWeight, Weight: 5}, svc2); err != nil {
		t.Fatal(err)
	}
	got, err := r.set(vs2, nil, Override{Kind: status.OverrideDrain}, svc2)
	if err != nil {
		t.Fatal(err)
	}
	if want := normDests("10.0.2.1:443=0 10.0.2.2:443=0"); got != want {
		t.Errorf("virtual server drained: %s, want %s", got, want)
	}
	snap := r.snapshot()
	if o := snap.VirtualServers[1].Override; o == nil || o.Kind != status.OverrideDrain {
		t.Errorf("virtual server override = %+v", o)
	}
	if o := realStatus(t, snap, "10.0.0.2:443/tcp", "10.0.2.2:443").Override; o == nil || !o.Inherited || o.Kind != status.OverrideDrain {
		t.Errorf("inherited override = %+v", o)
	}
	got, err = r.set(vs2, nil, Override{Kind: status.OverrideMaint}, svc2)
	if err != nil || got != "" {
		t.Errorf("virtual server in maint: %q (%v), want no destinations", got, err)
	}
	// Clearing the virtual server's override uncovers the real server's.
	if got := r.clear(vs2, nil, svc2); got != normDests("10.0.2.1:443=5 10.0.2.2:443=1") {
		t.Errorf("after ready: %s", got)
	}
	if _, err := r.set(vs2, nil, Override{Kind: status.OverrideWeight, Weight: 2}, svc2); err == nil {
		t.Error("a weight override of a whole virtual server was accepted")
	}
}

// weight N replaces the configured weight; health still decides whether
// the server is in the table.
func TestWeightOverrideHealthStillApplies(t *testing.T) {
	r := startRig(t, overrideConf, nil)
	got, err := r.set(vs1, rsB, Override{Kind: status.OverrideWeight, Weight: 7}, svc1)
	if err != nil {
		t.Fatal(err)
	}
	if want := normDests("10.0.1.1:80=3 10.0.1.2:80=7 10.0.1.3:80=1"); got != want {
		t.Fatalf("weight 7: %s, want %s", got, want)
	}
	r.health(svc1, "10.0.1.2:80", false)
	if got := r.dests(svc1); got != normDests("10.0.1.1:80=3 10.0.1.3:80=1") {
		t.Errorf("weight override with the server failing: %s", got)
	}
	r.health(svc1, "10.0.1.2:80", true)
	if got := r.dests(svc1); got != normDests("10.0.1.1:80=3 10.0.1.2:80=7 10.0.1.3:80=1") {
		t.Errorf("weight override after recovery: %s", got)
	}
	if s := realStatus(t, r.snapshot(), "10.0.0.1:80/tcp", "10.0.1.2:80"); s.Override == nil || s.Override.Weight != 7 || s.HealthWeight != 2 {
		t.Errorf("status = %+v (override %+v)", s, s.Override)
	}
}

// Bad requests are refused with a clear, typed error and change nothing.
func TestOverrideErrorsChangeNothing(t *testing.T) {
	r := startRig(t, overrideConf, nil)
	before := r.dests(svc1)
	var nf *NotFoundError
	if _, err := r.set(mustVS("10.9.9.9:80"), nil, Override{Kind: status.OverrideDrain}, svc1); !errors.As(err, &nf) || nf.RS != nil ||
		!strings.Contains(err.Error(), "10.9.9.9:80/tcp") {
		t.Errorf("unknown virtual server: %v", err)
	}
	if _, err := r.set(vs1, mustRS("10.0.1.9:80"), Override{Kind: status.OverrideDrain}, svc1); !errors.As(err, &nf) || nf.RS == nil ||
		!strings.Contains(err.Error(), "10.0.1.9:80") {
		t.Errorf("unknown real server: %v", err)
	}
	// The same address over UDP is another virtual server.
	if _, err := r.set(mustVS("10.0.0.1:80/udp"), rsA, Override{Kind: status.OverrideDrain}, svc1); !errors.As(err, &nf) {
		t.Errorf("virtual server of another protocol: %v", err)
	}
	for _, o := range []Override{
		{Kind: status.OverrideWeight, Weight: -1},
		{Kind: status.OverrideWeight, Weight: healthcheck.MaxWeight + 1},
		{Kind: "offline"},
		{},
		{Kind: status.OverrideDrain, Weight: 3},
	} {
		if _, err := r.set(vs1, rsA, o, svc1); err == nil || errors.As(err, &nf) {
			t.Errorf("%+v: error %v, want a validation error", o, err)
		}
	}
	var err error
	r.loop.do(func() { err = r.sub.ClearOverride(time.Now(), vs1, mustRS("10.0.1.9:80")) })
	if !errors.As(err, &nf) {
		t.Errorf("clearing an unknown real server: %v", err)
	}
	if got := r.dests(svc1); got != before {
		t.Errorf("refused requests changed the kernel: %s, was %s", got, before)
	}
	var set OverrideSet
	r.loop.do(func() { set = r.sub.Overrides() })
	if len(set.Overrides) != 0 {
		t.Errorf("refused requests left overrides: %+v", set.Overrides)
	}
	if _, err := r.set(vs1, rsA, Override{Kind: status.OverrideWeight, Weight: healthcheck.MaxWeight}, svc1); err != nil {
		t.Errorf("the largest weight was refused: %v", err)
	}
}

// Overrides are keyed by identity: a reload that keeps the server keeps
// its override (even when its weight changed), one that removes it drops
// the override and says so.
func TestOverridesSurviveReload(t *testing.T) {
	r := startRig(t, overrideConf, nil)
	if _, err := r.set(vs1, rsA, Override{Kind: status.OverrideDrain}, svc1); err != nil {
		t.Fatal(err)
	}
	if _, err := r.set(vs2, nil, Override{Kind: status.OverrideMaint}, svc2); err != nil {
		t.Fatal(err)
	}
	if err := r.reload(overrideConf); err != nil {
		t.Fatal(err)
	}
	if got := r.dests(svc1); got != normDests("10.0.1.1:80=0 10.0.1.2:80=2 10.0.1.3:80=1") {
		t.Errorf("after reloading the same configuration: %s", got)
	}
	if got := r.dests(svc2); got != "" {
		t.Errorf("maintained virtual server after reload: %s", got)
	}
	// A's weight changes, a real server is added to the maintained
	// virtual server, C is removed.
	changed := strings.NewReplacer(
		" quorum 3", " quorum 1",
		"  weight 3", "  weight 4",
		" real_server 10.0.2.2 443 {", " real_server 10.0.2.3 443 {\n  weight 1\n }\n real_server 10.0.2.2 443 {",
	).Replace(overrideConf)
	if _, err := r.set(vs1, rsC, Override{Kind: status.OverrideWeight, Weight: 9}, svc1); err != nil {
		t.Fatal(err)
	}
	changed = strings.Replace(changed, " real_server 10.0.1.3 80 {\n  weight 1\n  inhibit_on_failure\n }\n", "", 1)
	if err := r.reload(changed); err != nil {
		t.Fatal(err)
	}
	if got := r.dests(svc1); got != normDests("10.0.1.1:80=0 10.0.1.2:80=2") {
		t.Errorf("after a reload that changed A's weight and removed C: %s", got)
	}
	if got := r.dests(svc2); got != "" {
		t.Errorf("the real server a reload added to a maintained virtual server is in the table: %s", got)
	}
	var set OverrideSet
	var dropped []OverrideEntry
	r.loop.do(func() { set, dropped = r.sub.Overrides(), r.sub.DroppedOverrides() })
	if len(dropped) != 1 || dropped[0].RealServer != "10.0.1.3:80" || dropped[0].Kind != status.OverrideWeight {
		t.Errorf("dropped = %+v, want C's weight override", dropped)
	}
	if len(set.Overrides) != 2 {
		t.Errorf("overrides after reload = %+v", set.Overrides)
	}
	// Removing the drained server's virtual server altogether drops the
	// drain; the server coming back later starts without it.
	if err := r.reload(strings.Replace(changed, "virtual_server 10.0.0.1 80", "virtual_server 10.0.0.3 80", 1)); err != nil {
		t.Fatal(err)
	}
	if err := r.reload(overrideConf); err != nil {
		t.Fatal(err)
	}
	if got := r.dests(svc1); got != normDests(allUp1) {
		t.Errorf("a dropped override came back: %s", got)
	}
}

// The override set survives a restart: marshalled, read back and restored
// before Start, it is in force when the table is first written.
func TestOverridesRoundTripAndRestore(t *testing.T) {
	r := startRig(t, overrideConf, nil)
	for _, c := range []struct {
		vs ident.VS
		rs *ident.RS
		o  Override
	}{
		{vs1, rsA, Override{Kind: status.OverrideDrain}},
		{vs1, rsB, Override{Kind: status.OverrideWeight, Weight: 5}},
		{vs2, nil, Override{Kind: status.OverrideMaint}},
	} {
		if _, err := r.set(c.vs, c.rs, c.o, svc1); err != nil {
			t.Fatal(err)
		}
	}
	var set OverrideSet
	r.loop.do(func() { set = r.sub.Overrides() })
	b, err := MarshalOverrides(set)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalOverrides(b)
	if err != nil {
		t.Fatalf("reading back %s: %v", b, err)
	}
	if len(back.Overrides) != 3 || back.Version != OverrideSetVersion {
		t.Fatalf("read back %+v from %s", back, b)
	}
	for i := range set.Overrides {
		a, z := set.Overrides[i], back.Overrides[i]
		if a.VirtualServer != z.VirtualServer || a.RealServer != z.RealServer || a.Kind != z.Kind || a.Weight != z.Weight || !a.Since.Equal(z.Since) {
			t.Errorf("entry %d: %+v read back as %+v", i, a, z)
		}
	}

	// A restart: a new Subsystem gets the set (plus an entry for a server
	// the configuration lacks and a malformed one) before Start.
	back.Overrides = append(back.Overrides,
		OverrideEntry{VirtualServer: "10.0.0.1:80/tcp", RealServer: "10.0.1.9:80", Kind: status.OverrideDrain},
		OverrideEntry{VirtualServer: "10.0.0.1:80", RealServer: "nonsense", Kind: status.OverrideDrain})
	r2 := &rig{t: t, loop: newTestLoop(t), fake: ipvs.NewFake(), dir: t.TempDir()}
	sub, err := New(Options{Post: r2.loop.post, Client: r2.fake})
	if err != nil {
		t.Fatal(err)
	}
	r2.sub = sub
	var errs []error
	r2.loop.do(func() { errs = sub.RestoreOverrides(back) })
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "nonsense") {
		t.Errorf("restore errors = %v, want one for the malformed entry", errs)
	}
	cfg := loadConfig(t, r2.dir, overrideConf)
	r2.loop.do(func() { err = sub.Start(time.Now(), cfg) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r2.loop.do(func() { sub.Stop(time.Now()) }) })
	if got, want := r2.dests(svc1), normDests("10.0.1.1:80=0 10.0.1.2:80=5 10.0.1.3:80=1"); got != want {
		t.Errorf("restored table %s, want %s", got, want)
	}
	if got := r2.dests(svc2); got != "" {
		t.Errorf("restored maint: %s", got)
	}
	var again OverrideSet
	var dropped []OverrideEntry
	r2.loop.do(func() { again, dropped = sub.Overrides(), sub.DroppedOverrides() })
	if len(dropped) != 1 || dropped[0].RealServer != "10.0.1.9:80" {
		t.Errorf("dropped at start = %+v, want the unknown real server", dropped)
	}
	if len(again.Overrides) != 3 {
		t.Fatalf("restored overrides = %+v", again.Overrides)
	}
	for i := range again.Overrides {
		a, z := set.Overrides[i], again.Overrides[i]
		if a.VirtualServer != z.VirtualServer || a.RealServer != z.RealServer || a.Kind != z.Kind || a.Weight != z.Weight || !a.Since.Equal(z.Since) {
			t.Errorf("restored entry %d = %+v, want %+v (start time kept)", i, z, a)
		}
	}
}

func TestUnmarshalOverridesRejectsCorruptFiles(t *testing.T) {
	for name, text := range map[string]string{
		"truncated":  `{"version":1,"overrides":[{"virtual_server":"10.0.0.1:80/tcp"`,
		"not json":   "drain 10.0.0.1:80\n",
		"no version": `{"overrides":[]}`,
		"newer":      `{"version":99,"overrides":[]}`,
		"wrong type": `{"version":1,"overrides":{}}`,
	} {
		if _, err := UnmarshalOverrides([]byte(text)); err == nil {
			t.Errorf("%s: accepted %q", name, text)
		}
	}
	// Unknown fields (a later minor addition) are ignored.
	set, err := UnmarshalOverrides([]byte(`{"version":1,"writer":"x","overrides":[{"virtual_server":"fwmark:7","kind":"maint","note":"rack 4"}]}`))
	if err != nil || len(set.Overrides) != 1 || set.Overrides[0].Kind != status.OverrideMaint {
		t.Errorf("tolerant decoding: %+v, %v", set, err)
	}
	b, err := MarshalOverrides(OverrideSet{})
	if err != nil || !strings.Contains(string(b), `"version": 1`) || !strings.Contains(string(b), `"overrides": []`) {
		t.Errorf("empty set marshals as %s (%v)", b, err)
	}
}

// A drain completes at the first counters read after it started that
// finds no connections; until then the status shows them counting down.
func TestDrainedAtFollowsConnectionCounters(t *testing.T) {
	f := &signalFake{Fake: ipvs.NewFake(), reads: make(chan struct{})}
	svc := ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}
	dA := ipvs.DestKey{Addr: netip.MustParseAddr("10.0.1.1"), Port: 80}
	f.SetCounters(svc, dA, ipvs.Counters{ActiveConns: 4, InactiveConns: 2})
	r := startRig(t, overrideConf, func(o *Options) { o.Client, o.StatsInterval = f, time.Millisecond })
	awaitReads(t, f.reads, 2, "no counters read")
	if s := realStatus(t, r.snapshot(), "10.0.0.1:80/tcp", "10.0.1.1:80"); s.Override != nil {
		t.Fatalf("override before any: %+v", s.Override)
	}
	start := time.Now()
	if _, err := r.set(vs1, rsA, Override{Kind: status.OverrideDrain}, svc1); err != nil {
		t.Fatal(err)
	}
	// The third read to start was begun after the drain, and the fourth
	// starting means it is stored.
	awaitReads(t, f.reads, 3, "no counters read after the drain")
	o := realStatus(t, r.snapshot(), "10.0.0.1:80/tcp", "10.0.1.1:80").Override
	if o == nil || o.ActiveConns != 4 || o.InactiveConns != 2 || !o.DrainedAt.IsZero() {
		t.Fatalf("draining with connections: %+v", o)
	}
	f.SetCounters(svc, dA, ipvs.Counters{ActiveConns: 1})
	awaitReads(t, f.reads, 3, "no counters read")
	if o := realStatus(t, r.snapshot(), "10.0.0.1:80/tcp", "10.0.1.1:80").Override; o.ActiveConns != 1 || o.InactiveConns != 0 || !o.DrainedAt.IsZero() {
		t.Fatalf("counting down: %+v", o)
	}
	f.SetCounters(svc, dA, ipvs.Counters{})
	awaitReads(t, f.reads, 3, "no counters read")
	o = realStatus(t, r.snapshot(), "10.0.0.1:80/tcp", "10.0.1.1:80").Override
	if o.ActiveConns != 0 || o.DrainedAt.IsZero() || o.DrainedAt.Before(start) {
		t.Fatalf("drained: %+v, want drained_at after %v", o, start)
	}
	first := o.DrainedAt
	awaitReads(t, f.reads, 2, "no counters read")
	if o := realStatus(t, r.snapshot(), "10.0.0.1:80/tcp", "10.0.1.1:80").Override; !o.DrainedAt.Equal(first) {
		t.Errorf("drained_at moved from %v to %v with no connections", first, o.DrainedAt)
	}
	// A connection comes back (persistence): not drained any more.
	f.SetCounters(svc, dA, ipvs.Counters{InactiveConns: 1})
	awaitReads(t, f.reads, 3, "no counters read")
	if o := realStatus(t, r.snapshot(), "10.0.0.1:80/tcp", "10.0.1.1:80").Override; !o.DrainedAt.IsZero() {
		t.Errorf("drained_at %v with a connection back", o.DrainedAt)
	}
}

// An operator action is not a failure: drain and maint run no notify
// script; a real health change afterwards still does.
func TestOverridesRunNoNotifyScripts(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "notes")
	script := noteScript(t, dir, out)
	conf := strings.Replace(overrideConf, "  weight 2\n", "  weight 2\n  notify_up \""+script+" up\"\n  notify_down \""+script+" down\"\n", 1)
	r := startRig(t, conf, nil)
	if _, err := r.set(vs1, rsB, Override{Kind: status.OverrideMaint}, svc1); err != nil {
		t.Fatal(err)
	}
	r.clear(vs1, rsB, svc1)
	if _, err := r.set(vs1, rsB, Override{Kind: status.OverrideDrain}, svc1); err != nil {
		t.Fatal(err)
	}
	// Scripts run in order: once the health change's note is there, any
	// note the overrides caused would be there before it.
	r.health(svc1, "10.0.1.2:80", false)
	got := waitFile(t, out, 5*time.Second, "down")
	if got != "down\n" {
		t.Errorf("notes = %q, want only the health change's", got)
	}
}

// Every kind of virtual server gets the identity operators address it
// by, and overrides reach fwmark and group services too.
func TestIdentitiesOfEveryKind(t *testing.T) {
	r := startRigLax(t, `
virtual_server_group web {
 10.0.0.5 80
 10.0.0.6 80
}
virtual_server group web {
 lvs_sched rr
 lvs_method NAT
 protocol TCP
 real_server 10.0.5.1 8080 {
  weight 2
 }
}
virtual_server fwmark 7 {
 lvs_sched rr
 lvs_method DR
 real_server 10.0.7.1 80 {
  weight 1
 }
}
virtual_server 2001:db8::1 443 {
 lvs_sched rr
 lvs_method NAT
 protocol UDP
 real_server 2001:db8::2 443 {
  weight 1
 }
}
`)
	var ids []string
	for _, vs := range r.snapshot().VirtualServers {
		ids = append(ids, vs.ID+" "+vs.RealServers[0].ID)
	}
	want := []string{"group:web/tcp 10.0.5.1:8080", "fwmark:7 10.0.7.1:80", "[2001:db8::1]:443/udp [2001:db8::2]:443"}
	if strings.Join(ids, ", ") != strings.Join(want, ", ") {
		t.Errorf("identities %q, want %q", ids, want)
	}
	got, err := r.set(mustVS("group:web"), mustRS("10.0.5.1:8080"), Override{Kind: status.OverrideDrain}, "TCP 10.0.0.6:80")
	if err != nil || got != "10.0.5.1:8080=0" {
		t.Errorf("draining a group's real server: %q, %v", got, err)
	}
	if got := r.dests("TCP 10.0.0.5:80"); got != "10.0.5.1:8080=0" {
		t.Errorf("the group's other service: %q", got)
	}
	// With DR on a fwmark service the kernel's port is 0; the override
	// names the configured one.
	if got := r.dests("FWM 7"); got != "10.0.7.1:0=1" {
		t.Fatalf("fwmark service: %q", got)
	}
	if got, err := r.set(mustVS("fwmark:7"), mustRS("10.0.7.1:80"), Override{Kind: status.OverrideWeight, Weight: 4}, "FWM 7"); err != nil || got != "10.0.7.1:0=4" {
		t.Errorf("weight of a fwmark service's real server: %q, %v", got, err)
	}
	if got, err := r.set(mustVS("fwmark:7"), nil, Override{Kind: status.OverrideMaint}, "FWM 7"); err != nil || got != "" {
		t.Errorf("maint of a fwmark service: %q, %v", got, err)
	}
}

// startRigLax is startRig for a configuration keepalived repairs with an
// error-level diagnostic (a port on a fwmark service's real server).
func startRigLax(t *testing.T, text string) *rig {
	t.Helper()
	r := &rig{t: t, loop: newTestLoop(t), fake: ipvs.NewFake(), dir: t.TempDir()}
	cfg := loadConfigUpTo(t, r.dir, text, syntax.Error)
	sub, err := New(Options{Post: r.loop.post, Client: r.fake})
	if err != nil {
		t.Fatal(err)
	}
	r.sub = sub
	r.loop.do(func() { err = sub.Start(time.Now(), cfg) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.loop.do(func() { sub.Stop(time.Now()) }) })
	return r
}
