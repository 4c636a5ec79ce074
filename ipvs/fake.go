package ipvs

import (
	"fmt"
	"math"
	"os"
	"sync"
	"syscall"
)

// DefaultSchedulers returns the schedulers a stock Debian 6.1 kernel offers
// (twos arrived in 6.2).
func DefaultSchedulers() []string {
	return []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"}
}

// Fake is an in-memory IPVS kernel for tests. It reproduces the behaviour
// of the real kernel and netlink library that the reconciler must cope
// with:
//
//   - listing an empty table or a service without destinations returns
//     os.ErrNotExist (the library's convention);
//   - adding what exists fails with EEXIST, touching a missing service
//     with ESRCH and a missing destination with ENOENT;
//   - an unknown scheduler fails with ENOENT, a lower threshold above the
//     upper one with EINVAL, a weight above MaxInt32 with ERANGE;
//   - services read back carry the Hashed flag, and fwmark services read
//     back without protocol, address or port.
//
// It is safe for concurrent use.
type Fake struct {
	mu         sync.Mutex
	table      Table
	schedulers map[string]bool
	syncd      map[SyncState]SyncDaemon
	// fail, when set, is consulted before every mutation; a non-nil error
	// is returned instead of performing it.
	fail func(Op) error
	// counters are what SetCounters set, reported by ServiceStats.
	counters map[fakeCounterKey]Counters
}

// NewFake returns an empty fake kernel offering schedulers (DefaultSchedulers
// if none are given).
func NewFake(schedulers ...string) *Fake {
	if len(schedulers) == 0 {
		schedulers = DefaultSchedulers()
	}
	f := &Fake{table: Table{}, schedulers: map[string]bool{}}
	for _, s := range schedulers {
		f.schedulers[s] = true
	}
	return f
}

// FailWith makes every later mutation for which fn returns an error fail
// with it; nil clears the hook.
func (f *Fake) FailWith(fn func(Op) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fn
}

// Snapshot returns a copy of the table as the kernel holds it.
func (f *Fake) Snapshot() Table {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.table.Clone()
}

func (f *Fake) check(op Op) error {
	if f.fail != nil {
		return f.fail(op)
	}
	return nil
}

// canonical returns the key the kernel stores a service under.
func canonical(k ServiceKey) ServiceKey {
	if k.FWMark != 0 {
		return ServiceKey{Family: k.Family, FWMark: k.FWMark}
	}
	return k
}

// Services implements Client.
func (f *Fake) Services() ([]Service, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.table) == 0 {
		return nil, os.ErrNotExist
	}
	out := make([]Service, 0, len(f.table))
	for _, k := range f.table.Keys() {
		s := f.table[k].Service
		s.Flags |= Hashed
		out = append(out, s)
	}
	return out, nil
}

// Destinations implements Client.
func (f *Fake) Destinations(s Service) ([]Destination, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	vs, ok := f.table[canonical(s.ServiceKey)]
	if !ok {
		return nil, syscall.ESRCH
	}
	if len(vs.Dests) == 0 {
		return nil, os.ErrNotExist
	}
	return vs.SortedDests(), nil
}

func (f *Fake) validService(s Service) error {
	if !f.schedulers[s.Scheduler] {
		return fmt.Errorf("scheduler %q: %w", s.Scheduler, syscall.ENOENT)
	}
	return nil
}

func validDest(d Destination) error {
	if d.Weight > math.MaxInt32 {
		return syscall.ERANGE
	}
	if d.UpperThreshold != 0 && d.LowerThreshold > d.UpperThreshold {
		return syscall.EINVAL
	}
	return nil
}

// CreateService implements Client.
func (f *Fake) CreateService(s Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(Op{Kind: CreateService, Service: s}); err != nil {
		return err
	}
	if err := f.validService(s); err != nil {
		return err
	}
	s.ServiceKey = canonical(s.ServiceKey)
	if _, ok := f.table[s.ServiceKey]; ok {
		return syscall.EEXIST
	}
	f.table.Add(s)
	return nil
}

// UpdateService implements Client.
func (f *Fake) UpdateService(s Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(Op{Kind: UpdateService, Service: s}); err != nil {
		return err
	}
	if err := f.validService(s); err != nil {
		return err
	}
	s.ServiceKey = canonical(s.ServiceKey)
	vs, ok := f.table[s.ServiceKey]
	if !ok {
		return syscall.ESRCH
	}
	vs.Service = s
	f.table[s.ServiceKey] = vs
	return nil
}

// RemoveService implements Client.
func (f *Fake) RemoveService(s Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.check(Op{Kind: RemoveService, Service: s}); err != nil {
		return err
	}
	k := canonical(s.ServiceKey)
	if _, ok := f.table[k]; !ok {
		return syscall.ESRCH
	}
	delete(f.table, k)
	return nil
}

// destOp looks up the service for a destination operation.
func (f *Fake) destOp(kind OpKind, s Service, d Destination) (VirtualService, error) {
	if err := f.check(Op{Kind: kind, Service: s, Dest: d}); err != nil {
		return VirtualService{}, err
	}
	vs, ok := f.table[canonical(s.ServiceKey)]
	if !ok {
		return VirtualService{}, syscall.ESRCH
	}
	return vs, nil
}

// CreateDestination implements Client.
func (f *Fake) CreateDestination(s Service, d Destination) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	vs, err := f.destOp(CreateDest, s, d)
	if err != nil {
		return err
	}
	if err := validDest(d); err != nil {
		return err
	}
	if _, ok := vs.Dests[d.DestKey]; ok {
		return syscall.EEXIST
	}
	vs.Dests[d.DestKey] = d
	return nil
}

// UpdateDestination implements Client.
func (f *Fake) UpdateDestination(s Service, d Destination) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	vs, err := f.destOp(UpdateDest, s, d)
	if err != nil {
		return err
	}
	if err := validDest(d); err != nil {
		return err
	}
	if _, ok := vs.Dests[d.DestKey]; !ok {
		return syscall.ENOENT
	}
	vs.Dests[d.DestKey] = d
	return nil
}

// RemoveDestination implements Client.
func (f *Fake) RemoveDestination(s Service, d Destination) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	vs, err := f.destOp(RemoveDest, s, d)
	if err != nil {
		return err
	}
	if _, ok := vs.Dests[d.DestKey]; !ok {
		return syscall.ENOENT
	}
	delete(vs.Dests, d.DestKey)
	return nil
}
