package magstripe

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"countertop/internal/carddata"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func TestParseTrack1_ISO7813FormatB(t *testing.T) {
	tr, err := ParseTrack1("%B6228480000000007^WANG/WU                   ^3106201123400000000?")
	if err != nil {
		t.Fatal(err)
	}
	got := []string{tr.PAN().Reveal(), string(tr.Expiry()), tr.ServiceCode(), tr.Name()}
	if diff := cmp.Diff([]string{"6228480000000007", "3106", "201", "WANG/WU"}, got); diff != "" {
		t.Error(diff)
	}
	if s := fmt.Sprint(tr); s != "B************0007^***^****" {
		t.Errorf("printed %q, want masked", s)
	}
}

func TestParseTrack1_Rejects(t *testing.T) {
	for name, s := range map[string]string{
		"format code": "%A6228480000000007^WANG/WU^3106201?",
		"luhn":        "%B6228480000000008^WANG/WU^3106201?",
		"separators":  "%B6228480000000007WANG/WU3106201?",
		"short data":  "%B6228480000000007^WANG/WU^3106?",
		"empty":       "",
	} {
		if _, err := ParseTrack1(s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRead_TracksMustAgree(t *testing.T) {
	if _, err := Read("%B6228480000000007^WANG/WU^3106201?", ";6228480000000007=3107201?"); !errors.Is(err, ErrMismatch) {
		t.Errorf("expiry mismatch: %v", err)
	}
	if _, err := Read("", ""); !errors.Is(err, ErrNoTrack) {
		t.Errorf("no track: %v", err)
	}
	c, err := Read("%B6228480000000007^WANG/WU^3106201?", ";6228480000000007=3106201?")
	if err != nil || c.Track1 == nil {
		t.Fatalf("Read = %v, %v", c, err)
	}
}

func TestServiceCode_ChipCardSwipedIsToldToUseChip(t *testing.T) {
	c, err := Read("", ";6228480000000007=3106201?")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Check(now, false); !errors.Is(err, ErrUseChip) {
		t.Errorf("2xx without chip failure: %v", err)
	}
	m, err := c.Check(now, true)
	if err != nil || m != ModeFallback {
		t.Errorf("2xx after chip failure = %v, %v; want fallback", m, err)
	}
	c6, _ := Read("", ";6228480000000007=3106601?")
	if _, err := c6.Check(now, false); !errors.Is(err, ErrUseChip) {
		t.Errorf("6xx: %v", err)
	}
	c1, _ := Read("", ";6250941234567898=2912101?")
	if m, err := c1.Check(now, false); err != nil || m != ModeMagstripe {
		t.Errorf("1xx = %v, %v", m, err)
	}
}

func TestExpiry_ValidThroughEndOfMonth(t *testing.T) {
	for exp, want := range map[string]bool{"2611": false, "2610": true, "2612": false, "2613": true, "ab12": true, "2511": true} {
		if got := Expired(carddata.Expiry(exp), now); got != want {
			t.Errorf("Expired(%s) = %v, want %v", exp, got, want)
		}
	}
	c, _ := Read("", ";6250941234567898=2510101?")
	if _, err := c.Check(now, false); !errors.Is(err, ErrExpired) {
		t.Errorf("expired card: %v", err)
	}
}

func TestEntryMode_CUPField22(t *testing.T) {
	var got []string
	for _, m := range []Mode{ModeMagstripe, ModeChip, ModeFallback} {
		for _, pin := range []bool{true, false} {
			s, err := EntryMode(m, pin)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, s)
		}
	}
	if diff := cmp.Diff([]string{"021", "022", "051", "052", "801", "802"}, got); diff != "" {
		t.Error(diff)
	}
	if _, err := EntryMode(0, true); err == nil {
		t.Error("mode 0 accepted")
	}
}

func TestPINRequired_ServiceCodeDigit3(t *testing.T) {
	for sc, want := range map[string]bool{"101": false, "120": true, "201": false, "226": false, "205": true} {
		if got := PINRequired(sc); got != want {
			t.Errorf("PINRequired(%s) = %v", sc, got)
		}
	}
}
