package sim

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"countertop/hal"
)

var _ hal.CardReader = (*CardReader)(nil)

// Chip is the card side of a chip exchange: a virtual ICC that answers command
// APDUs with response APDUs (SW1 SW2 last). It must honour ctx.
type Chip interface {
	Transmit(ctx context.Context, command []byte) ([]byte, error)
}

// CardReader is a simulated card reader with a magnetic stripe head, a contact slot
// and a contactless field. Swipe, Insert, Tap and Remove queue events for WaitCard;
// Insert and Tap also put the chip in the reader at once, so Transmit reaches it.
//
// Transmit fails with ErrNoCard (wrapped in a DeviceError) when no chip was ever
// presented, and with ErrCardRemoved after Remove until the next Insert or Tap.
type CardReader struct {
	q *queue[hal.CardEvent]

	mu          sync.Mutex
	chip        Chip
	session     uint64 // changes whenever a card comes or goes
	removed     bool
	removeAfter int // APDUs the chip still answers before it is pulled; <0: no fault
}

// NewCardReader returns an empty reader reporting to a (nil allowed).
func NewCardReader(a *Activity) *CardReader {
	return &CardReader{q: newQueue[hal.CardEvent](a, kindCard), removeAfter: -1}
}

// Swipe queues a successful swipe of t.
func (r *CardReader) Swipe(t hal.Tracks) {
	r.q.push(hal.CardEvent{Kind: hal.CardSwiped, Tracks: t})
}

// SwipeError queues a swipe that could not be read; the event carries err.
func (r *CardReader) SwipeError(err error) {
	r.q.push(hal.CardEvent{Kind: hal.CardSwiped, Err: err})
}

// Insert puts chip in the contact slot and queues CardInserted with atr.
func (r *CardReader) Insert(chip Chip, atr []byte) { r.present(hal.CardInserted, chip, atr) }

// Tap brings chip into the contactless field and queues CardTapped with atr.
func (r *CardReader) Tap(chip Chip, atr []byte) { r.present(hal.CardTapped, chip, atr) }

func (r *CardReader) present(kind hal.CardEventKind, chip Chip, atr []byte) {
	r.mu.Lock()
	r.chip, r.removed, r.removeAfter = chip, false, -1
	r.session++
	r.mu.Unlock()
	r.q.push(hal.CardEvent{Kind: kind, ATR: slices.Clone(atr)})
}

// Remove takes the card out and queues CardRemoved.
func (r *CardReader) Remove() {
	r.mu.Lock()
	r.removeLocked()
	r.mu.Unlock()
	r.q.push(hal.CardEvent{Kind: hal.CardRemoved})
}

func (r *CardReader) removeLocked() {
	r.chip, r.removed, r.removeAfter = nil, true, -1
	r.session++
}

// RemoveAfter is a fault: the card is pulled after the chip has answered n more
// APDUs. The next Transmit fails with ErrCardRemoved and CardRemoved is queued.
func (r *CardReader) RemoveAfter(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.removeAfter = max(n, -1)
}

// Pending is the number of card events not taken by WaitCard yet.
func (r *CardReader) Pending() int { return r.q.len() }

// WaitCard returns the next card event, blocking until there is one or ctx is done.
func (r *CardReader) WaitCard(ctx context.Context) (hal.CardEvent, error) {
	ev, err := r.q.pop(ctx)
	if err != nil {
		return hal.CardEvent{}, err
	}
	ev.ATR = slices.Clone(ev.ATR)
	return ev, nil
}

// Transmit sends command to the chip in the reader and returns its answer.
func (r *CardReader) Transmit(ctx context.Context, command []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	chip, session := r.chip, r.session
	switch {
	case chip == nil && r.removed:
		r.mu.Unlock()
		return nil, transmitError(hal.ErrCardRemoved)
	case chip == nil:
		r.mu.Unlock()
		return nil, transmitError(hal.ErrNoCard)
	case r.removeAfter == 0:
		r.removeLocked()
		r.mu.Unlock()
		r.q.push(hal.CardEvent{Kind: hal.CardRemoved})
		return nil, transmitError(hal.ErrCardRemoved)
	case r.removeAfter > 0:
		r.removeAfter--
	}
	r.mu.Unlock()
	resp, err := chip.Transmit(ctx, slices.Clone(command))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("card reader transmit: %w", ctx.Err())
		}
		return nil, transmitError(err)
	}
	r.mu.Lock()
	gone := r.session != session
	r.mu.Unlock()
	if gone { // pulled during the exchange
		return nil, transmitError(hal.ErrCardRemoved)
	}
	return slices.Clone(resp), nil
}

func transmitError(err error) error {
	return &hal.DeviceError{Device: "card reader", Op: "transmit", Err: err}
}
