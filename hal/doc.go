// Package hal declares the terminal's devices — card reader, PIN pad, printer, keypad,
// display — as small interfaces, with the value types and sentinel errors they share.
// It holds no implementation: in-process simulators live in hal/sim and real drivers in
// hal/pcsc, hal/escpos and their siblings, and all of them pass hal/haltest.
//
// Every blocking call takes a context and returns promptly when it is cancelled. Code
// that uses a device never closes it: only cmd/ owns devices.
//
// hal imports only countertop's L0 packages (money, carddata).
package hal
