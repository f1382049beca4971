// Package emvtest owns APDU transcript playback for testing the EMV kernel (and
// anything else that talks to a card through a Transmit method): a Playback answers the
// n-th command with the n-th recorded response only if the command equals the recorded
// one byte for byte, and fails on a deviation, on an extra command and, at Close, on
// exchanges left over (the periph.io i2ctest pattern).
//
// A transcript is JSON: {"exchanges":[{"c":"00A404000E...","r":"6F..9000"}]}, hex in
// either case, whitespace allowed inside the hex.
//
// emvtest imports only the standard library: it sits below the kernel (emv) so the
// kernel's tests and posctl's "emv replay" can both use it. It must never import hal.
package emvtest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// ErrMismatch is wrapped by every *MismatchError: the card side was driven differently
// from the recording (posctl maps it to exit code 3).
var ErrMismatch = errors.New("apdu transcript mismatch")

// Exchange is one recorded command and its response (data and SW1 SW2).
type Exchange struct {
	C string `json:"c"`
	R string `json:"r"`
}

// Transcript is a recorded card session.
type Transcript struct {
	Exchanges []Exchange `json:"exchanges"`
}

// ParseTranscript reads a transcript and checks that every exchange is hex and every
// response holds at least SW1 SW2.
func ParseTranscript(b []byte) (Transcript, error) {
	var t Transcript
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return Transcript{}, fmt.Errorf("transcript: %w", err)
	}
	for i, e := range t.Exchanges {
		if _, err := decodeHex(e.C); err != nil {
			return Transcript{}, fmt.Errorf("transcript exchange %d c: %w", i, err)
		}
		r, err := decodeHex(e.R)
		if err != nil {
			return Transcript{}, fmt.Errorf("transcript exchange %d r: %w", i, err)
		}
		if len(r) < 2 {
			return Transcript{}, fmt.Errorf("transcript exchange %d r: %d bytes, want at least SW1 SW2", i, len(r))
		}
	}
	return t, nil
}

func decodeHex(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	return hex.DecodeString(s)
}

// Mismatch kinds.
const (
	KindDeviation = "deviation" // command differs from the recording
	KindExtra     = "extra"     // command after the recording ran out
	KindLeftover  = "leftover"  // exchanges never sent (reported by Close)
)

// MismatchError says which exchange went wrong and how. Got and Want are the commands;
// VERIFY data (INS 20, PIN blocks) is masked in Error.
type MismatchError struct {
	Kind  string
	Index int // 0-based exchange index
	Want  []byte
	Got   []byte
	Left  int // for KindLeftover: exchanges not used
}

func (e *MismatchError) Error() string {
	switch e.Kind {
	case KindExtra:
		return fmt.Sprintf("apdu transcript: extra command %s after the %d recorded exchanges", mask(e.Got), e.Index)
	case KindLeftover:
		return fmt.Sprintf("apdu transcript: %d exchanges left over, first unused is exchange %d (%s)", e.Left, e.Index, mask(e.Want))
	}
	return fmt.Sprintf("apdu transcript: exchange %d: got command %s, want %s", e.Index, mask(e.Got), mask(e.Want))
}

// Unwrap returns ErrMismatch.
func (e *MismatchError) Unwrap() error { return ErrMismatch }

func mask(c []byte) string {
	if len(c) > 5 && c[1] == 0x20 {
		return strings.ToUpper(hex.EncodeToString(c[:5])) + strings.Repeat("**", len(c)-5)
	}
	return strings.ToUpper(hex.EncodeToString(c))
}

// Playback plays a transcript back as a card. It is safe for concurrent use, though a
// card session is sequential.
type Playback struct {
	mu   sync.Mutex
	ex   []Exchange
	next int
	err  error // first mismatch: every later call returns it too
}

// New returns a Playback of t. Parse t with ParseTranscript first, or build it in a
// test; hex that does not decode is reported as a deviation at that exchange.
func New(t Transcript) *Playback { return &Playback{ex: t.Exchanges} }

// Transmit returns the recorded response when apdu equals the next recorded command.
func (p *Playback) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return nil, p.err
	}
	if p.next >= len(p.ex) {
		p.err = &MismatchError{Kind: KindExtra, Index: p.next, Got: append([]byte(nil), apdu...)}
		return nil, p.err
	}
	e := p.ex[p.next]
	want, err1 := decodeHex(e.C)
	r, err2 := decodeHex(e.R)
	if err1 != nil || err2 != nil || string(want) != string(apdu) {
		p.err = &MismatchError{Kind: KindDeviation, Index: p.next, Want: want, Got: append([]byte(nil), apdu...)}
		return nil, p.err
	}
	p.next++
	return r, nil
}

// Next returns the next recorded command (nil when none is left or a mismatch
// happened), for stand-ins that must answer as the recording did (a replayed PIN
// entry takes the VERIFY data from it).
func (p *Playback) Next() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil || p.next >= len(p.ex) {
		return nil
	}
	c, err := decodeHex(p.ex[p.next].C)
	if err != nil {
		return nil
	}
	return c
}

// Used is how many exchanges have been played.
func (p *Playback) Used() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.next
}

// Close reports the first mismatch, if any, else exchanges left over.
func (p *Playback) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if p.next < len(p.ex) {
		want, _ := decodeHex(p.ex[p.next].C)
		return &MismatchError{Kind: KindLeftover, Index: p.next, Want: want, Left: len(p.ex) - p.next}
	}
	return nil
}

// Recorder wraps a card and records every exchange, for writing transcripts from the
// virtual card or a real one. VERIFY commands are recorded as sent; callers that keep
// transcripts of real cards must mask them (see Mask).
type Recorder struct {
	Card interface {
		Transmit(ctx context.Context, apdu []byte) ([]byte, error)
	}
	mu sync.Mutex
	T  Transcript
}

// Transmit passes apdu to the wrapped card and records the exchange.
func (r *Recorder) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	resp, err := r.Card.Transmit(ctx, apdu)
	if err != nil {
		return resp, err
	}
	r.mu.Lock()
	r.T.Exchanges = append(r.T.Exchanges, Exchange{C: strings.ToUpper(hex.EncodeToString(apdu)), R: strings.ToUpper(hex.EncodeToString(resp))})
	r.mu.Unlock()
	return resp, nil
}
