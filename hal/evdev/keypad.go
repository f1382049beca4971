package evdev

import (
	"context"
	"fmt"
	"io"
	"maps"

	"countertop/hal"
)

const keypadDevice = "keypad"

var _ hal.Keypad = (*Keypad)(nil)

// Keypad is a hal.Keypad on an input event device: a key press (EV_KEY, value 1)
// whose code is in the key map is a key; releases, auto-repeats and unmapped codes
// are ignored. It is safe for concurrent use.
type Keypad struct {
	dev    *Device
	keymap map[uint16]hal.Key
}

// Open opens the keypad's event device node (/dev/input/eventN, or a stable
// /dev/input/by-id/… link) and grabs it. A nil keymap means DefaultKeymap. The caller
// (cmd/) closes it.
func Open(path string, keymap map[uint16]hal.Key) (*Keypad, error) {
	d, err := OpenDevice(path)
	if err != nil {
		return nil, &hal.DeviceError{Device: keypadDevice, Op: "open", Err: err}
	}
	return NewKeypad(d, keymap), nil
}

// New returns a keypad reading input_event records from r (a pipe in tests). A nil
// keymap means DefaultKeymap. Close closes r when it is an io.Closer.
func New(r io.Reader, keymap map[uint16]hal.Key) *Keypad {
	return NewKeypad(NewDevice(r), keymap)
}

// NewKeypad returns a keypad on an open event device; it takes ownership of d.
func NewKeypad(d *Device, keymap map[uint16]hal.Key) *Keypad {
	if keymap == nil {
		keymap = DefaultKeymap()
	}
	return &Keypad{dev: d, keymap: maps.Clone(keymap)}
}

// ReadKey returns the next mapped key press. A key pressed before the call is
// returned at once; ctx ending first returns ctx.Err(); the device gone returns a
// *hal.DeviceError wrapping hal.ErrDeviceGone.
func (k *Keypad) ReadKey(ctx context.Context) (hal.Key, error) {
	for {
		e, err := k.dev.ReadEvent(ctx)
		if err != nil {
			if ctx.Err() != nil && err == ctx.Err() {
				return 0, err
			}
			return 0, &hal.DeviceError{Device: keypadDevice, Op: "read key", Err: err}
		}
		if e.Type != EvKey || e.Value != KeyPressed {
			continue
		}
		if key, ok := k.keymap[e.Code]; ok {
			return key, nil
		}
	}
}

// Close closes the device. Only the owner (cmd/) calls it.
func (k *Keypad) Close() error {
	if err := k.dev.Close(); err != nil {
		return fmt.Errorf("close keypad: %w", err)
	}
	return nil
}
