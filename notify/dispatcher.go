package notify

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// DefaultQueueLen is the per-key queue bound when a Dispatcher sets none.
const DefaultQueueLen = 16

// Task is one unit of work run by a Dispatcher. ctx is cancelled when the
// Dispatcher's Close deadline passes.
type Task func(ctx context.Context)

// DispatcherStats are a Dispatcher's counters since it was created.
type DispatcherStats struct {
	Submitted uint64 // tasks accepted
	Dropped   uint64 // tasks refused because their queue was full or closed
	Done      uint64 // tasks that ran to completion
}

// Dispatcher runs Tasks in the background with one bounded FIFO queue per
// key: tasks with the same key (a VRRP instance, a real server) run one
// after the other in submission order, tasks with different keys run
// concurrently. Submit never blocks; a full queue drops the task and
// counts it. A key's goroutine exists only while its queue has work, so
// keys of instances removed by a reload leave nothing behind.
//
// The Dispatcher owns its goroutines: Close stops accepting work, lets
// queued tasks finish until its context ends, then cancels them.
type Dispatcher struct {
	queueLen int

	ctx    context.Context // passed to tasks; cancelled by Close's deadline
	cancel context.CancelFunc

	mu     sync.Mutex
	lanes  map[string]*lane
	closed bool
	wg     sync.WaitGroup

	submitted, dropped, done atomic.Uint64
}

// lane is one key's queue; running says whether a goroutine delivers its tasks.
type lane struct {
	q []Task
}

// NewDispatcher returns a Dispatcher whose queues hold at most queueLen
// waiting tasks per key (DefaultQueueLen if queueLen <= 0).
func NewDispatcher(queueLen int) *Dispatcher {
	if queueLen <= 0 {
		queueLen = DefaultQueueLen
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Dispatcher{queueLen: queueLen, ctx: ctx, cancel: cancel, lanes: map[string]*lane{}}
}

// Submit queues t behind earlier tasks of the same key. It reports false,
// and counts a drop, when the key's queue is full or the Dispatcher is
// closed. It never blocks.
func (d *Dispatcher) Submit(key string, t Task) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		d.dropped.Add(1)
		return false
	}
	l, ok := d.lanes[key]
	if !ok {
		l = &lane{}
		d.lanes[key] = l
		d.wg.Add(1)
		go d.deliverQueued(key, l)
	}
	if len(l.q) >= d.queueLen {
		d.dropped.Add(1)
		return false
	}
	l.q = append(l.q, t)
	d.submitted.Add(1)
	return true
}

// deliverQueued runs key's tasks in order until its queue is empty, then
// removes the lane. A lane in the map always has exactly one
// deliverQueued goroutine.
func (d *Dispatcher) deliverQueued(key string, l *lane) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		if len(l.q) == 0 {
			delete(d.lanes, key)
			d.mu.Unlock()
			return
		}
		t := l.q[0]
		l.q[0] = nil
		l.q = l.q[1:]
		d.mu.Unlock()

		t(d.ctx)
		d.done.Add(1)
	}
}

// Stats returns the counters.
func (d *Dispatcher) Stats() DispatcherStats {
	return DispatcherStats{Submitted: d.submitted.Load(), Dropped: d.dropped.Load(), Done: d.done.Load()}
}

// Close stops accepting tasks and waits for queued and running ones. When
// ctx ends first, running tasks' context is cancelled (killing their
// scripts), tasks not yet started are skipped, and Close returns ctx's
// error after the goroutines are gone. Close is safe to call more than once.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()

	finished := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		d.cancel()
		return nil
	case <-ctx.Done():
	}
	// Deadline: drop what has not started, cancel what runs.
	d.mu.Lock()
	for _, l := range d.lanes {
		n := uint64(len(l.q))
		clear(l.q)
		l.q = l.q[:0]
		d.dropped.Add(n)
	}
	d.mu.Unlock()
	d.cancel()
	<-finished
	return fmt.Errorf("notify dispatcher close: %w", ctx.Err())
}
