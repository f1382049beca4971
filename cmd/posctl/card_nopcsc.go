//go:build !pcsc

package main

import (
	"context"
	"time"

	"countertop/emv"
)

// openCard fails in builds without the pcsc tag: they have no PC/SC driver.
func openCard(context.Context, string, time.Duration) (emv.Card, func(), error) {
	return nil, nil, errNoPCSC
}
