package tlv

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// h decodes hex written with optional spaces; it fails the test on bad hex.
func h(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// treeOpts compares parsed trees by their meaning: nil and empty values are equal,
// and a template's raw Value is ignored when its Children say what it holds.
var treeOpts = cmp.Options{
	cmpopts.EquateEmpty(),
	cmp.Transformer("canonical", func(t TLV) TLV {
		if len(t.Children) > 0 {
			t.Value = nil
		}
		return t
	}),
}

func mustParse(t testing.TB, b []byte) []TLV {
	t.Helper()
	tlvs, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse(%X): %v", b, err)
	}
	return tlvs
}

func TestParse_PrimitiveOneAndTwoByteTags(t *testing.T) {
	got := mustParse(t, h(t, "5A 08 6212345678901234 9F02 06 000000001000"))
	want := []TLV{
		{Tag: 0x5A, Value: h(t, "6212345678901234")},
		{Tag: 0x9F02, Value: h(t, "000000001000")},
	}
	if d := cmp.Diff(want, got, treeOpts); d != "" {
		t.Errorf("Parse (-want +got):\n%s", d)
	}
}

func TestParse_MultiByteTags(t *testing.T) {
	got := mustParse(t, h(t, "DF8101 01 AA 5F2A 02 0156 DF818201 00"))
	want := []TLV{
		{Tag: 0xDF8101, Value: h(t, "AA")},
		{Tag: 0x5F2A, Value: h(t, "0156")},
		{Tag: 0xDF818201, Value: []byte{}},
	}
	if d := cmp.Diff(want, got, treeOpts); d != "" {
		t.Errorf("Parse (-want +got):\n%s", d)
	}
}

func TestParse_ShortAndLongLengths(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header string
		n      int
	}{
		{"short 7F", "DF01 7F", 127},
		{"81 80", "DF01 81 80", 128},
		{"81 FF", "DF01 81 FF", 255},
		{"82 0100", "DF01 82 0100", 256},
		{"83 010000", "DF01 83 010000", 65536},
		{"non-minimal 81 05", "DF01 81 05", 5},
		{"non-minimal 82 0003", "DF01 82 0003", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			value := bytes.Repeat([]byte{0x5A}, tc.n)
			got := mustParse(t, append(h(t, tc.header), value...))
			want := []TLV{{Tag: 0xDF01, Value: value}}
			if d := cmp.Diff(want, got, treeOpts); d != "" {
				t.Errorf("Parse (-want +got):\n%s", d)
			}
		})
	}
}

func TestParse_ZeroLengthValueKept(t *testing.T) {
	// CUP field 55 as a real IC sale sends it: empty 9F74, 71, 72, 91, DF31, 9F63.
	got := mustParse(t, h(t, "9F74 00 71 00 72 00 91 00 DF31 00 9F63 00 9F27 01 80"))
	var tags []Tag
	for _, o := range got {
		tags = append(tags, o.Tag)
	}
	want := []Tag{0x9F74, 0x71, 0x72, 0x91, 0xDF31, 0x9F63, 0x9F27}
	if d := cmp.Diff(want, tags); d != "" {
		t.Errorf("tags (-want +got):\n%s", d)
	}
}

func TestParse_PaddingBetweenObjects(t *testing.T) {
	// Book 3 Annex B: 00 before, between and after objects; ISO 7816-4 Annex D adds FF.
	got := mustParse(t, h(t, "00 00 FF 70 0D 00 5A 02 1234 FF FF 00 9F08 01 02 00 00 FF 00"))
	want := []TLV{{Tag: 0x70, Children: []TLV{
		{Tag: 0x5A, Value: h(t, "1234")},
		{Tag: 0x9F08, Value: h(t, "02")},
	}}}
	if d := cmp.Diff(want, got, treeOpts); d != "" {
		t.Errorf("Parse (-want +got):\n%s", d)
	}
}

func TestParse_OnlyPaddingIsEmpty(t *testing.T) {
	for _, in := range [][]byte{nil, {}, h(t, "00 FF 00")} {
		got, err := Parse(in)
		if err != nil || len(got) != 0 {
			t.Errorf("Parse(%X) = %v, %v; want nothing, no error", in, got, err)
		}
	}
}

func TestParse_ConstructedParsedRecursively(t *testing.T) {
	// An FCI: 6F > A5 > BF0C > 61 > 4F.
	in := h(t, "6F 1F 84 07 A0000003330101 A5 14 50 03 435550 BF0C 0C 61 0A 4F 08 A000000333010101")
	got := mustParse(t, in)
	want := []TLV{{Tag: 0x6F, Children: []TLV{
		{Tag: 0x84, Value: h(t, "A0000003330101")},
		{Tag: 0xA5, Children: []TLV{
			{Tag: 0x50, Value: []byte("CUP")},
			{Tag: 0xBF0C, Children: []TLV{
				{Tag: 0x61, Children: []TLV{{Tag: 0x4F, Value: h(t, "A000000333010101")}}},
			}},
		}},
	}}}
	if d := cmp.Diff(want, got, treeOpts); d != "" {
		t.Errorf("Parse (-want +got):\n%s", d)
	}
	if !bytes.Equal(got[0].Value, in[2:]) {
		t.Errorf("template Value = %X, want the raw contents %X", got[0].Value, in[2:])
	}
}

func TestParse_UnknownConstructedTagKeptOpaque(t *testing.T) {
	// FFEE01-style vendor containers are not BER inside; E1 is an unknown
	// constructed tag whose contents (a tag DF80..., X.690 forbids) do not parse.
	got := mustParse(t, h(t, "E1 04 DF 80 80 00 9F27 01 80"))
	want := []TLV{
		{Tag: 0xE1, Value: h(t, "DF808000")},
		{Tag: 0x9F27, Value: h(t, "80")},
	}
	if d := cmp.Diff(want, got, treeOpts); d != "" {
		t.Errorf("Parse (-want +got):\n%s", d)
	}
}

func TestParse_UnknownConstructedTagParsedWhenWellFormed(t *testing.T) {
	got := mustParse(t, h(t, "E1 03 C1 01 07"))
	want := []TLV{{Tag: 0xE1, Children: []TLV{{Tag: 0xC1, Value: h(t, "07")}}}}
	if d := cmp.Diff(want, got, treeOpts); d != "" {
		t.Errorf("Parse (-want +got):\n%s", d)
	}
}

func TestParse_KnownTemplateMustHoldWellFormedObjects(t *testing.T) {
	// A record (70) whose inner 5A claims more bytes than the template holds.
	_, err := Parse(h(t, "70 04 5A 05 1234"))
	se, ok := errors.AsType[*SyntaxError](err)
	if !ok {
		t.Fatalf("Parse error = %v, want a *SyntaxError", err)
	}
	if se.Offset != 2 {
		t.Errorf("Offset = %d, want 2 (the inner 5A)", se.Offset)
	}
}

func TestParse_MalformedInputIsSyntaxErrorWithOffset(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		offset int
		reason string
	}{
		{"indefinite length refused", "70 80 5A 01 12 00 00", 1, "indefinite"},
		{"length beyond buffer", "9F02 06 0000", 0, "runs past the end"},
		{"length field longer than 3 bytes", "5A 84 00000001 12", 1, "at most 3"},
		{"long length field truncated", "5A 82 01", 1, "length field truncated"},
		{"tag without length", "5A 01 12 9F02", 5, "no length field"},
		{"multi-byte tag truncated", "5A 01 12 9F", 3, "truncated"},
		{"tag longer than 4 bytes", "DF 81 82 83 04 00", 0, "longer than 4 bytes"},
		{"first subsequent tag byte 80", "9F 80 01 01 00", 0, "tag number 0"},
		{"inner object past its template", "77 04 9F27 02 80 00", 2, "runs past"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(h(t, tc.in))
			if got != nil {
				t.Errorf("Parse returned objects %v with an error", got)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			se, ok := errors.AsType[*SyntaxError](err)
			if !ok {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if se.Offset != tc.offset || !strings.Contains(se.Reason, tc.reason) {
				t.Errorf("got offset %d reason %q; want offset %d and a reason with %q", se.Offset, se.Reason, tc.offset, tc.reason)
			}
		})
	}
}

func TestParse_NestingDeeperThanMaxDepthRefused(t *testing.T) {
	// 70 templates nested MaxDepth+1 deep around one primitive.
	inner := h(t, "5A 01 12")
	for range MaxDepth + 1 {
		inner = TLV{Tag: 0x70, Value: inner}.Bytes()
	}
	if _, err := Parse(inner); !errors.Is(err, ErrMalformed) {
		t.Errorf("Parse of %d nested templates: error %v, want ErrMalformed", MaxDepth+1, err)
	}
	// MaxDepth deep is fine.
	ok := h(t, "5A 01 12")
	for range MaxDepth {
		ok = TLV{Tag: 0x70, Value: ok}.Bytes()
	}
	if _, err := Parse(ok); err != nil {
		t.Errorf("Parse of %d nested templates: %v", MaxDepth, err)
	}
}

func TestParse_DoesNotAliasInput(t *testing.T) {
	in := h(t, "9F36 02 0001")
	got := mustParse(t, in)
	in[3] = 0xEE
	if !bytes.Equal(got[0].Value, h(t, "0001")) {
		t.Errorf("Value changed to %X after the input changed", got[0].Value)
	}
}

func TestParse_ValuesCannotGrowIntoNeighbours(t *testing.T) {
	got := mustParse(t, h(t, "9F36 02 0001 9F27 01 80"))
	_ = append(got[0].Value, 0xEE)
	if !bytes.Equal(got[1].Value, h(t, "80")) {
		t.Errorf("appending to one Value changed the next to %X", got[1].Value)
	}
}

func TestEncode_MinimalLengths(t *testing.T) {
	for _, tc := range []struct {
		n      int
		header string
	}{
		{0, "DF01 00"},
		{127, "DF01 7F"},
		{128, "DF01 81 80"},
		{255, "DF01 81 FF"},
		{256, "DF01 82 0100"},
		{65535, "DF01 82 FFFF"},
		{65536, "DF01 83 010000"},
	} {
		value := bytes.Repeat([]byte{0xAB}, tc.n)
		got := TLV{Tag: 0xDF01, Value: value}.Bytes()
		want := append(h(t, tc.header), value...)
		if !bytes.Equal(got, want) {
			t.Errorf("length %d: header %X, want %s", tc.n, got[:min(len(got), 6)], tc.header)
		}
	}
}

func TestEncode_RoundTripIsByteExact(t *testing.T) {
	for _, in := range []string{
		"5A 08 6212345678901234",
		"9F02 06 000000001000 5F2A 02 0156",
		"9F74 00 71 00 72 00 91 00 DF31 00 9F63 00",
		"70 81 89 5F20 81 81" + strings.Repeat("41", 129) + "9F08 01 02",
		"6F 1F 84 07 A0000003330101 A5 14 50 03 435550 BF0C 0C 61 0A 4F 08 A000000333010101",
		"77 12 82 02 7C00 94 0C 08010100 10010401 18010200",
		"80 0E 7C00 08010100 10010401 18010200",
		"71 10 9F18 04 00000001 86 07 8424000002AABB",
		"DF818201 03 010203",
	} {
		b := h(t, in)
		got := Encode(mustParse(t, b)...)
		if !bytes.Equal(got, b) {
			t.Errorf("Encode(Parse(%s)) = %X", in, got)
		}
	}
}

func TestEncode_ChildrenReplaceValue(t *testing.T) {
	o := TLV{Tag: 0x77, Value: h(t, "DEAD"), Children: []TLV{
		{Tag: 0x9F27, Value: h(t, "80")},
		{Tag: 0x9F36, Value: h(t, "0001")},
	}}
	want := h(t, "77 09 9F27 01 80 9F36 02 0001")
	if got := o.Bytes(); !bytes.Equal(got, want) {
		t.Errorf("Bytes() = %X, want %X", got, want)
	}
	if got := Encode(o, o); !bytes.Equal(got, append(want, want...)) {
		t.Errorf("Encode(o, o) = %X", got)
	}
}

func TestEncode_PaddingAndNonMinimalLengthsNormalised(t *testing.T) {
	got := Encode(mustParse(t, h(t, "00 70 81 06 00 5A 02 1234 FF 00"))...)
	want := h(t, "70 04 5A 02 1234")
	if !bytes.Equal(got, want) {
		t.Errorf("Encode = %X, want %X", got, want)
	}
}

func TestSyntaxError_Message(t *testing.T) {
	_, err := Parse(h(t, "9F02 06 0000"))
	want := "tlv: offset 0: tag 9F02: length 6 runs past the end (only 2 left)"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}
