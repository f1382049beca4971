//go:build pcsc

package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"countertop/emv"
	"countertop/hal"
	"countertop/hal/pcsc"
)

// errNoStatus is a PC/SC exchange that "succeeded" with less than SW1 SW2. pcscd with
// vpcd 0.8 answers so when the card leaves in the middle of the exchange (the card
// side closes its connection after reading the command).
var errNoStatus = errors.New("the reader returned no status word (card left during the exchange?)")

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
			return checked{r}, func() { r.Close() }, nil
		}
	}
}

// checked turns an answer without a status word into a reader error.
type checked struct{ r *pcsc.Reader }

func (c checked) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	resp, err := c.r.Transmit(ctx, apdu)
	if err == nil && len(resp) < 2 {
		return nil, &hal.DeviceError{Device: "card reader", Op: "transmit", Err: errNoStatus}
	}
	return resp, err
}
