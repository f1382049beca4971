// Package escpos is the hal.Printer driver for ESC/POS thermal printers (58 mm and
// 80 mm, Chinese text in GB18030) on a serial port (go.bug.st/serial) or any byte
// stream, such as a TCP connection to port 9100 or a simulator.
//
// It owns the ESC/POS byte encoding of a hal.Document (initialise, Chinese mode,
// alignment, bold, double size, QR, feed and cut) and the real-time status protocol
// (DLE EOT 1, 2 and 4), which it reads before and after every slip and maps to
// hal.PrinterStatus and hal's printer sentinels. Blocking reads are cut into short
// slices with a context check between them, so cancelling a context ends a call
// promptly even though the serial library takes no context.
//
// escpos imports hal and the standard library plus go.bug.st/serial and
// golang.org/x/text; it must not import internal/txn, store, internal/app or any
// other L2+ package. The simulator it is tested against is escpos/escpossim.
package escpos
