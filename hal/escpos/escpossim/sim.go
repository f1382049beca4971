package escpossim

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"countertop/hal"
)

// State is the printer's condition, as DLE EOT reports it.
type State struct {
	PaperOut     bool
	PaperNearEnd bool
	CoverOpen    bool
	Offline      bool // offline for another reason (error, waiting for recovery)
	// PaperOutAfter > 0 makes the paper run out after that many more printed lines.
	PaperOutAfter int
	// Silent printers answer nothing (unplugged, hung).
	Silent bool
	// Noise is sent before every DLE EOT reply (line garbage, ASB bytes).
	Noise []byte
}

func (s State) faulted() bool { return s.PaperOut || s.CoverOpen || s.Offline }

// Printer is a simulated ESC/POS printer. It is safe for concurrent use.
type Printer struct {
	mu    sync.Mutex
	width int
	state State

	pending []byte // unparsed input
	tail    []byte // last bytes seen by the DLE EOT scanner
	lost    int    // lines sent while the printer could not print

	chinese bool
	align   hal.Align
	bold    bool
	escSize byte // ESC ! size bits
	gsSize  byte // GS ! n; the later of ESC ! / GS ! wins
	gsLast  bool
	qrData  string

	line    strings.Builder
	lineSet bool // attributes captured at the line's first character
	lineAt  hal.Line
	cur     hal.Document
	slips   []hal.Document
}

// New returns a simulated printer with width normal-font columns (32 for 58 mm), ready,
// in Chinese mode as Chinese-market printers power up.
func New(width int) *Printer {
	return &Printer{width: width, chinese: true, cur: hal.Document{Width: width}}
}

// SetState sets the printer's condition. Clearing PaperOut is loading a new roll: what
// was printed and not cut before the paper ran out is torn off and gone.
func (p *Printer) SetState(s State) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state.PaperOut && !s.PaperOut {
		p.cur = hal.Document{Width: p.width}
	}
	p.state = s
}

// State returns the printer's condition.
func (p *Printer) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Slips returns the slips cut so far.
func (p *Printer) Slips() []hal.Document {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]hal.Document(nil), p.slips...)
}

// Uncut returns what was printed after the last cut.
func (p *Printer) Uncut() hal.Document {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.cur
	d.Lines = append([]hal.Line(nil), d.Lines...)
	return d
}

// Lost returns how many lines arrived while the printer could not print.
func (p *Printer) Lost() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lost
}

// Feed takes bytes from the host and returns the printer's replies (DLE EOT answers).
// Replies are computed as bytes arrive, also inside incomplete commands and image
// data, as real printers scan their input for DLE EOT n.
func (p *Printer) Feed(b []byte) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	reply := p.scan(b)
	p.pending = append(p.pending, b...)
	for len(p.pending) > 0 {
		n := p.step(p.pending)
		if n == 0 {
			break
		}
		p.pending = p.pending[n:]
	}
	if len(p.pending) == 0 {
		p.pending = nil
	}
	return reply
}

// Serve feeds what it reads from rw to the printer and writes the replies back, until
// reading fails; it returns nil at io.EOF. Use it for a TCP printer (port 9100 style)
// or any other link.
func (p *Printer) Serve(rw io.ReadWriter) error {
	buf := make([]byte, 4096)
	for {
		n, err := rw.Read(buf)
		if n > 0 {
			if reply := p.Feed(buf[:n]); len(reply) > 0 {
				if _, werr := rw.Write(reply); werr != nil {
					return fmt.Errorf("write reply: %w", werr)
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// scan finds DLE EOT n in the raw stream, across Feed boundaries.
func (p *Printer) scan(b []byte) []byte {
	var reply []byte
	buf := append(p.tail, b...)
	for i := 0; i+2 < len(buf); i++ {
		if buf[i] == 0x10 && buf[i+1] == 0x04 && i+2 >= len(p.tail) {
			reply = append(reply, p.answer(buf[i+2])...)
		}
	}
	if len(buf) > 2 {
		buf = buf[len(buf)-2:]
	}
	p.tail = append([]byte(nil), buf...)
	return reply
}

// answer is the reply to DLE EOT n.
func (p *Printer) answer(n byte) []byte {
	s := p.state
	if s.Silent {
		return nil
	}
	b := byte(0x12)
	switch n {
	case 1:
		if s.faulted() {
			b |= 0x08
		}
	case 2:
		if s.CoverOpen {
			b |= 0x04
		}
		if s.PaperOut {
			b |= 0x20
		}
		if s.Offline {
			b |= 0x40
		}
	case 3:
	case 4:
		if s.PaperNearEnd {
			b |= 0x0C
		}
		if s.PaperOut {
			b |= 0x60
		}
	default:
		return nil
	}
	return append(append([]byte(nil), s.Noise...), b)
}

// step parses one command or character at the start of b and returns how many bytes
// it took, or 0 when b holds only part of it.
func (p *Printer) step(b []byte) int {
	need := func(n int) int {
		if len(b) < n {
			return 0
		}
		return n
	}
	switch c := b[0]; {
	case c == 0x0A: // LF
		p.endLine(true)
		return 1
	case c == 0x1B:
		return p.escCmd(b, need)
	case c == 0x1D:
		return p.gsCmd(b, need)
	case c == 0x1C:
		if len(b) < 2 {
			return 0
		}
		switch b[1] {
		case '&':
			p.chinese = true
			return 2
		case '.':
			p.chinese = false
			return 2
		}
		return need(3) // FS ! n, FS - n, FS C n, FS W n; unknown FS x n likewise
	case c == 0x10: // DLE EOT n, DLE ENQ n answered or ignored by the scanner
		if len(b) >= 2 && b[1] == 0x14 {
			return need(5) // DLE DC4 fn a b
		}
		return need(3)
	case c < 0x20 || c == 0x7F:
		if c == 0x09 {
			p.addText(" ")
		}
		return 1
	case c < 0x80:
		p.addText(string(rune(c)))
		return 1
	case !p.chinese:
		p.addText(string(utf8.RuneError))
		return 1
	}
	// Chinese mode: a GB18030 character of 2 or 4 bytes.
	n := 1
	if b[0] >= 0x81 && b[0] <= 0xFE {
		if len(b) < 2 {
			return 0
		}
		n = 2
		if b[1] >= 0x30 && b[1] <= 0x39 {
			n = 4
			if len(b) < 4 {
				return 0
			}
		}
	}
	r, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b[:n])
	if err != nil || !utf8.Valid(r) {
		r = []byte(string(utf8.RuneError))
	}
	p.addText(string(r))
	return n
}

func (p *Printer) escCmd(b []byte, need func(int) int) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '@':
		p.endLine(false)
		p.align, p.bold, p.escSize, p.gsSize, p.gsLast = hal.AlignLeft, false, 0, 0, false
		return 2
	case 'a':
		if len(b) < 3 {
			return 0
		}
		p.align = hal.Align((b[2] & 0x0F) % 3)
		return 3
	case 'E':
		if len(b) < 3 {
			return 0
		}
		p.bold = b[2]&1 == 1
		return 3
	case '!':
		if len(b) < 3 {
			return 0
		}
		p.bold = b[2]&0x08 != 0
		p.escSize, p.gsLast = b[2]&0x30, false
		return 3
	case 'd': // print and feed n lines
		if len(b) < 3 {
			return 0
		}
		p.endLine(false)
		for i := 0; i < int(b[2]); i++ {
			p.endLine(true)
		}
		return 3
	case '2', '<':
		return 2
	case 'p':
		return need(5)
	case '$':
		return need(4)
	case '*': // bit image: m nL nH data
		if len(b) < 5 {
			return 0
		}
		k := int(b[3]) + int(b[4])<<8
		if b[2] >= 32 {
			k *= 3
		}
		return need(5 + k)
	}
	return need(3) // ESC x n: J, M, t, -, 3, SP, R, {, G, c …
}

func (p *Printer) gsCmd(b []byte, need func(int) int) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '!':
		if len(b) < 3 {
			return 0
		}
		p.gsSize, p.gsLast = b[2], true
		return 3
	case 'V':
		if len(b) < 3 {
			return 0
		}
		n := 3
		if m := b[2]; m == 65 || m == 66 || m == 97 || m == 98 || m == 103 || m == 104 {
			n = 4
		}
		if len(b) < n {
			return 0
		}
		p.cut()
		return n
	case '(': // GS ( x pL pH data
		if len(b) < 5 {
			return 0
		}
		k := int(b[3]) + int(b[4])<<8
		if len(b) < 5+k {
			return 0
		}
		if b[2] == 'k' && k >= 2 && b[5] == 0x31 {
			p.qr(b[6], b[7:5+k])
		}
		return 5 + k
	case 'v': // GS v 0 m xL xH yL yH data
		if len(b) < 8 {
			return 0
		}
		k := (int(b[4]) + int(b[5])<<8) * (int(b[6]) + int(b[7])<<8)
		return need(8 + k)
	case 'k': // barcode: m 0–6 NUL-terminated, m 65–79 n data
		if len(b) < 3 {
			return 0
		}
		if b[2] <= 6 {
			for i := 3; i < len(b); i++ {
				if b[i] == 0 {
					return i + 1
				}
			}
			return 0
		}
		if len(b) < 4 {
			return 0
		}
		return need(4 + int(b[3]))
	}
	return need(3) // GS a n, GS r n, GS B n, GS H n, GS h n, GS w n, GS f n …
}

// qr handles GS ( k with cn 31: fn 50 stores the data, fn 51 prints it.
func (p *Printer) qr(fn byte, args []byte) {
	switch fn {
	case 0x50:
		if len(args) >= 1 {
			p.qrData = string(args[1:])
		}
	case 0x51:
		if p.state.faulted() {
			p.lost++
			return
		}
		p.cur.QR = p.qrData
	}
}

func (p *Printer) addText(s string) {
	if !p.lineSet {
		w, h := p.size()
		p.lineAt = hal.Line{Align: p.align, Bold: p.bold, Large: w > 1 && h > 1}
		p.lineSet = true
	}
	p.line.WriteString(s)
}

// size is the character magnification (width, height) in effect.
func (p *Printer) size() (int, int) {
	if p.gsLast {
		return int(p.gsSize>>4&7) + 1, int(p.gsSize&7) + 1
	}
	w, h := 1, 1
	if p.escSize&0x20 != 0 {
		w = 2
	}
	if p.escSize&0x10 != 0 {
		h = 2
	}
	return w, h
}

// endLine prints the line buffer. With force, an empty buffer prints an empty line
// (LF); otherwise only a non-empty one.
func (p *Printer) endLine(force bool) {
	if !force && !p.lineSet {
		return
	}
	l := p.lineAt
	if !p.lineSet {
		w, h := p.size()
		l = hal.Line{Align: p.align, Bold: p.bold, Large: w > 1 && h > 1}
	}
	l.Text = p.line.String()
	p.line.Reset()
	p.lineSet = false
	if p.state.faulted() {
		p.lost++
		return
	}
	p.cur.Lines = append(p.cur.Lines, l)
	if p.state.PaperOutAfter > 0 {
		p.state.PaperOutAfter--
		if p.state.PaperOutAfter == 0 {
			p.state.PaperOut = true
		}
	}
}

func (p *Printer) cut() {
	p.endLine(false)
	if p.state.faulted() {
		return // the paper stays uncut
	}
	p.slips = append(p.slips, p.cur)
	p.cur = hal.Document{Width: p.width}
}
