package app

import (
	"context"
	"testing"
	"time"

	"countertop/hal"
	"countertop/hal/sim"
	"countertop/internal/carddata"
	"countertop/internal/msgs"
)

// A key and a card event that are both there when the terminal waits: one is
// returned, the other is kept for the next wait, never dropped.
func TestWaitKeepsSimultaneousInputs(t *testing.T) {
	kp, reader := sim.NewKeypad(nil), sim.NewCardReader(nil)
	s := NewScreens(kp, sim.NewDisplay(), msgs.ZH, nil)
	tr, err := carddata.ParseTrack2("6222021234567890128=30121010000000000")
	if err != nil {
		t.Fatal(err)
	}
	kp.Press(hal.KeyMenu)
	reader.Swipe(hal.Tracks{Track2: tr})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var gotKey, gotCard bool
	for range 2 {
		in, err := s.wait(ctx, reader, hal.Screen{}, 0)
		if err != nil {
			t.Fatalf("wait: %v (key %v, card %v so far)", err, gotKey, gotCard)
		}
		gotKey = gotKey || (in.card == nil && in.key == hal.KeyMenu)
		gotCard = gotCard || (in.card != nil && in.card.Kind == hal.CardSwiped)
	}
	if !gotKey || !gotCard {
		t.Errorf("key %v, card %v: an input was lost", gotKey, gotCard)
	}
}
