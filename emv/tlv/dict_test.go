package tlv

import (
	"strings"
	"testing"
)

// required is the tag list the kernel's first users need named (the brief for emv/tlv).
var required = strings.Fields(`4F 50 57 5A 5F20 5F24 5F25 5F28 5F2A 5F2D 5F30 5F34 61 6F 70
	71 72 77 80 82 84 86 87 88 8A 8C 8D 8E 8F 90 91 92 93 94 95 9A 9B 9C 9D 9F01 9F02
	9F03 9F06 9F07 9F08 9F09 9F0D 9F0E 9F0F 9F10 9F11 9F12 9F13 9F14 9F15 9F16 9F17 9F1A
	9F1B 9F1C 9F1E 9F1F 9F21 9F22 9F23 9F26 9F27 9F2D 9F2E 9F2F 9F32 9F33 9F34 9F35 9F36
	9F37 9F38 9F39 9F40 9F41 9F42 9F44 9F45 9F46 9F47 9F48 9F49 9F4A 9F4B 9F4C 9F4D 9F4E
	9F4F 9F5D 9F63 9F74 9F79 BF0C A5 DF31`)

func TestLookup_CoversTheCommonEMVTags(t *testing.T) {
	for _, s := range required {
		tag, err := ParseTag(s)
		if err != nil {
			t.Fatal(err)
		}
		info, ok := Lookup(tag)
		if !ok {
			t.Errorf("Lookup(%s): not in the dictionary", s)
			continue
		}
		if info.Name == "" || info.Format == 0 || info.Source == 0 {
			t.Errorf("Lookup(%s) = %+v: name, format and source must be set", s, info)
		}
	}
}

func TestLookup_EntriesAreConsistent(t *testing.T) {
	for tag, info := range dictionary {
		if !tag.Valid() {
			t.Errorf("%v: not a valid tag", tag)
		}
		if info.MinLen < 0 || (info.MaxLen != 0 && info.MaxLen < info.MinLen) {
			t.Errorf("%v: lengths %d-%d", tag, info.MinLen, info.MaxLen)
		}
		if tag.Constructed() && info.Format != Binary {
			t.Errorf("%v: a template listed with format %v", tag, info.Format)
		}
	}
}

func TestLookup_NamesFormatsAndSourcesFromBook3AnnexA(t *testing.T) {
	for _, tc := range []struct {
		tag            Tag
		name           string
		format         Format
		minLen, maxLen int
		source         Source
	}{
		{0x9F02, "Amount, Authorised (Numeric)", Numeric, 6, 6, FromTerminal},
		{0x5A, "Application Primary Account Number (PAN)", CompressedNumeric, 0, 10, FromCard},
		{0x5F2D, "Language Preference", Alphanumeric, 2, 8, FromCard},
		{0x50, "Application Label", AlphanumericSpecial, 1, 16, FromCard},
		{0x8A, "Authorisation Response Code", Alphanumeric, 2, 2, FromIssuer},
		{0x9F41, "Transaction Sequence Counter", Numeric, 2, 4, FromTerminal},
		{0x9F74, "Electronic Cash Issuer Authorisation Code", Alpha, 6, 6, FromCard},
		{0x95, "Terminal Verification Results", Binary, 5, 5, FromTerminal},
	} {
		info, _ := Lookup(tc.tag)
		if info.Name != tc.name || info.Format != tc.format || info.MinLen != tc.minLen ||
			info.MaxLen != tc.maxLen || info.Source != tc.source {
			t.Errorf("Lookup(%v) = %+v, want %q %v %d-%d from %v", tc.tag, info, tc.name, tc.format, tc.minLen, tc.maxLen, tc.source)
		}
	}
}

func TestLookup_CardholderDataIsSensitive(t *testing.T) {
	for _, tag := range []Tag{0x57, 0x5A, 0x5F20, 0x5F24, 0x9F1F, 0x9F20, 0x99} {
		if info, _ := Lookup(tag); !info.Sensitive {
			t.Errorf("%v (%s) is not marked Sensitive", tag, info.Name)
		}
	}
	if info, _ := Lookup(0x9F02); info.Sensitive {
		t.Error("9F02 is marked Sensitive")
	}
}

func TestFormat_StringIsTheBooksAbbreviation(t *testing.T) {
	var got []string
	for _, f := range []Format{Binary, Numeric, CompressedNumeric, Alpha, Alphanumeric, AlphanumericSpecial} {
		got = append(got, f.String())
	}
	if s := strings.Join(got, " "); s != "b n cn a an ans" {
		t.Errorf("formats print as %q", s)
	}
}
