package ipvs

import (
	"maps"
	"sort"
)

// RealServer is a configured real server and what happens to it when it
// fails.
type RealServer struct {
	// Dest carries the configured weight and forwarding.
	Dest Destination
	// Inhibit keeps a failed server in the table at weight 0 instead of
	// removing it (inhibit_on_failure), so its established connections
	// drain instead of breaking.
	Inhibit bool
	// Alpha starts the server down until its checker first succeeds.
	Alpha bool
}

// VirtualServer is a configured virtual_server as the reconciler sees it:
// the kernel services it expands to (one, or one per member of its
// virtual_server_group) sharing one pool of real servers.
type VirtualServer struct {
	// Name identifies the virtual server in health input; it must be
	// stable across reloads (for example "10.0.0.1:80/TCP" or
	// "group web").
	Name     string
	Services []Service
	Reals    []RealServer
	// Quorum is the total weight of live servers needed for the pool to
	// be "up" (keepalived's default is 1). Hysteresis widens the band
	// around it: quorum is lost below Quorum-Hysteresis and regained at
	// Quorum+Hysteresis.
	Quorum, Hysteresis uint32
	// Sorry, if set, replaces all real servers while quorum is lost. With
	// Sorry.Inhibit it stays in the table at weight 0 otherwise.
	Sorry *RealServer
}

// QuorumChange reports that a virtual server gained or lost quorum, so the
// caller can run quorum_up / quorum_down.
type QuorumChange struct {
	VirtualServer string
	Up            bool
}

type realKey struct {
	vs string
	rs DestKey
}

// realState is health input for one real server.
type realState struct {
	up     bool
	weight uint32
	// dynamic is set once a checker or the API gave a weight; until then
	// the configured weight applies.
	dynamic bool
}

// Pool computes the desired Table from configured virtual servers and
// health input. It is pure (no I/O, no clock) and not safe for concurrent
// use: the daemon's loop owns it.
type Pool struct {
	vss    []VirtualServer
	health map[realKey]realState
	quorum map[string]bool
}

// NewPool returns an empty pool.
func NewPool() *Pool {
	return &Pool{health: map[realKey]realState{}, quorum: map[string]bool{}}
}

// SetConfig replaces the configured virtual servers (start and reload).
// Health of real servers that are still configured is kept, so a reload
// does not reset a failed server to up; new servers start up unless
// Alpha. It returns the quorum changes the new configuration causes.
func (p *Pool) SetConfig(vss []VirtualServer) []QuorumChange {
	p.vss = append([]VirtualServer(nil), vss...)
	health := map[realKey]realState{}
	quorum := map[string]bool{}
	for _, vs := range p.vss {
		for _, rs := range vs.Reals {
			k := realKey{vs.Name, rs.Dest.DestKey}
			if st, ok := p.health[k]; ok {
				health[k] = st
			} else {
				health[k] = realState{up: !rs.Alpha}
			}
		}
		if q, ok := p.quorum[vs.Name]; ok {
			quorum[vs.Name] = q
		}
	}
	p.health = health
	old := p.quorum
	p.quorum = quorum
	var changes []QuorumChange
	for _, vs := range p.vss {
		prev, known := old[vs.Name]
		if !known {
			// A new virtual server starts with quorum judged without
			// hysteresis and reports nothing: there was no transition.
			p.quorum[vs.Name] = p.weightSum(vs) >= quorumOf(vs)
			continue
		}
		p.quorum[vs.Name] = prev
		if c, ok := p.requorum(vs); ok {
			changes = append(changes, c)
		}
	}
	return changes
}

// SetUp records a checker verdict for one real server. Unknown servers are
// ignored (the checker may report after a reload removed it).
func (p *Pool) SetUp(vs string, rs DestKey, up bool) []QuorumChange {
	k := realKey{vs, rs}
	st, ok := p.health[k]
	if !ok {
		return nil
	}
	st.up = up
	p.health[k] = st
	return p.requorumNamed(vs)
}

// SetWeight sets the live weight of one real server (MISC_CHECK dynamic
// weights, the API). It does not change whether the server is up.
func (p *Pool) SetWeight(vs string, rs DestKey, weight uint32) []QuorumChange {
	k := realKey{vs, rs}
	st, ok := p.health[k]
	if !ok {
		return nil
	}
	st.weight, st.dynamic = weight, true
	p.health[k] = st
	return p.requorumNamed(vs)
}

// QuorumUp reports whether a virtual server currently has quorum.
func (p *Pool) QuorumUp(vs string) bool { return p.quorum[vs] }

func quorumOf(vs VirtualServer) uint64 {
	if vs.Quorum == 0 {
		return 1
	}
	return uint64(vs.Quorum)
}

func (p *Pool) weightOf(vs string, rs RealServer) (uint32, bool) {
	st := p.health[realKey{vs, rs.Dest.DestKey}]
	if !st.up {
		return 0, false
	}
	if st.dynamic {
		return st.weight, true
	}
	return rs.Dest.Weight, true
}

func (p *Pool) weightSum(vs VirtualServer) uint64 {
	var sum uint64
	for _, rs := range vs.Reals {
		if w, up := p.weightOf(vs.Name, rs); up {
			sum += uint64(w)
		}
	}
	return sum
}

func (p *Pool) requorumNamed(name string) []QuorumChange {
	for _, vs := range p.vss {
		if vs.Name == name {
			if c, ok := p.requorum(vs); ok {
				return []QuorumChange{c}
			}
		}
	}
	return nil
}

// requorum applies hysteresis: a pool that is up goes down only below
// quorum-hysteresis, one that is down comes up only at quorum+hysteresis.
func (p *Pool) requorum(vs VirtualServer) (QuorumChange, bool) {
	sum, q, h := p.weightSum(vs), quorumOf(vs), uint64(vs.Hysteresis)
	up := p.quorum[vs.Name]
	switch {
	case up && sum+h < q:
		p.quorum[vs.Name] = false
		return QuorumChange{VirtualServer: vs.Name, Up: false}, true
	case !up && sum >= q+h:
		p.quorum[vs.Name] = true
		return QuorumChange{VirtualServer: vs.Name, Up: true}, true
	}
	return QuorumChange{}, false
}

// Desired returns the table the kernel should hold now.
func (p *Pool) Desired() Table {
	t := Table{}
	for _, vs := range p.vss {
		dests := p.dests(vs)
		for _, s := range vs.Services {
			// Services of a group share the pool but not the map: a
			// Table's entries must stay independent values.
			t.Add(s, dests...)
		}
	}
	return t
}

func (p *Pool) dests(vs VirtualServer) []Destination {
	var out []Destination
	sorry := vs.Sorry != nil && !p.quorum[vs.Name]
	for _, rs := range vs.Reals {
		w, up := p.weightOf(vs.Name, rs)
		d := rs.Dest
		switch {
		case up && !sorry:
			d.Weight = w
		case rs.Inhibit:
			d.Weight = 0
		default:
			continue
		}
		out = append(out, d)
	}
	if vs.Sorry != nil {
		d := vs.Sorry.Dest
		switch {
		case sorry:
			out = append(out, d)
		case vs.Sorry.Inhibit:
			d.Weight = 0
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].less(out[j].DestKey) })
	return out
}

// Clone returns an independent copy of the pool, so a candidate
// configuration can be tried on it (a reload preview) without touching the
// state the loop runs on.
func (p *Pool) Clone() *Pool {
	c := &Pool{
		vss:    append([]VirtualServer(nil), p.vss...),
		health: make(map[realKey]realState, len(p.health)),
		quorum: make(map[string]bool, len(p.quorum)),
	}
	maps.Copy(c.health, p.health)
	maps.Copy(c.quorum, p.quorum)
	return c
}
