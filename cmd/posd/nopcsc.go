//go:build !pcsc

package main

import (
	"context"
	"errors"

	"countertop/hal"
)

// openPCSC fails in builds without the pcsc tag (the default `make run` build, which
// needs no libpcsclite).
func openPCSC(context.Context, string) (hal.CardReader, func(), error) {
	return nil, nil, errors.New("devices.card_reader = \"pcsc\" needs a posd built with -tags pcsc (make build-pcsc)")
}

// openPCSCContactless fails in builds without the pcsc tag.
func openPCSCContactless(context.Context, string) (hal.CardReader, func(), error) {
	return nil, nil, errors.New("devices.contactless = \"pcsc\" needs a posd built with -tags pcsc (make build-pcsc)")
}
