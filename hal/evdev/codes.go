package evdev

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"countertop/hal"
)

// Linux key codes (linux/input-event-codes.h) that keypads and keyboard wedges send.
const (
	KeyEsc        uint16 = 1
	Key1          uint16 = 2 // Key1..Key9 are 2..10
	Key0          uint16 = 11
	KeyMinus      uint16 = 12
	KeyEqual      uint16 = 13
	KeyBackspace  uint16 = 14
	KeyTab        uint16 = 15
	KeyLeftBrace  uint16 = 26
	KeyRightBrace uint16 = 27
	KeyEnter      uint16 = 28
	KeyLeftCtrl   uint16 = 29
	KeySemicolon  uint16 = 39
	KeyApostrophe uint16 = 40
	KeyGrave      uint16 = 41
	KeyLeftShift  uint16 = 42
	KeyBackslash  uint16 = 43
	KeyComma      uint16 = 51
	KeyDot        uint16 = 52
	KeySlash      uint16 = 53
	KeyRightShift uint16 = 54
	KeyKPAsterisk uint16 = 55
	KeyLeftAlt    uint16 = 56
	KeySpace      uint16 = 57
	KeyCapsLock   uint16 = 58
	KeyF1         uint16 = 59 // KeyF1..KeyF10 are 59..68
	KeyNumLock    uint16 = 69
	KeyKP7        uint16 = 71
	KeyKP8        uint16 = 72
	KeyKP9        uint16 = 73
	KeyKPMinus    uint16 = 74
	KeyKP4        uint16 = 75
	KeyKP5        uint16 = 76
	KeyKP6        uint16 = 77
	KeyKPPlus     uint16 = 78
	KeyKP1        uint16 = 79
	KeyKP2        uint16 = 80
	KeyKP3        uint16 = 81
	KeyKP0        uint16 = 82
	KeyKPDot      uint16 = 83
	KeyF11        uint16 = 87
	KeyF12        uint16 = 88
	KeyKPEnter    uint16 = 96
	KeyRightCtrl  uint16 = 97
	KeyKPSlash    uint16 = 98
	KeyUp         uint16 = 103
	KeyLeft       uint16 = 105
	KeyRight      uint16 = 106
	KeyDown       uint16 = 108
	KeyDelete     uint16 = 111
	KeyMenu       uint16 = 139
	KeyBack       uint16 = 158
	KeyCancel     uint16 = 223
	KeyOK         uint16 = 0x160
	KeySelect     uint16 = 0x161
	KeyClear      uint16 = 0x163
	KeyNumeric0   uint16 = 0x200 // KeyNumeric0..9 are 0x200..0x209 (phone-style keypads)
)

// Letter codes, QWERTY rows, for keyboard wedges.
var letterCodes = map[byte]uint16{
	'Q': 16, 'W': 17, 'E': 18, 'R': 19, 'T': 20, 'Y': 21, 'U': 22, 'I': 23, 'O': 24, 'P': 25,
	'A': 30, 'S': 31, 'D': 32, 'F': 33, 'G': 34, 'H': 35, 'J': 36, 'K': 37, 'L': 38,
	'Z': 44, 'X': 45, 'C': 46, 'V': 47, 'B': 48, 'N': 49, 'M': 50,
}

// LetterCode returns the key code of an upper-case ASCII letter.
func LetterCode(c byte) (uint16, bool) {
	k, ok := letterCodes[c]
	return k, ok
}

var codeNames = func() map[string]uint16 {
	m := map[string]uint16{
		"KEY_ESC": KeyEsc, "KEY_MINUS": KeyMinus, "KEY_EQUAL": KeyEqual,
		"KEY_BACKSPACE": KeyBackspace, "KEY_TAB": KeyTab, "KEY_ENTER": KeyEnter,
		"KEY_LEFTBRACE": KeyLeftBrace, "KEY_RIGHTBRACE": KeyRightBrace,
		"KEY_SEMICOLON": KeySemicolon, "KEY_APOSTROPHE": KeyApostrophe, "KEY_GRAVE": KeyGrave,
		"KEY_LEFTSHIFT": KeyLeftShift, "KEY_RIGHTSHIFT": KeyRightShift, "KEY_BACKSLASH": KeyBackslash,
		"KEY_COMMA": KeyComma, "KEY_DOT": KeyDot, "KEY_SLASH": KeySlash, "KEY_SPACE": KeySpace,
		"KEY_KPASTERISK": KeyKPAsterisk, "KEY_KPMINUS": KeyKPMinus, "KEY_KPPLUS": KeyKPPlus,
		"KEY_KPDOT": KeyKPDot, "KEY_KPENTER": KeyKPEnter, "KEY_KPSLASH": KeyKPSlash,
		"KEY_NUMLOCK": KeyNumLock, "KEY_F11": KeyF11, "KEY_F12": KeyF12,
		"KEY_UP": KeyUp, "KEY_DOWN": KeyDown, "KEY_LEFT": KeyLeft, "KEY_RIGHT": KeyRight,
		"KEY_DELETE": KeyDelete, "KEY_MENU": KeyMenu, "KEY_BACK": KeyBack,
		"KEY_CANCEL": KeyCancel, "KEY_OK": KeyOK, "KEY_SELECT": KeySelect, "KEY_CLEAR": KeyClear,
		"KEY_KP0": KeyKP0, "KEY_KP1": KeyKP1, "KEY_KP2": KeyKP2, "KEY_KP3": KeyKP3,
		"KEY_KP4": KeyKP4, "KEY_KP5": KeyKP5, "KEY_KP6": KeyKP6, "KEY_KP7": KeyKP7,
		"KEY_KP8": KeyKP8, "KEY_KP9": KeyKP9,
	}
	m["KEY_0"] = Key0
	for i := uint16(1); i <= 9; i++ {
		m[fmt.Sprintf("KEY_%d", i)] = Key1 + i - 1
	}
	for i := uint16(0); i <= 9; i++ {
		m[fmt.Sprintf("KEY_NUMERIC_%d", i)] = KeyNumeric0 + i
	}
	for i := uint16(1); i <= 10; i++ {
		m[fmt.Sprintf("KEY_F%d", i)] = KeyF1 + i - 1
	}
	for c, k := range letterCodes {
		m["KEY_"+string(c)] = k
	}
	return m
}()

// ParseCode reads a key code as its Linux name ("KEY_KP5", case-insensitive) or as a
// decimal or 0x-prefixed number ("76", "0x160"), as the configuration writes it.
func ParseCode(s string) (uint16, error) {
	name := strings.ToUpper(strings.TrimSpace(s))
	if c, ok := codeNames[name]; ok {
		return c, nil
	}
	if !strings.HasPrefix(name, "KEY_") {
		n, err := strconv.ParseUint(strings.ToLower(name), 0, 16)
		if err == nil && n > 0 && n < 0x300 { // KEY_MAX is 0x2ff
			return uint16(n), nil
		}
	}
	return 0, fmt.Errorf("unknown key code %q (a KEY_ name or a number below 0x300)", s)
}

// DefaultKeymap is the map for a numeric keypad, or a keyboard standing in for one:
// digits on both the top row and the keypad, Enter and keypad Enter, Esc cancels,
// Backspace clears, F1 and Menu open the menu, arrows scroll, and both dots.
func DefaultKeymap() map[uint16]hal.Key {
	m := map[uint16]hal.Key{
		Key0: hal.Key0, KeyKP0: hal.Key0,
		KeyKP1: hal.Key1, KeyKP2: hal.Key2, KeyKP3: hal.Key3, KeyKP4: hal.Key4,
		KeyKP5: hal.Key5, KeyKP6: hal.Key6, KeyKP7: hal.Key7, KeyKP8: hal.Key8, KeyKP9: hal.Key9,
		KeyEnter: hal.KeyEnter, KeyKPEnter: hal.KeyEnter,
		KeyEsc:       hal.KeyCancel,
		KeyBackspace: hal.KeyClear,
		KeyF1:        hal.KeyMenu, KeyMenu: hal.KeyMenu,
		KeyUp: hal.KeyUp, KeyDown: hal.KeyDown,
		KeyDot: hal.KeyDot, KeyKPDot: hal.KeyDot,
	}
	for i := uint16(1); i <= 9; i++ {
		m[Key1+i-1] = hal.Key('0' + byte(i))
	}
	return m
}

// ParseKeymap reads a key map from configuration: Linux key code (see ParseCode) to
// hal key name as hal.Key's String writes it ("5", "ENTER", "CANCEL", "CLEAR", "MENU",
// "UP", "DOWN", "DOT"). With merge, the entries change DefaultKeymap; otherwise they
// are the whole map. Every bad entry is reported.
func ParseKeymap(entries map[string]string, merge bool) (map[uint16]hal.Key, error) {
	m := map[uint16]hal.Key{}
	if merge {
		m = DefaultKeymap()
	}
	var bad []string
	for code, key := range entries {
		c, err := ParseCode(code)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		if strings.EqualFold(key, "NONE") || key == "" {
			delete(m, c)
			continue
		}
		k, err := hal.ParseKey(strings.ToUpper(key))
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", code, err))
			continue
		}
		m[c] = k
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return nil, fmt.Errorf("keymap: %s", strings.Join(bad, "; "))
	}
	return m, nil
}
