package sim

import (
	"context"
	"sync"
)

// inputKind is one of the input devices an Activity watches.
type inputKind int

const (
	kindKeypad inputKind = iota
	kindCard
	kindPIN
	numKinds
)

// Waiting says which input devices have a call blocked with nothing queued.
type Waiting struct {
	Keypad bool // ReadKey
	Card   bool // WaitCard
	PIN    bool // ReadPIN
}

// Any reports whether some input call is waiting.
func (w Waiting) Any() bool { return w.Keypad || w.Card || w.PIN }

// Activity tells a test driver when the terminal is waiting for input. The input
// devices report to it; a driver calls WaitIdle and then scripts the next input.
type Activity struct {
	mu      sync.Mutex
	gen     uint64
	blocked [numKinds]bool
	changed chan struct{} // closed and replaced on every change
}

// NewActivity returns an Activity with generation 0 and nothing waiting.
func NewActivity() *Activity { return &Activity{changed: make(chan struct{})} }

// Generation counts the times an input call (ReadKey, WaitCard, ReadPIN) started
// blocking with nothing queued.
func (a *Activity) Generation() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.gen
}

// Waiting reports which input calls are blocked with nothing queued right now.
func (a *Activity) Waiting() Waiting {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.waitingLocked()
}

func (a *Activity) waitingLocked() Waiting {
	return Waiting{Keypad: a.blocked[kindKeypad], Card: a.blocked[kindCard], PIN: a.blocked[kindPIN]}
}

// WaitIdle returns once Generation() > since and at least one input call is blocked
// with its queue empty, saying which. Pass the Generation read before scripting the
// last input, so that a wait that was already there does not count.
func (a *Activity) WaitIdle(ctx context.Context, since uint64) (Waiting, error) {
	for {
		a.mu.Lock()
		w, ch := a.waitingLocked(), a.changed
		ok := a.gen > since && w.Any()
		a.mu.Unlock()
		if ok {
			return w, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Waiting{}, ctx.Err()
		}
	}
}

// begin records that an input call of kind k started blocking with nothing queued.
// A nil Activity ignores it.
func (a *Activity) begin(k inputKind) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gen++
	a.blocked[k] = true
	a.notifyLocked()
}

// set records whether an input call of kind k is blocked with nothing queued.
func (a *Activity) set(k inputKind, blocked bool) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.blocked[k] != blocked {
		a.blocked[k] = blocked
		a.notifyLocked()
	}
}

func (a *Activity) notifyLocked() {
	close(a.changed)
	a.changed = make(chan struct{})
}
