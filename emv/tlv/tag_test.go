package tlv

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTag_StringIsUpperHexOfItsBytes(t *testing.T) {
	for tag, want := range map[Tag]string{
		0x5A: "5A", 0x9F02: "9F02", 0xBF0C: "BF0C", 0xDF8101: "DF8101", 0x4F: "4F", 0x0A: "0A",
	} {
		if got := tag.String(); got != want {
			t.Errorf("Tag(%#x).String() = %q, want %q", uint32(tag), got, want)
		}
	}
}

func TestTag_ConstructedIsBit6OfFirstByte(t *testing.T) {
	for tag, want := range map[Tag]bool{
		0x70: true, 0x77: true, 0x6F: true, 0xA5: true, 0xBF0C: true, 0x61: true, 0x71: true, 0xFFEE01: true,
		0x80: false, 0x5A: false, 0x9F02: false, 0xDF31: false, 0x5F20: false,
	} {
		if got := tag.Constructed(); got != want {
			t.Errorf("%v.Constructed() = %v, want %v", tag, got, want)
		}
	}
}

func TestTag_ClassIsBits8And7OfFirstByte(t *testing.T) {
	for tag, want := range map[Tag]Class{
		0x06: Universal, 0x5A: Application, 0x6F: Application, 0x9F02: ContextSpecific,
		0xBF0C: ContextSpecific, 0xDF31: Private, 0xDF8101: Private,
	} {
		if got := tag.Class(); got != want {
			t.Errorf("%v.Class() = %v, want %v", tag, got, want)
		}
	}
}

func TestTag_Valid(t *testing.T) {
	for tag, want := range map[Tag]bool{
		0x5A: true, 0x9F02: true, 0x9F7F: true, 0xDF8101: true, 0xDF818201: true,
		0x00:     false, // padding
		0xFF:     false, // padding to Parse
		0x9F:     false, // announces more bytes
		0x5A01:   false, // 5A is a one-byte tag
		0x9F80:   false, // last byte says more follow
		0x9F8001: false, // first subsequent byte has tag number 0
		0xDF8181: false, // last byte says more follow
	} {
		if got := tag.Valid(); got != want {
			t.Errorf("%v.Valid() = %v, want %v", tag, got, want)
		}
	}
}

func TestParseTag(t *testing.T) {
	for s, want := range map[string]Tag{"9F02": 0x9F02, "9f02": 0x9F02, "5A": 0x5A, " BF0C ": 0xBF0C, "DF8101": 0xDF8101} {
		got, err := ParseTag(s)
		if err != nil || got != want {
			t.Errorf("ParseTag(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "9", "9F", "5A01", "009F02", "XYZ", "DF81818181", "00", "FF"} {
		if got, err := ParseTag(s); err == nil {
			t.Errorf("ParseTag(%q) = %v, want an error", s, got)
		}
	}
}

func TestTag_TextRoundTripsAsJSONKey(t *testing.T) {
	in := map[Tag]int{0x9F02: 1, 0x5A: 2}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"5A":2,"9F02":1}` {
		t.Errorf("json = %s", b)
	}
	var back map[Tag]int
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, back); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if err := json.Unmarshal([]byte(`{"9F":1}`), &back); err == nil {
		t.Error("json.Unmarshal accepted tag 9F")
	}
}
