package escpos_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"countertop/hal"
	"countertop/hal/escpos"
	"countertop/hal/escpos/escpossim"
)

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		bits escpos.StatusBits
		want hal.PrinterStatus
		err  bool
	}{
		{escpos.StatusBits{Printer: 0x12, Offline: 0x12, Paper: 0x12}, hal.PrinterReady, false},
		{escpos.StatusBits{Printer: 0x12, Offline: 0x12, Paper: 0x1E}, hal.PrinterPaperNearEnd, false},
		{escpos.StatusBits{Printer: 0x1A, Offline: 0x32, Paper: 0x72}, hal.PrinterPaperOut, false},
		{escpos.StatusBits{Printer: 0x12, Offline: 0x12, Paper: 0x72}, hal.PrinterPaperOut, false}, // sensor only
		{escpos.StatusBits{Printer: 0x1A, Offline: 0x16, Paper: 0x12}, hal.PrinterCoverOpen, false},
		{escpos.StatusBits{Printer: 0x1A, Offline: 0x12, Paper: 0x12}, hal.PrinterOffline, false},
		{escpos.StatusBits{Printer: 0x12, Offline: 0x52, Paper: 0x12}, hal.PrinterOffline, false},
		{escpos.StatusBits{Printer: 0x00, Offline: 0x12, Paper: 0x12}, hal.PrinterOffline, true},
		{escpos.StatusBits{Printer: 0x12, Offline: 0x12, Paper: 0x93}, hal.PrinterOffline, true},
	} {
		got, err := escpos.ParseStatus(tc.bits)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("ParseStatus(%+v) = %v, %v; want %v, error %v", tc.bits, got, err, tc.want, tc.err)
		}
	}
}

func TestEncode(t *testing.T) {
	got, err := escpos.Encode(hal.Document{Lines: []hal.Line{
		{Text: "金额", Align: hal.AlignRight, Bold: true, Large: true},
		{Text: "a\x10\x04\x01b"}, // control characters must not reach the printer
	}, QR: "Q"})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0x1B, 0x40, 0x1C, 0x26,
		0x1B, 0x61, 2, 0x1B, 0x45, 1, 0x1D, 0x21, 0x11, 0xBD, 0xF0, 0xB6, 0xEE, 0x0A,
		0x1B, 0x61, 0, 0x1B, 0x45, 0, 0x1D, 0x21, 0x00, 'a', ' ', ' ', ' ', 'b', 0x0A,
		0x1B, 0x61, 0, 0x1B, 0x45, 0, 0x1D, 0x21, 0,
		0x1B, 0x61, 1,
		0x1D, 0x28, 0x6B, 4, 0, 0x31, 0x41, 0x32, 0x00,
		0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x43, 0x06,
		0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x45, 0x31,
		0x1D, 0x28, 0x6B, 4, 0, 0x31, 0x50, 0x30, 'Q',
		0x1D, 0x28, 0x6B, 3, 0, 0x31, 0x51, 0x30,
		0x1B, 0x61, 0,
		0x1D, 0x56, 66, 3,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Encode (-want +got):\n%s", diff)
	}
}

// replyOnce is a printer link whose replies (data) start flowing after the driver's
// first write, so none of them is discarded as stale input.
type replyOnce struct {
	mu      sync.Mutex
	written chan struct{}
	once    sync.Once
	data    *bytes.Reader
}

func newReplyOnce(data []byte) *replyOnce {
	return &replyOnce{written: make(chan struct{}), data: bytes.NewReader(data)}
}

func (r *replyOnce) Write(p []byte) (int, error) {
	r.once.Do(func() { close(r.written) })
	return len(p), nil
}

func (r *replyOnce) Read(p []byte) (int, error) {
	<-r.written
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.data.Read(p)
}

// FuzzStatus feeds arbitrary printer replies to the driver's status reader: it must
// skip bytes without the DLE EOT shape, take the first three that have it, and fail
// (not hang, not panic) when there are fewer.
func FuzzStatus(f *testing.F) {
	f.Add([]byte{0x12, 0x12, 0x12})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := escpos.New(newReplyOnce(data), 32)
		p.SetReplyTimeout(time.Second)
		got, err := p.Status(t.Context())
		var valid []byte
		for _, b := range data {
			if escpos.ValidStatusByte(b) {
				valid = append(valid, b)
			}
		}
		if len(valid) < 3 {
			if !errors.Is(err, hal.ErrDeviceGone) || !errors.Is(err, io.EOF) {
				t.Fatalf("Status with %d status bytes = %v, %v; want ErrDeviceGone (EOF)", len(valid), got, err)
			}
			return
		}
		want, werr := escpos.ParseStatus(escpos.StatusBits{Printer: valid[0], Offline: valid[1], Paper: valid[2]})
		if err != nil || werr != nil || got != want {
			t.Fatalf("Status = %v, %v; want %v, %v", got, err, want, werr)
		}
	})
}

// FuzzRoundTrip prints a one-line document through Encode and the simulator and wants
// the same document back.
func FuzzRoundTrip(f *testing.F) {
	f.Add("金额(AMOUNT): RMB 12.34", uint8(1), true, false, "REF1")
	f.Fuzz(func(t *testing.T, text string, align uint8, bold, large bool, qr string) {
		if !utf8.ValidString(text) || !utf8.ValidString(qr) || strings.ContainsRune(text+qr, utf8.RuneError) {
			t.Skip()
		}
		d := hal.Document{Width: 32, Lines: []hal.Line{{Text: text, Align: hal.Align(align % 3), Bold: bold, Large: large}}, QR: qr}
		b, err := escpos.Encode(d)
		if err != nil {
			if len(qr) > 7089 {
				return
			}
			t.Fatal(err)
		}
		sim := escpossim.New(32)
		sim.Feed(b)
		want := d
		want.Lines[0].Text = printable(text)
		want.QR = printable(qr)
		if diff := cmp.Diff([]hal.Document{want}, sim.Slips()); diff != "" {
			t.Errorf("printed (-sent +got):\n%s", diff)
		}
	})
}

func printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7F:
			return ' '
		case r >= 0xE000 && r <= 0xF8FF, r >= 0xF0000:
			// Private-use characters have no glyph on a printer, and GB18030
			// versions map them differently: print '?' rather than a wrong glyph.
			return '?'
		}
		return r
	}, s)
}
