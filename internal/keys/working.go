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
)

// ParseWorkingKeys decrypts the working keys of a sign-in reply's field 62 under tmk
// and checks each against its check value (ErrCheckValue). It knows the 24-, 40- and
// 60-byte layouts. Under a DES-family TMK (3DES-ECB, DES for a single-length one)
// the working keys are DES-family keys; under an SM4 TMK (SM4-ECB) they are SM4 keys,
// 16 bytes each, in the 40- and 60-byte layouts only.
func ParseWorkingKeys(f62 []byte, tmk Key) (WorkingKeys, error) {
	var kl int
	switch len(f62) {
	case Layout24:
		kl = 8
	case Layout40, Layout60:
		kl = 16
	default:
		return WorkingKeys{}, fmt.Errorf("working keys: field 62 of %d bytes (want 24, 40 or 60): %w", len(f62), ErrKeyLength)
	}
	if tmk.n == 0 {
		return WorkingKeys{}, fmt.Errorf("working keys: no tmk: %w", ErrKeyKind)
	}
	sm4 := tmk.kind == KindSM4
	if sm4 && kl != 16 {
		return WorkingKeys{}, fmt.Errorf("working keys: field 62 of %d bytes under an sm4 tmk (want 40 or 60): %w", len(f62), ErrKeyLength)
	}
	part := func(i int) ([]byte, []byte) {
		off := i * (kl + 4)
		return f62[off : off+kl], f62[off+kl : off+kl+4]
	}
	var wk WorkingKeys
	names := []string{"pik", "mak", "tdk"}
	n := 2
	if len(f62) == Layout60 {
		n = 3
	}
	for i := 0; i < n; i++ {
		enc, kcv := part(i)
		if !sm4 && i == 1 && kl == 16 && bytes.Equal(enc[8:], make([]byte, 8)) {
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
// layout (24, 40 or 60). Layout 24 takes single-length keys; 40 and 60 take a
// double-length PIK and a single- or double-length MAK; 60 needs a double-length tdk.
// The working keys must be of the TMK's kind: SM4 keys under an SM4 TMK (layouts 40
// and 60).
func EncodeWorkingKeys(tmk Key, pik, mak Key, tdk *Key, layout int) ([]byte, error) {
	if tmk.n == 0 {
		return nil, fmt.Errorf("encode working keys: no tmk: %w", ErrKeyKind)
	}
	var out []byte
	add := func(name string, k Key, width int) error {
		if k.kind != tmk.kind {
			return fmt.Errorf("encode working keys: %s key under a %s tmk: %w", k.kind, tmk.kind, ErrKeyKind)
		}
		if k.Len() != width && !(k.kind == KindDES && name == "mak" && width == 16 && k.Len() == 8) {
			return fmt.Errorf("encode working keys: %s of %d bytes in layout %d: %w", name, k.Len(), layout, ErrKeyLength)
		}
		enc, err := EncryptECB(tmk, k.Bytes())
		if err != nil {
			return fmt.Errorf("encode working keys: %s: %w", name, err)
		}
		enc = append(enc, make([]byte, width-len(enc))...)
		out = append(out, enc...)
		out = append(out, KCV(k)...)
		return nil
	}
	switch layout {
	case Layout24:
		if tdk != nil {
			return nil, fmt.Errorf("encode working keys: layout 24 has no tdk: %w", ErrKeyLength)
		}
		if err := add("pik", pik, 8); err != nil {
			return nil, err
		}
		if err := add("mak", mak, 8); err != nil {
			return nil, err
		}
	case Layout40, Layout60:
		if (layout == Layout60) != (tdk != nil) {
			return nil, fmt.Errorf("encode working keys: layout %d with tdk=%t: %w", layout, tdk != nil, ErrKeyLength)
		}
		if err := add("pik", pik, 16); err != nil {
			return nil, err
		}
		if err := add("mak", mak, 16); err != nil {
			return nil, err
		}
		if tdk != nil {
			if err := add("tdk", *tdk, 16); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("encode working keys: layout %d: %w", layout, ErrKeyLength)
	}
	return out, nil
}
