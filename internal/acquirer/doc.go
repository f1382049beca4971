// Package acquirer owns the simulated acquirer host: a TCP server speaking an
// iso8583 dialect (CUP POS 8583) that signs terminals in and hands out working keys
// under their TMK, verifies request MACs and PIN blocks, approves or declines by card
// profile (testdata/cards) and Rules, keeps a ledger of approved transactions with
// their reversals and voids, MACs its replies, and misbehaves on demand (InjectFault:
// delay, drop, garble, truncate, bad MAC, duplicate, stale reply).
//
// NewServer listens on 127.0.0.1:0 like httptest.NewServer, for tests and `make run`;
// Listen takes an address for cmd/acquirer-sim. It never crashes on malformed input:
// a frame it cannot read or decode closes that connection and is logged.
//
// It imports iso8583, iso8583/frame, internal/keys, internal/cardprofile and L0
// packages. It must not import hal or store (it simulates the far end, not the
// terminal) nor internal/hostlink (the terminal's side of the link: sharing code
// with it would let a bug on one side hide the same bug on the other).
package acquirer
