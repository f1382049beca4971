package tlv

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func lookupIn(d Data) func(Tag) ([]byte, bool) { return d.Get }

func TestParseDOL_TagsAndOneByteLengths(t *testing.T) {
	// A CUP CDOL1.
	got, err := ParseDOL(h(t, "9F02 06 9F03 06 9F1A 02 95 05 5F2A 02 9A 03 9C 01 9F37 04 DF8101 81"))
	if err != nil {
		t.Fatal(err)
	}
	want := []DOLEntry{
		{0x9F02, 6}, {0x9F03, 6}, {0x9F1A, 2}, {0x95, 5}, {0x5F2A, 2}, {0x9A, 3}, {0x9C, 1}, {0x9F37, 4},
		{0xDF8101, 0x81}, // one-byte length: 81 is 129, not a long-form marker
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ParseDOL (-want +got):\n%s", d)
	}
	if n := DOLLen(got); n != 29+129 {
		t.Errorf("DOLLen = %d, want %d", n, 29+129)
	}
}

func TestParseDOL_Malformed(t *testing.T) {
	for name, in := range map[string]string{
		"tag without length":   "9F02 06 9F37",
		"truncated tag":        "9F02 06 9F",
		"padding is not a tag": "9F02 06 00 9F37 04",
		"FF is not a tag":      "FF 9F37 04",
		"tag longer than 4":    "DF 81 82 83 04 01",
	} {
		if _, err := ParseDOL(h(t, in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: ParseDOL(%s) error %v, want ErrMalformed", name, in, err)
		}
	}
	if dol, err := ParseDOL(nil); err != nil || len(dol) != 0 {
		t.Errorf("ParseDOL(nil) = %v, %v; want an empty DOL", dol, err)
	}
}

func build(t *testing.T, dol string, d Data) []byte {
	t.Helper()
	entries, err := ParseDOL(h(t, dol))
	if err != nil {
		t.Fatal(err)
	}
	return BuildDOL(entries, lookupIn(d))
}

func checkBuild(t *testing.T, dol string, d Data, want string) {
	t.Helper()
	if got := build(t, dol, d); !bytes.Equal(got, h(t, want)) {
		t.Errorf("BuildDOL(%s) = %X, want %s", dol, got, want)
	}
}

func TestDOL_ExactLengthCopied(t *testing.T) {
	checkBuild(t, "9F02 06 5F2A 02", Data{0x9F02: h(t, "000000001000"), 0x5F2A: h(t, "0156")}, "000000001000 0156")
}

func TestDOL_NumericPaddedLeftWithZeros(t *testing.T) {
	checkBuild(t, "9F02 08", Data{0x9F02: h(t, "000000001000")}, "00 00 000000001000")
}

func TestDOL_NumericTruncatedOnTheLeftKeepingLowOrderDigits(t *testing.T) {
	checkBuild(t, "9F02 04", Data{0x9F02: h(t, "000000012345")}, "00012345")
}

func TestDOL_CompressedNumericPaddedRightWithFF(t *testing.T) {
	checkBuild(t, "5A 0A", Data{0x5A: h(t, "6212345678901234")}, "6212345678901234 FFFF")
}

func TestDOL_CompressedNumericTruncatedOnTheRight(t *testing.T) {
	checkBuild(t, "5A 04", Data{0x5A: h(t, "6212345678901234")}, "62123456")
}

func TestDOL_BinaryPaddedRightWithZeros(t *testing.T) {
	checkBuild(t, "9F37 06", Data{0x9F37: h(t, "A1B2C3D4")}, "A1B2C3D4 0000")
}

func TestDOL_BinaryTruncatedOnTheRight(t *testing.T) {
	checkBuild(t, "95 03", Data{0x95: h(t, "8000048000")}, "800004")
}

func TestDOL_AlphanumericPaddedRightWithZerosAndTruncatedOnTheRight(t *testing.T) {
	checkBuild(t, "9F1C 0A", Data{0x9F1C: []byte("12345678")}, "3132333435363738 0000")
	checkBuild(t, "9F1C 04", Data{0x9F1C: []byte("12345678")}, "31323334")
}

func TestDOL_UnknownFormatTreatedAsBinary(t *testing.T) {
	checkBuild(t, "DF8101 04", Data{0xDF8101: h(t, "0102")}, "0102 0000")
	checkBuild(t, "DF8101 01", Data{0xDF8101: h(t, "0102")}, "01")
}

func TestDOL_MissingTagFilledWithZeros(t *testing.T) {
	checkBuild(t, "9F02 06 9F7C 03 9F37 04", Data{0x9F02: h(t, "000000001000"), 0x9F37: h(t, "11223344")},
		"000000001000 000000 11223344")
}

func TestDOL_ConstructedTagFilledWithZeros(t *testing.T) {
	checkBuild(t, "70 03 9F37 02", Data{0x70: h(t, "5A01FF"), 0x9F37: h(t, "1122")}, "000000 1122")
}

func TestDOL_NilLookupGivesZeros(t *testing.T) {
	dol, _ := ParseDOL(h(t, "9F02 06 9F37 04"))
	if got := BuildDOL(dol, nil); !bytes.Equal(got, make([]byte, 10)) {
		t.Errorf("BuildDOL(dol, nil) = %X", got)
	}
}

func TestDOL_ZeroLengthEntryTakesNoBytes(t *testing.T) {
	checkBuild(t, "9F02 00 9F37 02", Data{0x9F02: h(t, "000000001000"), 0x9F37: h(t, "1122")}, "1122")
}

func TestDOL_DataSplitsBackIntoElements(t *testing.T) {
	dol, _ := ParseDOL(h(t, "9F02 06 9F1A 02 95 05 9F37 04"))
	data := h(t, "000000001000 0156 0000000000 11223344")
	got, err := ParseDOLData(dol, data)
	if err != nil {
		t.Fatal(err)
	}
	want := Data{0x9F02: h(t, "000000001000"), 0x9F1A: h(t, "0156"), 0x95: h(t, "0000000000"), 0x9F37: h(t, "11223344")}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ParseDOLData (-want +got):\n%s", d)
	}
	if _, err := ParseDOLData(dol, data[:16]); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseDOLData of short data: error %v, want ErrMalformed", err)
	}
	if _, err := ParseDOLData(dol, append(data, 0)); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseDOLData of long data: error %v, want ErrMalformed", err)
	}
}

func TestDOL_BuildThenSplitRoundTrips(t *testing.T) {
	dol, _ := ParseDOL(h(t, "9F02 06 5F2A 02 9A 03 9C 01 9F37 04"))
	in := Data{0x9F02: h(t, "000000001000"), 0x5F2A: h(t, "0156"), 0x9A: h(t, "261127"), 0x9C: h(t, "00"), 0x9F37: h(t, "CAFEBABE")}
	got, err := ParseDOLData(dol, BuildDOL(dol, in.Get))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}
