// Package msr is the hal.CardReader driver for magnetic stripe readers: a serial
// reader (USB-serial or RS-232, go.bug.st/serial) that sends ISO 7811/7813 track text
// line by line, or a keyboard-wedge reader that types the same text as key presses
// on a Linux input event device (read through hal/evdev).
//
// It owns the track text parser (ParseSwipe): start and end sentinels, the LRC
// character when the reader sends it, the track character sets and lengths, the
// reader's "E" marker for a track read in error, track 1's format-B layout (the
// cardholder name goes to hal.Tracks.Name) and track 2 through carddata.ParseTrack2.
// WaitCard returns every swipe as a hal.CardSwiped event; a swipe that cannot be
// trusted carries Err (wrapping carddata.ErrBadTrack and one of this package's
// sentinels), so the terminal asks for the card again. Nothing in a swipe ever
// panics the driver, and no error message holds track data.
//
// A stripe reader has no chip: Transmit always returns hal.ErrNoCard. A port that is
// closed or unplugged makes WaitCard return a *hal.DeviceError wrapping
// hal.ErrDeviceGone; a reader made by Open or OpenWedge then opens its path again on
// the next WaitCard, so one plugged back in works without restarting posd.
//
// The transport is read by one goroutine feeding a channel, so WaitCard honours its
// context without losing bytes of a swipe in flight. A swipe ends at CR, LF or ETX —
// or, for readers that end each track with a line break (Options.LinePerTrack) or
// that stop mid-swipe, after Options.Gap of silence.
//
// msr imports hal, hal/evdev, internal/carddata and go.bug.st/serial; it must not
// import internal/txn, store, internal/app or any other L2+ package. Its simulator,
// hal/msr/msrsim, never imports msr.
package msr
