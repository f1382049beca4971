// Package msrsim is a simulated magnetic stripe reader for tests and cmd/devsim. It
// encodes a card's tracks as the text a serial reader sends (ISO 7811 sentinels, LRC
// characters on request, CR/LF or STX…ETX framing, a line per track) and as the key
// presses a keyboard-wedge reader types (Linux input_event records, US layout), and
// serves swipes on a pseudo-terminal, so a driver reads them through a real serial
// device node. It also sends what real readers get wrong: garbage, partial swipes,
// a bad LRC, an unreadable track 2, and a reader unplugged.
//
// msrsim imports hal, hal/evdev (input_event records and key codes), internal/carddata,
// hal/internal/ptyserve (raw mode) and github.com/creack/pty; it must not import
// hal/msr, the driver under test: its LRC and keyboard layout are computed
// independently.
package msrsim
