package keys

import (
	"bytes"
	"fmt"
)

// WorkingKeys are the session keys a CUP host sends in a sign-in reply (0810 field
// 62), encrypted under the terminal master key (TMK).
type WorkingKeys struct {
	// PIKEncrypted and PIKCheck are the PIN key as received (under the TMK) and its
	// check value: what is loaded into a PIN pad, which decrypts it with its own
	// copy of the TMK.
	PIKEncrypted, PIKCheck []byte
	PIK, MAK, TDK          Key
	HasTDK                 bool
}

// Layouts of field 62 in a sign-in reply, by length.
const (
	Layout24 = 24 // PIK(8)+KCV(4) · MAK(8)+KCV(4): single-length keys
	Layout40 = 40 // PIK(16)+KCV(4) · MAK(16)+KCV(4); MAK second half zero = single-length
	Layout60 = 60 // Layout40 + TDK(16)+KCV(4)
	// Layout48 and Layout72 carry 8-byte check values, as the SM4 host of a
	// published example does [unconfirmed as whole layouts].
	Layout48 = 48 // PIK(16)+KCV(8) · MAK(16)+KCV(8)
	Layout72 = 72 // Layout48 + TDK(16)+KCV(8)
)

// layoutShape is what a layout holds: the key and check value widths, and the
// number of keys (2, or 3 with a TDK).
type layoutShape struct{ key, kcv, keys int }

var layouts = map[int]layoutShape{
	Layout24: {8, 4, 2},
	Layout40: {16, 4, 2},
	Layout60: {16, 4, 3},
	Layout48: {16, 8, 2},
	Layout72: {16, 8, 3},
}

// ParseWorkingKeys decrypts the working keys of a sign-in reply's field 62 under tmk
// and checks each against its check value (ErrCheckValue). It knows the 24-, 40-,
// 48-, 60- and 72-byte layouts. Under a DES-family TMK (3DES-ECB, DES for a
// single-length one) the working keys are DES-family keys; under an SM4 TMK (SM4-ECB)
// they are SM4 keys, 16 bytes each, so never in layout 24.
func ParseWorkingKeys(f62 []byte, tmk Key) (WorkingKeys, error) {
	shape, ok := layouts[len(f62)]
	if !ok {
		return WorkingKeys{}, fmt.Errorf("working keys: field 62 of %d bytes (want 24, 40, 48, 60 or 72): %w", len(f62), ErrKeyLength)
	}
	if tmk.n == 0 {
		return WorkingKeys{}, fmt.Errorf("working keys: no tmk: %w", ErrKeyKind)
	}
	sm4 := tmk.kind == KindSM4
	if sm4 && shape.key != 16 {
		return WorkingKeys{}, fmt.Errorf("working keys: field 62 of %d bytes under an sm4 tmk (want 40, 48, 60 or 72): %w", len(f62), ErrKeyLength)
	}
	var wk WorkingKeys
	names := []string{"pik", "mak", "tdk"}
	for i := 0; i < shape.keys; i++ {
		off := i * (shape.key + shape.kcv)
		enc, kcv := f62[off:off+shape.key], f62[off+shape.key:off+shape.key+shape.kcv]
		if !sm4 && i == 1 && shape.key == 16 && bytes.Equal(enc[8:], make([]byte, 8)) {
			// [unconfirmed] the zero half is in the encrypted form, as hosts send
			// a single-length MAK padded to 16 bytes.
			enc = enc[:8]
		}
		clear, err := DecryptECB(tmk, enc)
		if err != nil {
			return WorkingKeys{}, fmt.Errorf("working keys: %s: %w", names[i], err)
		}
		if !sm4 && i == 1 && len(clear) == 16 && bytes.Equal(clear[8:], make([]byte, 8)) {
			clear = clear[:8] // the same rule when the zero half was encrypted too
		}
		newKey := NewKey
		if sm4 {
			newKey = NewSM4Key
		}
		k, err := newKey(clear)
		if err != nil {
			return WorkingKeys{}, fmt.Errorf("working keys: %s: %w", names[i], err)
		}
		if err := CheckKCV(k, kcv); err != nil {
			return WorkingKeys{}, fmt.Errorf("working keys: %s: %w", names[i], err)
		}
		switch i {
		case 0:
			wk.PIK = k
			wk.PIKEncrypted = append([]byte(nil), enc...)
			wk.PIKCheck = append([]byte(nil), kcv...)
		case 1:
			wk.MAK = k
		case 2:
			wk.TDK = k
			wk.HasTDK = true
		}
	}
	return wk, nil
}

// EncodeWorkingKeys builds field 62 of a sign-in reply (for the acquirer simulator):
// the keys encrypted under tmk, each followed by its check value, in the given
// layout. Layout 24 takes single-length keys; the others a double-length PIK and a
// single- or double-length MAK; 60 and 72 need a double-length tdk, the others none.
// The working keys must be of the TMK's kind: SM4 keys under an SM4 TMK (every
// layout but 24).
func EncodeWorkingKeys(tmk Key, pik, mak Key, tdk *Key, layout int) ([]byte, error) {
	if tmk.n == 0 {
		return nil, fmt.Errorf("encode working keys: no tmk: %w", ErrKeyKind)
	}
	shape, ok := layouts[layout]
	if !ok {
		return nil, fmt.Errorf("encode working keys: layout %d: %w", layout, ErrKeyLength)
	}
	if (shape.keys == 3) != (tdk != nil) {
		return nil, fmt.Errorf("encode working keys: layout %d with tdk=%t: %w", layout, tdk != nil, ErrKeyLength)
	}
	var out []byte
	add := func(name string, k Key) error {
		if k.kind != tmk.kind {
			return fmt.Errorf("encode working keys: %s key under a %s tmk: %w", k.kind, tmk.kind, ErrKeyKind)
		}
		if k.Len() != shape.key && !(k.kind == KindDES && name == "mak" && shape.key == 16 && k.Len() == 8) {
			return fmt.Errorf("encode working keys: %s of %d bytes in layout %d: %w", name, k.Len(), layout, ErrKeyLength)
		}
		enc, err := EncryptECB(tmk, k.Bytes())
		if err != nil {
			return fmt.Errorf("encode working keys: %s: %w", name, err)
		}
		enc = append(enc, make([]byte, shape.key-len(enc))...)
		out = append(out, enc...)
		out = append(out, zeroBlockCipher(k)[:shape.kcv]...)
		return nil
	}
	if err := add("pik", pik); err != nil {
		return nil, err
	}
	if err := add("mak", mak); err != nil {
		return nil, err
	}
	if tdk != nil {
		if err := add("tdk", *tdk); err != nil {
			return nil, err
		}
	}
	return out, nil
}
