package msrsim

import (
	"fmt"
	"os"
	"sync"

	"countertop/hal/internal/ptyserve"

	"github.com/creack/pty"
)

// Reader is a simulated serial stripe reader on a pseudo-terminal: a driver opens
// Path as its serial port, and each Swipe sends a card's tracks to it.
type Reader struct {
	format Format

	mu     sync.Mutex // serialises writes
	master *os.File
	tty    *os.File // kept open so the driver's opens and closes never hang the line up
	once   sync.Once
}

// Start opens a pseudo-terminal and returns the reader on it, sending swipes in f.
func Start(f Format) (*Reader, error) {
	m, tty, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("open pty: %w", err)
	}
	if err := ptyserve.MakeRaw(tty); err != nil {
		m.Close()
		tty.Close()
		return nil, err
	}
	return &Reader{format: f, master: m, tty: tty}, nil
}

// Path is the device node a driver opens (/dev/pts/N).
func (r *Reader) Path() string { return r.tty.Name() }

// Swipe sends one swipe of c.
func (r *Reader) Swipe(c Card) error { return r.Send(Encode(c, r.format)) }

// SwipeBadLRC sends a swipe of c whose track 2 LRC character is wrong (the format
// sends LRCs whatever it says).
func (r *Reader) SwipeBadLRC(c Card) error {
	f := r.format
	f.LRC = true
	b := Encode(c, f)
	// Track 2's LRC follows the first '?' after its ';'.
	for i := 0; i+1 < len(b); i++ {
		if b[i] == ';' {
			for j := i; j+1 < len(b); j++ {
				if b[j] == '?' {
					b[j+1] = '0' + (b[j+1]-'0'+1)%16
					return r.Send(b)
				}
			}
		}
	}
	return fmt.Errorf("swipe bad lrc: card has no track 2")
}

// SwipePartial sends the first n bytes of a swipe of c and then nothing: the card
// pulled through too fast, or the line cut.
func (r *Reader) SwipePartial(c Card, n int) error {
	b := Encode(c, r.format)
	return r.Send(b[:min(n, len(b))])
}

// Send writes raw bytes as if the reader had sent them (garbage, a hand-made swipe).
func (r *Reader) Send(b []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.master.Write(b); err != nil {
		return fmt.Errorf("msrsim send: %w", err)
	}
	return nil
}

// Unplug hangs the line up: the driver's reads fail as when a USB reader is pulled.
func (r *Reader) Unplug() error { return r.Close() }

// Close closes the pseudo-terminal.
func (r *Reader) Close() error {
	var err error
	r.once.Do(func() {
		err = r.master.Close()
		r.tty.Close()
	})
	return err
}
