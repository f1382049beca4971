package tlv

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every error Parse, ParseDOL and ParseDOLData return for
// input that is not well-formed. The kernel treats it as the card's data being
// unusable (Book 3 10.2: a record that does not parse terminates the transaction).
var ErrMalformed = errors.New("malformed BER-TLV")

// ErrDuplicate is wrapped by the error Data.Merge and Flatten return when a primitive
// tag occurs twice (Book 3 10.2: duplicate primitive data in the card's records
// terminates the transaction).
var ErrDuplicate = errors.New("duplicate primitive data object")

// SyntaxError reports where and why input is not well-formed. Offset counts bytes
// from the start of the buffer given to Parse (or ParseDOL), also for errors found
// inside nested templates.
type SyntaxError struct {
	Offset int
	Reason string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("tlv: offset %d: %s", e.Offset, e.Reason)
}

// Unwrap returns ErrMalformed.
func (e *SyntaxError) Unwrap() error { return ErrMalformed }

func syntaxErr(off int, format string, args ...any) error {
	return &SyntaxError{Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// MaxDepth is how deeply Parse nests templates. EMV's deepest structure, a directory
// entry in an FCI (6F > A5 > BF0C > 61 > 4F), is four templates deep.
const MaxDepth = 10

// TLV is one BER-TLV data object.
//
// For a constructed tag Value holds the template's raw contents (padding included)
// and Children the objects Parse found in it. When encoding, non-empty Children
// replace Value; a constructed TLV built by hand needs only Children.
type TLV struct {
	Tag      Tag
	Value    []byte
	Children []TLV
}

// Parse reads a sequence of BER-TLV data objects as EMV Book 3 Annex B defines them:
//
//   - tags of one to four bytes (a first byte with bits 5-1 set is followed by bytes
//     with bit 8 set on all but the last);
//   - lengths in short form (00-7F) or long form with one to three length bytes
//     (81 xx, 82 xxxx, 83 xxxxxx). Indefinite length (80), longer length fields and
//     lengths running past the end of the enclosing object are errors. Non-minimal
//     long forms (81 05) are accepted, since cards send them; Encode writes the
//     minimal form;
//   - zero-length values (9F02 00) are kept, as objects with an empty Value;
//   - 00 and FF bytes before, between and after objects, at any level, are skipped.
//     Book 3 Annex B names only 00 (erased or modified objects); ISO/IEC 7816-4
//     Annex D adds FF, which is what erased EEPROM reads as. The cost: a tag whose
//     first byte is FF (private class, constructed), which Annex B strongly advises
//     issuers not to use, cannot be read;
//   - constructed objects are parsed recursively, at most MaxDepth templates deep.
//     A constructed tag that is in the dictionary (70, 77, 6F, A5, BF0C, 61, ...)
//     must hold well-formed objects; a constructed tag that is not (a vendor's
//     container) and does not parse is kept opaque: its Value and no Children.
//
// Parse never panics and never reads outside b. The returned values share one
// private copy of b: changing b afterwards does not change them.
func Parse(b []byte) ([]TLV, error) {
	p := parser{buf: bytes.Clone(b)}
	return p.objects(0, len(p.buf), 0)
}

type parser struct {
	buf []byte
}

// objects parses buf[start:end] as a sequence of objects inside depth templates.
func (p *parser) objects(start, end, depth int) ([]TLV, error) {
	out := make([]TLV, 0, p.count(start, end))
	for i := start; i < end; {
		if c := p.buf[i]; c == 0x00 || c == 0xFF {
			i++
			continue
		}
		at := i
		tag, n, err := p.tag(i, end)
		if err != nil {
			return nil, err
		}
		i += n
		l, n, err := p.length(tag, i, end)
		if err != nil {
			return nil, err
		}
		i += n
		if l > end-i {
			return nil, syntaxErr(at, "tag %v: length %d runs past the end (only %d left)", tag, l, end-i)
		}
		o := TLV{Tag: tag, Value: p.buf[i : i+l : i+l]}
		if tag.Constructed() {
			kids, err := p.template(tag, at, i, i+l, depth+1)
			if err != nil {
				return nil, err
			}
			o.Children = kids
		}
		out = append(out, o)
		i += l
	}
	return out, nil
}

// count returns how many objects buf[start:end] holds at its own level, reading only
// their headers, so that objects allocates once. It stops early on malformed input;
// objects then reports the error.
func (p *parser) count(start, end int) int {
	n := 0
	for i := start; i < end; n++ {
		for i < end && (p.buf[i] == 0x00 || p.buf[i] == 0xFF) {
			i++
		}
		if i == end {
			break
		}
		tag, tn, err := p.tag(i, end)
		if err != nil {
			return n
		}
		l, ln, err := p.length(tag, i+tn, end)
		if err != nil {
			return n
		}
		i += tn + ln + l
	}
	return n
}

// template parses the contents of the constructed object tag (which starts at at).
func (p *parser) template(tag Tag, at, start, end, depth int) ([]TLV, error) {
	_, known := Lookup(tag)
	if depth > MaxDepth {
		if !known {
			return nil, nil
		}
		return nil, syntaxErr(at, "tag %v: templates nested more than %d deep", tag, MaxDepth)
	}
	kids, err := p.objects(start, end, depth)
	if err != nil && !known {
		return nil, nil // a vendor container that is not BER-TLV inside: opaque
	}
	return kids, err
}

// tag reads the tag starting at buf[i], i < end; it returns the tag and its size.
func (p *parser) tag(i, end int) (Tag, int, error) {
	first := p.buf[i]
	t := Tag(first)
	if first&0x1F != 0x1F {
		return t, 1, nil
	}
	for n := 1; ; n++ {
		if i+n >= end {
			return 0, 0, syntaxErr(i, "tag %X: truncated after %d bytes", p.buf[i:i+n], n)
		}
		if n == 4 {
			return 0, 0, syntaxErr(i, "tag %X...: longer than 4 bytes", p.buf[i:i+n])
		}
		c := p.buf[i+n]
		if n == 1 && c == 0x80 {
			return 0, 0, syntaxErr(i, "tag %X80: first subsequent byte has tag number 0 (X.690 8.1.2.4.2)", first)
		}
		t = t<<8 | Tag(c)
		if c&0x80 == 0 {
			return t, n + 1, nil
		}
	}
}

// length reads the length field starting at buf[i] for tag; it returns the value
// length and the size of the length field.
func (p *parser) length(tag Tag, i, end int) (int, int, error) {
	if i >= end {
		return 0, 0, syntaxErr(i, "tag %v: no length field", tag)
	}
	c := p.buf[i]
	switch {
	case c < 0x80:
		return int(c), 1, nil
	case c == 0x80:
		return 0, 0, syntaxErr(i, "tag %v: indefinite length (80) is not allowed", tag)
	case c > 0x83:
		return 0, 0, syntaxErr(i, "tag %v: length field %02X announces %d length bytes, at most 3 allowed", tag, c, c&0x7F)
	}
	n := int(c & 0x7F)
	if end-i-1 < n {
		return 0, 0, syntaxErr(i, "tag %v: length field truncated (%d of %d bytes)", tag, end-i-1, n)
	}
	l := 0
	for _, c := range p.buf[i+1 : i+1+n] {
		l = l<<8 | int(c)
	}
	return l, n + 1, nil
}

// Bytes returns the encoding of t with minimal lengths.
func (t TLV) Bytes() []byte {
	return t.appendTo(make([]byte, 0, t.encodedLen()))
}

// Encode returns the concatenated encodings of tlvs with minimal lengths (short form
// up to 127, then 81, 82, 83 and, past 16 MiB, 84 — which Parse refuses). Zero-length
// values are written as the tag and a 00 length.
func Encode(tlvs ...TLV) []byte {
	n := 0
	for _, t := range tlvs {
		n += t.encodedLen()
	}
	b := make([]byte, 0, n)
	for _, t := range tlvs {
		b = t.appendTo(b)
	}
	return b
}

func (t TLV) contentLen() int {
	if len(t.Children) == 0 {
		return len(t.Value)
	}
	n := 0
	for _, c := range t.Children {
		n += c.encodedLen()
	}
	return n
}

func (t TLV) encodedLen() int {
	l := t.contentLen()
	return t.Tag.Len() + lengthLen(l) + l
}

func (t TLV) appendTo(b []byte) []byte {
	b = t.Tag.appendTo(b)
	b = appendLength(b, t.contentLen())
	if len(t.Children) == 0 {
		return append(b, t.Value...)
	}
	for _, c := range t.Children {
		b = c.appendTo(b)
	}
	return b
}

func lengthLen(l int) int {
	switch {
	case l < 0x80:
		return 1
	case l <= 0xFF:
		return 2
	case l <= 0xFFFF:
		return 3
	case l <= 0xFFFFFF:
		return 4
	}
	return 5
}

func appendLength(b []byte, l int) []byte {
	n := lengthLen(l)
	if n == 1 {
		return append(b, byte(l))
	}
	b = append(b, 0x80|byte(n-1))
	for i := n - 2; i >= 0; i-- {
		b = append(b, byte(l>>(8*i)))
	}
	return b
}
