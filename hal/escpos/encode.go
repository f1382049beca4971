package escpos

import (
	"fmt"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"

	"countertop/hal"
)

// ESC/POS bytes used by the driver (docs/devices.md §1).
const (
	esc = 0x1B
	gs  = 0x1D
	fs  = 0x1C
	dle = 0x10
	eot = 0x04
	lf  = 0x0A
)

// cutFeed is n in GS V 66 n: feed to the cutter plus n motion units, then cut.
const cutFeed = 3

// Encode returns the ESC/POS byte stream that prints d and cuts the paper: ESC @,
// FS & (Chinese mode), one line per hal.Line with ESC a, ESC E and GS ! set before the
// text (GB18030), the QR code when d.QR is set (GS ( k prints it at once, no LF),
// then GS V 66 n. Control characters in
// texts are replaced by spaces so that a text cannot inject commands, and
// private-use characters by "?".
func Encode(d hal.Document) ([]byte, error) {
	b := []byte{esc, '@', fs, '&'}
	enc := simplifiedchinese.GB18030.NewEncoder()
	for i, l := range d.Lines {
		text, err := enc.String(printable(l.Text))
		if err != nil {
			return nil, fmt.Errorf("encode line %d as gb18030: %w", i, err)
		}
		b = append(b, esc, 'a', alignByte(l.Align))
		b = append(b, esc, 'E', boolByte(l.Bold))
		size := byte(0x00)
		if l.Large {
			size = 0x11
		}
		b = append(b, gs, '!', size)
		b = append(b, text...)
		b = append(b, lf)
	}
	// Back to plain left-aligned text before the QR code and the cut.
	b = append(b, esc, 'a', 0, esc, 'E', 0, gs, '!', 0)
	if d.QR != "" {
		b = append(b, esc, 'a', 1)
		qr, err := qrCommands(printable(d.QR))
		if err != nil {
			return nil, err
		}
		b = append(b, qr...)
		b = append(b, esc, 'a', 0)
	}
	b = append(b, gs, 'V', 66, cutFeed)
	return b, nil
}

// qrCommands is the GS ( k sequence that stores and prints data as a model 2 QR code,
// module size 6, error correction M.
func qrCommands(data string) ([]byte, error) {
	if len(data) > 7089 {
		return nil, fmt.Errorf("qr data of %d bytes is longer than a qr code holds", len(data))
	}
	frame := func(b []byte, body ...byte) []byte {
		n := len(body)
		b = append(b, gs, '(', 'k', byte(n), byte(n>>8))
		return append(b, body...)
	}
	var b []byte
	b = frame(b, 0x31, 0x41, 0x32, 0x00) // model 2
	b = frame(b, 0x31, 0x43, 0x06)       // module size 6 dots
	b = frame(b, 0x31, 0x45, 0x31)       // error correction M
	b = frame(b, append([]byte{0x31, 0x50, 0x30}, data...)...)
	b = frame(b, 0x31, 0x51, 0x30) // print
	return b, nil
}

func alignByte(a hal.Align) byte {
	switch a {
	case hal.AlignCenter:
		return 1
	case hal.AlignRight:
		return 2
	}
	return 0
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// printable replaces control characters, which a printer would read as commands.
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
