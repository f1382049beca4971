//go:build pcsc

package main

import (
	"context"

	"countertop/hal"
	"countertop/hal/pcsc"
)

// openPCSC opens the first PC/SC reader matching pattern.
func openPCSC(ctx context.Context, pattern string) (hal.CardReader, func(), error) {
	r, err := pcsc.Open(ctx, pattern)
	if err != nil {
		return nil, nil, err
	}
	return r, func() { r.Close() }, nil
}

// openPCSCContactless opens the first PC/SC reader matching pattern as a contactless
// reader (its cards are taps).
func openPCSCContactless(ctx context.Context, pattern string) (hal.CardReader, func(), error) {
	r, err := pcsc.OpenContactless(ctx, pattern)
	if err != nil {
		return nil, nil, err
	}
	return r, func() { r.Close() }, nil
}
