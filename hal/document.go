package hal

import (
	"strings"
)

// Align is a line's alignment on paper.
type Align int

// Alignments.
const (
	AlignLeft Align = iota
	AlignCenter
	AlignRight
)

// Line is one printed line.
type Line struct {
	Text  string
	Align Align
	Bold  bool
	Large bool // double width and height
}

// Document is a printable slip: lines, an optional QR code, and a cut at the end.
type Document struct {
	Width int // columns of the normal font (32 on 58 mm paper)
	Lines []Line
	QR    string // printed as a QR code after the lines, when set
}

// Text renders the document as plain text with alignment applied, one line per Line
// (a Large line takes twice the columns). It is what slips look like in the journal,
// in tests and in the simulated printer.
func (d Document) Text() string {
	var b strings.Builder
	for _, l := range d.Lines {
		w := d.Width
		if l.Large && w > 0 {
			w /= 2
		}
		pad := 0
		switch tw := TextWidth(l.Text); l.Align {
		case AlignCenter:
			pad = (w - tw) / 2
		case AlignRight:
			pad = w - tw
		}
		if pad > 0 {
			b.WriteString(strings.Repeat(" ", pad))
		}
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	if d.QR != "" {
		b.WriteString("[QR " + d.QR + "]\n")
	}
	return b.String()
}

// TextWidth is the number of columns s takes on a printer or display: East Asian wide
// characters (CJK, full-width forms) take two.
func TextWidth(s string) int {
	n := 0
	for _, r := range s {
		n += RuneWidth(r)
	}
	return n
}

// RuneWidth is 2 for East Asian wide characters, 1 otherwise.
func RuneWidth(r rune) int {
	switch {
	case r >= 0x1100 && r <= 0x115F,
		r >= 0x2E80 && r <= 0xA4CF && r != 0x303F,
		r >= 0xAC00 && r <= 0xD7A3,
		r >= 0xF900 && r <= 0xFAFF,
		r >= 0xFE30 && r <= 0xFE4F,
		r >= 0xFF00 && r <= 0xFF60,
		r >= 0xFFE0 && r <= 0xFFE6:
		return 2
	}
	return 1
}
