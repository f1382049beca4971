// Package crypto owns the symmetric EMV cryptography shared by the terminal side and the
// issuer side (EMV 4.4 Book 2 Annex A1): ICC master key derivation (options A and B),
// the EMV common session key derivation, application cryptograms (ARQC, TC, AAC) as an
// ISO/IEC 9797-1 MAC algorithm 3 with padding method 1 or 2, and the ARPC (methods 1
// and 2). The virtual card (emv/card), the acquirer simulator and posctl use the same
// functions, so a cryptogram one computes the other verifies.
//
// Keys and results are plain byte slices: callers that hold keys at rest wrap them
// (internal/keys); nothing here logs or prints a key. crypto imports only the standard
// library; it must never import hal, store, the network or anything of countertop.
package crypto

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrKeyLength is wrapped by the errors returned for a key that is not a double-length
// (16-byte) 3DES key, or for blocks of the wrong size.
var ErrKeyLength = errors.New("emv crypto: bad key or block length")

// ErrInput is wrapped by the errors returned for a PAN, PSN or option that cannot be used.
var ErrInput = errors.New("emv crypto: bad input")

// Option is an ICC master key derivation option (Book 2 Annex A1.4).
type Option byte

// Derivation options.
const (
	OptionA Option = 'A' // PAN || PSN, rightmost 16 digits (A1.4.1)
	OptionB Option = 'B' // SHA-1 of PAN || PSN, decimalised, for PANs over 16 digits (A1.4.2)
)

// ParseOption reads "A" or "B" (any case).
func ParseOption(s string) (Option, error) {
	switch strings.ToUpper(s) {
	case "A":
		return OptionA, nil
	case "B":
		return OptionB, nil
	}
	return 0, fmt.Errorf("derivation option %q (want A or B): %w", s, ErrInput)
}

// Padding is an ISO/IEC 9797-1 padding method.
type Padding int

// Paddings.
const (
	Padding1 Padding = 1 // zeros up to a multiple of 8 (none if already a multiple)
	Padding2 Padding = 2 // 80 then zeros up to a multiple of 8 (always added); EMV's default
)

func tdes(key []byte) (cipher.Block, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("key of %d bytes, want 16: %w", len(key), ErrKeyLength)
	}
	k := make([]byte, 24)
	copy(k, key)
	copy(k[16:], key[:8])
	return des.NewTripleDESCipher(k)
}

// adjustParity sets odd parity on every byte, as issuers' HSMs store derived keys.
func adjustParity(k []byte) {
	for i, b := range k {
		b &^= 1
		n := 0
		for x := b; x != 0; x >>= 1 {
			n += int(x & 1)
		}
		if n%2 == 0 {
			b |= 1
		}
		k[i] = b
	}
}

func digitsOnly(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// DeriveICCMasterKey derives a card's 16-byte ICC master key from the issuer master key
// imk, the PAN (digits) and the PAN sequence number psn (two digits, tag 5F34; "" is
// 00), with option A or B. Option B for a PAN of 16 digits or fewer is option A, as
// Book 2 says. The result has odd parity.
func DeriveICCMasterKey(imk []byte, pan, psn string, opt Option) ([]byte, error) {
	if psn == "" {
		psn = "00"
	}
	if !digitsOnly(pan) || len(pan) > 19 || len(psn) != 2 || !digitsOnly(psn) {
		return nil, fmt.Errorf("icc master key: pan of %d digits, psn %d digits: %w", len(pan), len(psn), ErrInput)
	}
	blk, err := tdes(imk)
	if err != nil {
		return nil, fmt.Errorf("icc master key: %w", err)
	}
	var y string
	switch {
	case opt == OptionA || (opt == OptionB && len(pan) <= 16):
		x := pan + psn
		if len(x) > 16 {
			x = x[len(x)-16:]
		}
		y = strings.Repeat("0", 16-len(x)) + x
	case opt == OptionB:
		x := pan + psn
		if len(x)%2 == 1 {
			x = "0" + x
		}
		xb, _ := hex.DecodeString(x)
		sum := sha1.Sum(xb)
		h := hex.EncodeToString(sum[:])
		var d []byte
		for i := 0; i < len(h) && len(d) < 16; i++ {
			if h[i] <= '9' {
				d = append(d, h[i])
			}
		}
		for i := 0; i < len(h) && len(d) < 16; i++ {
			if h[i] >= 'a' {
				d = append(d, h[i]-'a'+'0')
			}
		}
		y = string(d)
	default:
		return nil, fmt.Errorf("icc master key: option %q: %w", byte(opt), ErrInput)
	}
	a, _ := hex.DecodeString(y)
	out := make([]byte, 16)
	blk.Encrypt(out[:8], a)
	for i := range a {
		a[i] ^= 0xFF
	}
	blk.Encrypt(out[8:], a)
	adjustParity(out)
	return out, nil
}

// SessionKey derives the EMV common session key (Book 2 A1.3.1) from a 16-byte master
// key mk and the 8-byte diversification value r (for application cryptograms
// ATC || 00 00 00 00 00 00, see ACDiversifier). The result has odd parity.
func SessionKey(mk, r []byte) ([]byte, error) {
	blk, err := tdes(mk)
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	if len(r) != 8 {
		return nil, fmt.Errorf("session key: diversification value of %d bytes, want 8: %w", len(r), ErrKeyLength)
	}
	out := make([]byte, 16)
	ra := append([]byte(nil), r...)
	ra[2] = 0xF0
	blk.Encrypt(out[:8], ra)
	ra[2] = 0x0F
	blk.Encrypt(out[8:], ra)
	adjustParity(out)
	return out, nil
}

// ACDiversifier returns R = ATC || 00 00 00 00 00 00, the value SessionKey takes for
// application cryptogram session keys.
func ACDiversifier(atc uint16) []byte {
	return []byte{byte(atc >> 8), byte(atc), 0, 0, 0, 0, 0, 0}
}

func pad(data []byte, p Padding) ([]byte, error) {
	out := append([]byte(nil), data...)
	switch p {
	case Padding1:
		if len(out) == 0 {
			out = make([]byte, 8)
		}
		for len(out)%8 != 0 {
			out = append(out, 0)
		}
	case Padding2:
		out = append(out, 0x80)
		for len(out)%8 != 0 {
			out = append(out, 0)
		}
	default:
		return nil, fmt.Errorf("padding method %d (want 1 or 2): %w", p, ErrInput)
	}
	return out, nil
}

// MAC computes the 8-byte ISO/IEC 9797-1 MAC algorithm 3 (retail MAC: single-DES CBC
// under the left half of key, the last block decrypted with the right half and
// encrypted again with the left) over data padded with method p.
func MAC(key, data []byte, p Padding) ([]byte, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("mac: key of %d bytes, want 16: %w", len(key), ErrKeyLength)
	}
	padded, err := pad(data, p)
	if err != nil {
		return nil, fmt.Errorf("mac: %w", err)
	}
	kl, _ := des.NewCipher(key[:8])
	kr, _ := des.NewCipher(key[8:])
	h := make([]byte, 8)
	for i := 0; i < len(padded); i += 8 {
		for j := 0; j < 8; j++ {
			h[j] ^= padded[i+j]
		}
		kl.Encrypt(h, h)
	}
	kr.Decrypt(h, h)
	kl.Encrypt(h, h)
	return h, nil
}

// ScriptMAC computes the 8-byte MAC of an issuer script command (Book 2 §9.2.3,
// secure messaging for integrity) with the session key for secure messaging
// integrity: a retail MAC with padding method 2 over the command header (CLA 84,
// INS, P1, P2, Lc counting the MAC), the transaction's ATC and ARQC, and the command
// data. The MAC goes after the data, cut to the issuer's length (4 to 8 bytes).
// [Issuers differ on ATC and ARQC: this is the variant that binds a script to the
// transaction it answers.]
func ScriptMAC(sessionKey, header, atc, arqc, data []byte) ([]byte, error) {
	if len(header) != 5 || len(atc) != 2 || len(arqc) != 8 {
		return nil, fmt.Errorf("script mac: header %d, atc %d, arqc %d bytes (want 5, 2, 8): %w", len(header), len(atc), len(arqc), ErrInput)
	}
	in := append(append(append(append([]byte(nil), header...), atc...), arqc...), data...)
	mac, err := MAC(sessionKey, in, Padding2)
	if err != nil {
		return nil, fmt.Errorf("script mac: %w", err)
	}
	return mac, nil
}

// AC computes an application cryptogram (ARQC, TC or AAC) over the data the card
// concatenated (Book 2 A1.2: CDOL data, then AIP, ATC, ... as the issuer's CVN defines)
// with the session key: MAC with padding p (EMV: Padding2; some schemes' older CVNs use
// Padding1).
func AC(sessionKey, data []byte, p Padding) ([]byte, error) {
	ac, err := MAC(sessionKey, data, p)
	if err != nil {
		return nil, fmt.Errorf("application cryptogram: %w", err)
	}
	return ac, nil
}

// ARPC1 computes the 8-byte ARPC of method 1 (Book 2 A1.2.1): 3DES of
// ARQC XOR (ARC || 00 00 00 00 00 00) under key (the ICC master key or the session
// key, as the issuer's CVN says). arc is the 2-byte Authorisation Response Code
// (tag 8A, "00" is 30 30).
func ARPC1(key, arqc, arc []byte) ([]byte, error) {
	blk, err := tdes(key)
	if err != nil {
		return nil, fmt.Errorf("arpc method 1: %w", err)
	}
	if len(arqc) != 8 || len(arc) != 2 {
		return nil, fmt.Errorf("arpc method 1: arqc %d bytes (want 8), arc %d bytes (want 2): %w", len(arqc), len(arc), ErrKeyLength)
	}
	x := append([]byte(nil), arqc...)
	x[0] ^= arc[0]
	x[1] ^= arc[1]
	out := make([]byte, 8)
	blk.Encrypt(out, x)
	return out, nil
}

// ARPC2 computes the 4-byte ARPC of method 2 (Book 2 A1.2.2): the leftmost four bytes
// of MAC(sessionKey, ARQC || CSU || prop, padding 2). csu is the 4-byte Card Status
// Update; prop the optional proprietary authentication data (0 to 8 bytes).
func ARPC2(sessionKey, arqc, csu, prop []byte) ([]byte, error) {
	if len(arqc) != 8 || len(csu) != 4 || len(prop) > 8 {
		return nil, fmt.Errorf("arpc method 2: arqc %d bytes (want 8), csu %d (want 4), prop %d (at most 8): %w", len(arqc), len(csu), len(prop), ErrKeyLength)
	}
	d := append(append(append([]byte(nil), arqc...), csu...), prop...)
	m, err := MAC(sessionKey, d, Padding2)
	if err != nil {
		return nil, fmt.Errorf("arpc method 2: %w", err)
	}
	return m[:4], nil
}

// IssuerAuthData1 builds tag 91 for method 1: ARPC || ARC (10 bytes).
func IssuerAuthData1(arpc, arc []byte) []byte {
	return append(append([]byte(nil), arpc...), arc...)
}

// IssuerAuthData2 builds tag 91 for method 2: ARPC || CSU || prop.
func IssuerAuthData2(arpc, csu, prop []byte) []byte {
	return append(append(append([]byte(nil), arpc...), csu...), prop...)
}

// KCV returns the first n bytes of the 3DES encryption of zeros under key (n at most 8).
func KCV(key []byte, n int) ([]byte, error) {
	blk, err := tdes(key)
	if err != nil {
		return nil, fmt.Errorf("kcv: %w", err)
	}
	out := make([]byte, 8)
	blk.Encrypt(out, make([]byte, 8))
	if n > 8 {
		n = 8
	}
	return out[:n], nil
}
