// Package evdev reads Linux input event devices (/dev/input/eventN) and owns the
// hal.Keypad driver built on them: the binary struct input_event records, the Linux
// key codes by name, and the configurable map from key codes to hal keys. Its event
// Device is also what hal/msr reads a keyboard-wedge magstripe reader through.
//
// A Device reads its file in one goroutine and hands events over a channel, so every
// blocking call honours its context and a cancelled read loses no event. Opening a
// device node grabs it (EVIOCGRAB), so key presses go to posd alone and not to the
// text console. A read error — the device unplugged (ENODEV), the file closed — ends
// the device: calls then return an error wrapping hal.ErrDeviceGone.
//
// evdev imports hal and golang.org/x/sys only; it must not import internal/txn,
// store, internal/app or any other L2+ package.
package evdev
