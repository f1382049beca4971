package msr_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"countertop/hal/msr"
	"countertop/hal/msr/msrsim"
	"countertop/internal/carddata"
)

const (
	pan    = "6222021234567890128"
	track2 = pan + "=30121010000000000"
	track1 = "B" + pan + "^ZHANG/SAN                 ^30121010000000000000000"
	track3 = "996222021234567890128=1561560000000000000003000000214000030120=000000000000=000000000000=00000000"
)

var card = msrsim.Card{Track1: track1, Track2: track2, Track3: track3}

type parsed struct {
	Track2, Name string
}

func parse(text string) (parsed, error) {
	t, err := msr.ParseSwipe([]byte(text))
	return parsed{t.Track2.Reveal(), t.Name}, err
}

func TestParseSwipeFormats(t *testing.T) {
	full := parsed{track2, "ZHANG/SAN"}
	for _, tc := range []struct {
		name string
		text string
		want parsed
	}{
		{"track 2 only", ";" + track2 + "?\r\n", parsed{track2, ""}},
		{"no line end", ";" + track2 + "?", parsed{track2, ""}},
		{"tracks 1 and 2, wedge style", "%" + track1 + "?;" + track2 + "?\r", full},
		{"three tracks, + sentinel", "%" + track1 + "?;" + track2 + "?+" + track3 + "?\n", full},
		{"three tracks, ; sentinel", "%" + track1 + "?;" + track2 + "?;" + track3 + "?\r\n", full},
		{"STX ETX framing", "\x02%" + track1 + "?;" + track2 + "?\r\x03", full},
		{"line per track", "%" + track1 + "?\r\n;" + track2 + "?\r\n+" + track3 + "?\r\n", full},
		{"track 1 read in error", "%E?;" + track2 + "?\r", parsed{track2, ""}},
		{"track 3 read in error", ";" + track2 + "?+E?\r", parsed{track2, ""}},
		{"track 1 not format B", "%A123 PROPRIETARY?;" + track2 + "?", parsed{track2, ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse(tc.text)
			if err != nil {
				t.Fatalf("ParseSwipe: %v", err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestParseSwipeEncodings parses every framing msrsim produces, LRCs included, for
// cards whose LRCs take every value — among them ';', which a parser could take for
// the next track's start sentinel.
func TestParseSwipeEncodings(t *testing.T) {
	lrcs := map[byte]bool{}
	for i := range 400 {
		body := fmt.Sprintf("62220212345678%04d", i)
		p := body + luhnDigit(body)
		c := msrsim.Card{
			Track1: "B" + p + "^LI/SI^" + fmt.Sprintf("30121010%05d", i),
			Track2: p + "=3012101" + fmt.Sprintf("%05d", i*7),
			Track3: "99" + p + "=156156" + fmt.Sprintf("%03d", i),
		}
		lrcs[msrsim.LRC(2, c.Track2)] = true
		for _, f := range []msrsim.Format{
			{}, {LRC: true}, {LRC: true, STX: true}, {LRC: true, Track3Plus: true},
			{LRC: true, LinePerTrack: true}, {Track3Plus: true, End: "\r"}, {LRC: true, End: "\n"},
		} {
			for _, cc := range []msrsim.Card{c, {Track2: c.Track2, Track3: c.Track3}, {Track1: c.Track1, Track2: c.Track2}} {
				got, err := msr.ParseSwipe(msrsim.Encode(cc, f))
				want := parsed{cc.Track2, ""}
				if cc.Track1 != "" {
					want.Name = "LI/SI"
				}
				if err != nil || got.Track2.Reveal() != want.Track2 || got.Name != want.Name {
					t.Fatalf("card %d format %+v: ParseSwipe = %v %q, %v; want %v", i, f, got.Track2, got.Name, err, want.Name)
				}
			}
		}
	}
	if len(lrcs) != 16 {
		t.Errorf("track 2 LRCs covered: %d of 16", len(lrcs))
	}
}

func luhnDigit(body string) string {
	for d := '0'; d <= '9'; d++ {
		if carddata.Luhn(body + string(d)) {
			return string(d)
		}
	}
	panic("no check digit")
}

func TestParseSwipeErrors(t *testing.T) {
	withLRC := string(msrsim.Encode(card, msrsim.Format{LRC: true}))
	i := strings.Index(withLRC, ";")
	j := i + strings.Index(withLRC[i:], "?")
	badLRC := withLRC[:j+1] + string('0'+(withLRC[j+1]-'0'+1)%16) + withLRC[j+2:]
	for _, tc := range []struct {
		name string
		text string
		want error
	}{
		{"empty", "\r\n", msr.ErrNoTrack2},
		{"track 1 only", "%" + track1 + "?\r", msr.ErrNoTrack2},
		{"track 2 read in error", "%" + track1 + "?;E?\r", msr.ErrNoTrack2},
		{"garbage", "\xff\xfe garbage\r", msr.ErrSentinel},
		{"noise before the sentinel", "x;" + track2 + "?", msr.ErrSentinel},
		{"tracks out of order", ";" + track2 + "?%" + track1 + "?", msr.ErrSentinel},
		{"track 2 twice", ";" + track2 + "?+" + track3 + "?;" + track2 + "?", msr.ErrSentinel},
		{"partial track 2", ";" + track2[:20], msr.ErrPartial},
		{"partial track 1 then track 2", "%" + track1[:10] + ";" + track2 + "?", msr.ErrPartial},
		{"cut at a line end", ";" + track2[:20] + "\r" + track2[20:] + "?", msr.ErrPartial},
		{"letter in track 2", ";" + pan + "=3012A010000000000?", msr.ErrCharset},
		{"lower case in track 1", "%B" + pan + "^zhang/san^3012101?;" + track2 + "?", msr.ErrCharset},
		{"track 2 too long", ";" + track2 + "0?", msr.ErrLength},
		{"bad LRC", badLRC, msr.ErrLRC},
		{"garbage after the end sentinel", ";" + track2 + "?xyz", msr.ErrLRC},
		{"bad check digit", ";6222021234567890127=30121010000000000?", carddata.ErrLuhn},
		{"no separator", ";62220212345678901283012101?", carddata.ErrBadTrack},
		{"track 1 with one separator", "%B" + pan + "^ZHANG/SAN?;" + track2 + "?", msr.ErrTrack1},
		{"track 1 name too long", "%B" + pan + "^" + strings.Repeat("N", 27) + "^3012101?;" + track2 + "?", msr.ErrTrack1},
		{"tracks disagree", "%B6222021234567890136^ZHANG/SAN^3012101?;" + track2 + "?", msr.ErrMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse(tc.text)
			if !errors.Is(err, tc.want) || !errors.Is(err, carddata.ErrBadTrack) {
				t.Fatalf("ParseSwipe = %+v, %v; want an error wrapping %v and carddata.ErrBadTrack", got, err, tc.want)
			}
			if got != (parsed{}) {
				t.Errorf("ParseSwipe returned tracks %+v with its error", got)
			}
			if strings.Contains(err.Error(), "62220212") || strings.Contains(err.Error(), "ZHANG") {
				t.Errorf("error %q shows card data", err)
			}
		})
	}
}

func TestLRCAgreesWithSimulator(t *testing.T) {
	for _, tc := range []struct {
		num  int
		ss   byte
		data string
	}{{1, '%', track1}, {2, ';', track2}, {3, ';', track3}, {3, '+', track3}, {2, ';', ""}} {
		if got, want := msr.LRC(tc.num, tc.ss, []byte(tc.data)), msrsim.LRC(tc.num, tc.data); got != want {
			t.Errorf("track %d %c: LRC = %q; msrsim says %q", tc.num, tc.ss, got, want)
		}
	}
	// Worked example: ";1?" → B^1^F = 5 → '5'.
	if got := msr.LRC(2, ';', []byte("1")); got != '5' {
		t.Errorf("LRC(;1?) = %q; want '5'", got)
	}
}

// FuzzParseSwipe: any bytes give tracks or an error wrapping carddata.ErrBadTrack,
// never a panic; accepted tracks are valid and survive re-encoding.
func FuzzParseSwipe(f *testing.F) {
	for _, fm := range []msrsim.Format{{}, {LRC: true}, {LRC: true, STX: true, Track3Plus: true}} {
		f.Add(msrsim.Encode(card, fm))
	}
	f.Add([]byte(";" + track2 + "?;\r\n"))
	f.Add([]byte("%E?;E?+E?\r"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := msr.ParseSwipe(b)
		if err != nil {
			if !errors.Is(err, carddata.ErrBadTrack) {
				t.Fatalf("error %v does not wrap carddata.ErrBadTrack", err)
			}
			if !tr.Track2.IsZero() || tr.Name != "" {
				t.Fatalf("tracks returned with error %v", err)
			}
			return
		}
		if _, err := carddata.ParseTrack2(tr.Track2.Reveal()); err != nil {
			t.Fatalf("accepted track 2 does not parse: %v", err)
		}
		if len(tr.Name) > 26 {
			t.Fatalf("name of %d characters", len(tr.Name))
		}
		again, err := msr.ParseSwipe(msrsim.Encode(msrsim.CardOf(tr), msrsim.Format{LRC: true}))
		if err != nil || again.Track2.Reveal() != tr.Track2.Reveal() || again.Name != tr.Name {
			t.Fatalf("re-encoded swipe parses as %v %q, %v", again.Track2, again.Name, err)
		}
	})
}
