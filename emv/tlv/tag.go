package tlv

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Tag is a BER-TLV tag held as its encoded bytes read big-endian: tag 9F02 is
// Tag(0x9F02), tag 5A is Tag(0x5A). Tags of up to four bytes are representable; EMV
// itself uses one and two (Book 3 Annex B1), contactless kernels three.
type Tag uint32

// Class is the class of a tag, bits 8-7 of its first byte.
type Class uint8

// The four BER classes (Book 3 Annex B1, Table 39).
const (
	Universal       Class = 0 // 00xxxxxx
	Application     Class = 1 // 01xxxxxx, e.g. 4F, 5A, 61, 6F, 70
	ContextSpecific Class = 2 // 10xxxxxx, e.g. 82, 9F02, A5, BF0C
	Private         Class = 3 // 11xxxxxx, e.g. DF31, issuer and scheme proprietary
)

func (c Class) String() string {
	switch c {
	case Universal:
		return "universal"
	case Application:
		return "application"
	case ContextSpecific:
		return "context-specific"
	case Private:
		return "private"
	}
	return fmt.Sprintf("Class(%d)", uint8(c))
}

// Len is the number of bytes of t's encoding (1 to 4).
func (t Tag) Len() int {
	switch {
	case t <= 0xFF:
		return 1
	case t <= 0xFFFF:
		return 2
	case t <= 0xFFFFFF:
		return 3
	}
	return 4
}

// first is the first byte of the encoding, which carries class and constructed bit.
func (t Tag) first() byte {
	return byte(t >> (8 * (t.Len() - 1)))
}

// Constructed reports whether t is a constructed tag (bit 6 of the first byte): its
// value is a template of further data objects.
func (t Tag) Constructed() bool { return t.first()&0x20 != 0 }

// Class returns the class of t.
func (t Tag) Class() Class { return Class(t.first() >> 6) }

// String returns the tag as upper-case hex of its bytes, e.g. "9F02", "5A".
func (t Tag) String() string {
	return fmt.Sprintf("%0*X", 2*t.Len(), uint32(t))
}

// Valid reports whether t is a well-formed BER tag that Parse reads back as itself: a
// first byte other than 00 and FF (padding to Parse), a single byte unless bits 5-1 of
// the first byte are all set, and then subsequent bytes with bit 8 set on all but the
// last and a non-zero tag number in the first (X.690 8.1.2.4.2).
func (t Tag) Valid() bool {
	b := t.appendTo(make([]byte, 0, 4))
	if b[0] == 0x00 || b[0] == 0xFF {
		return false
	}
	if b[0]&0x1F != 0x1F {
		return len(b) == 1
	}
	if len(b) < 2 || b[1] == 0x80 {
		return false
	}
	for i, c := range b[1:] {
		last := i == len(b)-2
		if (c&0x80 == 0) != last {
			return false
		}
	}
	return true
}

// appendTo appends the encoded tag bytes to b.
func (t Tag) appendTo(b []byte) []byte {
	for i := t.Len() - 1; i >= 0; i-- {
		b = append(b, byte(t>>(8*i)))
	}
	return b
}

// Bytes returns the encoded tag.
func (t Tag) Bytes() []byte { return t.appendTo(nil) }

// ParseTag reads a tag written as hex ("9F02", "9f02", "5A"), as in configuration
// files and on the command line. The tag must be Valid.
func ParseTag(s string) (Tag, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("tag %q: %w", s, err)
	}
	if len(b) == 0 || len(b) > 4 {
		return 0, fmt.Errorf("tag %q: %d bytes, want 1 to 4", s, len(b))
	}
	var t Tag
	for _, c := range b {
		t = t<<8 | Tag(c)
	}
	if b[0] == 0 || !t.Valid() {
		return 0, fmt.Errorf("tag %q: not a well-formed BER-TLV tag", s)
	}
	return t, nil
}

// MarshalText writes the tag as String does, so tags work as JSON and TOML keys.
func (t Tag) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a tag as ParseTag does.
func (t *Tag) UnmarshalText(b []byte) error {
	v, err := ParseTag(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
