// Package pcsc is the hal.CardReader driver for contact chip readers behind PC/SC
// (pcscd on Linux), through github.com/ebfe/scard.
//
// It owns reader selection, card insertion and removal (SCardGetStatusChange, cancelled
// through context.AfterFunc → SCardCancel), the connection to an inserted card and raw
// APDU exchange (T=0 or T=1, no T=0 GET RESPONSE resolution), and the mapping of PC/SC
// errors to hal's sentinels: a card that left is hal.ErrCardRemoved, a reader or pcscd
// that went away is hal.ErrDeviceGone, both inside a hal.DeviceError.
//
// The driver needs cgo and libpcsclite, so every file of it carries the build tag
// "pcsc"; without the tag this package is empty, and nothing untagged may import scard
// (make run builds without libpcsclite). Its sub-package vpcd, the card side of
// vsmartcard's virtual reader used by tests and cmd/devsim, is pure Go and untagged.
//
// pcsc imports hal, the standard library and ebfe/scard; never emv, internal/txn,
// store, internal/app or another L2+ package.
package pcsc
