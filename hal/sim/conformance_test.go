package sim_test

import (
	"context"
	"testing"

	"countertop/hal"
	"countertop/hal/haltest"
	"countertop/hal/sim"
	"countertop/internal/keys"
)

// Test keys: TMK, and the PIK as the host sends it (encrypted under the TMK) with its
// check value.
var (
	testTMK = mustKey("0123456789ABCDEFFEDCBA9876543210")
	testPIK = mustKey("11111111111111112222222222222222")
)

func mustKey(h string) keys.Key {
	k, err := keys.ParseHexKey(h)
	if err != nil {
		panic(err)
	}
	return k
}

// encryptedPIK returns the PIK under the TMK and its check value, as in a sign-in reply.
func encryptedPIK(t *testing.T) (enc, kcv []byte) {
	t.Helper()
	enc, err := keys.EncryptECB(testTMK, testPIK.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return enc, keys.KCV(testPIK)
}

func newLoadedPad(t *testing.T, a *sim.Activity) *sim.PINPad {
	t.Helper()
	p := sim.NewPINPad(a, testTMK)
	enc, kcv := encryptedPIK(t)
	if err := p.LoadPINKey(context.Background(), enc, kcv); err != nil {
		t.Fatalf("LoadPINKey: %v", err)
	}
	return p
}

func TestKeypadConformance(t *testing.T) {
	haltest.TestKeypad(t, func(t *testing.T) (hal.Keypad, func(...hal.Key)) {
		k := sim.NewKeypad(sim.NewActivity())
		return k, k.Press
	})
}

func TestPrinterConformance(t *testing.T) {
	haltest.TestPrinter(t, func(t *testing.T) (hal.Printer, haltest.Controls) {
		p := sim.NewPrinter()
		return p, haltest.Controls{SetStatus: p.SetStatus, PaperOutAfter: p.PaperOutAfter, Printed: p.Printed}
	})
}

func TestCardReaderConformance(t *testing.T) {
	haltest.TestCardReader(t, func(t *testing.T) (hal.CardReader, haltest.CardControls) {
		r := sim.NewCardReader(nil)
		return r, haltest.CardControls{
			Swipe:  r.Swipe,
			Insert: func(c haltest.Chip, atr []byte) { r.Insert(c, atr) },
			Remove: r.Remove,
		}
	})
}

func TestPINPadConformance(t *testing.T) {
	haltest.TestPINPad(t, func(t *testing.T) (hal.PINPad, haltest.PINControls) {
		p := newLoadedPad(t, sim.NewActivity())
		return p, haltest.PINControls{
			Enter: p.Enter, Cancel: p.Cancel, Bypass: p.Bypass,
			Decrypt: func(enc []byte) ([]byte, error) { return keys.DecryptPINBlock(testPIK, enc) },
		}
	})
}

// A pad holding an SM4 TMK takes an SM4 PIK at sign-in and makes 16-byte blocks.
func TestPINPadConformanceSM4(t *testing.T) {
	tmk, err := keys.ParseHexSM4Key("1234567890ABCDEFABCDEF0987654321")
	if err != nil {
		t.Fatal(err)
	}
	pik, err := keys.ParseHexSM4Key("F351D490994603795C6EBEE8FAEBB481")
	if err != nil {
		t.Fatal(err)
	}
	haltest.TestPINPad(t, func(t *testing.T) (hal.PINPad, haltest.PINControls) {
		p := sim.NewPINPad(sim.NewActivity(), tmk)
		enc, err := keys.EncryptECB(tmk, pik.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if err := p.LoadPINKey(context.Background(), enc, keys.KCV(pik)); err != nil {
			t.Fatalf("LoadPINKey(sm4): %v", err)
		}
		return p, haltest.PINControls{
			Enter: p.Enter, Cancel: p.Cancel, Bypass: p.Bypass, BlockLen: keys.PINBlockLenSM4,
			Decrypt: func(enc []byte) ([]byte, error) { return keys.DecryptPINBlock(pik, enc) },
		}
	})
}
