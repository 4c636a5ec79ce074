package lvs

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/config/ident"
	"github.com/alived/alived/healthcheck"
	"github.com/alived/alived/ipvs"
	"github.com/alived/alived/status"
)

// Override is an operator's runtime override of one real server, or of
// every real server of a virtual server (drain and maint only). See the
// package documentation for what each kind does in IPVS.
type Override struct {
	Kind status.OverrideKind
	// Weight replaces the configured weight (kind status.OverrideWeight
	// only), from 0 to healthcheck.MaxWeight, the bound dynamic weights
	// already have.
	Weight int
}

// validate reports why o cannot be applied; whole is true for a virtual
// server's override.
func (o Override) validate(whole bool) error {
	switch o.Kind {
	case status.OverrideDrain, status.OverrideMaint:
		if o.Weight != 0 {
			return fmt.Errorf("override %s takes no weight", o.Kind)
		}
	case status.OverrideWeight:
		if whole {
			return errors.New("a weight override applies to a real server, not to a whole virtual server")
		}
		if o.Weight < 0 || o.Weight > healthcheck.MaxWeight {
			return fmt.Errorf("weight %d is outside the range 0-%d", o.Weight, healthcheck.MaxWeight)
		}
	case "":
		return errors.New("no override kind given (to clear an override, use ready)")
	default:
		return fmt.Errorf("unknown override %q (want drain, maint or weight)", o.Kind)
	}
	return nil
}

// rank orders kinds by how much traffic they stop, so that a virtual
// server's drain or maint wins over a real server's weaker override.
func rank(k status.OverrideKind) int {
	switch k {
	case status.OverrideMaint:
		return 3
	case status.OverrideDrain:
		return 2
	case status.OverrideWeight:
		return 1
	}
	return 0
}

// NotFoundError says that an override names a virtual server, or a real
// server of it, that the running configuration does not have.
type NotFoundError struct {
	VS ident.VS
	// RS is nil when the virtual server itself is unknown.
	RS *ident.RS
}

func (e *NotFoundError) Error() string {
	if e.RS != nil {
		return fmt.Sprintf("virtual server %s has no real server %s", e.VS, e.RS)
	}
	return fmt.Sprintf("no virtual server %s", e.VS)
}

// overrideKey names an override's target; rs is the zero RS for a whole
// virtual server.
type overrideKey struct {
	vs ident.VS
	rs ident.RS
}

func (k overrideKey) whole() bool { return !k.rs.Addr.IsValid() }

func (k overrideKey) rsPtr() *ident.RS {
	if k.whole() {
		return nil
	}
	rs := k.rs
	return &rs
}

// overrideEntry is an override in force and when it was set.
type overrideEntry struct {
	Override
	since time.Time
}

// identIndex maps the plan's names onto the operator-facing identities
// of package ident and back. It is rebuilt with every plan.
type identIndex struct {
	vs   map[string]ident.VS
	rs   map[rsID]ident.RS
	byVS map[ident.VS]*VirtualServerPlan
	byRS map[ident.VS]map[ident.RS]*RealServerPlan
}

// buildIdents finds the configuration block of every virtual and real
// server of p and takes its identity from the config model (Ident), the
// one translation between blocks and names. A plan entry is matched to
// its block by position and the fields the plan copies from it.
func buildIdents(cfg *config.Config, p *Plan) identIndex {
	type where struct {
		file string
		line int
	}
	type vsKey struct {
		at     where
		addr   netip.Addr
		port   uint16
		fwmark uint32
		group  string
	}
	type rsKey struct {
		at   where
		addr netip.Addr
		port uint16
	}
	x := identIndex{
		vs: map[string]ident.VS{}, rs: map[rsID]ident.RS{},
		byVS: map[ident.VS]*VirtualServerPlan{}, byRS: map[ident.VS]map[ident.RS]*RealServerPlan{},
	}
	if cfg == nil {
		return x
	}
	blocks := map[vsKey]*config.VirtualServer{}
	for _, v := range cfg.VirtualServers {
		k := vsKey{where{v.Pos.File, v.Pos.Line}, v.Addr, v.Port, v.FWMark, v.Group}
		if _, dup := blocks[k]; !dup {
			blocks[k] = v
		}
	}
	for _, vp := range p.VirtualServers {
		v := blocks[vsKey{where{vp.Pos.File, vp.Pos.Line}, vp.Notify.Addr, vp.Notify.Port, vp.Notify.FWMark, vp.Notify.Group}]
		if v == nil {
			continue
		}
		id := v.Ident()
		x.vs[vp.Name], x.byVS[id] = id, vp
		reals := map[rsKey]*config.RealServer{}
		for _, r := range v.RealServers {
			k := rsKey{where{r.Pos.File, r.Pos.Line}, r.Addr, r.Port}
			if _, dup := reals[k]; !dup {
				reals[k] = r
			}
		}
		byRS := map[ident.RS]*RealServerPlan{}
		for _, rp := range vp.Reals {
			r := reals[rsKey{where{rp.Pos.File, rp.Pos.Line}, rp.Notify.Addr, rp.Notify.Port}]
			if r == nil {
				continue
			}
			rid := r.Ident()
			x.rs[rsID{vp.Name, rp.Key}], byRS[rid] = rid, rp
		}
		x.byRS[id] = byRS
	}
	return x
}

// resolve finds an override's target in the running plan.
func (s *Subsystem) resolve(vs ident.VS, rs *ident.RS) (*VirtualServerPlan, []*RealServerPlan, error) {
	vp := s.idents.byVS[vs]
	if vp == nil {
		return nil, nil, &NotFoundError{VS: vs}
	}
	if rs == nil {
		return vp, vp.Reals, nil
	}
	rp := s.idents.byRS[vs][*rs]
	if rp == nil {
		r := *rs
		return nil, nil, &NotFoundError{VS: vs, RS: &r}
	}
	return vp, []*RealServerPlan{rp}, nil
}

// effective returns the override in force for real server rp of vp: the
// stronger of its own and its virtual server's (inherited is set when the
// virtual server's wins).
func (s *Subsystem) effective(vp *VirtualServerPlan, rp *RealServerPlan) (e overrideEntry, inherited, ok bool) {
	if len(s.overrides) == 0 {
		return e, false, false
	}
	vs, known := s.idents.vs[vp.Name]
	if !known {
		return e, false, false
	}
	whole, hasWhole := s.overrides[overrideKey{vs: vs}]
	var own overrideEntry
	hasOwn := false
	if rs, known := s.idents.rs[rsID{vp.Name, rp.Key}]; known {
		own, hasOwn = s.overrides[overrideKey{vs, rs}]
	}
	switch {
	case hasWhole && (!hasOwn || rank(whole.Kind) > rank(own.Kind)):
		return whole, true, true
	case hasOwn:
		return own, false, true
	}
	return e, false, false
}

// poolInput is what the pool is told about one real server: whether it
// is up and its weight. Overrides are applied by changing this input (and
// the Inhibit flag, see poolConfig), so quorum, the sorry server and the
// desired table all see the effective weights.
type poolInput struct {
	up     bool
	weight uint32
}

// inputOf combines health and the override in force:
//   - none: health's verdict and weight;
//   - weight N: health's verdict, weight N;
//   - drain: up at weight 0, whatever health says, so the destination
//     stays in the table (Inhibit, set by poolConfig, keeps it there even
//     while a sorry server has the traffic) and counts 0 toward quorum;
//   - maint: down, and out of the table (poolConfig clears Inhibit).
func inputOf(st healthcheck.State, e overrideEntry, ok bool) poolInput {
	in := poolInput{up: st.Up, weight: clampU32(st.Weight)}
	if !ok {
		return in
	}
	switch e.Kind {
	case status.OverrideWeight:
		in.weight = clampU32(e.Weight)
	case status.OverrideDrain:
		in = poolInput{up: true, weight: 0}
	case status.OverrideMaint:
		in.up = false
	}
	return in
}

// inputFor is the pool input real server rp of vp should have now.
func (s *Subsystem) inputFor(vp *VirtualServerPlan, rp *RealServerPlan) poolInput {
	e, _, ok := s.effective(vp, rp)
	return inputOf(s.live[rsID{vp.Name, rp.Key}].state, e, ok)
}

// push moves one real server's pool input from prev to next. The order
// makes each move one monotonic step for quorum: going down first leaves
// the pool (the weight of a down server does not count), coming up sets
// the weight before the server counts, so no quorum flip and flop is
// reported on the way.
func (s *Subsystem) push(vp *VirtualServerPlan, rp *RealServerPlan, prev, next poolInput) []ipvs.QuorumChange {
	if prev == next {
		return nil
	}
	var changes []ipvs.QuorumChange
	if !next.up {
		if prev.up {
			changes = append(changes, s.pool.SetUp(vp.Name, rp.Dest, false)...)
		}
		if prev.weight != next.weight {
			changes = append(changes, s.pool.SetWeight(vp.Name, rp.Dest, next.weight)...)
		}
		return changes
	}
	if prev.weight != next.weight {
		changes = append(changes, s.pool.SetWeight(vp.Name, rp.Dest, next.weight)...)
	}
	if !prev.up {
		changes = append(changes, s.pool.SetUp(vp.Name, rp.Dest, true)...)
	}
	return changes
}

// poolConfig is plan.PoolConfig with the Inhibit flag of overridden real
// servers forced: a drained server stays in the table at weight 0 even
// when it fails or the sorry server takes over, a server in maint leaves
// the table even with inhibit_on_failure.
func (s *Subsystem) poolConfig(p *Plan) []ipvs.VirtualServer {
	out := p.PoolConfig()
	if len(s.overrides) == 0 {
		return out
	}
	for i, vp := range p.VirtualServers {
		var reals []ipvs.RealServer
		for j, rp := range vp.Reals {
			e, _, ok := s.effective(vp, rp)
			if !ok || (e.Kind != status.OverrideDrain && e.Kind != status.OverrideMaint) {
				continue
			}
			if reals == nil {
				// The plan's slice is shared with the plan: copy before
				// changing it.
				reals = slices.Clone(out[i].Reals)
			}
			reals[j].Inhibit = e.Kind == status.OverrideDrain
		}
		if reals != nil {
			out[i].Reals = reals
		}
	}
	return out
}

// netQuorum reduces a batch of quorum changes to their net effect per
// virtual server: the pool only reports flips, so an even number of them
// is no change and an odd number ends in the last one.
func netQuorum(changes []ipvs.QuorumChange) []ipvs.QuorumChange {
	if len(changes) < 2 {
		return changes
	}
	n := map[string]int{}
	last := map[string]int{}
	for i, c := range changes {
		n[c.VirtualServer]++
		last[c.VirtualServer] = i
	}
	var out []ipvs.QuorumChange
	for i, c := range changes {
		if last[c.VirtualServer] == i && n[c.VirtualServer]%2 == 1 {
			out = append(out, c)
		}
	}
	return out
}

// SetOverride sets an operator override on real server rs of virtual
// server vs, or on every real server of vs when rs is nil (drain and
// maint only). It runs on the loop; the kernel is updated before it
// returns, through the same reconcile the checkers' transitions take.
// An unknown target is a *NotFoundError, an invalid override a plain
// error; on error nothing changes. Setting the override a target already
// has keeps its start time. No notify script runs and no FIFO line or
// mail is sent: an operator action is not a failure (quorum_up/down still
// run if the effective weights cross the quorum).
func (s *Subsystem) SetOverride(now time.Time, vs ident.VS, rs *ident.RS, o Override) error {
	if err := o.validate(rs == nil); err != nil {
		return fmt.Errorf("lvs: %w", err)
	}
	if !s.started || s.stopped {
		return errors.New("lvs: not running")
	}
	vp, reals, err := s.resolve(vs, rs)
	if err != nil {
		return fmt.Errorf("lvs: %w", err)
	}
	key := overrideKey{vs: vs}
	if rs != nil {
		key.rs = *rs
	}
	e := overrideEntry{Override: o, since: now}
	if old, ok := s.overrides[key]; ok && old.Override == o {
		e.since = old.since
	}
	s.changeOverride(now, vp, reals, key, &e)
	s.log.Info("lvs: override set", "vs", vs.String(), "rs", rsName(rs), "override", string(o.Kind), "weight", o.Weight)
	return nil
}

// ClearOverride removes the override of real server rs of vs (or of vs
// itself when rs is nil): the server goes back to what health says now.
// Clearing a target without an override is not an error; an unknown
// target is a *NotFoundError.
func (s *Subsystem) ClearOverride(now time.Time, vs ident.VS, rs *ident.RS) error {
	if !s.started || s.stopped {
		return errors.New("lvs: not running")
	}
	vp, reals, err := s.resolve(vs, rs)
	if err != nil {
		return fmt.Errorf("lvs: %w", err)
	}
	key := overrideKey{vs: vs}
	if rs != nil {
		key.rs = *rs
	}
	if _, ok := s.overrides[key]; !ok {
		return nil
	}
	s.changeOverride(now, vp, reals, key, nil)
	s.log.Info("lvs: override cleared", "vs", vs.String(), "rs", rsName(rs))
	return nil
}

func rsName(rs *ident.RS) string {
	if rs == nil {
		return "*"
	}
	return rs.String()
}

// changeOverride sets (e non-nil) or removes the override of key, whose
// real servers are reals of vp, and brings pool and kernel in line.
func (s *Subsystem) changeOverride(now time.Time, vp *VirtualServerPlan, reals []*RealServerPlan, key overrideKey, e *overrideEntry) {
	prev := make([]poolInput, len(reals))
	for i, rp := range reals {
		prev[i] = s.inputFor(vp, rp)
	}
	if e == nil {
		delete(s.overrides, key)
	} else {
		s.overrides[key] = *e
	}
	// Inhibit follows drain and maint; the configuration given again
	// keeps every server's health.
	changes := s.pool.SetConfig(s.poolConfig(s.plan))
	for i, rp := range reals {
		changes = append(changes, s.push(vp, rp, prev[i], s.inputFor(vp, rp))...)
	}
	s.snapDirty = true
	if !s.stopping {
		s.reconcile(now)
	}
	s.notifyQuorum(netQuorum(changes))
}

// applyOverrides brings the pool from health's input to the effective
// one for every overridden real server of p (at Start). The quorum
// changes it causes are returned for the caller to report or not.
func (s *Subsystem) applyOverrides(p *Plan) []ipvs.QuorumChange {
	if len(s.overrides) == 0 {
		return nil
	}
	var changes []ipvs.QuorumChange
	for _, vp := range p.VirtualServers {
		for _, rp := range vp.Reals {
			e, _, ok := s.effective(vp, rp)
			if !ok {
				continue
			}
			st := s.live[rsID{vp.Name, rp.Key}].state
			changes = append(changes, s.push(vp, rp, inputOf(st, e, false), inputOf(st, e, true))...)
		}
	}
	return changes
}

// overrideInputs records, before a reload, the pool input of every real
// server of p while overrides are in force (nil when none are).
func (s *Subsystem) overrideInputs(p *Plan) map[rsID]poolInput {
	if len(s.overrides) == 0 {
		return nil
	}
	in := map[rsID]poolInput{}
	for _, vp := range p.VirtualServers {
		for _, rp := range vp.Reals {
			in[rsID{vp.Name, rp.Key}] = s.inputFor(vp, rp)
		}
	}
	return in
}

// reapplyOverrides moves every real server of the reloaded plan p to the
// pool input its override now asks for: kept servers from the input they
// had under old (prev, from overrideInputs), added ones from health's.
func (s *Subsystem) reapplyOverrides(p, old *Plan, prev map[rsID]poolInput) []ipvs.QuorumChange {
	if prev == nil && len(s.overrides) == 0 {
		return nil
	}
	var changes []ipvs.QuorumChange
	for _, vp := range p.VirtualServers {
		ovp := old.Lookup(vp.Name)
		for _, rp := range vp.Reals {
			id := rsID{vp.Name, rp.Key}
			from, kept := prev[id]
			if !kept {
				if ovp != nil && ovp.Real(rp.Key) != nil {
					continue // kept, and no override before: the pool is right
				}
				from = inputOf(s.live[id].state, overrideEntry{}, false)
			}
			changes = append(changes, s.push(vp, rp, from, s.inputFor(vp, rp))...)
		}
	}
	return changes
}

// pruneOverrides drops, with a warning, the overrides whose target the
// current plan no longer has (a reload removed it, or a restored state
// file names something the configuration lacks). DroppedOverrides lists
// them until the next prune.
func (s *Subsystem) pruneOverrides() {
	s.dropped = nil
	for _, key := range s.sortedOverrideKeys() {
		var err error
		if key.whole() {
			_, _, err = s.resolve(key.vs, nil)
		} else {
			rs := key.rs
			_, _, err = s.resolve(key.vs, &rs)
		}
		if err == nil {
			continue
		}
		e := s.overrides[key]
		delete(s.overrides, key)
		s.dropped = append(s.dropped, entryOf(key, e))
		s.log.Warn("lvs: override dropped - its target is not in the configuration",
			"vs", key.vs.String(), "rs", rsName(key.rsPtr()), "override", string(e.Kind), "err", err)
	}
}

// DroppedOverrides returns the overrides that the latest Start or Reload
// dropped because their target was no longer configured (each was
// logged as a warning); the daemon reports them with the reload's result.
func (s *Subsystem) DroppedOverrides() []OverrideEntry {
	return slices.Clone(s.dropped)
}

func (s *Subsystem) sortedOverrideKeys() []overrideKey {
	keys := make([]overrideKey, 0, len(s.overrides))
	for k := range s.overrides {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b overrideKey) int {
		if c := strings.Compare(a.vs.String(), b.vs.String()); c != 0 {
			return c
		}
		if a.whole() != b.whole() {
			if a.whole() {
				return -1
			}
			return 1
		}
		return strings.Compare(a.rs.String(), b.rs.String())
	})
	return keys
}

// OverrideSetVersion is the version of the override state format that
// MarshalOverrides writes and UnmarshalOverrides reads.
const OverrideSetVersion = 1

// OverrideSet is the overrides in force, in the form the daemon keeps in
// its state file so they survive restarts.
type OverrideSet struct {
	Version   int             `json:"version"`
	Overrides []OverrideEntry `json:"overrides"`
}

// OverrideEntry is one override in an OverrideSet, with its target named
// as operators name it (package config/ident).
type OverrideEntry struct {
	VirtualServer string `json:"virtual_server"`
	// RealServer is empty for an override of the whole virtual server.
	RealServer string              `json:"real_server,omitempty"`
	Kind       status.OverrideKind `json:"kind"`
	Weight     int                 `json:"weight,omitempty"`
	Since      time.Time           `json:"since"`
}

func entryOf(k overrideKey, e overrideEntry) OverrideEntry {
	out := OverrideEntry{VirtualServer: k.vs.String(), Kind: e.Kind, Weight: e.Weight, Since: e.since}
	if !k.whole() {
		out.RealServer = k.rs.String()
	}
	return out
}

// Overrides returns the overrides in force, sorted by target. The daemon
// persists it after SetOverride, ClearOverride, Reload and
// RestoreOverrides.
func (s *Subsystem) Overrides() OverrideSet {
	set := OverrideSet{Version: OverrideSetVersion, Overrides: []OverrideEntry{}}
	for _, k := range s.sortedOverrideKeys() {
		set.Overrides = append(set.Overrides, entryOf(k, s.overrides[k]))
	}
	return set
}

// MarshalOverrides encodes set for the state file (the current version
// whatever set.Version says).
func MarshalOverrides(set OverrideSet) ([]byte, error) {
	set.Version = OverrideSetVersion
	if set.Overrides == nil {
		set.Overrides = []OverrideEntry{}
	}
	b, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding overrides: %w", err)
	}
	return append(b, '\n'), nil
}

// UnmarshalOverrides decodes a state file. It is tolerant where it can
// be: unknown fields are ignored, and entries are only checked by
// RestoreOverrides, so one bad entry does not lose the others. A file
// that is not JSON, lacks the version or has a newer one is an error
// (which the daemon logs as a warning and starts without overrides).
func UnmarshalOverrides(b []byte) (OverrideSet, error) {
	var set OverrideSet
	if err := json.Unmarshal(b, &set); err != nil {
		return OverrideSet{}, fmt.Errorf("decoding overrides: %w", err)
	}
	switch {
	case set.Version == 0:
		return OverrideSet{}, errors.New("decoding overrides: no version - not an override state file")
	case set.Version > OverrideSetVersion:
		return OverrideSet{}, fmt.Errorf("decoding overrides: version %d is newer than this alived understands (%d)", set.Version, OverrideSetVersion)
	}
	return set, nil
}

// RestoreOverrides puts the overrides of set in force (in addition to
// any already set; an entry replaces one for the same target). Called
// before Start, it only records them and Start applies those whose
// target exists (dropping the others with a warning, see
// DroppedOverrides); called later, it applies them at once. The errors
// are per entry (bad name, bad kind or weight, unknown target); they are
// warnings: every other entry is restored.
func (s *Subsystem) RestoreOverrides(set OverrideSet) []error {
	var errs []error
	now := time.Now()
	for _, e := range set.Overrides {
		vs, err := ident.ParseVS(e.VirtualServer)
		if err != nil {
			errs = append(errs, fmt.Errorf("lvs: restoring override: %w", err))
			continue
		}
		var rs *ident.RS
		if e.RealServer != "" {
			r, err := ident.ParseRS(e.RealServer)
			if err != nil {
				errs = append(errs, fmt.Errorf("lvs: restoring override of %s: %w", vs, err))
				continue
			}
			rs = &r
		}
		o := Override{Kind: e.Kind, Weight: e.Weight}
		if err := o.validate(rs == nil); err != nil {
			errs = append(errs, fmt.Errorf("lvs: restoring override of %s %s: %w", vs, rsName(rs), err))
			continue
		}
		since := e.Since
		if since.IsZero() {
			since = now
		}
		if !s.started || s.stopped {
			key := overrideKey{vs: vs}
			if rs != nil {
				key.rs = *rs
			}
			s.overrides[key] = overrideEntry{Override: o, since: since}
			continue
		}
		if err := s.SetOverride(now, vs, rs, o); err != nil {
			errs = append(errs, fmt.Errorf("lvs: restoring override: %w", err))
			continue
		}
		// The override keeps the start time it had before the restart.
		key := overrideKey{vs: vs}
		if rs != nil {
			key.rs = *rs
		}
		ent := s.overrides[key]
		ent.since = since
		s.overrides[key] = ent
	}
	return errs
}
