package haltest

import (
	"context"
	"testing"
	"time"
)

// Prompt is how long a call may take to return after its ctx is cancelled, or to
// deliver input that is already there. Real drivers poll their transport in slices
// well under it.
var Prompt = 5 * time.Second

// result is a value and an error from a call run in a goroutine.
type result[T any] struct {
	v   T
	err error
}

// async runs f in a goroutine and returns the channel its result arrives on.
func async[T any](ctx context.Context, f func(context.Context) (T, error)) <-chan result[T] {
	ch := make(chan result[T], 1)
	go func() {
		v, err := f(ctx)
		ch <- result[T]{v, err}
	}()
	return ch
}

// await waits up to Prompt for a result, failing the test if none comes.
func await[T any](t *testing.T, what string, ch <-chan result[T]) (T, error) {
	t.Helper()
	timer := time.NewTimer(Prompt)
	defer timer.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-timer.C:
		t.Fatalf("%s did not return within %v", what, Prompt)
	}
	panic("unreachable")
}
