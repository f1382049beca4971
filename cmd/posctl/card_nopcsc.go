//go:build !pcsc

package main

import (
	"context"
	"errors"
	"time"

	"countertop/emv"
)

// errNoPCSC is what the PC/SC commands say in a build without the pcsc tag.
var errNoPCSC = errors.New("built without PC/SC (make build-pcsc)")

// openCard fails in builds without the pcsc tag: they have no PC/SC driver.
func openCard(context.Context, string, time.Duration) (emv.Card, func(), error) {
	return nil, nil, errNoPCSC
}
