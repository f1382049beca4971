// Package readers combines a chip card reader and a magnetic stripe reader into the
// one hal.CardReader a terminal waits on: card events come from either, APDUs go to
// the chip reader. It imports only hal.
package readers

import (
	"context"
	"sync"

	"countertop/hal"
)

// Combined is a chip reader and a stripe reader seen as one.
type Combined struct {
	chip, stripe hal.CardReader

	mu      sync.Mutex
	pending []hal.CardEvent // events that arrived while another one won
}

var _ hal.CardReader = (*Combined)(nil)

// Combine returns a reader that reports the events of both and sends APDUs to chip.
func Combine(chip, stripe hal.CardReader) *Combined {
	return &Combined{chip: chip, stripe: stripe}
}

type result struct {
	ev  hal.CardEvent
	err error
}

// WaitCard returns the next event of either reader. When both have one at the same
// moment, the second is kept for the next call, never dropped.
func (c *Combined) WaitCard(ctx context.Context) (hal.CardEvent, error) {
	c.mu.Lock()
	if len(c.pending) > 0 {
		ev := c.pending[0]
		c.pending = c.pending[1:]
		c.mu.Unlock()
		return ev, nil
	}
	c.mu.Unlock()
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan result, 2)
	var wg sync.WaitGroup
	for _, r := range []hal.CardReader{c.chip, c.stripe} {
		wg.Go(func() {
			ev, err := r.WaitCard(inner)
			results <- result{ev, err}
		})
	}
	first := <-results
	cancel()
	wg.Wait()
	second := <-results
	if first.err == nil && second.err == nil {
		c.mu.Lock()
		c.pending = append(c.pending, second.ev)
		c.mu.Unlock()
		return first.ev, nil
	}
	for _, r := range []result{first, second} {
		if r.err == nil {
			return r.ev, nil
		}
	}
	if ctx.Err() != nil {
		return hal.CardEvent{}, ctx.Err()
	}
	return hal.CardEvent{}, first.err
}

// Transmit sends an APDU to the chip reader.
func (c *Combined) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	return c.chip.Transmit(ctx, apdu)
}
