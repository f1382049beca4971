// Package apdu owns ISO/IEC 7816-4 command and response APDUs as EMV uses them
// (EMV 4.4 Book 1 section 9, Book 3 section 6): encoding commands, splitting responses
// into data and status word, and status words as errors a caller can act on
// (63Cx tries left, 6983 blocked, 6A82 not found, ...).
//
// It does not talk to cards: the T=0 procedure bytes (61xx GET RESPONSE, 6Cxx re-send)
// and the exchange itself belong to the kernel in emv, which declares its own Card
// interface. apdu imports only the standard library and nothing of countertop.
package apdu

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Command is a command APDU. Le nil means no Le field (cases 1 and 3); otherwise *Le
// is the number of bytes expected, where 0 is written as Le = 00 ("as many as the
// card has, up to 256"), which is what EMV commands send. Data longer than 255 bytes
// or an Le above 256 use the extended form (ISO/IEC 7816-4 5.1), which EMV contact
// cards do not take.
type Command struct {
	CLA, INS, P1, P2 byte
	Data             []byte
	Le               *int
}

// Le returns a pointer to n, for Command.Le: Le(0) asks for up to 256 bytes.
func Le(n int) *int { return &n }

// Bytes encodes c.
func (c Command) Bytes() []byte {
	le := -1
	if c.Le != nil {
		le = min(max(*c.Le, 0), 65536)
	}
	extended := len(c.Data) > 255 || le > 256
	b := make([]byte, 0, 4+3+len(c.Data)+3)
	b = append(b, c.CLA, c.INS, c.P1, c.P2)
	if len(c.Data) > 0 {
		if extended {
			b = append(b, 0, byte(len(c.Data)>>8), byte(len(c.Data)))
		} else {
			b = append(b, byte(len(c.Data)))
		}
		b = append(b, c.Data...)
	}
	if le >= 0 {
		switch {
		case !extended:
			b = append(b, byte(le)) // 256 is written 00
		case len(c.Data) > 0:
			b = append(b, byte(le>>8), byte(le)) // 65536 is written 0000
		default:
			b = append(b, 0, byte(le>>8), byte(le))
		}
	}
	return b
}

// String shows the command in hex for logs, with the data of VERIFY (INS 20: a
// plaintext or enciphered PIN block) masked.
func (c Command) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "%02X %02X %02X %02X", c.CLA, c.INS, c.P1, c.P2)
	if len(c.Data) > 0 {
		fmt.Fprintf(&s, " Lc=%d ", len(c.Data))
		if c.INS == 0x20 {
			s.WriteString(strings.Repeat("*", 2*len(c.Data)))
		} else {
			s.WriteString(strings.ToUpper(hex.EncodeToString(c.Data)))
		}
	}
	if c.Le != nil {
		fmt.Fprintf(&s, " Le=%d", *c.Le)
	}
	return s.String()
}

// ErrMalformedResponse is returned by ParseResponse for a response too short to hold
// SW1 SW2.
var ErrMalformedResponse = errors.New("response APDU shorter than SW1 SW2")

// Response is a response APDU: the data field and the status bytes.
type Response struct {
	Data     []byte
	SW1, SW2 byte
}

// ParseResponse splits a response APDU into data and status bytes. Data shares
// memory with b.
func ParseResponse(b []byte) (Response, error) {
	if len(b) < 2 {
		return Response{}, fmt.Errorf("%d bytes: %w", len(b), ErrMalformedResponse)
	}
	n := len(b) - 2
	return Response{Data: b[:n:n], SW1: b[n], SW2: b[n+1]}, nil
}

// SW returns the status word.
func (r Response) SW() SW { return SW(r.SW1)<<8 | SW(r.SW2) }

// Err returns nil for 9000 and a *StatusError for any other status word, warnings
// (62xx, 63xx) included: what a warning means depends on the command, so the caller
// decides (SW.Warning tells them apart).
func (r Response) Err() error {
	if sw := r.SW(); sw != Success {
		return &StatusError{SW: sw}
	}
	return nil
}
