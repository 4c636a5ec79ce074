package vrrp

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// randomNet builds 2–5 routers with random priorities (distinct when
// distinct is set), one random VRRP version and interval, random delivery
// jitter and duplication. It returns the net and the largest master-down
// interval of any router, the bound the properties are stated in.
func randomNet(t *testing.T, seed uint64, distinct bool) (*simnet, time.Duration) {
	n := newSimnet(t, seed)
	r := n.rng
	count := 2 + r.IntN(4)
	version := uint8(2 + r.IntN(2))
	interval := time.Second
	if version == 3 {
		interval = time.Duration(1+r.IntN(100)) * 10 * time.Millisecond
	}
	n.delay = time.Duration(r.Int64N(int64(interval/10) + 1))
	n.jitter = time.Duration(r.Int64N(int64(interval/10) + 1))
	n.dupRate = 0.1 * r.Float64()
	used := map[uint8]bool{}
	var worst time.Duration
	for i := range count {
		cfg := nodeConfig(fmt.Sprintf("r%d", i), i)
		cfg.Version, cfg.AdvertInterval = version, interval
		for {
			cfg.Priority = uint8(1 + r.IntN(254))
			if !distinct || !used[cfg.Priority] {
				break
			}
		}
		used[cfg.Priority] = true
		// Shuffle addresses so the priority order and address order differ.
		cfg.PrimaryAddr = netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(200)), byte(i + 1)})
		nd := n.add(cfg)
		worst = max(worst, nd.in.masterDown())
	}
	return n, worst + n.delay + n.jitter
}

func startRandomly(n *simnet, spread time.Duration) {
	for _, nd := range n.nodes {
		n.runFor(time.Duration(n.rng.Int64N(int64(spread) + 1)))
		n.start(nd.name)
	}
}

func assertSingleMaster(t *testing.T, n *simnet, want *simnode, what string) {
	t.Helper()
	ms := n.masters()
	if len(ms) != 1 || ms[0] != want {
		var names []string
		for _, m := range ms {
			names = append(names, fmt.Sprintf("%s(prio %d, %v)", m.name, m.in.EffectivePriority(), m.addr))
		}
		t.Fatalf("%s: masters %v, want only %s(prio %d, %v)", what, names, want.name,
			want.in.EffectivePriority(), want.addr)
	}
}

// TestPropertyPartitionHeal: whatever the partition, once it heals there are
// never two masters for longer than one master-down interval, and the
// highest priority ends up the only master.
func TestPropertyPartitionHeal(t *testing.T) {
	for seed := range uint64(300) {
		n, bound := randomNet(t, seed, true)
		startRandomly(n, 2*bound)
		n.runFor(3 * bound)
		// Random split into two non-empty sides.
		var a, b []*simnode
		for i, nd := range n.nodes {
			if i == 0 || i != 1 && n.rng.IntN(2) == 0 {
				a = append(a, nd)
			} else {
				b = append(b, nd)
			}
		}
		n.partition(a, b)
		n.runFor(time.Duration(n.rng.Int64N(int64(5 * bound))))
		healed := n.now
		n.heal()
		n.runFor(5 * bound)
		if d := n.dualAfter(healed.Add(bound)); !d.IsZero() {
			t.Fatalf("seed %d: two masters at %v, %v after the heal (bound %v)", seed, d.Sub(n.epoch),
				d.Sub(healed), bound)
		}
		assertSingleMaster(t, n, expectedWinner(n.nodes), fmt.Sprintf("seed %d after heal", seed))
	}
}

// TestPropertyHighestPriorityWins: with preemption, the highest effective
// priority becomes the one master, whatever the start order, and again
// after tracked objects change the priorities.
func TestPropertyHighestPriorityWins(t *testing.T) {
	for seed := range uint64(300) {
		n, bound := randomNet(t, seed, true)
		startRandomly(n, 3*bound)
		n.runFor(3 * bound)
		assertSingleMaster(t, n, expectedWinner(n.nodes), fmt.Sprintf("seed %d after start", seed))
		for round := range 3 {
			nd := n.nodes[n.rng.IntN(len(n.nodes))]
			nd.in.SetTracker(n.now, "chk", n.rng.IntN(201)-100, n.rng.IntN(2) == 0)
			n.drain()
			if tiedAtTop(n.nodes) {
				// Equal priorities do not preempt each other: whoever is
				// master stays. Nothing to assert for this round.
				n.runFor(3 * bound)
				continue
			}
			n.runFor(3 * bound)
			assertSingleMaster(t, n, expectedWinner(n.nodes), fmt.Sprintf("seed %d round %d", seed, round))
		}
	}
}

func tiedAtTop(nodes []*simnode) bool {
	w := expectedWinner(nodes)
	for _, nd := range nodes {
		if nd != w && nd.in.EffectivePriority() == w.in.EffectivePriority() {
			return true
		}
	}
	return false
}

// TestPropertyEqualPriorityHighestAddressWins: routers of equal priority
// starting together elect the highest primary address.
func TestPropertyEqualPriorityHighestAddressWins(t *testing.T) {
	for seed := range uint64(200) {
		n, bound := randomNet(t, seed, false)
		p := n.nodes[0].in.cfg.Priority
		for _, nd := range n.nodes {
			cfg := nd.in.cfg
			cfg.Priority = p
			nd.in, _ = New(cfg)
		}
		var names []string
		for _, nd := range n.nodes {
			names = append(names, nd.name)
		}
		n.start(names...)
		n.runFor(4 * bound)
		assertSingleMaster(t, n, expectedWinner(n.nodes), fmt.Sprintf("seed %d", seed))
	}
}

// TestPropertyStoppedMasterReplacedWithinSkew: a master that stops sends
// priority 0, and the best backup takes over within its skew time (plus
// the delivery delay), not a master-down interval.
func TestPropertyStoppedMasterReplacedWithinSkew(t *testing.T) {
	for seed := range uint64(300) {
		n, bound := randomNet(t, seed, true)
		startRandomly(n, bound)
		n.runFor(3 * bound)
		old := n.masters()[0]
		stopped := n.now
		n.trace = n.trace[:0]
		n.verbose = true
		n.stop(old.name)
		next := expectedWinner(n.nodes)
		limit := n.delay + n.jitter + next.in.skew(next.in.EffectivePriority())
		n.runFor(3 * bound)
		assertSingleMaster(t, n, next, fmt.Sprintf("seed %d after stop", seed))
		took := next.becameMaster[len(next.becameMaster)-1].Sub(stopped)
		if took > limit {
			for _, l := range n.trace {
				t.Log(l)
			}
			t.Fatalf("seed %d: %s took over %v after the stop, want ≤ %v (skew + delay)", seed, next.name, took, limit)
		}
	}
}

// TestPropertyLossyNetworkConverges: adverts lost at random (up to half of
// them, duplicated and jittered too) may cause spurious takeovers, but once
// the loss stops the highest priority is the only master again within a
// few master-down intervals.
func TestPropertyLossyNetworkConverges(t *testing.T) {
	for seed := range uint64(200) {
		n, bound := randomNet(t, seed, true)
		n.dropRate = 0.5 * n.rng.Float64()
		startRandomly(n, bound)
		n.runFor(10 * bound)
		n.dropRate = 0
		n.runFor(3 * bound)
		assertSingleMaster(t, n, expectedWinner(n.nodes), fmt.Sprintf("seed %d after loss", seed))
	}
}

// TestPropertiesCanFail makes sure the checkers above detect what they
// claim to: a net whose links never heal keeps two masters.
func TestPropertiesCanFail(t *testing.T) {
	n := newSimnet(t, 1)
	n.add(nodeConfig("a", 0))
	n.add(nodeConfig("b", 1))
	n.partition(n.nodes[:1], n.nodes[1:])
	n.start("a", "b")
	n.runFor(10 * time.Second)
	if n.dualAfter(n.epoch).IsZero() {
		t.Fatal("dualAfter missed two masters in a permanent partition")
	}
}
