package tlv

import "fmt"

// Find returns the first object with tag in tlvs, searching depth-first in order: an
// object, then the objects inside it, then its next sibling.
func Find(tlvs []TLV, tag Tag) (TLV, bool) {
	for _, t := range tlvs {
		if t.Tag == tag {
			return t, true
		}
		if f, ok := Find(t.Children, tag); ok {
			return f, true
		}
	}
	return TLV{}, false
}

// FindAll returns every object with tag in tlvs, in the order Find visits them (for
// example each 61 Application Template of a directory record).
func FindAll(tlvs []TLV, tag Tag) []TLV {
	var out []TLV
	for _, t := range tlvs {
		if t.Tag == tag {
			out = append(out, t)
		}
		out = append(out, FindAll(t.Children, tag)...)
	}
	return out
}

// Data is a flat store of primitive data objects by tag: the kernel's view of what
// the card, the terminal and the issuer have supplied. Its Get method is the look-up
// BuildDOL wants. Values are not copied: they share memory with the TLVs they came
// from (Parse's private copy, for parsed data).
type Data map[Tag][]byte

// Get returns the value stored for tag.
func (d Data) Get(tag Tag) ([]byte, bool) {
	v, ok := d[tag]
	return v, ok
}

// Flatten collects the primitive objects of tlvs, at any depth, into a new Data.
// Constructed objects are descended into and not stored themselves (an opaque
// vendor container is skipped). A primitive tag seen twice is an error wrapping
// ErrDuplicate.
func Flatten(tlvs []TLV) (Data, error) {
	d := Data{}
	if err := d.Merge(tlvs); err != nil {
		return nil, err
	}
	return d, nil
}

// Merge adds the primitive objects of tlvs, at any depth, to d, as Flatten does. A
// primitive tag already in d or seen twice in tlvs is an error wrapping ErrDuplicate,
// and then d is left unchanged. Use Merge for the card's records; use Update for
// command responses that legitimately repeat tags (9F36 in both GENERATE ACs).
func (d Data) Merge(tlvs []TLV) error {
	seen := map[Tag]bool{}
	var dup error
	walkPrimitives(tlvs, func(t TLV) bool {
		if _, ok := d[t.Tag]; ok || seen[t.Tag] {
			dup = fmt.Errorf("tag %v: %w", t.Tag, ErrDuplicate)
			return false
		}
		seen[t.Tag] = true
		return true
	})
	if dup != nil {
		return dup
	}
	d.Update(tlvs)
	return nil
}

// Update stores the primitive objects of tlvs, at any depth, in d, replacing what d
// held for the same tags; within tlvs the last occurrence wins.
func (d Data) Update(tlvs []TLV) {
	walkPrimitives(tlvs, func(t TLV) bool {
		d[t.Tag] = t.Value
		return true
	})
}

// walkPrimitives calls f for every primitive object in tlvs, depth-first, until f
// returns false. It reports whether the walk finished.
func walkPrimitives(tlvs []TLV, f func(TLV) bool) bool {
	for _, t := range tlvs {
		if t.Tag.Constructed() {
			if !walkPrimitives(t.Children, f) {
				return false
			}
			continue
		}
		if !f(t) {
			return false
		}
	}
	return true
}
