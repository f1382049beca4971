//go:build pcsc

package main

import (
	"context"
	"fmt"
	"time"

	"countertop/emv"
	"countertop/hal"
	"countertop/hal/pcsc"
)

// openCard opens the PC/SC reader matching pattern and waits up to wait for a card in
// it. The card is connected (powered, ATR read) when openCard returns.
func openCard(ctx context.Context, pattern string, wait time.Duration) (emv.Card, func(), error) {
	r, err := pcsc.Open(ctx, pattern)
	if err != nil {
		return nil, nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		ev, err := r.WaitCard(wctx)
		if err != nil {
			r.Close()
			if wctx.Err() != nil {
				return nil, nil, fmt.Errorf("no card in reader %q within %v", r.Name(), wait)
			}
			return nil, nil, err
		}
		if ev.Kind == hal.CardInserted {
			return r, func() { r.Close() }, nil
		}
	}
}
