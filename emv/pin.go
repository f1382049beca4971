package emv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"

	"countertop/emv/apdu"
	"countertop/emv/tlv"
)

// EncipheredPINEntry is an optional capability of a PINEntry (assert for it): a PIN pad
// that enciphers the PIN block for the card under the ICC's public key itself, so the
// clear block never leaves it (Book 2 section 7). Without it the kernel does not
// perform the offline enciphered PIN CVMs (04, 05) and treats them as not supported.
type EncipheredPINEntry interface {
	OfflineEncipheredPIN(ctx context.Context, req OfflineEncipheredPINRequest) (verifyData []byte, err error)
}

// OfflineEncipheredPINRequest carries what the PIN pad needs: the key recovered from the
// ICC certificate and the card's challenge. EncipherPIN does the encipherment.
type OfflineEncipheredPINRequest struct {
	TriesLeft         int
	Modulus, Exponent []byte
	Challenge         []byte // 8 bytes from GET CHALLENGE
}

// ErrPINFormat is wrapped by PlaintextPINBlock for a PIN that is not 4-12 digits.
var ErrPINFormat = errors.New("pin must be 4 to 12 digits")

// PlaintextPINBlock returns the ISO 9564 format 2 block VERIFY carries (Book 3 6.5.12):
// 2, the PIN length, the digits, F padding. For PIN pads and simulators: the kernel
// itself only passes on what the PINEntry returns.
func PlaintextPINBlock(pin string) ([]byte, error) {
	if len(pin) < 4 || len(pin) > 12 {
		return nil, ErrPINFormat
	}
	b := make([]byte, 8)
	b[0] = 0x20 | byte(len(pin))
	for i := range 14 {
		d := byte(0x0F)
		if i < len(pin) {
			if pin[i] < '0' || pin[i] > '9' {
				return nil, ErrPINFormat
			}
			d = pin[i] - '0'
		}
		if i%2 == 0 {
			b[1+i/2] = d << 4
		} else {
			b[1+i/2] |= d
		}
	}
	return b, nil
}

// EncipherPIN builds the data of VERIFY P2=88 (Book 2 7.2): RSA of 7F || PIN block ||
// ICC challenge || random padding under the ICC (PIN encipherment) public key.
func EncipherPIN(block, challenge, modulus, exponent []byte, random io.Reader) ([]byte, error) {
	n := len(modulus)
	if len(block) != 8 || len(challenge) != 8 || n < 17+8 {
		return nil, fmt.Errorf("encipher pin: block %d, challenge %d, modulus %d bytes", len(block), len(challenge), n)
	}
	m := make([]byte, n)
	m[0] = 0x7F
	copy(m[1:], block)
	copy(m[9:], challenge)
	if _, err := io.ReadFull(random, m[17:]); err != nil {
		return nil, fmt.Errorf("encipher pin: %w", err)
	}
	mod := new(big.Int).SetBytes(modulus)
	x := new(big.Int).SetBytes(m)
	if x.Cmp(mod) >= 0 {
		return nil, errors.New("encipher pin: message not below the modulus")
	}
	c := new(big.Int).Exp(x, new(big.Int).SetBytes(exponent), mod)
	return c.FillBytes(make([]byte, n)), nil
}

func (t *Transaction) encipheredSupported() bool {
	_, ok := t.p.PIN.(EncipheredPINEntry)
	return ok
}

// offlinePIN runs the PIN try loop of both offline PIN CVMs.
func (t *Transaction) offlinePIN(ctx context.Context, enciphered bool) (byte, error) {
	if t.p.PIN == nil {
		t.tvr.Set(TVRPINPadNotWorking)
		return CVMResultFailed, nil
	}
	var ep EncipheredPINEntry
	if enciphered {
		var ok bool
		if ep, ok = t.p.PIN.(EncipheredPINEntry); !ok {
			t.tvr.Set(TVRPINPadNotWorking)
			return CVMResultFailed, nil
		}
		if t.iccPubMod == nil && !t.iccKey() {
			return CVMResultFailed, nil // no ICC key to encipher under
		}
	}
	tries := -1
	r, err := t.t.exchange(ctx, "get data 9F17", apdu.Command{CLA: 0x80, INS: 0xCA, P1: 0x9F, P2: 0x17, Le: apdu.Le(0)})
	if err != nil {
		return 0, t.xerr(err)
	}
	if r.SW() == apdu.Success {
		if tl, err := tlv.Parse(r.Data); err == nil {
			if v, ok := tlv.Find(tl, 0x9F17); ok && len(v.Value) == 1 {
				tries = int(v.Value[0])
				t.icc[0x9F17] = v.Value
			}
		}
	}
	if tries == 0 {
		t.tvr.Set(TVRPINTryLimitExceeded)
		return CVMResultFailed, nil
	}
	for {
		var data []byte
		var p2 byte = 0x80
		if enciphered {
			p2 = 0x88
			r, xerr := t.t.exchange(ctx, "get challenge", apdu.Command{CLA: 0x00, INS: 0x84, Le: apdu.Le(0)})
			if xerr != nil {
				return 0, t.xerr(xerr)
			}
			if r.SW() != apdu.Success || len(r.Data) != 8 {
				return CVMResultFailed, nil
			}
			// err is the loop's: the PIN pad's answer is checked below.
			data, err = ep.OfflineEncipheredPIN(ctx, OfflineEncipheredPINRequest{TriesLeft: tries, Modulus: t.iccPubMod, Exponent: t.iccPubExp, Challenge: r.Data})
		} else {
			data, err = t.p.PIN.OfflinePlaintextPIN(ctx, OfflinePINRequest{TriesLeft: tries, LastTry: tries == 1})
		}
		switch {
		case errors.Is(err, ErrPINBypassed):
			t.tvr.Set(TVRPINNotEntered)
			return CVMResultFailed, nil
		case errors.Is(err, ErrPINPadUnavailable):
			t.tvr.Set(TVRPINPadNotWorking)
			return CVMResultFailed, nil
		case err != nil:
			return 0, fmt.Errorf("offline pin: %w", err)
		}
		r, err := t.t.exchange(ctx, "verify", apdu.Command{CLA: 0x00, INS: 0x20, P2: p2, Data: data})
		if err != nil {
			return 0, t.xerr(err)
		}
		sw := r.SW()
		if sw == apdu.Success {
			return CVMResultSuccess, nil
		}
		left, ok := sw.TriesLeft()
		if ok && left > 0 {
			tries = left
			continue
		}
		if ok || sw == apdu.AuthMethodBlocked || sw == apdu.DataInvalidated {
			t.tvr.Set(TVRPINTryLimitExceeded)
		}
		return CVMResultFailed, nil
	}
}
