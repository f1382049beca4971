//go:build pcsc

package integration

import (
	"context"
	"testing"
	"time"

	"countertop/emv"
	"countertop/emv/card"
	"countertop/hal"
	"countertop/hal/pcsc"
	"countertop/hal/pcsc/vpcd"
	"countertop/internal/cardprofile"
	"countertop/internal/config"
	"countertop/internal/terminal"
	"countertop/testdata"
)

// vpcdCard serves the virtual EMV card to vpcd, as devsim does.
type vpcdCard struct{ c *card.Card }

func (v vpcdCard) ATR() []byte {
	return []byte{0x3B, 0x6E, 0x00, 0x00, 0x00, 0x31, 0xC0, 0x71, 0xD6, 0x65, 0x11, 0x16, 0x02, 0x01, 0x83, 0x90, 0x00}
}

func (v vpcdCard) Transmit(apdu []byte) []byte {
	r, _ := v.c.Transmit(context.Background(), apdu)
	return r
}

// BenchmarkAPDURoundTrip compares one SELECT of the payment application on the virtual
// EMV card (emv/card) called in process with the same exchange through hal/pcsc,
// pcscd and vpcd: the cost of the real stack per APDU. make bench reports both; the
// ratio is the stack's overhead.
func BenchmarkAPDURoundTrip(b *testing.B) {
	ps, err := cardprofile.Load(testdata.FS, "cards")
	if err != nil {
		b.Fatal(err)
	}
	p, err := cardprofile.Find(ps, "cup-pboc-credit")
	if err != nil {
		b.Fatal(err)
	}
	keys, err := card.LoadKeys()
	if err != nil {
		b.Fatal(err)
	}
	selectAID := []byte{0x00, 0xA4, 0x04, 0x00, 0x08, 0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x02, 0x00}
	ctx := context.Background()
	b.Run("direct", func(b *testing.B) {
		c, err := card.New(p, keys)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if r, err := c.Transmit(ctx, selectAID); err != nil || len(r) < 2 || r[len(r)-2] != 0x90 {
				b.Fatalf("SELECT = %X, %v", r, err)
			}
		}
	})
	b.Run("pcscd+vpcd", func(b *testing.B) {
		r, _, done := pcscCard(b, p, keys)
		defer done()
		for b.Loop() {
			if resp, err := r.Transmit(ctx, selectAID); err != nil || len(resp) < 2 || resp[len(resp)-2] != 0x90 {
				b.Fatalf("SELECT = %X, %v", resp, err)
			}
		}
	})
}

// BenchmarkChipRead runs the kernel from application selection to the first GENERATE
// AC (14 APDUs, CDA) against the virtual card, in process and through pcscd+vpcd.
func BenchmarkChipRead(b *testing.B) {
	ps, err := cardprofile.Load(testdata.FS, "cards")
	if err != nil {
		b.Fatal(err)
	}
	p, err := cardprofile.Find(ps, "cup-pboc-credit")
	if err != nil {
		b.Fatal(err)
	}
	keys, err := card.LoadKeys()
	if err != nil {
		b.Fatal(err)
	}
	k, err := terminal.Kernel(config.Default())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	read := func(b *testing.B, c emv.Card, reset func()) {
		for b.Loop() {
			reset()
			tx := k.NewTransaction(c, emv.Params{Amount: 12800})
			if err := tx.Run(ctx, emv.StepGenAC1); err != nil || tx.Outcome() != emv.Online {
				b.Fatalf("run: %v, outcome %v", err, tx.Outcome())
			}
		}
	}
	b.Run("direct", func(b *testing.B) {
		c, err := card.New(p, keys)
		if err != nil {
			b.Fatal(err)
		}
		read(b, c, c.Reset)
	})
	b.Run("pcscd+vpcd", func(b *testing.B) {
		r, c, done := pcscCard(b, p, keys)
		defer done()
		read(b, r, c.Reset)
	})
}

// pcscCard serves a new virtual card of p through vpcd and returns the PC/SC reader
// holding it (connected), the card, and a function that removes it.
func pcscCard(b *testing.B, p cardprofile.Profile, keys card.Keys) (*pcsc.Reader, *card.Card, func()) {
	b.Helper()
	needStack(b)
	waitReaderEmpty(b)
	c, err := card.New(p, keys)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() {
		defer close(served)
		vpcd.Serve(ctx, vpcdAddr, vpcdCard{c})
	}()
	remove := func() {
		cancel()
		<-served
	}
	r, err := pcsc.Open(ctx, readerName)
	if err != nil {
		remove()
		b.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if ev, err := r.WaitCard(wctx); err != nil || ev.Kind != hal.CardInserted {
		r.Close()
		remove()
		b.Fatalf("WaitCard = %v, %v", ev.Kind, err)
	}
	return r, c, func() {
		r.Close()
		remove()
	}
}
