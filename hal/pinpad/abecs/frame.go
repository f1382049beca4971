package abecs

import (
	"errors"
	"fmt"
	"io"
)

// Link-layer control bytes.
const (
	EOT = 0x04 // the pad's answer to CAN
	ACK = 0x06 // command received intact
	DC3 = 0x13 // stuffing escape inside PKTDATA
	NAK = 0x15 // frame damaged: send it again
	SYN = 0x16 // start of a frame
	ETB = 0x17 // end of PKTDATA; two CRC bytes follow
	CAN = 0x18 // abort the command in progress
	DC2 = 0x12 // first byte of a secure-channel PKTDATA (not supported here)
)

// MaxData is the longest PKTDATA, unstuffed.
const MaxData = 2049

// Frame errors. A receiver drains input after either and answers NAK.
var (
	// ErrFrame: the bytes after SYN do not form a frame (a bad DC3 escape, a raw SYN
	// inside PKTDATA, PKTDATA over MaxData bytes, an empty PKTDATA).
	ErrFrame = errors.New("abecs: malformed frame")
	// ErrCRC: the frame is well formed but its CRC does not match.
	ErrCRC = errors.New("abecs: frame crc mismatch")
)

// CRC is the frame check: CRC-16/XMODEM (polynomial 1021, initial 0000, no reflection,
// no final XOR) over the unstuffed PKTDATA followed by ETB.
func CRC(data []byte) uint16 {
	crc := uint16(0)
	for _, b := range data {
		crc = crcByte(crc, b)
	}
	return crcByte(crc, ETB)
}

func crcByte(crc uint16, b byte) uint16 {
	crc ^= uint16(b) << 8
	for range 8 {
		if crc&0x8000 != 0 {
			crc = crc<<1 ^ 0x1021
		} else {
			crc <<= 1
		}
	}
	return crc
}

// Encode frames PKTDATA: SYN, data with DC3, SYN and ETB stuffed as DC3 and the byte
// plus 20h, ETB, and the CRC high byte first.
func Encode(data []byte) ([]byte, error) {
	if len(data) == 0 || len(data) > MaxData {
		return nil, fmt.Errorf("encode %d bytes of pktdata: %w", len(data), ErrFrame)
	}
	out := make([]byte, 0, len(data)+8)
	out = append(out, SYN)
	for _, b := range data {
		switch b {
		case DC3, SYN, ETB:
			out = append(out, DC3, b+0x20)
		default:
			out = append(out, b)
		}
	}
	crc := CRC(data)
	return append(out, ETB, byte(crc>>8), byte(crc)), nil
}

type parseState uint8

const (
	stIdle   parseState = iota // waiting for SYN
	stData                     // inside PKTDATA
	stEscape                   // after DC3
	stCRC1                     // after ETB
	stCRC2                     // after the first CRC byte
)

// Parser reassembles frames from a byte stream, one byte at a time, so that the
// caller can apply its own timeouts between bytes. The zero Parser is ready.
type Parser struct {
	state parseState
	data  []byte
	crcHi byte
}

// InFrame reports whether a SYN has been seen and the frame is not complete yet.
func (p *Parser) InFrame() bool { return p.state != stIdle }

// Reset abandons a partial frame (after an inter-byte timeout).
func (p *Parser) Reset() { p.state, p.data = stIdle, p.data[:0] }

// Push feeds one byte. Outside a frame every byte but SYN is ignored (the caller
// handles ACK, NAK, CAN and EOT before pushing). It returns the PKTDATA of a frame
// completed by c with a good CRC, or ErrFrame or ErrCRC for a damaged one; either way
// the parser is idle again afterwards.
func (p *Parser) Push(c byte) ([]byte, error) {
	switch p.state {
	case stIdle:
		if c == SYN {
			p.state, p.data = stData, p.data[:0]
		}
	case stData:
		switch c {
		case SYN:
			p.Reset()
			return nil, fmt.Errorf("raw syn inside pktdata: %w", ErrFrame)
		case ETB:
			if len(p.data) == 0 {
				p.Reset()
				return nil, fmt.Errorf("empty pktdata: %w", ErrFrame)
			}
			p.state = stCRC1
		case DC3:
			p.state = stEscape
		default:
			return nil, p.add(c)
		}
	case stEscape:
		switch c {
		case DC3 + 0x20, SYN + 0x20, ETB + 0x20:
			p.state = stData
			return nil, p.add(c - 0x20)
		}
		p.Reset()
		return nil, fmt.Errorf("dc3 followed by %02X: %w", c, ErrFrame)
	case stCRC1:
		p.crcHi, p.state = c, stCRC2
	case stCRC2:
		got := uint16(p.crcHi)<<8 | uint16(c)
		data := append([]byte(nil), p.data...)
		p.Reset()
		if want := CRC(data); got != want {
			return nil, fmt.Errorf("crc %04X, computed %04X: %w", got, want, ErrCRC)
		}
		return data, nil
	}
	return nil, nil
}

func (p *Parser) add(c byte) error {
	if len(p.data) >= MaxData {
		p.Reset()
		return fmt.Errorf("pktdata over %d bytes: %w", MaxData, ErrFrame)
	}
	p.data = append(p.data, c)
	return nil
}

// Decode returns the PKTDATA of the first frame in b, skipping bytes before its SYN,
// and how many bytes of b it used. A frame cut short gives io.ErrUnexpectedEOF; a
// damaged one ErrFrame or ErrCRC, with n just past the byte that showed the damage.
func Decode(b []byte) (data []byte, n int, err error) {
	var p Parser
	for i, c := range b {
		data, err := p.Push(c)
		if data != nil || err != nil {
			return data, i + 1, err
		}
	}
	return nil, len(b), io.ErrUnexpectedEOF
}
