package ipvs

import "fmt"

// OpKind says what an Op does.
type OpKind uint8

// Operation kinds, one per mutating netlink command.
const (
	CreateService OpKind = iota + 1
	UpdateService
	RemoveService
	CreateDest
	UpdateDest
	RemoveDest
)

// String names the kind like ipvsadm's commands do.
func (k OpKind) String() string {
	switch k {
	case CreateService:
		return "add-service"
	case UpdateService:
		return "edit-service"
	case RemoveService:
		return "delete-service"
	case CreateDest:
		return "add-server"
	case UpdateDest:
		return "edit-server"
	case RemoveDest:
		return "delete-server"
	}
	return fmt.Sprintf("op(%d)", uint8(k))
}

// Op is one change to the kernel's table. Dest is meaningful for the
// destination kinds only.
type Op struct {
	Kind    OpKind
	Service Service
	Dest    Destination
}

// String renders the op for logs.
func (o Op) String() string {
	switch o.Kind {
	case CreateDest, UpdateDest, RemoveDest:
		return fmt.Sprintf("%s %s -> %s %s weight %d", o.Kind, o.Service.ServiceKey, o.Dest.DestKey, o.Dest.Forward, o.Dest.Weight)
	}
	return fmt.Sprintf("%s %s %s", o.Kind, o.Service.ServiceKey, o.Service.Scheduler)
}

// PlanOptions tune what Plan may remove.
type PlanOptions struct {
	// Owned reports whether a service present in the kernel but absent from
	// the desired table belongs to us and may be removed. Nil means
	// nothing outside the desired table is touched (adoption on start).
	Owned func(ServiceKey) bool
}

// Plan returns the operations that turn actual into desired. It is pure
// and deterministic: services in key order, and within a service new
// destinations first, then changed ones, then removals, so a pool never
// transiently empties when one real server replaces another. A service
// that already matches produces no operation at all, which is what keeps
// its connections and counters through a reload.
func Plan(desired, actual Table, opt PlanOptions) []Op {
	var ops []Op
	for _, k := range desired.Keys() {
		want := desired[k]
		have, ok := actual[k]
		if !ok {
			ops = append(ops, Op{Kind: CreateService, Service: want.Service})
			for _, d := range want.SortedDests() {
				ops = append(ops, Op{Kind: CreateDest, Service: want.Service, Dest: d})
			}
			continue
		}
		if !want.Service.sameSettings(have.Service) {
			ops = append(ops, Op{Kind: UpdateService, Service: want.Service})
		}
		ops = append(ops, planDests(want, have)...)
	}
	if opt.Owned != nil {
		for _, k := range actual.Keys() {
			if _, ok := desired[k]; !ok && opt.Owned(k) {
				ops = append(ops, Op{Kind: RemoveService, Service: actual[k].Service})
			}
		}
	}
	return ops
}

// planDests diffs the destinations of one service present on both sides.
func planDests(want, have VirtualService) []Op {
	if sameDests(want, have) {
		// The common case (periodic repair, a change elsewhere in the
		// table) costs a map walk, without sorting either side.
		return nil
	}
	var creates, updates, removes []Op
	for _, d := range want.SortedDests() {
		h, ok := have.Dests[d.DestKey]
		switch {
		case !ok:
			creates = append(creates, Op{Kind: CreateDest, Service: want.Service, Dest: d})
		case !d.sameSettings(h):
			updates = append(updates, Op{Kind: UpdateDest, Service: want.Service, Dest: d})
		}
	}
	for _, h := range have.SortedDests() {
		if _, ok := want.Dests[h.DestKey]; !ok {
			removes = append(removes, Op{Kind: RemoveDest, Service: want.Service, Dest: h})
		}
	}
	return append(append(creates, updates...), removes...)
}

// sameDests reports whether two services' destinations need no change.
func sameDests(want, have VirtualService) bool {
	if len(want.Dests) != len(have.Dests) {
		return false
	}
	for k, d := range want.Dests {
		h, ok := have.Dests[k]
		if !ok || !d.sameSettings(h) {
			return false
		}
	}
	return true
}

// Apply performs ops in order through c. It stops at the first error, which
// names the op, and returns how many ops succeeded.
func Apply(c Client, ops []Op) (int, error) {
	for i, op := range ops {
		if err := applyOne(c, op); err != nil {
			return i, fmt.Errorf("ipvs: %s: %w", op, err)
		}
	}
	return len(ops), nil
}

func applyOne(c Client, op Op) error {
	switch op.Kind {
	case CreateService:
		return c.CreateService(op.Service)
	case UpdateService:
		return c.UpdateService(op.Service)
	case RemoveService:
		return c.RemoveService(op.Service)
	case CreateDest:
		return c.CreateDestination(op.Service, op.Dest)
	case UpdateDest:
		return c.UpdateDestination(op.Service, op.Dest)
	case RemoveDest:
		return c.RemoveDestination(op.Service, op.Dest)
	}
	return fmt.Errorf("unknown op kind %d", op.Kind)
}
