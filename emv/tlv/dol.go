package tlv

// DOLEntry is one entry of a Data Object List: the tag of a data element and the
// number of bytes it occupies in the command data.
type DOLEntry struct {
	Tag Tag
	Len int
}

// ParseDOL reads a Data Object List (PDOL 9F38, CDOL1 8C, CDOL2 8D, DDOL 9F49, TDOL
// 97). Book 3 section 5.4: each entry is a BER tag followed by a one-byte length (so
// lengths run 0-255, and 81 is a length of 129, not a long-form marker). Padding is
// not allowed in a DOL; a 00 or FF where a tag should start is an error.
func ParseDOL(b []byte) ([]DOLEntry, error) {
	p := parser{buf: b}
	var out []DOLEntry
	for i := 0; i < len(b); {
		if c := b[i]; c == 0x00 || c == 0xFF {
			return nil, syntaxErr(i, "DOL: %02X cannot start a tag", c)
		}
		tag, n, err := p.tag(i, len(b))
		if err != nil {
			return nil, err
		}
		if i+n >= len(b) {
			return nil, syntaxErr(i, "DOL: tag %v has no length byte", tag)
		}
		out = append(out, DOLEntry{Tag: tag, Len: int(b[i+n])})
		i += n + 1
	}
	return out, nil
}

// DOLLen is the number of bytes BuildDOL makes for dol (a negative Len counts as 0).
func DOLLen(dol []DOLEntry) int {
	n := 0
	for _, e := range dol {
		n += max(e.Len, 0)
	}
	return n
}

// BuildDOL concatenates, in DOL order, the values lookup supplies for the entries of
// dol, following Book 3 section 5.4:
//
//   - a constructed tag, or a tag lookup does not know (returns false, or lookup is
//     nil), gives Len bytes of 00;
//   - a value longer than Len is truncated: for format n (numeric) its leftmost bytes
//     are dropped, keeping the low-order digits (9F02 000000012345 into 4 bytes is
//     00012345); for every other format, cn included, its rightmost bytes are dropped;
//   - a value shorter than Len is padded: n with leading 00 (right-justified), cn with
//     trailing FF, every other format with trailing 00.
//
// These rules were checked against the text of EMV 4.4 Book 3 (October 2022) section
// 5.4 and the padding rules under Annex A Table 37. openemv/emv-utils (emv_dol.c) does
// the same for n but, by its own TODO, pads cn with 00 rather than FF.
//
// The format comes from Lookup; a tag missing from the dictionary is treated as b.
// Callers put data that is not applicable to this transaction, or optional and
// absent, as "not known" so that it is zero-filled, as the Book requires.
func BuildDOL(dol []DOLEntry, lookup func(Tag) ([]byte, bool)) []byte {
	out := make([]byte, 0, DOLLen(dol))
	for _, e := range dol {
		l := max(e.Len, 0)
		field := out[len(out) : len(out)+l]
		out = out[:len(out)+l]
		clear(field)
		if e.Tag.Constructed() || lookup == nil {
			continue
		}
		v, ok := lookup(e.Tag)
		if !ok {
			continue
		}
		info, _ := Lookup(e.Tag)
		fit(field, v, info.Format)
	}
	return out
}

// fit copies v into field (already zeroed) by the truncation and padding rules of
// Book 3 section 5.4 for format f.
func fit(field, v []byte, f Format) {
	switch {
	case len(v) >= len(field) && f == Numeric:
		copy(field, v[len(v)-len(field):])
	case len(v) >= len(field):
		copy(field, v)
	case f == Numeric:
		copy(field[len(field)-len(v):], v)
	case f == CompressedNumeric:
		copy(field, v)
		for i := len(v); i < len(field); i++ {
			field[i] = 0xFF
		}
	default:
		copy(field, v)
	}
}

// ParseDOLData splits data built for dol back into its elements: what a card (or the
// virtual card in emv/card) does with the data field of GET PROCESSING OPTIONS or
// GENERATE AC. data must be exactly DOLLen(dol) bytes. Values share memory with
// data. A tag listed twice keeps its last value.
func ParseDOLData(dol []DOLEntry, data []byte) (Data, error) {
	if want := DOLLen(dol); len(data) != want {
		return nil, syntaxErr(min(len(data), want), "DOL data: %d bytes, the DOL asks for %d", len(data), want)
	}
	d := make(Data, len(dol))
	i := 0
	for _, e := range dol {
		l := max(e.Len, 0)
		d[e.Tag] = data[i : i+l : i+l]
		i += l
	}
	return d, nil
}
