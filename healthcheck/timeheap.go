package healthcheck

import "time"

// timed is an element of a timeHeap: it reports its time and is told its
// position, so that remove and fix can find it.
type timed interface {
	heapTime() time.Time
	setHeapIndex(int)
}

// timeHeap is a binary min-heap of elements ordered by time, earliest
// first; a popped or removed element's index is -1.
//
// It is written out rather than built on container/heap: with 12,000
// checks, the interface calls of container/heap (Less and Swap each a
// dynamic call, each Less two more for the times) were a visible share of
// the scheduler's CPU. Each slot caches its element's time.
type timeHeap[T timed] []heapSlot[T]

type heapSlot[T timed] struct {
	at time.Time
	e  T
}

// Len returns the number of elements.
func (h timeHeap[T]) Len() int { return len(h) }

// peekTime returns the earliest element's time; the heap must not be empty.
func (h timeHeap[T]) peekTime() time.Time { return h[0].at }

// push adds e.
func (h *timeHeap[T]) push(e T) {
	*h = append(*h, heapSlot[T]{at: e.heapTime(), e: e})
	e.setHeapIndex(len(*h) - 1)
	h.up(len(*h) - 1)
}

// pop removes and returns the earliest element; the heap must not be
// empty.
func (h *timeHeap[T]) pop() T { return h.remove(0) }

// remove removes and returns the element at index i.
func (h *timeHeap[T]) remove(i int) T {
	old := *h
	n := len(old) - 1
	e := old[i].e
	if i != n {
		h.swap(i, n)
	}
	old[n] = heapSlot[T]{}
	*h = old[:n]
	if i != n {
		h.fix(i)
	}
	e.setHeapIndex(-1)
	return e
}

// fix restores the order after the element at index i changed its time.
func (h timeHeap[T]) fix(i int) {
	h[i].at = h[i].e.heapTime()
	if !h.down(i) {
		h.up(i)
	}
}

func (h timeHeap[T]) swap(i, k int) {
	h[i], h[k] = h[k], h[i]
	h[i].e.setHeapIndex(i)
	h[k].e.setHeapIndex(k)
}

func (h timeHeap[T]) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h[i].at.Before(h[parent].at) {
			return
		}
		h.swap(i, parent)
		i = parent
	}
}

// down sifts the element at i down and reports whether it moved.
func (h timeHeap[T]) down(i int) bool {
	start, n := i, len(h)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && h[r].at.Before(h[c].at) {
			c = r
		}
		if !h[c].at.Before(h[i].at) {
			break
		}
		h.swap(i, c)
		i = c
	}
	return i > start
}
