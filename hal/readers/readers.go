// Package readers combines a terminal's card readers — contact chip, magnetic stripe,
// contactless — into the one hal.CardReader it waits on: card events come from any of
// them, APDUs go to the reader whose card is present. It imports only hal.
package readers

import (
	"context"
	"sync"

	"countertop/hal"
)

// Combined is several readers seen as one.
type Combined struct {
	readers []hal.CardReader

	mu      sync.Mutex
	pending []event        // events that arrived while another one won
	active  hal.CardReader // the reader of the card inserted or tapped last
}

type event struct {
	ev hal.CardEvent
	r  hal.CardReader
}

var _ hal.CardReader = (*Combined)(nil)

// Combine returns a reader that reports the events of all readers; APDUs go to the
// reader whose card was inserted or tapped last (the first reader before any).
func Combine(readers ...hal.CardReader) *Combined {
	return &Combined{readers: readers, active: readers[0]}
}

type result struct {
	event
	err error
}

// WaitCard returns the next event of any reader. When several have one at the same
// moment, the others are kept for the next calls, never dropped.
func (c *Combined) WaitCard(ctx context.Context) (hal.CardEvent, error) {
	c.mu.Lock()
	if len(c.pending) > 0 {
		e := c.pending[0]
		c.pending = c.pending[1:]
		c.mu.Unlock()
		return c.take(e), nil
	}
	c.mu.Unlock()
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan result, len(c.readers))
	var wg sync.WaitGroup
	for _, r := range c.readers {
		wg.Go(func() {
			ev, err := r.WaitCard(inner)
			results <- result{event{ev, r}, err}
		})
	}
	first := <-results
	cancel()
	wg.Wait()
	close(results)
	var won *event
	var firstErr error
	for _, r := range append([]result{first}, drain(results)...) {
		switch {
		case r.err != nil:
			if firstErr == nil {
				firstErr = r.err
			}
		case won == nil:
			won = &r.event
		default:
			c.mu.Lock()
			c.pending = append(c.pending, r.event)
			c.mu.Unlock()
		}
	}
	if won != nil {
		return c.take(*won), nil
	}
	if ctx.Err() != nil {
		return hal.CardEvent{}, ctx.Err()
	}
	return hal.CardEvent{}, firstErr
}

func drain(ch <-chan result) []result {
	var out []result
	for r := range ch {
		out = append(out, r)
	}
	return out
}

// take notes which reader holds the card an event brings.
func (c *Combined) take(e event) hal.CardEvent {
	if e.ev.Kind == hal.CardInserted || e.ev.Kind == hal.CardTapped {
		c.mu.Lock()
		c.active = e.r
		c.mu.Unlock()
	}
	return e.ev
}

// Transmit sends an APDU to the reader whose card was inserted or tapped last.
func (c *Combined) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	c.mu.Lock()
	r := c.active
	c.mu.Unlock()
	return r.Transmit(ctx, apdu)
}
