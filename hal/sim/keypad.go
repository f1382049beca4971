package sim

import (
	"context"

	"countertop/hal"
)

var _ hal.Keypad = (*Keypad)(nil)

// Keypad is a simulated keypad: Press queues keys, ReadKey takes them in order.
type Keypad struct {
	q *queue[hal.Key]
}

// NewKeypad returns a keypad with nothing pressed, reporting to a (nil allowed).
func NewKeypad(a *Activity) *Keypad {
	return &Keypad{q: newQueue[hal.Key](a, kindKeypad)}
}

// Press queues keys as if pressed in that order.
func (k *Keypad) Press(keys ...hal.Key) { k.q.push(keys...) }

// Pending is the number of pressed keys not read yet.
func (k *Keypad) Pending() int { return k.q.len() }

// ReadKey returns the next pressed key, blocking until there is one or ctx is done.
func (k *Keypad) ReadKey(ctx context.Context) (hal.Key, error) {
	key, err := k.q.pop(ctx)
	if err != nil {
		return 0, err
	}
	return key, nil
}
