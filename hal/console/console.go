// Package console is a hal.Keypad and hal.Display on a text terminal, for `make run`
// and for terminals without a desktop. It draws the terminal's screen in a box, shows
// a side panel (the last slip printed, in `make run`) and a help footer, and turns
// keyboard input into keypad keys. Keys the keypad does not use can be claimed by an
// Intercept hook (posd uses it to present test cards and type on the simulated PIN
// pad). In raw mode Ctrl-C does not raise SIGINT, so the console reports it through
// OnInterrupt. It imports hal and nothing else of countertop.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"countertop/hal"
)

// Console is a keypad and display on a terminal.
type Console struct {
	out io.Writer
	// Intercept, when set, sees every key byte first; returning true consumes it.
	Intercept func(b byte) bool
	// OnInterrupt is called on Ctrl-C (byte 0x03) and at the end of input.
	OnInterrupt func()

	keys chan hal.Key

	mu     sync.Mutex
	screen hal.Screen
	side   []string
	status []string
	help   []string
}

var (
	_ hal.Keypad  = (*Console)(nil)
	_ hal.Display = (*Console)(nil)
)

// New returns a console reading keys from in and drawing on out. It starts reading at
// once; a key nobody reads waits in a small buffer.
func New(in io.Reader, out io.Writer, help []string) *Console {
	c := &Console{out: out, keys: make(chan hal.Key, 64), help: help}
	go c.read(in)
	return c
}

// keyOf maps a keyboard byte to a keypad key.
func keyOf(b byte) (hal.Key, bool) {
	switch {
	case b >= '0' && b <= '9':
		return hal.Key(b), true
	case b == '\r' || b == '\n':
		return hal.KeyEnter, true
	case b == 0x1b || b == 'x' || b == 'X':
		return hal.KeyCancel, true
	case b == 0x7f || b == 0x08:
		return hal.KeyClear, true
	case b == 'm' || b == 'M':
		return hal.KeyMenu, true
	case b == '.':
		return hal.KeyDot, true
	case b == 'u' || b == 'U':
		return hal.KeyUp, true
	case b == 'd' || b == 'D':
		return hal.KeyDown, true
	}
	return 0, false
}

func (c *Console) read(in io.Reader) {
	r := bufio.NewReader(in)
	for {
		b, err := r.ReadByte()
		if err != nil || b == 0x03 {
			if c.OnInterrupt != nil {
				c.OnInterrupt()
			}
			return
		}
		if b == 0x1b && r.Buffered() > 0 { // an escape sequence: arrows
			seq := make([]byte, r.Buffered())
			n, _ := r.Read(seq)
			switch string(seq[:n]) {
			case "[A":
				c.push(hal.KeyUp)
			case "[B":
				c.push(hal.KeyDown)
			}
			continue
		}
		if c.Intercept != nil && c.Intercept(b) {
			continue
		}
		if k, ok := keyOf(b); ok {
			c.push(k)
		}
	}
}

func (c *Console) push(k hal.Key) {
	select {
	case c.keys <- k:
	default: // a full buffer drops keys as a real keypad would
	}
}

// ReadKey implements hal.Keypad.
func (c *Console) ReadKey(ctx context.Context) (hal.Key, error) {
	select {
	case k := <-c.keys:
		return k, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// Show implements hal.Display.
func (c *Console) Show(ctx context.Context, s hal.Screen) error {
	c.mu.Lock()
	c.screen = s
	c.mu.Unlock()
	return c.redraw()
}

// SetSide replaces the side panel (the last slip printed).
func (c *Console) SetSide(lines []string) error {
	c.mu.Lock()
	c.side = lines
	c.mu.Unlock()
	return c.redraw()
}

// SetStatus replaces the status lines under the screen (PIN pad prompts).
func (c *Console) SetStatus(lines ...string) error {
	c.mu.Lock()
	c.status = lines
	c.mu.Unlock()
	return c.redraw()
}

const boxWidth = 34

// Render returns the whole console picture as lines (the screen box, status, help on
// the left; the side panel on the right).
func (c *Console) Render() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	left := []string{"┌" + strings.Repeat("─", boxWidth) + "┐"}
	body := append([]string{c.screen.Title, strings.Repeat("─", boxWidth-2)}, c.screen.Lines...)
	for len(body) < 8 {
		body = append(body, "")
	}
	for _, l := range body {
		left = append(left, "│ "+pad(l, boxWidth-2)+" │")
	}
	left = append(left, "└"+strings.Repeat("─", boxWidth)+"┘")
	left = append(left, c.status...)
	left = append(left, "")
	left = append(left, c.help...)
	n := max(len(left), len(c.side))
	leftWidth := 0
	for _, l := range left {
		leftWidth = max(leftWidth, hal.TextWidth(l))
	}
	out := make([]string, n)
	for i := range n {
		l, r := "", ""
		if i < len(left) {
			l = left[i]
		}
		if i < len(c.side) {
			r = c.side[i]
		}
		if r == "" {
			out[i] = l
			continue
		}
		out[i] = strings.TrimRight(pad(l, leftWidth)+"    "+r, " ")
	}
	return out
}

func (c *Console) redraw() error {
	lines := c.Render()
	var b strings.Builder
	b.WriteString("\x1b[H\x1b[2J") // home, clear
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	_, err := io.WriteString(c.out, b.String())
	if err != nil {
		return fmt.Errorf("draw console: %w", err)
	}
	return nil
}

// pad cuts or pads s to w columns, counting wide characters as two.
func pad(s string, w int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		rw := hal.RuneWidth(r)
		if n+rw > w {
			break
		}
		b.WriteRune(r)
		n += rw
	}
	return b.String() + strings.Repeat(" ", w-n)
}
