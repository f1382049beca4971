package msrsim

import (
	"fmt"
	"strings"

	"countertop/hal"
	"countertop/hal/evdev"
)

// Card is what a stripe holds: each track's data without sentinels or LRC (track 1
// with its format code: "B6222…^ZHANG/SAN^3012…"). An empty track is blank and the
// reader sends nothing for it; "E" is a track the reader could not read.
type Card struct {
	Track1, Track2, Track3 string
}

// CardOf is the card a hal.Tracks value came from: track 2 as given and, when Name is
// set, a format-B track 1 with the same number, name and expiry.
func CardOf(t hal.Tracks) Card {
	c := Card{Track2: t.Track2.Reveal()}
	if t.Name != "" {
		pan, rest, _ := strings.Cut(c.Track2, "=")
		c.Track1 = "B" + pan + "^" + t.Name + "^" + rest
	}
	return c
}

// Format is how the simulated reader frames a swipe.
type Format struct {
	LRC          bool   // send each track's LRC character after its end sentinel
	STX          bool   // frame the swipe as STX … ETX (MagTek serial readers)
	LinePerTrack bool   // end every track with End, not only the swipe
	Track3Plus   bool   // print track 3's start sentinel as "+" (many readers do)
	End          string // line end; "\r\n" when empty
}

// Encode returns the bytes a serial reader sends for one swipe of c.
func Encode(c Card, f Format) []byte {
	end := f.End
	if end == "" {
		end = "\r\n"
	}
	var b strings.Builder
	if f.STX {
		b.WriteByte(0x02)
	}
	tracks := []struct {
		num  int
		ss   byte
		data string
	}{{1, '%', c.Track1}, {2, ';', c.Track2}, {3, ';', c.Track3}}
	if f.Track3Plus {
		tracks[2].ss = '+'
	}
	for _, t := range tracks {
		if t.data == "" {
			continue
		}
		b.WriteByte(t.ss)
		b.WriteString(t.data)
		b.WriteByte('?')
		if f.LRC && t.data != "E" {
			b.WriteByte(LRC(t.num, t.data))
		}
		if f.LinePerTrack {
			b.WriteString(end)
		}
	}
	if !f.LinePerTrack {
		b.WriteString(end)
	}
	if f.STX {
		b.WriteByte(0x03)
	}
	return []byte(b.String())
}

// LRC computes a track's LRC character from its data: the XOR of the character codes
// (6 bits on track 1, counted from space; 4 bits on tracks 2 and 3, counted from '0')
// of the start sentinel, the data and the end sentinel, written in the track's set.
func LRC(num int, data string) byte {
	text := ";" + data + "?"
	base, mask := byte('0'), byte(0x0F)
	if num == 1 {
		text = "%" + data + "?"
		base, mask = ' ', 0x3F
	}
	var v byte
	for i := 0; i < len(text); i++ {
		v ^= (text[i] - base) & mask
	}
	return base + v
}

// stroke is one character as a US keyboard types it.
type stroke struct {
	code  uint16
	shift bool
}

var (
	keyRow = map[byte]stroke{'-': {evdev.KeyMinus, false}, '=': {evdev.KeyEqual, false},
		';': {evdev.KeySemicolon, false}, '/': {evdev.KeySlash, false}, ' ': {evdev.KeySpace, false},
		'.': {evdev.KeyDot, false}, ',': {evdev.KeyComma, false}, '\'': {evdev.KeyApostrophe, false},
		'[': {evdev.KeyLeftBrace, false}, ']': {evdev.KeyRightBrace, false}, '\\': {evdev.KeyBackslash, false},
		'\r': {evdev.KeyEnter, false}, '\n': {evdev.KeyEnter, false},
		'_': {evdev.KeyMinus, true}, '+': {evdev.KeyEqual, true}, ':': {evdev.KeySemicolon, true},
		'?': {evdev.KeySlash, true}, '>': {evdev.KeyDot, true}, '<': {evdev.KeyComma, true},
		'"': {evdev.KeyApostrophe, true}, '|': {evdev.KeyBackslash, true}}
	shiftedDigits = "!@#$%^&*()" // shift + 1 … 0
)

func strokeOf(c byte) (stroke, bool) {
	switch {
	case c >= '1' && c <= '9':
		return stroke{evdev.Key1 + uint16(c-'1'), false}, true
	case c == '0':
		return stroke{evdev.Key0, false}, true
	case c >= 'A' && c <= 'Z':
		k, _ := evdev.LetterCode(c)
		return stroke{k, true}, true
	case c >= 'a' && c <= 'z':
		k, _ := evdev.LetterCode(c - 'a' + 'A')
		return stroke{k, false}, true
	}
	if i := strings.IndexByte(shiftedDigits, c); i >= 0 {
		return stroke{evdev.Key1 + uint16(i), true}, true
	}
	s, ok := keyRow[c]
	return s, ok
}

// Keystrokes returns the input events a keyboard wedge sends to type text on a US
// layout: shift pressed around shifted characters, each key pressed and released,
// a SYN_REPORT after each change.
func Keystrokes(text string) ([]evdev.Event, error) {
	var out []evdev.Event
	key := func(code uint16, v int32) {
		out = append(out, evdev.Event{Type: evdev.EvKey, Code: code, Value: v},
			evdev.Event{Type: evdev.EvSyn, Code: evdev.SynReport})
	}
	for i := 0; i < len(text); i++ {
		s, ok := strokeOf(text[i])
		if !ok {
			return nil, fmt.Errorf("no US key for byte %d of the text (%#x)", i, text[i])
		}
		if s.shift {
			key(evdev.KeyLeftShift, evdev.KeyPressed)
		}
		key(s.code, evdev.KeyPressed)
		key(s.code, evdev.KeyReleased)
		if s.shift {
			key(evdev.KeyLeftShift, evdev.KeyReleased)
		}
	}
	return out, nil
}

// WedgeText is what a keyboard wedge types for one swipe of c: tracks 1, 2, 3 with
// sentinels and no LRC (the reader checks it), then Enter.
func WedgeText(c Card) string {
	return string(Encode(c, Format{Track3Plus: true, End: "\r"}))
}

// Records encodes events as struct input_event records, as the kernel writes them.
func Records(evs []evdev.Event) []byte {
	var out []byte
	for _, e := range evs {
		b, _ := e.MarshalBinary() // never fails
		out = append(out, b...)
	}
	return out
}
