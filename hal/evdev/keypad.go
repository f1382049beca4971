package evdev

import (
	"context"
	"fmt"
	"io"
	"maps"
	"sync"

	"countertop/hal"
)

const keypadDevice = "keypad"

var _ hal.Keypad = (*Keypad)(nil)

// Keypad is a hal.Keypad on an input event device: a key press (EV_KEY, value 1)
// whose code is in the key map is a key; releases, auto-repeats and unmapped codes
// are ignored. It is safe for concurrent use.
type Keypad struct {
	keymap map[uint16]hal.Key
	reopen func() (*Device, error) // nil when the keypad cannot be reopened (New)

	mu     sync.Mutex // guards dev and closed
	dev    *Device    // nil after the device went away, until reopened
	closed bool
}

// Open opens the keypad's event device node (/dev/input/eventN, or a stable
// /dev/input/by-id/… link) and grabs it. A nil keymap means DefaultKeymap. When the
// device goes away (unplugged), ReadKey reports hal.ErrDeviceGone and opens path again
// on its next call, so a keypad plugged back in works without a restart. The caller
// (cmd/) closes it.
func Open(path string, keymap map[uint16]hal.Key) (*Keypad, error) {
	return openFunc(func() (*Device, error) {
		d, err := OpenDevice(path)
		if err != nil {
			return nil, &hal.DeviceError{Device: keypadDevice, Op: "open", Err: err}
		}
		return d, nil
	}, keymap)
}

func openFunc(open func() (*Device, error), keymap map[uint16]hal.Key) (*Keypad, error) {
	d, err := open()
	if err != nil {
		return nil, err
	}
	k := NewKeypad(d, keymap)
	k.reopen = open
	return k, nil
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
	d, err := k.device()
	if err != nil {
		return 0, err
	}
	for {
		e, err := d.ReadEvent(ctx)
		if err != nil {
			if ctx.Err() != nil && err == ctx.Err() {
				return 0, err
			}
			k.lost(d)
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

// device returns the open device, reopening it when it went away and can be.
func (k *Keypad) device() (*Device, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.dev != nil {
		return k.dev, nil
	}
	if k.closed || k.reopen == nil {
		return nil, &hal.DeviceError{Device: keypadDevice, Op: "read key", Err: fmt.Errorf("%w: closed", hal.ErrDeviceGone)}
	}
	d, err := k.reopen()
	if err != nil {
		return nil, err
	}
	k.dev = d
	return d, nil
}

// lost drops a device that failed, so the next call reopens it.
func (k *Keypad) lost(d *Device) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.dev == d && k.reopen != nil {
		k.dev = nil
		d.Close()
	}
}

// Close closes the device for good. Only the owner (cmd/) calls it.
func (k *Keypad) Close() error {
	k.mu.Lock()
	d := k.dev
	k.dev, k.closed = nil, true
	k.mu.Unlock()
	if d == nil {
		return nil
	}
	if err := d.Close(); err != nil {
		return fmt.Errorf("close keypad: %w", err)
	}
	return nil
}
