package apdu

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func h(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCommand_BytesForTheFourCases(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Command
		want string
	}{
		{"case 1", Command{CLA: 0x00, INS: 0x82, P1: 0, P2: 0}, "00820000"},
		{"case 2, READ RECORD Le 00", Command{CLA: 0x00, INS: 0xB2, P1: 1, P2: 0x0C, Le: Le(0)}, "00B2010C00"},
		{"case 2, Le 256 written 00", Command{CLA: 0x80, INS: 0xCA, P1: 0x9F, P2: 0x17, Le: Le(256)}, "80CA9F1700"},
		{"case 3, EXTERNAL AUTHENTICATE", Command{CLA: 0x00, INS: 0x82, Data: h(t, "11223344556677883030")}, "008200000A 11223344556677883030"},
		{"case 4, SELECT PSE", Command{CLA: 0x00, INS: 0xA4, P1: 0x04, Data: []byte("1PAY.SYS.DDF01"), Le: Le(0)}, "00A404000E 315041592E5359532E4444463031 00"},
		{"case 4, GPO", Command{CLA: 0x80, INS: 0xA8, Data: h(t, "8300"), Le: Le(0)}, "80A8000002830000"},
		{"extended data", Command{CLA: 0x80, INS: 0xE2, Data: make([]byte, 256)}, "80E20000 000100" + strings.Repeat("00", 256)},
		{"extended Le, case 2", Command{CLA: 0x00, INS: 0xB0, Le: Le(65536)}, "00B00000 000000"},
		{"extended case 4", Command{CLA: 0x00, INS: 0xB0, Data: h(t, "01"), Le: Le(300)}, "00B00000 000001 01 012C"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.Bytes(); !bytes.Equal(got, h(t, tc.want)) {
				t.Errorf("Bytes() = %X, want %s", got, tc.want)
			}
		})
	}
}

func TestCommand_StringMasksVERIFYData(t *testing.T) {
	verify := Command{CLA: 0x00, INS: 0x20, P2: 0x80, Data: h(t, "241234FFFFFFFFFF")}
	if s := verify.String(); strings.Contains(s, "1234") || !strings.Contains(s, "Lc=8 ****************") {
		t.Errorf("VERIFY prints as %q", s)
	}
	sel := Command{CLA: 0x00, INS: 0xA4, P1: 0x04, Data: h(t, "A0000003330101"), Le: Le(0)}
	if s, want := sel.String(), "00 A4 04 00 Lc=7 A0000003330101 Le=0"; s != want {
		t.Errorf("SELECT prints as %q, want %q", s, want)
	}
}

func TestParseResponse_SplitsDataAndStatus(t *testing.T) {
	got, err := ParseResponse(h(t, "770A 9000"))
	if err != nil {
		t.Fatal(err)
	}
	want := Response{Data: h(t, "770A"), SW1: 0x90, SW2: 0x00}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ParseResponse (-want +got):\n%s", d)
	}
	if got.SW() != Success || got.Err() != nil {
		t.Errorf("SW %v, Err %v; want 9000 and no error", got.SW(), got.Err())
	}
	if got, err := ParseResponse(h(t, "6A82")); err != nil || len(got.Data) != 0 || got.SW() != FileNotFound {
		t.Errorf("ParseResponse(6A82) = %+v, %v", got, err)
	}
}

func TestParseResponse_ShorterThanStatusIsError(t *testing.T) {
	for _, in := range []string{"", "90"} {
		if _, err := ParseResponse(h(t, in)); !errors.Is(err, ErrMalformedResponse) {
			t.Errorf("ParseResponse(%q): error %v, want ErrMalformedResponse", in, err)
		}
	}
}

func TestStatusError_UnwrapsToWhatTheCallerActsOn(t *testing.T) {
	for _, tc := range []struct {
		sw   SW
		want []error
		not  []error
	}{
		{0x6A82, []error{ErrNotFound}, []error{ErrBlocked}},
		{0x6A81, []error{ErrFunctionNotSupported}, []error{ErrNotFound}},
		{0x6283, []error{ErrSelectedFileInvalidated}, nil},
		{0x6985, []error{ErrConditionsNotSatisfied}, nil},
		{0x6A83, []error{ErrRecordNotFound}, nil},
		{0x6983, []error{ErrBlocked}, []error{ErrWrongPIN}},
		{0x6984, []error{ErrBlocked}, nil},
		{0x63C2, []error{ErrWrongPIN}, []error{ErrBlocked}},
		{0x63C0, []error{ErrWrongPIN, ErrBlocked}, nil},
		{0x6300, []error{ErrAuthenticationFailed}, []error{ErrWrongPIN}},
		{0x6F00, nil, []error{ErrNotFound, ErrBlocked, ErrWrongPIN}},
	} {
		err := Response{SW1: byte(tc.sw >> 8), SW2: byte(tc.sw)}.Err()
		se, ok := errors.AsType[*StatusError](err)
		if !ok || se.SW != tc.sw {
			t.Errorf("%v: Err() = %v, want a *StatusError with that word", tc.sw, err)
			continue
		}
		for _, target := range tc.want {
			if !errors.Is(err, target) {
				t.Errorf("%v: not errors.Is %v", tc.sw, target)
			}
		}
		for _, target := range tc.not {
			if errors.Is(err, target) {
				t.Errorf("%v: errors.Is %v, want not", tc.sw, target)
			}
		}
	}
}

func TestSW_TriesLeftFrom63Cx(t *testing.T) {
	if n, ok := SW(0x63C2).TriesLeft(); !ok || n != 2 {
		t.Errorf("63C2: TriesLeft = %d, %v", n, ok)
	}
	if _, ok := SW(0x6300).TriesLeft(); ok {
		t.Error("6300 has tries left")
	}
	if got := (&StatusError{SW: 0x63C1}).Error(); got != "card status 63C1: wrong, tries left: 1" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&StatusError{SW: 0x6A82}).Error(); got != "card status 6A82: file or application not found" {
		t.Errorf("Error() = %q", got)
	}
}

func TestSW_WarningIs62xxAnd63xx(t *testing.T) {
	for sw, want := range map[SW]bool{0x6283: true, 0x63C1: true, 0x6300: true, 0x9000: false, 0x6A82: false, 0x6985: false} {
		if got := sw.Warning(); got != want {
			t.Errorf("%v.Warning() = %v, want %v", sw, got, want)
		}
	}
}
