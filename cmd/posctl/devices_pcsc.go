//go:build pcsc

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ebfe/scard"

	"countertop/hal/pcsc"
)

// listReaders asks pcscd for its readers and the state of each slot.
func listReaders() ([]readerInfo, error) {
	ctx, err := scard.EstablishContext()
	if err != nil {
		return nil, fmt.Errorf("pc/sc: %w (is pcscd running? scripts/pcscd/start.sh)", err)
	}
	defer ctx.Release()
	names, err := ctx.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pc/sc list readers: %w", err)
	}
	rs := make([]scard.ReaderState, len(names))
	for i, n := range names {
		rs[i] = scard.ReaderState{Reader: n, CurrentState: scard.StateUnaware}
	}
	if err := ctx.GetStatusChange(rs, 0); err != nil && !errors.Is(err, scard.ErrTimeout) {
		return nil, fmt.Errorf("pc/sc reader state: %w", err)
	}
	out := make([]readerInfo, len(rs))
	for i, r := range rs {
		out[i] = readerInfo{Name: r.Reader, State: stateText(r.EventState)}
		if r.EventState&scard.StatePresent != 0 && len(r.Atr) > 0 {
			out[i].ATR = fmt.Sprintf("%X", r.Atr)
		}
	}
	return out, nil
}

func stateText(s scard.StateFlag) string {
	var parts []string
	switch {
	case s&scard.StateUnavailable != 0:
		parts = append(parts, "unavailable")
	case s&scard.StateUnknown != 0:
		parts = append(parts, "unknown")
	case s&scard.StateEmpty != 0:
		parts = append(parts, "empty")
	case s&scard.StatePresent != 0:
		parts = append(parts, "card present")
	}
	if s&scard.StateMute != 0 {
		parts = append(parts, "mute")
	}
	if s&scard.StateExclusive != 0 {
		parts = append(parts, "in exclusive use")
	} else if s&scard.StateInuse != 0 {
		parts = append(parts, "in use")
	}
	if len(parts) == 0 {
		return fmt.Sprintf("state %#x", uint32(s))
	}
	return strings.Join(parts, ", ")
}

// probeReader opens the reader posd would open.
func probeReader(ctx context.Context, pattern string) (string, error) {
	r, err := pcsc.Open(ctx, pattern)
	if err != nil {
		return "", err
	}
	defer r.Close()
	return r.Name(), nil
}
