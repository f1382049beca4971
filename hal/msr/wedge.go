package msr

import (
	"context"
	"fmt"

	"countertop/hal"
	"countertop/hal/evdev"
)

// badKey stands in for a key press the layout cannot turn into track text, or for
// events the kernel dropped; the parser rejects it (ErrCharset), so the swipe reads
// as bad.
const badKey = 0x1A

// OpenWedge opens a keyboard-wedge stripe reader on its input event device
// (/dev/input/by-id/…-event-kbd) and grabs it, so swipes never reach the text
// console. It reads the typed text as a US keyboard layout. Like Open, it reopens
// path on the next WaitCard after the device went away. The caller (cmd/) closes it.
func OpenWedge(path string, opts Options) (*Reader, error) {
	return openReopening(func() (source, error) {
		d, err := evdev.OpenDevice(path)
		if err != nil {
			return nil, &hal.DeviceError{Device: device, Op: "open", Err: err}
		}
		return &wedge{dev: d}, nil
	}, opts)
}

// NewWedge returns a reader taking key presses from an input event device (one
// built on a pipe in tests); it takes ownership of d.
func NewWedge(d *evdev.Device, opts Options) *Reader {
	return newReader(&wedge{dev: d}, opts)
}

// wedge turns key events into the characters a US layout types.
type wedge struct {
	dev   *evdev.Device
	shift [2]bool // left, right shift held
}

func (w *wedge) read(ctx context.Context) ([]byte, error) {
	for {
		e, err := w.dev.ReadEvent(ctx)
		if err != nil {
			if ctx.Err() != nil && err == ctx.Err() {
				return nil, err
			}
			return nil, fmt.Errorf("keyboard wedge: %w", err)
		}
		switch {
		case e.Type == evdev.EvSyn && e.Code == evdev.SynDropped:
			return []byte{badKey}, nil
		case e.Type != evdev.EvKey:
			continue
		case e.Code == evdev.KeyLeftShift:
			w.shift[0] = e.Value != evdev.KeyReleased
			continue
		case e.Code == evdev.KeyRightShift:
			w.shift[1] = e.Value != evdev.KeyReleased
			continue
		case e.Value != evdev.KeyPressed:
			continue
		}
		if c, ok := typed(e.Code, w.shift[0] || w.shift[1]); ok {
			return []byte{c}, nil
		}
		if !modifier(e.Code) {
			return []byte{badKey}, nil
		}
	}
}

func (w *wedge) close() error { return w.dev.Close() }

func modifier(code uint16) bool {
	switch code {
	case evdev.KeyLeftCtrl, evdev.KeyRightCtrl, evdev.KeyLeftAlt, evdev.KeyCapsLock, evdev.KeyNumLock:
		return true
	}
	return false
}

// US layout: unshifted and shifted characters per key code. Letters type upper case
// either way (tracks have no lower case; wedges often type with Caps Lock).
var (
	usPlain = map[uint16]byte{
		evdev.KeyMinus: '-', evdev.KeyEqual: '=', evdev.KeyLeftBrace: '[', evdev.KeyRightBrace: ']',
		evdev.KeySemicolon: ';', evdev.KeyApostrophe: '\'', evdev.KeyGrave: '`', evdev.KeyBackslash: '\\',
		evdev.KeyComma: ',', evdev.KeyDot: '.', evdev.KeySlash: '/', evdev.KeySpace: ' ',
		evdev.KeyEnter: '\r', evdev.KeyKPEnter: '\r',
		evdev.KeyKPMinus: '-', evdev.KeyKPPlus: '+', evdev.KeyKPAsterisk: '*', evdev.KeyKPSlash: '/', evdev.KeyKPDot: '.',
		evdev.KeyKP0: '0', evdev.KeyKP1: '1', evdev.KeyKP2: '2', evdev.KeyKP3: '3', evdev.KeyKP4: '4',
		evdev.KeyKP5: '5', evdev.KeyKP6: '6', evdev.KeyKP7: '7', evdev.KeyKP8: '8', evdev.KeyKP9: '9',
	}
	usShifted = map[uint16]byte{
		evdev.KeyMinus: '_', evdev.KeyEqual: '+', evdev.KeyLeftBrace: '{', evdev.KeyRightBrace: '}',
		evdev.KeySemicolon: ':', evdev.KeyApostrophe: '"', evdev.KeyGrave: '~', evdev.KeyBackslash: '|',
		evdev.KeyComma: '<', evdev.KeyDot: '>', evdev.KeySlash: '?', evdev.KeySpace: ' ',
		evdev.KeyEnter: '\r', evdev.KeyKPEnter: '\r',
	}
	usDigitsShifted = ")!@#$%^&*("
)

// typed is the character a US layout types for code.
func typed(code uint16, shift bool) (byte, bool) {
	if code >= evdev.Key1 && code <= evdev.Key0 {
		d := byte(code-evdev.Key1+1) % 10
		if shift {
			return usDigitsShifted[d], true
		}
		return '0' + d, true
	}
	for c := byte('A'); c <= 'Z'; c++ {
		if k, _ := evdev.LetterCode(c); k == code {
			return c, true
		}
	}
	m := usPlain
	if shift {
		m = usShifted
	}
	c, ok := m[code]
	return c, ok
}
