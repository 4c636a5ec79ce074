package vrrp

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// simnet is an in-memory broadcast segment with a fake clock, in the style
// of etcd raft's test network: every advert one instance sends is encoded,
// queued with a delay, and handed to every other instance through Receive,
// unless a partition cuts the link or the loss model drops it. Time only
// moves when the network runs: it jumps to the next packet delivery or
// timer deadline, so a run is deterministic for a given seed.
type simnet struct {
	t     testing.TB
	epoch time.Time
	now   time.Time
	nodes []*simnode

	queue []simpacket
	seq   int

	delay    time.Duration // delivery delay of every packet
	jitter   time.Duration // extra random delay, 0..jitter
	dropRate float64
	dupRate  float64
	rng      *rand.Rand
	cut      map[[2]int]bool // cut[{i, j}]: packets from i to j are lost
	// lastAt keeps each link FIFO, as one Ethernet segment is: jitter
	// delays packets but never reorders them.
	lastAt map[[2]int]time.Time

	buf   []byte
	trace []string // actions as scenario output renders them
	// verbose also traces periodic adverts and timers.
	verbose bool
	// dual records the intervals during which two or more nodes were MASTER.
	dualSince time.Time
	duals     []dualMaster
}

type dualMaster struct{ from, to time.Time }

type simnode struct {
	idx  int
	name string
	in   *Instance
	addr netip.Addr
	// masters records the times this node became master.
	becameMaster []time.Time
	rxErrors     map[string]int
}

type simpacket struct {
	at       time.Time
	seq      int
	from, to int
	msg      []byte
	meta     RxMeta
}

func newSimnet(t testing.TB, seed uint64) *simnet {
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &simnet{t: t, epoch: epoch, now: epoch, delay: time.Millisecond,
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), cut: map[[2]int]bool{},
		lastAt: map[[2]int]time.Time{}}
}

// nodeConfig is a default instance config for node i (address 10.0.0.i+1).
func nodeConfig(name string, i int) Config {
	c := DefaultConfig()
	c.Name = name
	c.VRID = 51
	c.PrimaryAddr = netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)})
	c.VIPs = []netip.Addr{netip.MustParseAddr("192.0.2.1")}
	return c
}

func (n *simnet) add(cfg Config) *simnode {
	n.t.Helper()
	in, err := New(cfg)
	if err != nil {
		n.t.Fatalf("New(%s): %v", cfg.Name, err)
	}
	nd := &simnode{idx: len(n.nodes), name: cfg.Name, in: in, addr: cfg.PrimaryAddr, rxErrors: map[string]int{}}
	n.nodes = append(n.nodes, nd)
	return nd
}

func (n *simnet) node(name string) *simnode {
	n.t.Helper()
	for _, nd := range n.nodes {
		if nd.name == name {
			return nd
		}
	}
	n.t.Fatalf("no node %q", name)
	return nil
}

func (n *simnet) elapsed() time.Duration { return n.now.Sub(n.epoch) }

// drain performs the actions every node has queued (sync groups queue
// actions on siblings, so all nodes are drained after each input).
func (n *simnet) drain() {
	for _, nd := range n.nodes {
		for nd.in.HasReady() {
			acts := slices.Clone(nd.in.Ready())
			periodic := !slices.ContainsFunc(acts, func(a Action) bool {
				return a.Kind != ActSetTimer && (a.Kind != ActSendAdvert || a.Priority == 0)
			})
			for _, a := range acts {
				n.perform(nd, a, periodic)
			}
		}
	}
	n.watchMasters()
}

// perform carries out one action; periodic batches (nothing but adverts
// with a priority and timer updates) are traced only in verbose mode.
func (n *simnet) perform(nd *simnode, a Action, periodic bool) {
	switch a.Kind {
	case ActSendAdvert:
		for _, dst := range nd.in.Destinations() {
			var err error
			n.buf, err = nd.in.AppendAdvert(n.buf[:0], a.Priority, nd.addr, dst)
			if err != nil {
				n.t.Fatalf("%s: AppendAdvert: %v", nd.name, err)
			}
			for _, peer := range n.nodes {
				// Deliver only to the same VRID, as the I/O layer demuxes.
				if peer == nd || peer.in.cfg.VRID != nd.in.cfg.VRID || !dst.IsMulticast() && peer.addr != dst {
					continue
				}
				n.send(nd, peer, slices.Clone(n.buf), RxMeta{Src: nd.addr, Dst: dst, TTL: TTL})
			}
		}
		if !periodic || n.verbose {
			n.tracef("%s: %s", nd.name, a)
		}
	case ActSetTimer:
		if n.verbose && a.At.IsZero() {
			n.tracef("%s: set-timer none", nd.name)
		} else if n.verbose {
			n.tracef("%s: set-timer +%s", nd.name, a.At.Sub(n.now))
		}
	case ActNotify:
		if a.To == StateMaster && a.Group == "" {
			nd.becameMaster = append(nd.becameMaster, n.now)
		}
		n.tracef("%s: %s", nd.name, a)
	default:
		n.tracef("%s: %s", nd.name, a)
	}
}

func (n *simnet) tracef(format string, args ...any) {
	n.trace = append(n.trace, fmt.Sprintf("%-10s ", n.elapsed())+fmt.Sprintf(format, args...))
}

func (n *simnet) send(from, to *simnode, msg []byte, meta RxMeta) {
	if n.cut[[2]int{from.idx, to.idx}] {
		return
	}
	if n.dropRate > 0 && n.rng.Float64() < n.dropRate {
		return
	}
	copies := 1
	if n.dupRate > 0 && n.rng.Float64() < n.dupRate {
		copies = 2
	}
	for range copies {
		d := n.delay
		if n.jitter > 0 {
			d += time.Duration(n.rng.Int64N(int64(n.jitter) + 1))
		}
		at := n.now.Add(d)
		link := [2]int{from.idx, to.idx}
		if last := n.lastAt[link]; at.Before(last) {
			at = last
		}
		n.lastAt[link] = at
		n.seq++
		n.queue = append(n.queue, simpacket{at: at, seq: n.seq, from: from.idx, to: to.idx, msg: msg, meta: meta})
	}
}

// runFor advances the clock by d, delivering packets and firing timers in
// time order (packets before timers at the same instant).
func (n *simnet) runFor(d time.Duration) { n.runUntil(n.now.Add(d)) }

func (n *simnet) runUntil(end time.Time) {
	for {
		var next time.Time
		pkt := -1
		for i, p := range n.queue {
			if pkt < 0 || p.at.Before(n.queue[pkt].at) || p.at.Equal(n.queue[pkt].at) && p.seq < n.queue[pkt].seq {
				pkt = i
			}
		}
		if pkt >= 0 {
			next = n.queue[pkt].at
		}
		var tick *simnode
		for _, nd := range n.nodes {
			if dl := nd.in.NextDeadline(); !dl.IsZero() && (next.IsZero() || dl.Before(next)) {
				next, tick, pkt = dl, nd, -1
			}
		}
		if next.IsZero() || next.After(end) {
			n.now = end
			return
		}
		n.now = next
		if pkt >= 0 {
			p := n.queue[pkt]
			n.queue = slices.Delete(n.queue, pkt, pkt+1)
			if err := n.nodes[p.to].in.Receive(n.now, p.msg, p.meta); Dropped(err) {
				n.nodes[p.to].rxErrors[err.Error()]++
			}
		} else {
			tick.in.Tick(n.now)
		}
		n.drain()
	}
}

func (n *simnet) start(names ...string) {
	for _, name := range names {
		if err := n.node(name).in.Start(n.now); err != nil {
			n.t.Fatal(err)
		}
		n.drain()
	}
}

func (n *simnet) stop(name string) {
	if err := n.node(name).in.Stop(n.now); err != nil {
		n.t.Fatal(err)
	}
	n.drain()
}

// partition cuts every link between the two sides.
func (n *simnet) partition(a, b []*simnode) {
	for _, x := range a {
		for _, y := range b {
			n.cut[[2]int{x.idx, y.idx}] = true
			n.cut[[2]int{y.idx, x.idx}] = true
		}
	}
}

func (n *simnet) heal() { clear(n.cut) }

func (n *simnet) masters() []*simnode {
	var out []*simnode
	for _, nd := range n.nodes {
		if nd.in.State() == StateMaster {
			out = append(out, nd)
		}
	}
	return out
}

func (n *simnet) watchMasters() {
	dual := len(n.masters()) > 1
	switch {
	case dual && n.dualSince.IsZero():
		n.dualSince = n.now
	case !dual && !n.dualSince.IsZero():
		n.duals = append(n.duals, dualMaster{n.dualSince, n.now})
		n.dualSince = time.Time{}
	}
}

// dualAfter returns the first moment after t at which two masters coexisted
// (zero if none).
func (n *simnet) dualAfter(t time.Time) time.Time {
	all := n.duals
	if !n.dualSince.IsZero() {
		all = append(slices.Clone(all), dualMaster{n.dualSince, n.now})
	}
	for _, d := range all {
		if d.to.After(t) {
			return maxTime(d.from, t)
		}
	}
	return time.Time{}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// expectedWinner is the node the protocol must elect among the running
// ones: highest effective priority, ties broken by the highest address.
func expectedWinner(nodes []*simnode) *simnode {
	var best *simnode
	for _, nd := range nodes {
		if nd.in.State() == StateStop || nd.in.State() == StateFault {
			continue
		}
		if best == nil || cmp.Or(cmp.Compare(nd.in.EffectivePriority(), best.in.EffectivePriority()),
			nd.addr.Compare(best.addr)) > 0 {
			best = nd
		}
	}
	return best
}
