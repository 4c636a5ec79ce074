package healthcheck

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

type heapItem struct {
	at    time.Time
	index int
}

func (it *heapItem) heapTime() time.Time { return it.at }
func (it *heapItem) setHeapIndex(i int)  { it.index = i }

// The heap against a sorted slice under random pushes, pops, removes and
// time changes: every pop is the earliest, and every element knows where
// it is.
func TestTimeHeapRandomOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Unix(1_000_000, 0)
	var h timeHeap[*heapItem]
	var live []*heapItem
	for step := 0; step < 20000; step++ {
		switch op := rng.IntN(10); {
		case op < 4 || len(live) == 0:
			it := &heapItem{at: base.Add(time.Duration(rng.IntN(1000)) * time.Millisecond)}
			h.push(it)
			live = append(live, it)
		case op < 6:
			got := h.pop()
			earliest := slices.MinFunc(live, func(a, b *heapItem) int { return a.at.Compare(b.at) })
			if !got.at.Equal(earliest.at) || got.index != -1 {
				t.Fatalf("step %d: pop gave %v (index %d), earliest is %v", step, got.at, got.index, earliest.at)
			}
			live = slices.DeleteFunc(live, func(it *heapItem) bool { return it == got })
		case op < 8:
			it := live[rng.IntN(len(live))]
			if got := h.remove(it.index); got != it || it.index != -1 {
				t.Fatalf("step %d: remove returned another element", step)
			}
			live = slices.DeleteFunc(live, func(x *heapItem) bool { return x == it })
		default:
			it := live[rng.IntN(len(live))]
			it.at = base.Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
			h.fix(it.index)
		}
		if h.Len() != len(live) {
			t.Fatalf("step %d: heap holds %d, want %d", step, h.Len(), len(live))
		}
		for i, s := range h {
			if s.e.index != i {
				t.Fatalf("step %d: element at %d thinks it is at %d", step, i, s.e.index)
			}
		}
	}
}
