package escpossim

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"countertop/hal"
)

func TestParse(t *testing.T) {
	p := New(32)
	in := []byte{
		0x1B, '@', 0x1C, '&',
		0x1B, 'a', 1, 0x1D, '!', 0x11, 0xC7, 0xA9, 0xB9, 0xBA, '\n', // 签购 (GB2312), large, centred
		0x1B, 'a', '2', 0x1B, 'E', 1, 0x1D, '!', 0, 'O', 'K', '\n', // '2' (0x32) right, bold
		0x1B, 'E', 0, 0x1B, 'a', 0, 0x1B, '!', 0x30, 'W', '\n', // ESC ! double both = large
		0x1D, 'v', '0', 0, 3, 0, 1, 0, 0x10, 0x04, 0x01, // raster 3×1 bytes holding DLE EOT 1
		0x1D, '(', 'k', 6, 0, 0x31, 0x50, 0x30, 'R', 'E', 'F',
		0x1D, '(', 'k', 3, 0, 0x31, 0x51, 0x30,
		0x1B, '!', 0, 0x1C, '.', 0xC7, '\n', // outside Chinese mode a high byte is one unknown character
		0x1D, 'V', 66, 3,
		'x', '\n', 'y',
	}
	var reply []byte
	for _, c := range in { // byte by byte: every command split at every point
		reply = append(reply, p.Feed([]byte{c})...)
	}
	want := []hal.Document{{Width: 32, QR: "REF", Lines: []hal.Line{
		{Text: "签购", Align: hal.AlignCenter, Large: true},
		{Text: "OK", Align: hal.AlignRight, Bold: true},
		{Text: "W", Large: true},
		{Text: "\uFFFD"},
	}}}
	if diff := cmp.Diff(want, p.Slips()); diff != "" {
		t.Errorf("slips (-want +got):\n%s", diff)
	}
	// The DLE EOT inside the image data draws a stray reply, as on real printers.
	if !bytes.Equal(reply, []byte{0x12}) {
		t.Errorf("replies % x, want 12", reply)
	}
	if diff := cmp.Diff(hal.Document{Width: 32, Lines: []hal.Line{{Text: "x"}}}, p.Uncut()); diff != "" {
		t.Errorf("uncut: %s", diff)
	}
}

func TestStatusReplies(t *testing.T) {
	for _, tc := range []struct {
		state State
		want  []byte // replies to DLE EOT 1, 2, 3, 4
	}{
		{State{}, []byte{0x12, 0x12, 0x12, 0x12}},
		{State{PaperNearEnd: true}, []byte{0x12, 0x12, 0x12, 0x1E}},
		{State{PaperOut: true}, []byte{0x1A, 0x32, 0x12, 0x72}},
		{State{CoverOpen: true}, []byte{0x1A, 0x16, 0x12, 0x12}},
		{State{Offline: true}, []byte{0x1A, 0x52, 0x12, 0x12}},
		{State{Silent: true, PaperOut: true}, nil},
		{State{Noise: []byte{0xFF}}, []byte{0xFF, 0x12, 0xFF, 0x12, 0xFF, 0x12, 0xFF, 0x12}},
	} {
		p := New(32)
		p.SetState(tc.state)
		got := p.Feed([]byte{0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 3, 0x10, 0x04, 4, 0x10, 0x04, 9})
		if !bytes.Equal(got, tc.want) {
			t.Errorf("%+v: replies % x, want % x", tc.state, got, tc.want)
		}
	}
}

func TestFaultedPrinterLosesLines(t *testing.T) {
	p := New(32)
	p.SetState(State{PaperOutAfter: 1})
	p.Feed([]byte("a\nb\nc\n\x1dV\x42\x03"))
	if diff := cmp.Diff(hal.Document{Width: 32, Lines: []hal.Line{{Text: "a"}}}, p.Uncut()); diff != "" {
		t.Errorf("uncut (-want +got):\n%s", diff)
	}
	if p.Lost() != 2 || len(p.Slips()) != 0 || !p.State().PaperOut {
		t.Errorf("lost %d, slips %d, state %+v", p.Lost(), len(p.Slips()), p.State())
	}
}

// FuzzFeed checks that the parser never panics and that how the stream is split into
// reads changes nothing: replies and printed slips are the same.
func FuzzFeed(f *testing.F) {

	f.Fuzz(func(t *testing.T, data []byte, split int) {
		whole := New(32)
		r1 := whole.Feed(data)
		parts := New(32)
		k := 0
		if len(data) > 0 {
			k = (split%len(data) + len(data)) % len(data)
		}
		r2 := append(parts.Feed(data[:k]), parts.Feed(data[k:])...)
		if !bytes.Equal(r1, r2) {
			t.Errorf("replies differ when split at %d: % x vs % x", k, r1, r2)
		}
		if diff := cmp.Diff(whole.Slips(), parts.Slips()); diff != "" {
			t.Errorf("slips differ when split at %d:\n%s", k, diff)
		}
		if diff := cmp.Diff(whole.Uncut(), parts.Uncut()); diff != "" {
			t.Errorf("uncut differs when split at %d:\n%s", k, diff)
		}
	})
}
