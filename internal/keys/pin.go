package keys

import (
	"encoding/hex"
	"fmt"

	"countertop/internal/carddata"
)

// PIN block sizes: ISO 9564 format 0 under DES and 3DES, and its 16-byte extension
// under SM4.
const (
	PINBlockLen    = 8
	PINBlockLenSM4 = 16
)

// PINBlockLenFor is the size of the PIN block the PIN key k encrypts: 16 bytes for
// an SM4 key, 8 for a DES-family key.
func PINBlockLenFor(k Key) int {
	if k.kind == KindSM4 {
		return PINBlockLenSM4
	}
	return PINBlockLen
}

// panField is the second operand of a format 0 block of size bytes: zeros and the
// 12 rightmost PAN digits excluding the check digit, right-aligned.
func panField(pan carddata.PAN, size int) ([]byte, error) {
	d := pan.Reveal()
	if len(d) < 13 {
		return nil, fmt.Errorf("pin block: pan of %d digits: %w", len(d), ErrPINBlock)
	}
	b := make([]byte, size)
	if _, err := hex.Decode(b[size-6:], []byte(d[len(d)-13:len(d)-1])); err != nil {
		return nil, fmt.Errorf("pin block: pan: %w", ErrPINBlock)
	}
	return b, nil
}

// ClearPINBlock builds the clear ISO 9564 format 0 (ANSI X9.8) PIN block of a 4–12
// digit PIN for pan. It exists for the simulators and tests: the terminal's PIN pad
// builds and encrypts the block itself.
func ClearPINBlock(pin string, pan carddata.PAN) ([]byte, error) {
	return clearPINBlock(pin, pan, PINBlockLen)
}

// ClearPINBlockSM4 builds the 16-byte clear PIN block that CUP national-cryptography
// terminals encrypt under an SM4 PIN key: format 0 widened to 32 nibbles, the PIN
// field (0, the length, the PIN, F padding) XOR 20 zero nibbles and the 12 rightmost
// PAN digits excluding the check digit. PIN 123654 and PAN 6230606601007726888 give
// 06123654FFFFFFFFFFFF99FEFF88D977 (a published SM4 PIN pad example; the acquirer's
// specification is the authority, see docs/sm4.md).
func ClearPINBlockSM4(pin string, pan carddata.PAN) ([]byte, error) {
	return clearPINBlock(pin, pan, PINBlockLenSM4)
}

func clearPINBlock(pin string, pan carddata.PAN, size int) ([]byte, error) {
	if len(pin) < 4 || len(pin) > 12 {
		return nil, fmt.Errorf("pin of %d digits: %w", len(pin), ErrPINBlock)
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return nil, fmt.Errorf("pin has a non-digit: %w", ErrPINBlock)
		}
	}
	pf := make([]byte, 2*size)
	pf[0] = '0'
	pf[1] = "0123456789ABC"[len(pin)]
	copy(pf[2:], pin)
	for i := 2 + len(pin); i < len(pf); i++ {
		pf[i] = 'F'
	}
	p, err := hex.DecodeString(string(pf))
	if err != nil {
		return nil, fmt.Errorf("pin block: %w", ErrPINBlock)
	}
	a, err := panField(pan, size)
	if err != nil {
		return nil, err
	}
	for i := range p {
		p[i] ^= a[i]
	}
	return p, nil
}

// PINFromBlock recovers the PIN from a clear format 0 block for pan, 8 bytes or the
// 16-byte SM4 extension, checking the control nibble, the length and the F padding
// (ErrPINBlock otherwise).
func PINFromBlock(clear []byte, pan carddata.PAN) (string, error) {
	if len(clear) != PINBlockLen && len(clear) != PINBlockLenSM4 {
		return "", fmt.Errorf("pin block of %d bytes: %w", len(clear), ErrPINBlock)
	}
	a, err := panField(pan, len(clear))
	if err != nil {
		return "", err
	}
	p := make([]byte, len(clear))
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
	for i := 2 + n; i < len(h); i++ {
		if h[i] != 'f' {
			return "", fmt.Errorf("pin padding: %w", ErrPINBlock)
		}
	}
	return h[2 : 2+n], nil
}

// EncipherPIN builds the clear PIN block the PIN key pik takes (format 0 for a DES
// or 3DES key, its 16-byte extension for an SM4 key) and encrypts it under pik. It
// is what a PIN pad does, for the simulators and tests.
func EncipherPIN(pik Key, pin string, pan carddata.PAN) ([]byte, error) {
	clear, err := clearPINBlock(pin, pan, PINBlockLenFor(pik))
	if err != nil {
		return nil, err
	}
	return EncryptPINBlock(pik, clear)
}

// DecipherPIN decrypts an encrypted PIN block under pik and recovers the PIN for
// pan: the host's side of EncipherPIN. A block of the wrong size for the key fails
// with ErrPINBlock.
func DecipherPIN(pik Key, enc []byte, pan carddata.PAN) (string, error) {
	if len(enc) != PINBlockLenFor(pik) {
		return "", fmt.Errorf("%d-byte pin block under a %s key: %w", len(enc), pik.kind, ErrPINBlock)
	}
	clear, err := DecryptPINBlock(pik, enc)
	if err != nil {
		return "", err
	}
	return PINFromBlock(clear, pan)
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
