package sim

import (
	"context"
	"slices"
	"sync"

	"countertop/hal"
)

var (
	_ hal.Display = (*Display)(nil)
	_ hal.Beeper  = (*Display)(nil)
)

// Display is a simulated display that records every screen shown and every beep.
type Display struct {
	// OnShow, when set (before the display is shared), is called with each screen
	// after it is recorded; the console mirror uses it. It must not block.
	OnShow func(hal.Screen)

	mu      sync.Mutex
	screens []hal.Screen
	beeps   []int
}

// NewDisplay returns a blank display.
func NewDisplay() *Display { return &Display{} }

// Show records s.
func (d *Display) Show(ctx context.Context, s hal.Screen) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s = copyScreen(s)
	d.mu.Lock()
	d.screens = append(d.screens, s)
	d.mu.Unlock()
	if d.OnShow != nil {
		d.OnShow(copyScreen(s))
	}
	return nil
}

// Current is the screen shown last (the zero Screen before any).
func (d *Display) Current() hal.Screen {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.screens) == 0 {
		return hal.Screen{}
	}
	return copyScreen(d.screens[len(d.screens)-1])
}

// Transcript is every screen shown, oldest first.
func (d *Display) Transcript() []hal.Screen { return d.Since(0) }

// Len is the number of screens shown so far; pass it to Since later.
func (d *Display) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.screens)
}

// Since is the screens shown after the first n.
func (d *Display) Since(n int) []hal.Screen {
	d.mu.Lock()
	defer d.mu.Unlock()
	n = max(0, min(n, len(d.screens)))
	out := make([]hal.Screen, 0, len(d.screens)-n)
	for _, s := range d.screens[n:] {
		out = append(out, copyScreen(s))
	}
	return out
}

func copyScreen(s hal.Screen) hal.Screen {
	s.Lines = slices.Clone(s.Lines)
	return s
}

// Beep records a beep of times short tones.
func (d *Display) Beep(ctx context.Context, times int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.beeps = append(d.beeps, times)
	return nil
}

// Beeps is the times argument of every Beep, oldest first.
func (d *Display) Beeps() []int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.beeps)
}
