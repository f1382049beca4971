package keys

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/emmansun/gmsm/sm4"
)

// Errors a caller acts on.
var (
	// ErrKeyLength: the key or the data has a length the algorithm cannot take
	// (DES keys are 8, 16 or 24 bytes, SM4 keys 16; data must fill whole blocks).
	ErrKeyLength = errors.New("bad key or block length")
	// ErrKeyKind: a DES-family algorithm was given an SM4 key or the other way round.
	ErrKeyKind = errors.New("key is of the wrong kind for the algorithm")
	// ErrCheckValue: a key does not match the check value it came with; the key
	// (or the key it was decrypted under) is wrong.
	ErrCheckValue = errors.New("key check value mismatch")
	// ErrPINBlock: a PIN or a clear PIN block does not follow ISO 9564 format 0.
	ErrPINBlock = errors.New("bad pin block")
)

// Kind is the block cipher a key is for.
type Kind uint8

// Key kinds.
const (
	KindDES Kind = iota // DES (8 bytes), 2-key 3DES (16) or 3-key 3DES (24)
	KindSM4             // SM4 (16 bytes)
)

func (k Kind) String() string {
	if k == KindSM4 {
		return "sm4"
	}
	return "des"
}

// Key is a clear symmetric key. Its String, GoString, Format and LogValue print only
// its check value, "key(kcv=XXXXXXXX)"; the bytes are reached through Bytes. The
// zero Key holds no key. Keys are comparable values.
type Key struct {
	b    [24]byte
	n    uint8
	kind Kind
}

// NewKey returns a DES-family key: 8 bytes (DES), 16 (2-key 3DES) or 24 (3-key 3DES).
func NewKey(b []byte) (Key, error) {
	switch len(b) {
	case 8, 16, 24:
	default:
		return Key{}, fmt.Errorf("des key of %d bytes: %w", len(b), ErrKeyLength)
	}
	var k Key
	k.n = uint8(copy(k.b[:], b))
	return k, nil
}

// NewSM4Key returns an SM4 key of 16 bytes.
func NewSM4Key(b []byte) (Key, error) {
	if len(b) != 16 {
		return Key{}, fmt.Errorf("sm4 key of %d bytes: %w", len(b), ErrKeyLength)
	}
	k := Key{kind: KindSM4}
	k.n = uint8(copy(k.b[:], b))
	return k, nil
}

// ParseHexKey reads a DES-family key written as 16, 32 or 48 hex digits (spaces
// allowed between groups).
func ParseHexKey(s string) (Key, error) {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		return Key{}, fmt.Errorf("parse hex key: not hex: %w", ErrKeyLength)
	}
	return NewKey(b)
}

// ParseHexSM4Key reads an SM4 key written as 32 hex digits.
func ParseHexSM4Key(s string) (Key, error) {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		return Key{}, fmt.Errorf("parse hex sm4 key: not hex: %w", ErrKeyLength)
	}
	return NewSM4Key(b)
}

// Bytes reveals a copy of the clear key.
func (k Key) Bytes() []byte { return append([]byte(nil), k.b[:k.n]...) }

// Len is the key length in bytes (0 for the zero Key).
func (k Key) Len() int { return int(k.n) }

// Kind is the cipher the key is for.
func (k Key) Kind() Kind { return k.kind }

// IsZero reports whether k holds no key.
func (k Key) IsZero() bool { return k.n == 0 }

// Equal compares two keys in constant time.
func (k Key) Equal(o Key) bool {
	return k.kind == o.kind && k.n == o.n && subtle.ConstantTimeCompare(k.b[:k.n], o.b[:o.n]) == 1
}

func (k Key) masked() string {
	if k.n == 0 {
		return "key(none)"
	}
	return fmt.Sprintf("key(kcv=%X)", KCV(k))
}

func (k Key) String() string             { return k.masked() }
func (k Key) GoString() string           { return "keys." + k.masked() }
func (k Key) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.masked()) }
func (k Key) LogValue() slog.Value       { return slog.StringValue(k.masked()) }

// Block returns the block cipher for k: DES for 8 bytes, 3DES (K1 K2 K1) for 16,
// 3DES for 24, SM4 for SM4 keys.
func (k Key) Block() (cipher.Block, error) {
	if k.kind == KindSM4 {
		return sm4.NewCipher(k.b[:16])
	}
	switch k.n {
	case 8:
		return des.NewCipher(k.b[:8])
	case 16:
		var t [24]byte
		copy(t[:], k.b[:16])
		copy(t[16:], k.b[:8])
		return des.NewTripleDESCipher(t[:])
	case 24:
		return des.NewTripleDESCipher(k.b[:24])
	}
	return nil, fmt.Errorf("key of %d bytes: %w", k.n, ErrKeyLength)
}

// KCV is the key check value: the first 4 bytes of the key's encryption of a zero
// block (8 bytes for DES and 3DES, 16 for SM4). It is nil for the zero Key.
func KCV(k Key) []byte {
	z := zeroBlockCipher(k)
	if z == nil {
		return nil
	}
	return z[:4]
}

// zeroBlockCipher is k's encryption of a zero block, nil for the zero Key.
func zeroBlockCipher(k Key) []byte {
	b, err := k.Block()
	if err != nil {
		return nil
	}
	z := make([]byte, b.BlockSize())
	b.Encrypt(z, z)
	return z
}

// CheckKCV reports ErrCheckValue unless kcv is a prefix (at least 2 bytes, at most
// a block) of k's encryption of a zero block. Hosts send 4 bytes; some SM4 hosts
// send 8.
func CheckKCV(k Key, kcv []byte) error {
	got := zeroBlockCipher(k)
	if len(kcv) < 2 || len(kcv) > len(got) || subtle.ConstantTimeCompare(got[:len(kcv)], kcv) != 1 {
		return ErrCheckValue
	}
	return nil
}

// EncryptECB encrypts whole blocks of data under k in ECB mode.
func EncryptECB(k Key, data []byte) ([]byte, error) { return ecb(k, data, true) }

// DecryptECB decrypts whole blocks of data under k in ECB mode.
func DecryptECB(k Key, data []byte) ([]byte, error) { return ecb(k, data, false) }

func ecb(k Key, data []byte, enc bool) ([]byte, error) {
	b, err := k.Block()
	if err != nil {
		return nil, err
	}
	bs := b.BlockSize()
	if len(data) == 0 || len(data)%bs != 0 {
		return nil, fmt.Errorf("ecb over %d bytes with %d-byte blocks: %w", len(data), bs, ErrKeyLength)
	}
	out := make([]byte, len(data))
	for i := 0; i < len(data); i += bs {
		if enc {
			b.Encrypt(out[i:i+bs], data[i:i+bs])
		} else {
			b.Decrypt(out[i:i+bs], data[i:i+bs])
		}
	}
	return out, nil
}
