package sim

import (
	"context"
	"sync"
)

// queue is a scripted input queue: producers push, one or more readers pop and block
// while it is empty. It reports to an Activity whether a reader is blocked with
// nothing queued. A queue with fail set returns that error to every pop until cleared.
type queue[T any] struct {
	act  *Activity
	kind inputKind

	mu      sync.Mutex
	items   []T
	waiters int
	fail    error
	wake    chan struct{} // closed and replaced on push and on fail changes
}

func newQueue[T any](a *Activity, k inputKind) *queue[T] {
	return &queue[T]{act: a, kind: k, wake: make(chan struct{})}
}

func (q *queue[T]) push(v ...T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, v...)
	q.wakeLocked()
}

// setFail makes pops return err (nil to clear) and wakes blocked readers.
func (q *queue[T]) setFail(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.fail = err
	q.wakeLocked()
}

// len is the number of queued items.
func (q *queue[T]) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

func (q *queue[T]) wakeLocked() {
	close(q.wake)
	q.wake = make(chan struct{})
	q.report()
}

// report tells the Activity whether a reader is blocked on an empty queue.
// Called with q.mu held.
func (q *queue[T]) report() {
	q.act.set(q.kind, q.waiters > 0 && len(q.items) == 0 && q.fail == nil)
}

// pop returns the first queued item, blocking until there is one, the queue fails or
// ctx is done. A cancelled pop takes nothing from the queue.
func (q *queue[T]) pop(ctx context.Context) (T, error) {
	var zero T
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if q.fail != nil {
			return zero, q.fail
		}
		if err := ctx.Err(); err != nil {
			return zero, err
		}
		if len(q.items) > 0 {
			v := q.items[0]
			clear(q.items[:1])
			q.items = q.items[1:]
			q.report()
			return v, nil
		}
		wake := q.wake
		q.waiters++
		q.act.begin(q.kind)
		q.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
		}
		q.mu.Lock()
		q.waiters--
		q.report()
	}
}
