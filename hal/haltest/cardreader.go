package haltest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"countertop/hal"
	"countertop/internal/carddata"
)

// Chip is the card side of a chip exchange, as the suite's test card implements it.
type Chip interface {
	Transmit(ctx context.Context, command []byte) ([]byte, error)
}

// CardControls play the cardholder's part for TestCardReader. A nil control skips the
// subtests that need it (a reader with no stripe head has no Swipe).
type CardControls struct {
	Swipe  func(t hal.Tracks)          // swipe a card with these tracks
	Insert func(chip Chip, atr []byte) // insert a chip card answering with chip
	Remove func()                      // take the card out
}

// TestCardReader runs the card reader conformance suite. newReader returns a fresh,
// empty reader and its controls.
func TestCardReader(t *testing.T, newReader func(t *testing.T) (hal.CardReader, CardControls)) {
	ctx := context.Background()
	tr2, err := carddata.ParseTrack2("6222021234567890128=30121010000000000")
	if err != nil {
		t.Fatal(err)
	}
	atr := []byte{0x3B, 0x02, 0x14, 0x50}

	t.Run("Swipe", func(t *testing.T) {
		r, c := newReader(t)
		if c.Swipe == nil {
			t.Skip("no Swipe control")
		}
		c.Swipe(hal.Tracks{Track2: tr2, Name: "ZHANG/SAN"})
		ev, err := await(t, "WaitCard", async(ctx, r.WaitCard))
		if err != nil {
			t.Fatalf("WaitCard: %v", err)
		}
		if ev.Kind != hal.CardSwiped || ev.Err != nil || ev.Tracks.Track2.Reveal() != tr2.Reveal() || ev.Tracks.Name != "ZHANG/SAN" {
			t.Errorf("WaitCard = %v %v %v %q; want a clean swipe of %v ZHANG/SAN", ev.Kind, ev.Err, ev.Tracks.Track2, ev.Tracks.Name, tr2)
		}
	})

	t.Run("InsertAndTransmit", func(t *testing.T) {
		r, c := newReader(t)
		if c.Insert == nil {
			t.Skip("no Insert control")
		}
		chip := &echoChip{}
		c.Insert(chip, atr)
		ev, err := await(t, "WaitCard", async(ctx, r.WaitCard))
		if err != nil {
			t.Fatalf("WaitCard: %v", err)
		}
		if ev.Kind != hal.CardInserted || !bytes.Equal(ev.ATR, atr) {
			t.Fatalf("WaitCard = %v ATR % X; want inserted ATR % X", ev.Kind, ev.ATR, atr)
		}
		cmds := [][]byte{
			{0x00, 0xA4, 0x04, 0x00, 0x0E, '1', 'P', 'A', 'Y', '.', 'S', 'Y', 'S', '.', 'D', 'D', 'F', '0', '1', 0x00},
			{0x00, 0xB2, 0x01, 0x0C, 0x00},
		}
		for _, cmd := range cmds {
			resp, err := r.Transmit(ctx, cmd)
			if err != nil {
				t.Fatalf("Transmit(% X): %v", cmd, err)
			}
			if want := echoAnswer(cmd); !bytes.Equal(resp, want) {
				t.Errorf("Transmit(% X) = % X; want % X", cmd, resp, want)
			}
		}
		if d := cmp.Diff(cmds, chip.seen()); d != "" {
			t.Errorf("APDUs the chip saw (-sent +seen):\n%s", d)
		}
	})

	t.Run("TransmitWithoutCard", func(t *testing.T) {
		r, _ := newReader(t)
		_, err := r.Transmit(ctx, []byte{0x00, 0xA4, 0x04, 0x00, 0x00})
		if !errors.Is(err, hal.ErrNoCard) {
			t.Errorf("Transmit with no card = %v; want ErrNoCard", err)
		}
	})

	t.Run("Remove", func(t *testing.T) {
		r, c := newReader(t)
		if c.Insert == nil || c.Remove == nil {
			t.Skip("no Insert or Remove control")
		}
		c.Insert(&echoChip{}, atr)
		c.Remove()
		var kinds []hal.CardEventKind
		for range 2 {
			ev, err := await(t, "WaitCard", async(ctx, r.WaitCard))
			if err != nil {
				t.Fatalf("WaitCard after %v: %v", kinds, err)
			}
			kinds = append(kinds, ev.Kind)
		}
		if d := cmp.Diff([]hal.CardEventKind{hal.CardInserted, hal.CardRemoved}, kinds); d != "" {
			t.Errorf("events (-want +got):\n%s", d)
		}
		_, err := r.Transmit(ctx, []byte{0x00, 0xB2, 0x01, 0x0C, 0x00})
		if !errors.Is(err, hal.ErrCardRemoved) && !errors.Is(err, hal.ErrNoCard) {
			t.Errorf("Transmit after removal = %v; want ErrCardRemoved or ErrNoCard", err)
		}
	})

	t.Run("CancelWhileWaiting", func(t *testing.T) {
		r, c := newReader(t)
		cctx, cancel := context.WithCancel(ctx)
		ch := async(cctx, r.WaitCard)
		cancel()
		if _, err := await(t, "WaitCard after cancel", ch); !errors.Is(err, context.Canceled) {
			t.Fatalf("WaitCard after cancel = %v; want context.Canceled", err)
		}
		present := c.Swipe
		wantKind := hal.CardSwiped
		if present == nil && c.Insert != nil {
			present = func(hal.Tracks) { c.Insert(&echoChip{}, atr) }
			wantKind = hal.CardInserted
		}
		if present == nil {
			return
		}
		present(hal.Tracks{Track2: tr2})
		ev, err := await(t, "WaitCard", async(ctx, r.WaitCard))
		if err != nil || ev.Kind != wantKind {
			t.Errorf("card presented after a cancelled wait: WaitCard = %v, %v; want %v", ev.Kind, err, wantKind)
		}
	})

	t.Run("TransmitCancelled", func(t *testing.T) {
		r, c := newReader(t)
		if c.Insert == nil {
			t.Skip("no Insert control")
		}
		c.Insert(&echoChip{}, atr)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := r.Transmit(cctx, []byte{0x00, 0xB2, 0x01, 0x0C, 0x00}); !errors.Is(err, context.Canceled) {
			t.Errorf("Transmit with cancelled ctx = %v; want context.Canceled", err)
		}
	})
}

// echoChip answers every command with its INS byte and 90 00, and records commands.
type echoChip struct {
	mu   sync.Mutex
	cmds [][]byte
}

func (c *echoChip) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.cmds = append(c.cmds, slices.Clone(cmd))
	c.mu.Unlock()
	return echoAnswer(cmd), nil
}

func (c *echoChip) seen() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.cmds)
}

func echoAnswer(cmd []byte) []byte {
	if len(cmd) < 2 {
		return []byte{0x67, 0x00}
	}
	return []byte{0x70, 0x01, cmd[1], 0x90, 0x00}
}
