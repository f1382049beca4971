// Package textdisplay is a hal.Display on a text terminal: the device's own console
// (/dev/tty1) on a terminal without a desktop, or any io.Writer. It owns the screen
// layout in ANSI/VT100 control sequences — the title on the first row in reverse
// video, centred; the body lines below it; each row cut to the terminal's width,
// counting East Asian wide characters as two columns (hal.TextWidth) and never
// splitting one — and it keeps text from carrying control sequences of its own.
//
// Each Show rewrites every row in one write, erasing what the previous screen left
// (no full clear, so the screen does not flicker). On a device node, a write that
// blocks (a console stopped with Ctrl-S) ends when the context does.
//
// The Linux virtual console draws only the glyphs of its console font (512 at most),
// so Chinese text needs a CJK-capable console (kmscon, fbterm) on the device; the
// layout is right either way.
//
// textdisplay imports hal and golang.org/x/sys only; it must not import internal/txn,
// store, internal/app or any other L2+ package.
package textdisplay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"countertop/hal"
)

const device = "display"

// Default size when the terminal does not say (a serial console reports 0×0).
const (
	DefaultCols = 80
	DefaultRows = 25
)

// ANSI sequences.
const (
	csi         = "\x1b["
	reverse     = csi + "7m"
	normal      = csi + "0m"
	eraseLine   = csi + "K"
	eraseBelow  = csi + "J"
	hideCursor  = csi + "?25l"
	showCursor  = csi + "?25h"
	clearScreen = csi + "H" + csi + "2J"
	utf8Mode    = "\x1b%G" // Linux console: interpret output as UTF-8
)

var _ hal.Display = (*Display)(nil)

// Display draws screens on a terminal. It is safe for concurrent use; Show calls are
// serialised.
type Display struct {
	mu         sync.Mutex
	w          io.Writer
	cols, rows int
	deadline   func(time.Time) error // the file's SetWriteDeadline, when it has one
	closer     io.Closer
}

// Open opens a terminal device (/dev/tty1) for drawing: it switches the Linux console
// to UTF-8, hides the cursor, clears the screen and reads the size. The caller (cmd/)
// closes it, which shows the cursor again.
func Open(path string) (*Display, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &hal.DeviceError{Device: device, Op: "open " + path, Err: fmt.Errorf("%w: %w", hal.ErrDeviceGone, err)}
	}
	cols, rows := DefaultCols, DefaultRows
	if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 && ws.Row > 0 {
		cols, rows = int(ws.Col), int(ws.Row)
	}
	d := New(f, cols, rows)
	if _, err := io.WriteString(f, utf8Mode+hideCursor+clearScreen); err != nil {
		f.Close()
		return nil, &hal.DeviceError{Device: device, Op: "open " + path, Err: fmt.Errorf("%w: %w", hal.ErrDeviceGone, err)}
	}
	return d, nil
}

// New returns a display drawing on w, cols columns by rows rows (the defaults when
// zero or less). Close closes w when it is an io.Closer.
func New(w io.Writer, cols, rows int) *Display {
	if cols <= 0 {
		cols = DefaultCols
	}
	if rows <= 0 {
		rows = DefaultRows
	}
	d := &Display{w: w, cols: cols, rows: rows}
	if c, ok := w.(io.Closer); ok {
		d.closer = c
	}
	if f, ok := w.(interface{ SetWriteDeadline(time.Time) error }); ok {
		d.deadline = f.SetWriteDeadline
	}
	return d
}

// Size returns the columns and rows the display draws in.
func (d *Display) Size() (cols, rows int) { return d.cols, d.rows }

// Show draws s: the title centred in reverse video on the first row, then one line
// per row; rows past the bottom are dropped and the rest of the screen is erased.
func (d *Display) Show(ctx context.Context, s hal.Screen) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	frame := Render(s, d.cols, d.rows)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.deadline != nil {
		if err := d.deadline(time.Time{}); err == nil {
			stop := context.AfterFunc(ctx, func() { d.deadline(time.Now()) })
			defer stop()
		}
	}
	if _, err := io.WriteString(d.w, frame); err != nil {
		if ctx.Err() != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			return ctx.Err()
		}
		return &hal.DeviceError{Device: device, Op: "show", Err: fmt.Errorf("%w: %w", hal.ErrDeviceGone, err)}
	}
	return nil
}

// Render returns the bytes Show writes for s on a cols × rows terminal.
func Render(s hal.Screen, cols, rows int) string {
	var b strings.Builder
	title := fit(clean(s.Title), cols)
	pad := cols - hal.TextWidth(title)
	b.WriteString(csi + "1;1H" + reverse)
	b.WriteString(strings.Repeat(" ", pad/2) + title + strings.Repeat(" ", pad-pad/2))
	b.WriteString(normal)
	row := 2
	for _, l := range s.Lines {
		if row > rows {
			break
		}
		fmt.Fprintf(&b, csi+"%d;1H%s"+eraseLine, row, fit(clean(l), cols))
		row++
	}
	if row <= rows {
		fmt.Fprintf(&b, csi+"%d;1H"+eraseBelow, row)
	}
	return b.String()
}

// fit cuts s to at most cols columns, never splitting a wide character.
func fit(s string, cols int) string {
	w := 0
	for i, r := range s {
		rw := hal.RuneWidth(r)
		if w+rw > cols {
			return s[:i]
		}
		w += rw
	}
	return s
}

// clean replaces control characters (C0, DEL, C1) so text cannot move the cursor or
// start an escape sequence, and invalid UTF-8 with U+FFFD.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7F && r < 0xA0) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// Close shows the cursor again and closes the terminal. Only the owner (cmd/) calls it.
func (d *Display) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, werr := io.WriteString(d.w, normal+showCursor)
	if d.closer == nil {
		return werr
	}
	if err := d.closer.Close(); err != nil {
		return fmt.Errorf("close display: %w", err)
	}
	return nil
}
