//go:build pcsc

package pcsc_test

import (
	"context"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"countertop/hal"
	"countertop/hal/haltest"
)

// chipCard serves a haltest chip through vpcd.
type chipCard struct {
	chip haltest.Chip
	atr  []byte
}

func (c chipCard) ATR() []byte { return c.atr }

func (c chipCard) Transmit(apdu []byte) []byte {
	r, err := c.chip.Transmit(context.Background(), apdu)
	if err != nil {
		return []byte{0x6F, 0x00}
	}
	return r
}

// waitReader blocks until pcscd shows flag (present, empty) on the test reader: the
// controls act like a hand, done when the reader has seen it.
func waitReader(t *testing.T, flag scard.StateFlag) {
	t.Helper()
	c, err := scard.EstablishContext()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	rs := []scard.ReaderState{{Reader: readerName, CurrentState: scard.StateUnaware}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := c.GetStatusChange(rs, time.Until(deadline)); err != nil {
			t.Fatalf("waiting for reader state %#x: %v", flag, err)
		}
		if rs[0].EventState&flag != 0 {
			return
		}
		rs[0].CurrentState = rs[0].EventState &^ scard.StateChanged
	}
}

// TestConformance runs hal's card reader suite against the driver through pcscd, with
// the suite's chips served by vpcd.
//
// The suite's Remove control is left nil, which skips its Remove subtest: it takes the
// card out before the first WaitCard, and PC/SC keeps no event queue, so a card that
// came and went before anyone looked is not seen by any PC/SC driver.
// TestInsertTransmitRemove covers removal.
func TestConformance(t *testing.T) {
	needPCSC(t)
	haltest.TestCardReader(t, func(t *testing.T) (hal.CardReader, haltest.CardControls) {
		r := open(t)
		var remove func()
		t.Cleanup(func() {
			if remove != nil {
				remove()
				waitReader(t, scard.StateEmpty)
			}
		})
		return r, haltest.CardControls{
			Insert: func(chip haltest.Chip, atr []byte) {
				remove = insert(t, chipCard{chip: chip, atr: atr})
				waitReader(t, scard.StatePresent)
			},
		}
	})
}
