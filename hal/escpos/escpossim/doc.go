// Package escpossim is a simulated ESC/POS printer for tests and cmd/devsim. It parses
// the byte stream a driver sends (text in GB18030 under FS &, ESC a/E/!, GS !, GS ( k
// QR codes, GS V cuts, and skips the other common commands), rebuilds each cut slip as
// a hal.Document, and answers DLE EOT 1–4 from a settable State (paper out, near end,
// cover open, offline, silent, noise before replies, paper running out after n lines).
//
// A Printer runs in process (Feed) or on a pseudo-terminal (StartPTY), so a driver
// reaches it through a real serial device node.
//
// escpossim imports hal, golang.org/x/text, github.com/creack/pty and golang.org/x/sys;
// it must not import hal/escpos (the driver under test) or any L2+ package.
package escpossim
