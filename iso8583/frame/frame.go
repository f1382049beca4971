// Package frame owns the CUP POS wire frame around an ISO 8583 body: the 5-byte TPDU
// and the 6-byte application header, delimited on the link by a Framing: a 2-byte
// big-endian length (Length, CUP over TCP; the package functions) or STX, a BCD
// length, ETX and an LRC (DialUp). It reads and writes whole frames with a size
// limit and never interprets the body. It imports
// only the standard library; it must not import iso8583, keys, hal, store or net
// (callers pass any io.Reader/io.Writer).
package frame

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// Sizes of the frame parts.
const (
	LenSize    = 2
	TPDUSize   = 5
	HeaderSize = 6
	// MaxLen is the largest length a 2-byte prefix can state.
	MaxLen = 0xFFFF
)

// Errors returned by Read and Parse.
var (
	// ErrTooLong: the length prefix states more than the caller's limit. The rest
	// of the frame was not read; the connection is out of step and must be closed.
	ErrTooLong = errors.New("frame longer than the limit")
	// ErrShort: the length prefix states fewer bytes than the TPDU and header need.
	ErrShort = errors.New("frame shorter than tpdu and header")
	// ErrTruncated: the stream ended before the length prefix or before the bytes
	// it announced.
	ErrTruncated = errors.New("frame truncated")
	// ErrTrailing: a buffer holds more bytes than its length prefix states.
	ErrTrailing = errors.New("bytes after the frame")
)

// Frame is one message on the wire without its length prefix.
type Frame struct {
	TPDU [5]byte
	// PreHeader is a gateway's own block between the TPDU and the header (doc
	// §4.1); nil on most links. WithPreHeader reads it.
	PreHeader []byte
	Header    [6]byte
	Body      []byte // MTI, bitmap and fields
}

// Len is the value of the length prefix: TPDU, pre-header, header and body.
func (f Frame) Len() int { return TPDUSize + len(f.PreHeader) + HeaderSize + len(f.Body) }

// Read reads exactly one frame: the 2-byte length, then that many bytes. A length
// above max (or above MaxLen when max <= 0) gives ErrTooLong without reading on. A
// stream that ends cleanly before a new frame gives io.EOF itself; one that ends
// inside a frame gives ErrTruncated.
func Read(r io.Reader, max int) (Frame, error) {
	if max <= 0 || max > MaxLen {
		max = MaxLen
	}
	var lb [LenSize]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return Frame{}, err // clean end of stream between frames
		}
		return Frame{}, fmt.Errorf("read frame length: %w: %w", ErrTruncated, err)
	}
	n := int(binary.BigEndian.Uint16(lb[:]))
	if n > max {
		return Frame{}, fmt.Errorf("read frame: length %d, limit %d: %w", n, max, ErrTooLong)
	}
	if n < TPDUSize+HeaderSize {
		return Frame{}, fmt.Errorf("read frame: length %d: %w", n, ErrShort)
	}
	buf := make([]byte, n)
	if got, err := io.ReadFull(r, buf); err != nil {
		return Frame{}, fmt.Errorf("read frame: %d of %d bytes: %w: %w", got, n, ErrTruncated, err)
	}
	return split(buf), nil
}

func split(buf []byte) Frame {
	var f Frame
	copy(f.TPDU[:], buf[:TPDUSize])
	copy(f.Header[:], buf[TPDUSize:TPDUSize+HeaderSize])
	f.Body = buf[TPDUSize+HeaderSize:]
	return f
}

// Parse reads one frame from a buffer that must hold exactly that frame, length
// prefix included (ErrTrailing, ErrTruncated, ErrShort otherwise).
func Parse(raw []byte) (Frame, error) {
	if len(raw) < LenSize {
		return Frame{}, fmt.Errorf("parse frame: %d bytes: %w", len(raw), ErrTruncated)
	}
	n := int(binary.BigEndian.Uint16(raw))
	switch {
	case n < TPDUSize+HeaderSize:
		return Frame{}, fmt.Errorf("parse frame: length %d: %w", n, ErrShort)
	case len(raw)-LenSize < n:
		return Frame{}, fmt.Errorf("parse frame: length %d, %d bytes follow: %w", n, len(raw)-LenSize, ErrTruncated)
	case len(raw)-LenSize > n:
		return Frame{}, fmt.Errorf("parse frame: length %d, %d bytes follow: %w", n, len(raw)-LenSize, ErrTrailing)
	}
	return split(append([]byte(nil), raw[LenSize:]...)), nil
}

// Bytes is the frame as written on the wire, length prefix included.
func (f Frame) Bytes() ([]byte, error) {
	n := f.Len()
	if n > MaxLen {
		return nil, fmt.Errorf("frame of %d bytes: %w", n, ErrTooLong)
	}
	out := make([]byte, 0, LenSize+n)
	out = binary.BigEndian.AppendUint16(out, uint16(n))
	return f.appendInner(out), nil
}

// appendInner appends what every framing delimits: TPDU, pre-header, header, body.
func (f Frame) appendInner(out []byte) []byte {
	out = append(out, f.TPDU[:]...)
	out = append(out, f.PreHeader...)
	out = append(out, f.Header[:]...)
	return append(out, f.Body...)
}

// Write writes f with its length prefix in a single Write call, so a frame is never
// interleaved or split by the writer.
func Write(w io.Writer, f Frame) error {
	b, err := f.Bytes()
	if err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}

// SwapTPDU returns f with the TPDU's destination and source addresses exchanged,
// as a host does in its reply.
func (f Frame) SwapTPDU() Frame {
	f.TPDU = SwapTPDU(f.TPDU)
	return f
}

// SwapTPDU exchanges the destination (bytes 1–2) and source (bytes 3–4) addresses.
func SwapTPDU(t [5]byte) [5]byte {
	return [5]byte{t[0], t[3], t[4], t[1], t[2]}
}

// ProcessingRequirement is the low nibble of header byte 3 (index 2): what the host
// asks the terminal to do after this reply (0 nothing, 3 sign in again …).
func (f Frame) ProcessingRequirement() int { return int(f.Header[2] & 0x0F) }

// TerminalStatus is the high nibble of header byte 3 (index 2).
func (f Frame) TerminalStatus() int { return int(f.Header[2] >> 4) }

// AppType is header byte 1: 0x60 magstripe application, 0x61 IC application.
func (f Frame) AppType() byte { return f.Header[0] }

// WithProcessingRequirement returns f with the header's processing requirement set
// to p (0–15), for the acquirer simulator.
func (f Frame) WithProcessingRequirement(p int) Frame {
	f.Header[2] = f.Header[2]&0xF0 | byte(p&0x0F)
	return f
}

// ParseTPDU reads a TPDU written as 10 hex digits ("6000030000").
func ParseTPDU(s string) ([5]byte, error) {
	var t [5]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != TPDUSize {
		return t, fmt.Errorf("tpdu %q: want 10 hex digits", s)
	}
	copy(t[:], b)
	return t, nil
}

// ParseHeader reads a header written as 12 hex digits ("603200310000").
func ParseHeader(s string) ([6]byte, error) {
	var h [6]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != HeaderSize {
		return h, fmt.Errorf("header %q: want 12 hex digits", s)
	}
	copy(h[:], b)
	return h, nil
}

// Mirrors reports whether reply is a proper answer to request at the frame level:
// the reply's TPDU is the request's with addresses swapped.
func Mirrors(request, reply Frame) bool {
	return reply.TPDU == SwapTPDU(request.TPDU)
}
