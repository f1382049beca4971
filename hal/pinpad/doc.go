// Package pinpad is the hal.PINPad and hal.PINKeyLoader driver for external PIN pads
// that speak the ABECS protocol (Gertec, Ingenico, PAX and others) on a serial port
// (go.bug.st/serial) or any byte stream. The protocol itself — frames, link rules,
// messages, status codes — is hal/pinpad/abecs; this package owns the session (CAN
// and OPN before the first command and again after a failure, CLO at the end), the
// mapping of calls to commands (Show → DSP/DEX, ReadPIN → GPN, WaitKey → GKY,
// LoadPINKey → the working key for GPN, checked through the vendor command ZWK when
// the pad has it, Info → GIN, CloseSession → CLO) and the mapping of outcomes to hal's sentinels, with every failure
// in a hal.DeviceError. A pad that stops answering or a port that fails (cable
// pulled) is hal.ErrDeviceGone; the next call reopens the port and the session.
//
// The PIN never exists in clear here: the pad builds the ISO 9564 format 0 block and
// encrypts it under the working key it decrypts with its own master key, and the
// driver only ever holds the working key as the host sent it, encrypted. Nothing the
// driver logs contains a PIN block or key.
//
// The serial library takes no context, so reads are cut into short slices with a
// context check between them; a cancelled context during a command sends CAN, waits
// for EOT and returns the context's error.
//
// pinpad imports hal, hal/pinpad/abecs, internal/carddata, internal/money and
// go.bug.st/serial; it must not import internal/txn, store, internal/app or any other
// L2+ package, nor its simulator hal/pinpad/pinpadsim outside tests.
package pinpad
