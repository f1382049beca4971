package msrsim_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"countertop/hal"
	"countertop/hal/msr/msrsim"
	"countertop/internal/carddata"
)

func TestEncode(t *testing.T) {
	c := msrsim.Card{Track1: "B4000000000000002^DOE/J^2512101", Track2: "4000000000000002=2512101", Track3: "011"}
	for _, tc := range []struct {
		f    msrsim.Format
		want string
	}{
		{msrsim.Format{}, "%B4000000000000002^DOE/J^2512101?;4000000000000002=2512101?;011?\r\n"},
		{msrsim.Format{LRC: true, Track3Plus: true, End: "\r"},
			"%B4000000000000002^DOE/J^2512101?" + string(msrsim.LRC(1, c.Track1)) +
				";4000000000000002=2512101?" + string(msrsim.LRC(2, c.Track2)) + "+011?" + string(msrsim.LRC(3, c.Track3)) + "\r"},
		{msrsim.Format{STX: true, LinePerTrack: true, End: "\n"},
			"\x02%B4000000000000002^DOE/J^2512101?\n;4000000000000002=2512101?\n;011?\n\x03"},
		{msrsim.Format{LRC: true}, "%B4000000000000002^DOE/J^2512101?" + string(msrsim.LRC(1, c.Track1)) +
			";4000000000000002=2512101?" + string(msrsim.LRC(2, c.Track2)) + ";011?" + string(msrsim.LRC(3, c.Track3)) + "\r\n"},
	} {
		if d := cmp.Diff(tc.want, string(msrsim.Encode(c, tc.f))); d != "" {
			t.Errorf("Encode with %+v (-want +got):\n%s", tc.f, d)
		}
	}
	if got := string(msrsim.Encode(msrsim.Card{Track1: "E", Track2: "E"}, msrsim.Format{LRC: true})); got != "%E?;E?\r\n" {
		t.Errorf("unreadable tracks encode as %q; want no LRC after E", got)
	}
}

// TestLRC checks hand-computed values: ";1?" is 0xB^0x1^0xF = 0x5; "%A?" on track 1
// is 0x05^0x21^0x1F = 0x3B, the character '['.
func TestLRC(t *testing.T) {
	if got := msrsim.LRC(2, "1"); got != '5' {
		t.Errorf("LRC(;1?) = %q; want '5'", got)
	}
	if got := msrsim.LRC(1, "A"); got != '[' {
		t.Errorf("LRC(%%A?) = %q; want '['", got)
	}
}

func TestCardOf(t *testing.T) {
	tr, err := carddata.ParseTrack2("6222021234567890128=30121010000000000")
	if err != nil {
		t.Fatal(err)
	}
	want := msrsim.Card{Track1: "B6222021234567890128^ZHANG/SAN^30121010000000000", Track2: tr.Reveal()}
	if d := cmp.Diff(want, msrsim.CardOf(hal.Tracks{Track2: tr, Name: "ZHANG/SAN"})); d != "" {
		t.Errorf("CardOf (-want +got):\n%s", d)
	}
	if got := msrsim.CardOf(hal.Tracks{Track2: tr}); got.Track1 != "" {
		t.Errorf("CardOf without a name made track 1 %q", got.Track1)
	}
}

func TestKeystrokesRejectsUntypeable(t *testing.T) {
	if _, err := msrsim.Keystrokes("ab\x01"); err == nil {
		t.Error("Keystrokes accepted a control character")
	}
}
