package pinpad

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// readSlice is the serial port's read timeout: the longest a read blocks between two
// context checks.
const readSlice = 20 * time.Millisecond

// conn adapts a byte stream to abecs.Conn.
type conn struct {
	w       io.Writer
	read    func(ctx context.Context, p []byte, d time.Duration) (int, error)
	discard func() error
}

func (c *conn) Write(p []byte) (int, error) { return c.w.Write(p) }
func (c *conn) Read(ctx context.Context, p []byte, d time.Duration) (int, error) {
	return c.read(ctx, p, d)
}
func (c *conn) Discard() error { return c.discard() }

// newConn picks the reading strategy rw allows: a serial port's short read timeout,
// per-read deadlines (*os.File on a tty or pipe, net.Conn), or else a goroutine that
// reads rw for as long as it returns data.
func newConn(rw io.ReadWriter) *conn {
	c := &conn{w: rw}
	if p, ok := rw.(interface {
		SetReadTimeout(time.Duration) error
	}); ok && p.SetReadTimeout(readSlice) == nil {
		c.read = func(_ context.Context, b []byte, _ time.Duration) (int, error) { return rw.Read(b) }
		c.discard = func() error {
			if r, ok := rw.(interface{ ResetInputBuffer() error }); ok {
				return r.ResetInputBuffer()
			}
			return nil
		}
		return c
	}
	if d, ok := rw.(interface{ SetReadDeadline(time.Time) error }); ok && d.SetReadDeadline(time.Time{}) == nil {
		c.read = func(_ context.Context, b []byte, dur time.Duration) (int, error) {
			if err := d.SetReadDeadline(time.Now().Add(dur)); err != nil {
				return 0, err
			}
			n, err := rw.Read(b)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return n, nil
			}
			return n, err
		}
		c.discard = func() error {
			var buf [256]byte
			for {
				if err := d.SetReadDeadline(time.Now()); err != nil {
					return err
				}
				n, err := rw.Read(buf[:])
				if errors.Is(err, os.ErrDeadlineExceeded) || (n == 0 && err == nil) {
					return nil
				}
				if err != nil {
					return err
				}
			}
		}
		return c
	}
	p := newPump(rw)
	c.read, c.discard = p.read, p.discard
	return c
}

// pump serves a plain io.Reader through a goroutine, which runs until the reader
// fails.
type pump struct {
	ch   chan []byte
	rest []byte
	done chan struct{}
	err  error // set before done is closed
}

func newPump(r io.Reader) *pump {
	p := &pump{ch: make(chan []byte, 64), done: make(chan struct{})}
	go func() {
		for {
			buf := make([]byte, 512)
			n, err := r.Read(buf)
			if n > 0 {
				p.ch <- buf[:n]
			}
			if err != nil {
				p.err = err
				close(p.done)
				return
			}
		}
	}()
	return p
}

func (p *pump) read(ctx context.Context, b []byte, d time.Duration) (int, error) {
	if len(p.rest) == 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case p.rest = <-p.ch:
		case <-p.done:
			select {
			case p.rest = <-p.ch:
			default:
				return 0, p.err
			}
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-t.C:
			return 0, nil
		}
	}
	n := copy(b, p.rest)
	p.rest = p.rest[n:]
	return n, nil
}

func (p *pump) discard() error {
	p.rest = nil
	for {
		select {
		case <-p.ch:
		default:
			return nil
		}
	}
}
