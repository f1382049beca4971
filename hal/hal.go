package hal

import (
	"context"
	"errors"
	"fmt"

	"countertop/internal/carddata"
	"countertop/internal/money"
)

// Outcomes a caller acts on. Drivers wrap them (often in a DeviceError).
var (
	// ErrCardRemoved: the chip card left the reader during an exchange.
	ErrCardRemoved = errors.New("card removed")
	// ErrNoCard: Transmit was called with no powered chip in the reader.
	ErrNoCard = errors.New("no card in reader")
	// ErrDeviceGone: the device is unplugged, closed or not answering; it may return.
	ErrDeviceGone = errors.New("device not present")
	// ErrCancelled: the cardholder or operator pressed cancel on the device.
	ErrCancelled = errors.New("cancelled on device")
	// ErrInputTimeout: the device gave up waiting for the person.
	ErrInputTimeout = errors.New("input timed out on device")
	// ErrPINBypassed: the cardholder confirmed without entering a PIN.
	ErrPINBypassed = errors.New("pin entry bypassed")
	// ErrNoKey: the PIN pad has no working key loaded.
	ErrNoKey = errors.New("no working key in pin pad")
	// ErrPaperOut, ErrCoverOpen, ErrPrinterOffline: the printer cannot print now.
	ErrPaperOut       = errors.New("printer out of paper")
	ErrCoverOpen      = errors.New("printer cover open")
	ErrPrinterOffline = errors.New("printer offline")
)

// DeviceError says which device and operation failed.
type DeviceError struct {
	Device string // "card reader", "pin pad", "printer", ...
	Op     string // "transmit", "read pin", ...
	Err    error
}

func (e *DeviceError) Error() string { return e.Device + " " + e.Op + ": " + e.Err.Error() }
func (e *DeviceError) Unwrap() error { return e.Err }

// CardEventKind is what happened at the card reader.
type CardEventKind int

// Card events.
const (
	CardInserted CardEventKind = iota + 1 // a chip card was inserted and powered; ATR set
	CardSwiped                            // a magnetic stripe was read; Tracks or Err set
	CardTapped                            // a contactless card entered the field; ATR set
	CardRemoved                           // the card left the reader
)

func (k CardEventKind) String() string {
	switch k {
	case CardInserted:
		return "inserted"
	case CardSwiped:
		return "swiped"
	case CardTapped:
		return "tapped"
	case CardRemoved:
		return "removed"
	}
	return fmt.Sprintf("CardEventKind(%d)", int(k))
}

// Tracks is what a magnetic stripe swipe yielded.
type Tracks struct {
	Track2 carddata.Track2
	Name   string // cardholder name from track 1, when present
}

// CardEvent is one event from a card reader.
type CardEvent struct {
	Kind   CardEventKind
	ATR    []byte // chip and contactless
	Tracks Tracks // swipe
	Err    error  // a swipe that could not be read (bad LRC, partial track): ask again
}

// CardReader reports card events and carries APDUs to the chip currently in it.
type CardReader interface {
	// WaitCard blocks until the next card event.
	WaitCard(ctx context.Context) (CardEvent, error)
	// Transmit sends a command APDU to the powered chip and returns the response
	// APDU with SW1 SW2 last, exactly as the card answered (no T=0 resolution).
	Transmit(ctx context.Context, command []byte) ([]byte, error)
}

// PINEntry describes one PIN entry on the PIN pad.
type PINEntry struct {
	PAN         carddata.PAN // bound into the ISO 9564 format 0 block
	Amount      money.Amount // shown to the cardholder
	MinLen      int          // usually 4
	MaxLen      int          // usually 6 (CUP field 26 says 12 at most)
	AllowBypass bool         // enter with no digits returns ErrPINBypassed
}

// PINPad shows the amount to the cardholder and collects a PIN. The PIN leaves the pad
// only as an encrypted PIN block.
type PINPad interface {
	// ReadPIN collects a PIN and returns it as an ISO 9564 format 0 block encrypted
	// under the pad's PIN key (16 bytes, format 0 widened, under an SM4 key).
	// Cancelling ctx aborts the entry on the pad.
	ReadPIN(ctx context.Context, e PINEntry) (carddata.PINBlock, error)
	// Show puts short text on the pad's own screen ("RMB 12.34", "THANK YOU").
	Show(ctx context.Context, lines ...string) error
}

// PINKeyLoader is implemented by PIN pads that take working keys from the host's
// sign-in reply: the key arrives encrypted under the terminal master key held in the
// pad, with its check value, and is never clear outside the pad.
type PINKeyLoader interface {
	LoadPINKey(ctx context.Context, encrypted, checkValue []byte) error
}

// PrinterStatus is what a printer reports before and after a slip.
type PrinterStatus int

// Printer states.
const (
	PrinterReady PrinterStatus = iota
	PrinterPaperNearEnd
	PrinterPaperOut
	PrinterCoverOpen
	PrinterOffline
)

func (s PrinterStatus) String() string {
	return [...]string{"ready", "paper-near-end", "paper-out", "cover-open", "offline"}[s]
}

// Err returns the sentinel for a state that stops printing, nil otherwise.
func (s PrinterStatus) Err() error {
	switch s {
	case PrinterPaperOut:
		return ErrPaperOut
	case PrinterCoverOpen:
		return ErrCoverOpen
	case PrinterOffline:
		return ErrPrinterOffline
	}
	return nil
}

// Printer prints documents (slips) and reports its status.
type Printer interface {
	// Print prints the whole document; on paper-out or another fault it returns an
	// error wrapping ErrPaperOut, ErrCoverOpen or ErrPrinterOffline.
	Print(ctx context.Context, d Document) error
	Status(ctx context.Context) (PrinterStatus, error)
}

// Key is a key on the terminal's keypad.
type Key byte

// Keys. Digits are their ASCII characters.
const (
	Key0      Key = '0'
	Key1      Key = '1'
	Key2      Key = '2'
	Key3      Key = '3'
	Key4      Key = '4'
	Key5      Key = '5'
	Key6      Key = '6'
	Key7      Key = '7'
	Key8      Key = '8'
	Key9      Key = '9'
	KeyEnter  Key = 'E' // 确认
	KeyCancel Key = 'C' // 取消
	KeyClear  Key = 'B' // 清除 / backspace
	KeyMenu   Key = 'M' // 菜单 / 功能
	KeyUp     Key = 'U'
	KeyDown   Key = 'D'
	KeyDot    Key = '.'
)

// IsDigit reports whether k is 0–9.
func (k Key) IsDigit() bool { return k >= '0' && k <= '9' }

var keyNames = map[Key]string{KeyEnter: "ENTER", KeyCancel: "CANCEL", KeyClear: "CLEAR",
	KeyMenu: "MENU", KeyUp: "UP", KeyDown: "DOWN", KeyDot: "DOT"}

func (k Key) String() string {
	if k.IsDigit() {
		return string(rune(k))
	}
	if n, ok := keyNames[k]; ok {
		return n
	}
	return fmt.Sprintf("Key(%d)", byte(k))
}

// ParseKey reads a key name as String writes it ("5", "ENTER", "CANCEL", ...).
func ParseKey(s string) (Key, error) {
	if len(s) == 1 && s[0] >= '0' && s[0] <= '9' {
		return Key(s[0]), nil
	}
	for k, n := range keyNames {
		if n == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown key %q", s)
}

// Keypad delivers key presses.
type Keypad interface {
	ReadKey(ctx context.Context) (Key, error)
}

// Screen is what the display shows: a title line and body lines.
type Screen struct {
	Title string
	Lines []string
}

// Display shows screens.
type Display interface {
	Show(ctx context.Context, s Screen) error
}

// Beeper is implemented by displays or keypads that can sound the buzzer.
type Beeper interface {
	Beep(ctx context.Context, times int) error
}
