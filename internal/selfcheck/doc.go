// Package selfcheck owns the terminal's start-up and on-demand self-check, the device
// check the seed document asks of a merchant before use (keyboard, display, card
// reader, printer, network) and more: PIN pad, journal integrity, clock sanity, host
// reachability (an echo test) and key status. Run runs the checks concurrently where
// they are independent, each under its own timeout, and returns a Report that says,
// per transaction type, whether the terminal may go on: a missing or faulty device
// blocks only what needs it (Report.Allows). The report renders as screen lines in
// Chinese or English (codes from internal/msgs) and as slog attributes.
//
// Devices are reached only through hal's interfaces and the small interfaces declared
// here (Journal, LastRecord, Echoer, KeyStatus), implemented in cmd/ and internal/txn.
// selfcheck must not import a concrete driver or simulator (hal/sim, hal/pcsc,
// hal/escpos...), internal/hostlink, net or bbolt; from store it uses only Record and
// ErrNotFound.
package selfcheck
