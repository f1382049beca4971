package readers

import (
	"context"
	"errors"
	"testing"
	"time"

	"countertop/hal"
	"countertop/hal/sim"
	"countertop/internal/carddata"
)

type chip struct{}

func (chip) Transmit(context.Context, []byte) ([]byte, error) { return []byte{0x90, 0x00}, nil }

func track(t *testing.T) hal.Tracks {
	tr, err := carddata.ParseTrack2("6222021234567890128=30121010000000000")
	if err != nil {
		t.Fatal(err)
	}
	return hal.Tracks{Track2: tr}
}

func TestEventsFromBothReaders(t *testing.T) {
	chipR, stripeR := sim.NewCardReader(nil), sim.NewCardReader(nil)
	c := Combine(chipR, stripeR)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	stripeR.Swipe(track(t))
	ev, err := c.WaitCard(ctx)
	if err != nil || ev.Kind != hal.CardSwiped {
		t.Fatalf("first event = %v, %v; want a swipe", ev.Kind, err)
	}
	chipR.Insert(chip{}, []byte{0x3B})
	if ev, err = c.WaitCard(ctx); err != nil || ev.Kind != hal.CardInserted {
		t.Fatalf("second event = %v, %v; want an insertion", ev.Kind, err)
	}
	if r, err := c.Transmit(ctx, []byte{0x00, 0xA4, 0x04, 0x00}); err != nil || len(r) != 2 {
		t.Fatalf("Transmit = %X, %v", r, err)
	}
}

// Two events at once: neither is lost.
func TestSimultaneousEventsAreKept(t *testing.T) {
	chipR, stripeR := sim.NewCardReader(nil), sim.NewCardReader(nil)
	c := Combine(chipR, stripeR)
	stripeR.Swipe(track(t))
	chipR.Insert(chip{}, []byte{0x3B})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kinds := map[hal.CardEventKind]bool{}
	for range 2 {
		ev, err := c.WaitCard(ctx)
		if err != nil {
			t.Fatal(err)
		}
		kinds[ev.Kind] = true
	}
	if !kinds[hal.CardSwiped] || !kinds[hal.CardInserted] {
		t.Fatalf("events seen: %v", kinds)
	}
}

func TestCancel(t *testing.T) {
	c := Combine(sim.NewCardReader(nil), sim.NewCardReader(nil))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.WaitCard(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitCard on a cancelled ctx = %v", err)
	}
}

// APDUs go to the reader that holds the card: here the contactless one after a tap.
func TestTransmitGoesToTheCardsReader(t *testing.T) {
	chipR, stripeR, clR := sim.NewCardReader(nil), sim.NewCardReader(nil), sim.NewCardReader(nil)
	c := Combine(chipR, stripeR, clR)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	clR.Tap(chip{}, []byte{0x3B})
	if ev, err := c.WaitCard(ctx); err != nil || ev.Kind != hal.CardTapped {
		t.Fatalf("WaitCard = %v, %v", ev.Kind, err)
	}
	if _, err := c.Transmit(ctx, []byte{0x00, 0xA4, 0x04, 0x00}); err != nil {
		t.Fatalf("Transmit after a tap: %v (sent to the wrong reader?)", err)
	}
	if _, err := chipR.Transmit(ctx, []byte{0x00}); !errors.Is(err, hal.ErrNoCard) {
		t.Fatalf("the chip reader has a card: %v", err)
	}
}
