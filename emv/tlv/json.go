package tlv

import (
	"encoding/hex"
	"encoding/json"
	"strings"
)

// jsonObject is the shape JSON prints for one data object.
type jsonObject struct {
	Tag      string       `json:"tag"`
	Name     string       `json:"name,omitempty"`
	Len      int          `json:"len"`
	Value    string       `json:"value"`
	Children []jsonObject `json:"children,omitempty"`
}

// JSON parses b and returns the tree as an indented JSON list, one element per object:
//
//	{"tag": "9F02", "name": "Amount, Authorised (Numeric)", "len": 6, "value": "000000001000"}
//
// "name" is omitted for tags the dictionary does not know. "len" is the length of the
// value field and "value" its upper-case hex, for constructed tags too (the raw
// template, padding included, so what the card sent can be checked byte by byte).
// "children" (same shape) is present when a constructed tag holds at least one object;
// an opaque vendor container has a value and no children. Values are printed in full,
// PAN and track data included: this is an integrator's decoder, and masking is for
// callers that log (see TagInfo.Sensitive). Malformed input gives Parse's error, with
// the offset.
func JSON(b []byte) ([]byte, error) {
	tlvs, err := Parse(b)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(jsonObjects(tlvs), "", "  ")
}

func jsonObjects(tlvs []TLV) []jsonObject {
	out := make([]jsonObject, 0, len(tlvs))
	for _, t := range tlvs {
		info, _ := Lookup(t.Tag)
		out = append(out, jsonObject{
			Tag:      t.Tag.String(),
			Name:     info.Name,
			Len:      len(t.Value),
			Value:    strings.ToUpper(hex.EncodeToString(t.Value)),
			Children: jsonChildren(t.Children),
		})
	}
	return out
}

func jsonChildren(tlvs []TLV) []jsonObject {
	if len(tlvs) == 0 {
		return nil
	}
	return jsonObjects(tlvs)
}
