package iso8583

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	moov "github.com/moov-io/iso8583"
)

// Sizes of the frame around a body (kept here so iso8583 does not import
// iso8583/frame; frame.Parse applies the same rules).
const (
	frameLenSize = 2
	tpduSize     = 5
	headerSize   = 6
)

// TLV is one top-level BER-TLV object of field 55.
type TLV struct {
	Tag   string `json:"tag"`
	Len   int    `json:"len"`
	Value string `json:"value"`
}

// ParseTLVs splits field 55 into its top-level TLVs (constructed values are kept
// whole), accepting zero-length values. It refuses truncated data.
func ParseTLVs(b []byte) ([]TLV, error) {
	var out []TLV
	for i := 0; i < len(b); {
		start := i
		if b[i]&0x1F == 0x1F { // multi-byte tag
			i++
			for i < len(b) && b[i]&0x80 != 0 {
				i++
			}
		}
		i++
		if i > len(b) {
			return nil, fmt.Errorf("tlv at offset %d: truncated tag: %w", start, ErrMalformed)
		}
		tag := b[start:i]
		if i >= len(b) {
			return nil, fmt.Errorf("tlv %X: no length: %w", tag, ErrMalformed)
		}
		n := int(b[i])
		i++
		if n&0x80 != 0 {
			k := n & 0x7F
			if k == 0 || k > 3 || i+k > len(b) {
				return nil, fmt.Errorf("tlv %X: bad length: %w", tag, ErrMalformed)
			}
			n = 0
			for _, c := range b[i : i+k] {
				n = n<<8 | int(c)
			}
			i += k
		}
		if i+n > len(b) {
			return nil, fmt.Errorf("tlv %X: %d bytes announced, %d left: %w", tag, n, len(b)-i, ErrMalformed)
		}
		out = append(out, TLV{Tag: strings.ToUpper(hex.EncodeToString(tag)), Len: n, Value: strings.ToUpper(hex.EncodeToString(b[i : i+n]))})
		i += n
	}
	return out, nil
}

// fieldText is a field's value as DecodeJSON shows it: digits and text as they
// are, binary as upper-case hex.
func fieldText(msg *moov.Message, id int) string {
	kind, _ := kindOf(id)
	if kind == kindBinary {
		return strings.ToUpper(hex.EncodeToString(getBytes(msg, id)))
	}
	return getString(msg, id)
}

// presentFields lists the message's data fields in ascending order.
func presentFields(msg *moov.Message) []int {
	var ids []int
	for id := range msg.GetFields() {
		if id >= 2 {
			ids = append(ids, id)
		}
	}
	sort.Ints(ids)
	return ids
}

// DecodeJSON decodes a message for integrators (posctl decode iso) into
//
//	{"length": N, "tpdu": "HEX", "header": "HEX", "mti": "0200",
//	 "fields": {"2": "...", "3": "000000", ...}, "icc": [{"tag": "9F26", "len": 8, "value": "HEX"}]}
//
// with the fields in ascending order. With framed false raw is a body starting at
// the MTI and length, tpdu and header are absent. A frame whose length disagrees
// with its size, trailing bytes or a truncated field are errors. The output holds
// card data in clear: it is for the integrator's own test messages, never for logs
// (use Describe).
func (d *Dialect) DecodeJSON(raw []byte, framed bool) ([]byte, error) {
	if !framed {
		return d.decodeJSON(nil, raw)
	}
	if len(raw) < frameLenSize+tpduSize+headerSize {
		return nil, fmt.Errorf("decode: frame of %d bytes: %w", len(raw), ErrMalformed)
	}
	n := int(binary.BigEndian.Uint16(raw))
	if n != len(raw)-frameLenSize {
		return nil, fmt.Errorf("decode: length prefix %d, %d bytes follow: %w", n, len(raw)-frameLenSize, ErrMalformed)
	}
	head := FrameHead{Length: n, TPDU: raw[frameLenSize : frameLenSize+tpduSize],
		Header: raw[frameLenSize+tpduSize : frameLenSize+tpduSize+headerSize]}
	return d.decodeJSON(&head, raw[frameLenSize+tpduSize+headerSize:])
}

// FrameHead is what a frame carried before its body, as the caller's framing read
// it (iso8583/frame): the stated length, the TPDU, a gateway's pre-header if any,
// and the header.
type FrameHead struct {
	Length                  int
	TPDU, PreHeader, Header []byte
}

// DecodeFrameJSON is DecodeJSON of a body whose frame the caller has already read,
// in any framing; a non-empty pre-header shows as "pre_header" after the TPDU.
func (d *Dialect) DecodeFrameJSON(head FrameHead, body []byte) ([]byte, error) {
	return d.decodeJSON(&head, body)
}

func (d *Dialect) decodeJSON(head *FrameHead, body []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	if head != nil {
		fmt.Fprintf(&buf, `"length":%d,"tpdu":"%X",`, head.Length, head.TPDU)
		if len(head.PreHeader) > 0 {
			fmt.Fprintf(&buf, `"pre_header":"%X",`, head.PreHeader)
		}
		fmt.Fprintf(&buf, `"header":"%X",`, head.Header)
	}
	msg, err := d.Unpack(body)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	mti, _ := msg.GetMTI()
	buf.WriteString(`"mti":`)
	writeJSONString(&buf, mti)
	buf.WriteString(`,"fields":{`)
	for i, id := range presentFields(msg) {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeJSONString(&buf, strconv.Itoa(id))
		buf.WriteByte(':')
		writeJSONString(&buf, fieldText(msg, id))
	}
	buf.WriteByte('}')
	if f55 := getBytes(msg, 55); f55 != nil {
		tlvs, err := ParseTLVs(f55)
		if err != nil {
			return nil, fmt.Errorf("decode: field 55: %w", err)
		}
		if tlvs == nil {
			tlvs = []TLV{}
		}
		j, err := json.Marshal(tlvs)
		if err != nil {
			return nil, fmt.Errorf("decode: field 55: %w", err)
		}
		buf.WriteString(`,"icc":`)
		buf.Write(j)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func writeJSONString(buf *bytes.Buffer, s string) {
	j, _ := json.Marshal(s)
	buf.Write(j)
}

// Describe is a one-field-per-line description of msg for logs and screens. Card
// data never appears: the PAN is masked to its last four digits, tracks, PIN block,
// ICC data, expiry and keys (62) are shown only by their size.
func (d *Dialect) Describe(msg *moov.Message) string {
	var b strings.Builder
	mti, _ := msg.GetMTI()
	fmt.Fprintf(&b, "%s MTI %s\n", d.Name, mti)
	for _, id := range presentFields(msg) {
		fmt.Fprintf(&b, "F%-3d %s\n", id, maskedField(msg, id))
	}
	return b.String()
}

func maskedField(msg *moov.Message, id int) string {
	switch id {
	case 2:
		s := getString(msg, 2)
		if len(s) <= 4 {
			return strings.Repeat("*", len(s))
		}
		return strings.Repeat("*", len(s)-4) + s[len(s)-4:]
	case 14:
		return "****"
	case 35, 36:
		return fmt.Sprintf("[track, %d nibbles]", len(getString(msg, id)))
	case 52:
		return "[PIN block]"
	case 55:
		return fmt.Sprintf("[ICC data, %d bytes]", len(getBytes(msg, 55)))
	case 62:
		return fmt.Sprintf("[%d bytes]", len(getBytes(msg, 62)))
	}
	return fieldText(msg, id)
}
