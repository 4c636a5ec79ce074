package healthcheck

import "time"

// timed is an element of a timeHeap: it reports its time and is told its
// position, so that heap.Remove and heap.Fix can find it.
type timed interface {
	heapTime() time.Time
	setHeapIndex(int)
}

// timeHeap is a container/heap of elements ordered by time, earliest
// first; a popped element's index is -1.
type timeHeap[T timed] []T

func (h timeHeap[T]) Len() int           { return len(h) }
func (h timeHeap[T]) Less(i, k int) bool { return h[i].heapTime().Before(h[k].heapTime()) }
func (h timeHeap[T]) Swap(i, k int) {
	h[i], h[k] = h[k], h[i]
	h[i].setHeapIndex(i)
	h[k].setHeapIndex(k)
}

// Push implements heap.Interface.
func (h *timeHeap[T]) Push(x any) {
	e := x.(T)
	e.setHeapIndex(len(*h))
	*h = append(*h, e)
}

// Pop implements heap.Interface.
func (h *timeHeap[T]) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	var zero T
	old[n-1] = zero
	e.setHeapIndex(-1)
	*h = old[:n-1]
	return e
}
