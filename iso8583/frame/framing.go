package frame

import (
	"errors"
	"fmt"
	"io"
)

// Framing is how frames are delimited on one link. A host dialect's framing is a
// value, chosen by configuration, never a branch in the code that uses it.
type Framing interface {
	// Read reads exactly one frame; a stated length above max (MaxLen when max
	// <= 0) gives ErrTooLong without reading on, a clean end of stream between
	// frames io.EOF, one inside a frame ErrTruncated.
	Read(r io.Reader, max int) (Frame, error)
	// Write writes f in a single Write call.
	Write(w io.Writer, f Frame) error
	// Parse reads a buffer that must hold exactly one frame.
	Parse(raw []byte) (Frame, error)
	// Bytes is f as written on the wire.
	Bytes(f Frame) ([]byte, error)
}

// Framings are the framings by the name configuration and posctl use: "cup" and
// "dialup".
func Framings() map[string]Framing {
	return map[string]Framing{"cup": Length, "dialup": DialUp}
}

// ErrFraming: a dial-up frame's STX, ETX, BCD length or LRC is wrong.
var ErrFraming = errors.New("bad frame delimiter, length or check byte")

// Length is the CUP framing over TCP: a 2-byte big-endian length before the TPDU
// (the package functions Read, Write, Parse and Frame.Bytes).
var Length Framing = lengthFraming{}

type lengthFraming struct{}

func (lengthFraming) Read(r io.Reader, max int) (Frame, error) { return Read(r, max) }
func (lengthFraming) Write(w io.Writer, f Frame) error         { return Write(w, f) }
func (lengthFraming) Parse(raw []byte) (Frame, error)          { return Parse(raw) }
func (lengthFraming) Bytes(f Frame) ([]byte, error)            { return f.Bytes() }

// DialUp is the framing of dial-up and NAC links (doc §4.1): STX (02), the length
// of TPDU, header and body as 4 BCD digits in 2 bytes, those bytes, ETX (03), and an
// LRC byte, the XOR of every byte after STX up to and including ETX. [unconfirmed:
// whether the LRC covers the length bytes; this follows the usual convention.]
var DialUp Framing = dialUpFraming{}

// Dial-up framing bytes and limits.
const (
	stx          = 0x02
	etx          = 0x03
	dialUpMaxLen = 9999 // four BCD digits
)

type dialUpFraming struct{}

func (dialUpFraming) Bytes(f Frame) ([]byte, error) {
	n := f.Len()
	if n > dialUpMaxLen {
		return nil, fmt.Errorf("dial-up frame of %d bytes: %w", n, ErrTooLong)
	}
	out := make([]byte, 0, n+5)
	out = append(out, stx, byte(n/1000)<<4|byte(n/100%10), byte(n/10%10)<<4|byte(n%10))
	out = f.appendInner(out)
	out = append(out, etx)
	return append(out, lrc(out[1:])), nil
}

func (d dialUpFraming) Write(w io.Writer, f Frame) error {
	b, err := d.Bytes(f)
	if err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}

func (dialUpFraming) Read(r io.Reader, max int) (Frame, error) {
	if max <= 0 || max > dialUpMaxLen {
		max = dialUpMaxLen
	}
	var head [3]byte
	if _, err := io.ReadFull(r, head[:1]); err != nil {
		if errors.Is(err, io.EOF) {
			return Frame{}, err // clean end of stream between frames
		}
		return Frame{}, fmt.Errorf("read frame: %w: %w", ErrTruncated, err)
	}
	if head[0] != stx {
		return Frame{}, fmt.Errorf("read frame: first byte %02X, not STX: %w", head[0], ErrFraming)
	}
	if _, err := io.ReadFull(r, head[1:]); err != nil {
		return Frame{}, fmt.Errorf("read frame length: %w: %w", ErrTruncated, err)
	}
	n, err := bcdLen(head[1:])
	if err != nil {
		return Frame{}, err
	}
	if n > max {
		return Frame{}, fmt.Errorf("read frame: length %d, limit %d: %w", n, max, ErrTooLong)
	}
	if n < TPDUSize+HeaderSize {
		return Frame{}, fmt.Errorf("read frame: length %d: %w", n, ErrShort)
	}
	buf := make([]byte, n+2)
	if got, err := io.ReadFull(r, buf); err != nil {
		return Frame{}, fmt.Errorf("read frame: %d of %d bytes: %w: %w", got, n+2, ErrTruncated, err)
	}
	if err := checkTail(head[1:], buf); err != nil {
		return Frame{}, err
	}
	return split(buf[:n]), nil
}

func (dialUpFraming) Parse(raw []byte) (Frame, error) {
	if len(raw) < 3 {
		return Frame{}, fmt.Errorf("parse frame: %d bytes: %w", len(raw), ErrTruncated)
	}
	if raw[0] != stx {
		return Frame{}, fmt.Errorf("parse frame: first byte %02X, not STX: %w", raw[0], ErrFraming)
	}
	n, err := bcdLen(raw[1:3])
	if err != nil {
		return Frame{}, err
	}
	rest := raw[3:]
	switch {
	case n < TPDUSize+HeaderSize:
		return Frame{}, fmt.Errorf("parse frame: length %d: %w", n, ErrShort)
	case len(rest) < n+2:
		return Frame{}, fmt.Errorf("parse frame: length %d, %d bytes follow: %w", n, len(rest), ErrTruncated)
	case len(rest) > n+2:
		return Frame{}, fmt.Errorf("parse frame: length %d, %d bytes follow: %w", n, len(rest), ErrTrailing)
	}
	if err := checkTail(raw[1:3], rest); err != nil {
		return Frame{}, err
	}
	return split(append([]byte(nil), rest[:n]...)), nil
}

// bcdLen reads the 4-digit BCD length of a dial-up frame.
func bcdLen(b []byte) (int, error) {
	n := 0
	for _, c := range b {
		hi, lo := int(c>>4), int(c&0x0F)
		if hi > 9 || lo > 9 {
			return 0, fmt.Errorf("frame length % X is not BCD: %w", b, ErrFraming)
		}
		n = n*100 + hi*10 + lo
	}
	return n, nil
}

// checkTail checks that rest (the frame, ETX, LRC) ends in ETX and the LRC of the
// length bytes, the frame and ETX.
func checkTail(length, rest []byte) error {
	n := len(rest) - 2
	if rest[n] != etx {
		return fmt.Errorf("frame: byte %02X where ETX belongs: %w", rest[n], ErrFraming)
	}
	if want := lrc(length) ^ lrc(rest[:n+1]); rest[n+1] != want {
		return fmt.Errorf("frame: lrc %02X, computed %02X: %w", rest[n+1], want, ErrFraming)
	}
	return nil
}

// lrc is the XOR of b's bytes.
func lrc(b []byte) byte {
	var x byte
	for _, c := range b {
		x ^= c
	}
	return x
}

// WithPreHeader is fr on a link whose gateway puts a block of n bytes between the
// TPDU and the header (doc §4.1: a real one carries 122 bytes starting FD). Frames
// read carry it in PreHeader; frames written carry their PreHeader, which must be
// n bytes. n = 0 gives fr itself.
func WithPreHeader(fr Framing, n int) Framing {
	if n <= 0 {
		return fr
	}
	return preHeaderFraming{base: fr, n: n}
}

type preHeaderFraming struct {
	base Framing
	n    int
}

// cut moves the first n bytes after the TPDU of a frame the base framing read
// into its PreHeader.
func (p preHeaderFraming) cut(f Frame, err error) (Frame, error) {
	if err != nil {
		return Frame{}, err
	}
	inner := append(f.Header[:], f.Body...)
	if len(inner) < p.n+HeaderSize {
		return Frame{}, fmt.Errorf("frame of %d bytes after the tpdu, pre-header %d and header %d: %w", len(inner), p.n, HeaderSize, ErrShort)
	}
	f.PreHeader = inner[:p.n:p.n]
	copy(f.Header[:], inner[p.n:p.n+HeaderSize])
	f.Body = inner[p.n+HeaderSize:]
	return f, nil
}

func (p preHeaderFraming) check(f Frame) error {
	if len(f.PreHeader) != p.n {
		return fmt.Errorf("frame with a pre-header of %d bytes on a link of %d: %w", len(f.PreHeader), p.n, ErrShort)
	}
	return nil
}

func (p preHeaderFraming) Read(r io.Reader, max int) (Frame, error) {
	return p.cut(p.base.Read(r, max))
}
func (p preHeaderFraming) Parse(raw []byte) (Frame, error) { return p.cut(p.base.Parse(raw)) }

func (p preHeaderFraming) Write(w io.Writer, f Frame) error {
	if err := p.check(f); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	return p.base.Write(w, f)
}

func (p preHeaderFraming) Bytes(f Frame) ([]byte, error) {
	if err := p.check(f); err != nil {
		return nil, err
	}
	return p.base.Bytes(f)
}
