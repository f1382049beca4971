package keys

import (
	"encoding/hex"
	"fmt"

	"countertop/internal/carddata"
)

// panField is the second operand of an ISO 9564 format 0 block: 0000 and the 12
// rightmost PAN digits excluding the check digit.
func panField(pan carddata.PAN) ([]byte, error) {
	d := pan.Reveal()
	if len(d) < 13 {
		return nil, fmt.Errorf("pin block: pan of %d digits: %w", len(d), ErrPINBlock)
	}
	s := "0000" + d[len(d)-13:len(d)-1]
	return hex.DecodeString(s)
}

// ClearPINBlock builds the clear ISO 9564 format 0 (ANSI X9.8) PIN block of a 4–12
// digit PIN for pan. It exists for the simulator and tests: the terminal's PIN pad
// builds and encrypts the block itself.
func ClearPINBlock(pin string, pan carddata.PAN) ([]byte, error) {
	if len(pin) < 4 || len(pin) > 12 {
		return nil, fmt.Errorf("pin of %d digits: %w", len(pin), ErrPINBlock)
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return nil, fmt.Errorf("pin has a non-digit: %w", ErrPINBlock)
		}
	}
	pf := make([]byte, 16)
	pf[0] = '0'
	pf[1] = "0123456789ABC"[len(pin)]
	copy(pf[2:], pin)
	for i := 2 + len(pin); i < 16; i++ {
		pf[i] = 'F'
	}
	p, err := hex.DecodeString(string(pf))
	if err != nil {
		return nil, fmt.Errorf("pin block: %w", ErrPINBlock)
	}
	a, err := panField(pan)
	if err != nil {
		return nil, err
	}
	for i := range p {
		p[i] ^= a[i]
	}
	return p, nil
}

// PINFromBlock recovers the PIN from a clear format 0 block for pan, checking the
// control nibble, the length and the F padding (ErrPINBlock otherwise).
func PINFromBlock(clear []byte, pan carddata.PAN) (string, error) {
	if len(clear) != 8 {
		return "", fmt.Errorf("pin block of %d bytes: %w", len(clear), ErrPINBlock)
	}
	a, err := panField(pan)
	if err != nil {
		return "", err
	}
	p := make([]byte, 8)
	for i := range p {
		p[i] = clear[i] ^ a[i]
	}
	h := hex.EncodeToString(p) // lower case
	if h[0] != '0' {
		return "", fmt.Errorf("pin block format %c: %w", h[0], ErrPINBlock)
	}
	n := int(p[0] & 0x0F)
	if n < 4 || n > 12 {
		return "", fmt.Errorf("pin length %d: %w", n, ErrPINBlock)
	}
	for i := 2; i < 2+n; i++ {
		if h[i] < '0' || h[i] > '9' {
			return "", fmt.Errorf("pin digit: %w", ErrPINBlock)
		}
	}
	for i := 2 + n; i < 16; i++ {
		if h[i] != 'f' {
			return "", fmt.Errorf("pin padding: %w", ErrPINBlock)
		}
	}
	return h[2 : 2+n], nil
}

// EncryptPINBlock encrypts a clear PIN block under the PIN key (ECB; DES, 3DES or
// SM4 depending on the key, SM4 blocks are 16 bytes).
func EncryptPINBlock(k Key, clear []byte) ([]byte, error) {
	out, err := EncryptECB(k, clear)
	if err != nil {
		return nil, fmt.Errorf("encrypt pin block: %w", err)
	}
	return out, nil
}

// DecryptPINBlock decrypts an encrypted PIN block under the PIN key.
func DecryptPINBlock(k Key, enc []byte) ([]byte, error) {
	out, err := DecryptECB(k, enc)
	if err != nil {
		return nil, fmt.Errorf("decrypt pin block: %w", err)
	}
	return out, nil
}
