package haltest

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"countertop/hal"
	"countertop/internal/carddata"
	"countertop/internal/money"
)

// PINControls play the cardholder's part for TestPINPad.
type PINControls struct {
	Enter  func(pin string) // type pin and press enter. Required.
	Cancel func()           // press cancel. Required.
	Bypass func()           // press enter with no digits. Nil skips the bypass subtest.
	// Decrypt decrypts an encrypted PIN block under the working PIN key the pad was
	// given, so the suite can check the clear block. Required.
	Decrypt func(enc []byte) ([]byte, error)
	// BlockLen is the clear block's size: 0 or 8 for ISO 9564 format 0 under a
	// DES-family PIN key, 16 for the SM4 widening of format 0 (32 nibbles).
	BlockLen int
}

// TestPINPad runs the PIN pad conformance suite. newPad returns a fresh pad with a
// working PIN key loaded and nothing entered, and its controls.
func TestPINPad(t *testing.T, newPad func(t *testing.T) (hal.PINPad, PINControls)) {
	ctx := context.Background()
	pan, err := carddata.ParsePAN("6222021234567890128")
	if err != nil {
		t.Fatal(err)
	}
	entry := hal.PINEntry{PAN: pan, Amount: money.New(1234, money.CNY), MinLen: 4, MaxLen: 6}

	check := func(t *testing.T, c PINControls, b carddata.PINBlock, pin string) {
		t.Helper()
		if b.IsZero() {
			t.Fatal("empty PIN block")
		}
		got, err := c.Decrypt(b.Reveal())
		if err != nil {
			t.Fatalf("decrypt PIN block: %v", err)
		}
		if d := cmp.Diff(format0(pin, pan, c.BlockLen), got); d != "" {
			t.Errorf("clear PIN block for %d-digit PIN (-ISO 9564 format 0 +got):\n%s", len(pin), d)
		}
	}

	t.Run("EnterGivesFormat0Block", func(t *testing.T) {
		p, c := newPad(t)
		c.Enter("123456")
		b, err := await(t, "ReadPIN", async(ctx, readPIN(p, entry)))
		if err != nil {
			t.Fatalf("ReadPIN: %v", err)
		}
		check(t, c, b, "123456")
	})

	t.Run("EntriesInOrder", func(t *testing.T) {
		p, c := newPad(t)
		c.Enter("1111")
		c.Enter("24680")
		for _, pin := range []string{"1111", "24680"} {
			b, err := await(t, "ReadPIN", async(ctx, readPIN(p, entry)))
			if err != nil {
				t.Fatalf("ReadPIN for %d digits: %v", len(pin), err)
			}
			check(t, c, b, pin)
		}
	})

	t.Run("BlocksUntilEntered", func(t *testing.T) {
		p, c := newPad(t)
		ch := async(ctx, readPIN(p, entry))
		c.Enter("9876")
		b, err := await(t, "ReadPIN", ch)
		if err != nil {
			t.Fatalf("ReadPIN: %v", err)
		}
		check(t, c, b, "9876")
	})

	t.Run("Cancel", func(t *testing.T) {
		p, c := newPad(t)
		c.Cancel()
		_, err := await(t, "ReadPIN", async(ctx, readPIN(p, entry)))
		if !errors.Is(err, hal.ErrCancelled) {
			t.Errorf("ReadPIN cancelled on the pad = %v; want ErrCancelled", err)
		}
	})

	t.Run("Bypass", func(t *testing.T) {
		p, c := newPad(t)
		if c.Bypass == nil {
			t.Skip("no Bypass control")
		}
		c.Bypass()
		e := entry
		e.AllowBypass = true
		_, err := await(t, "ReadPIN", async(ctx, readPIN(p, e)))
		if !errors.Is(err, hal.ErrPINBypassed) {
			t.Errorf("ReadPIN bypassed = %v; want ErrPINBypassed", err)
		}
	})

	t.Run("CancelWhileWaiting", func(t *testing.T) {
		p, c := newPad(t)
		cctx, cancel := context.WithCancel(ctx)
		ch := async(cctx, readPIN(p, entry))
		cancel()
		if _, err := await(t, "ReadPIN after cancel", ch); !errors.Is(err, context.Canceled) {
			t.Fatalf("ReadPIN after cancel = %v; want context.Canceled", err)
		}
		c.Enter("4321")
		b, err := await(t, "ReadPIN", async(ctx, readPIN(p, entry)))
		if err != nil {
			t.Fatalf("PIN entered after a cancelled read: ReadPIN: %v", err)
		}
		check(t, c, b, "4321")
	})

	t.Run("Show", func(t *testing.T) {
		p, _ := newPad(t)
		if err := p.Show(ctx, "RMB 12.34", "THANK YOU"); err != nil {
			t.Errorf("Show: %v", err)
		}
	})
}

// readPIN binds a PIN entry to p.ReadPIN for async.
func readPIN(p hal.PINPad, e hal.PINEntry) func(context.Context) (carddata.PINBlock, error) {
	return func(ctx context.Context) (carddata.PINBlock, error) { return p.ReadPIN(ctx, e) }
}

// format0 is the clear ISO 9564 format 0 PIN block of size bytes (8, or 16 for SM4;
// 0 means 8), computed here independently of any implementation: 0 L PIN F... XOR
// zeros and the 12 rightmost PAN digits before the check digit.
func format0(pin string, pan carddata.PAN, size int) []byte {
	if size == 0 {
		size = 8
	}
	p, _ := hex.DecodeString("0" + strings.ToUpper(hex.EncodeToString([]byte{byte(len(pin))}))[1:] + pin + strings.Repeat("F", 2*size-2-len(pin)))
	d := pan.Reveal()
	a, _ := hex.DecodeString(strings.Repeat("0", 2*size-12) + d[len(d)-13:len(d)-1])
	for i := range p {
		p[i] ^= a[i]
	}
	return p
}
