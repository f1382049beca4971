package escpos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"go.bug.st/serial"

	"countertop/hal"
)

const device = "printer"

// Defaults.
const (
	// DefaultWidth is the normal-font column count of 58 mm paper.
	DefaultWidth = 32
	// DefaultReplyTimeout is how long the driver waits for a DLE EOT reply. A printer
	// answers at once, even when offline; silence means it is gone.
	DefaultReplyTimeout = time.Second

	slice     = 20 * time.Millisecond // longest blocking read between context checks
	chunkSize = 512                   // bytes written between context checks
)

var _ hal.Printer = (*Printer)(nil)

// Printer is an ESC/POS printer on a serial port or another byte stream. Its methods
// are safe for concurrent use; calls are serialised.
type Printer struct {
	mu           sync.Mutex
	w            io.Writer
	r            sliceReader
	closer       io.Closer
	width        int
	replyTimeout time.Duration
}

// Open opens the printer on a serial port (8N1 at baud, no flow control) for 58 mm
// paper. Only cmd/ opens devices; the caller closes it.
func Open(portName string, baud int) (*Printer, error) {
	port, err := serial.Open(portName, &serial.Mode{BaudRate: baud, DataBits: 8,
		Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, &hal.DeviceError{Device: device, Op: "open " + portName,
			Err: fmt.Errorf("%w: %w", hal.ErrDeviceGone, err)}
	}
	if err := port.SetReadTimeout(slice); err != nil {
		port.Close()
		return nil, fmt.Errorf("escpos: set read timeout on %s: %w", portName, err)
	}
	p := New(port, DefaultWidth)
	p.r = &timeoutReader{port: port}
	p.closer = port
	return p, nil
}

// New returns a printer that writes ESC/POS to rw and reads status replies from it,
// with width normal-font columns (used when a Document has no Width). When rw has
// SetReadDeadline (net.Conn, *os.File) reads are cut into short deadlines; otherwise a
// goroutine reads rw for as long as it returns data. New does not take ownership:
// Close closes rw only when it is an io.Closer.
func New(rw io.ReadWriter, width int) *Printer {
	if width <= 0 {
		width = DefaultWidth
	}
	p := &Printer{w: rw, width: width, replyTimeout: DefaultReplyTimeout}
	if c, ok := rw.(io.Closer); ok {
		p.closer = c
	}
	switch r := rw.(type) {
	case interface {
		SetReadTimeout(time.Duration) error
	}:
		if err := r.SetReadTimeout(slice); err == nil {
			p.r = &timeoutReader{port: rw}
			break
		}
		p.r = newPumpReader(rw)
	case interface{ SetReadDeadline(time.Time) error }:
		p.r = &deadlineReader{rd: rw, set: r.SetReadDeadline}
	default:
		p.r = newPumpReader(rw)
	}
	return p
}

// SetReplyTimeout sets how long to wait for each status reply (DefaultReplyTimeout).
func (p *Printer) SetReplyTimeout(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.replyTimeout = d
}

// Close closes the port. Only the owner (cmd/) calls it.
func (p *Printer) Close() error {
	if p.closer == nil {
		return nil
	}
	return p.closer.Close()
}

// Print checks the status, prints d, cuts, and checks the status again. A printer that
// cannot print beforehand yields an error wrapping ErrPaperOut, ErrCoverOpen or
// ErrPrinterOffline and nothing is sent; the same after the slip means the slip may be
// incomplete and should be reprinted.
func (p *Printer) Print(ctx context.Context, d hal.Document) error {
	if d.Width == 0 {
		d.Width = p.width
	}
	data, err := Encode(d)
	if err != nil {
		return &hal.DeviceError{Device: device, Op: "print", Err: err}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st, err := p.status(ctx)
	if err != nil {
		return &hal.DeviceError{Device: device, Op: "print", Err: fmt.Errorf("status before slip: %w", err)}
	}
	if err := st.Err(); err != nil {
		return &hal.DeviceError{Device: device, Op: "print", Err: fmt.Errorf("before slip: %w", err)}
	}
	if err := p.write(ctx, data); err != nil {
		return &hal.DeviceError{Device: device, Op: "print", Err: err}
	}
	st, err = p.status(ctx)
	if err != nil {
		return &hal.DeviceError{Device: device, Op: "print", Err: fmt.Errorf("status after slip: %w", err)}
	}
	if err := st.Err(); err != nil {
		return &hal.DeviceError{Device: device, Op: "print", Err: fmt.Errorf("slip may be incomplete: %w", err)}
	}
	return nil
}

// Status asks the printer for its real-time status (DLE EOT 1, 2, 4).
func (p *Printer) Status(ctx context.Context) (hal.PrinterStatus, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, err := p.status(ctx)
	if err != nil {
		return st, &hal.DeviceError{Device: device, Op: "status", Err: err}
	}
	return st, nil
}

func (p *Printer) status(ctx context.Context) (hal.PrinterStatus, error) {
	if err := p.r.discard(); err != nil {
		return hal.PrinterOffline, fmt.Errorf("%w: %w", hal.ErrDeviceGone, err)
	}
	var bits StatusBits
	for _, q := range []struct {
		n   byte
		dst *byte
	}{{statusPrinter, &bits.Printer}, {statusOffline, &bits.Offline}, {statusPaper, &bits.Paper}} {
		if err := p.write(ctx, []byte{dle, eot, q.n}); err != nil {
			return hal.PrinterOffline, err
		}
		b, err := p.readStatusByte(ctx)
		if err != nil {
			return hal.PrinterOffline, fmt.Errorf("dle eot %d: %w", q.n, err)
		}
		*q.dst = b
	}
	return ParseStatus(bits)
}

// readStatusByte returns the next byte that looks like a DLE EOT reply, skipping noise,
// within the reply timeout.
func (p *Printer) readStatusByte(ctx context.Context) (byte, error) {
	deadline := time.Now().Add(p.replyTimeout)
	var buf [1]byte
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return 0, fmt.Errorf("%w: no status reply within %v", hal.ErrDeviceGone, p.replyTimeout)
		}
		n, err := p.r.read(ctx, buf[:], min(left, slice))
		if err != nil {
			return 0, fmt.Errorf("%w: %w", hal.ErrDeviceGone, err)
		}
		if n == 1 && ValidStatusByte(buf[0]) {
			return buf[0], nil
		}
	}
}

func (p *Printer) write(ctx context.Context, b []byte) error {
	for len(b) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(len(b), chunkSize)
		if _, err := p.w.Write(b[:n]); err != nil {
			return fmt.Errorf("write: %w: %w", hal.ErrDeviceGone, err)
		}
		b = b[n:]
	}
	return nil
}

// sliceReader reads with a bound on how long one call blocks.
type sliceReader interface {
	// read blocks at most about d; n == 0 with a nil error is a timeout.
	read(ctx context.Context, b []byte, d time.Duration) (int, error)
	// discard drops input that has already arrived.
	discard() error
}

// timeoutReader is a serial port with a short read timeout set once.
type timeoutReader struct {
	port io.Reader
}

func (t *timeoutReader) read(_ context.Context, b []byte, _ time.Duration) (int, error) {
	return t.port.Read(b)
}

func (t *timeoutReader) discard() error {
	if r, ok := t.port.(interface{ ResetInputBuffer() error }); ok {
		return r.ResetInputBuffer()
	}
	return nil
}

// deadlineReader is a net.Conn or *os.File: a deadline per read.
type deadlineReader struct {
	rd  io.Reader
	set func(time.Time) error
}

func (r *deadlineReader) read(_ context.Context, b []byte, d time.Duration) (int, error) {
	if err := r.set(time.Now().Add(d)); err != nil {
		return 0, err
	}
	n, err := r.rd.Read(b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return n, nil
	}
	return n, err
}

func (r *deadlineReader) discard() error {
	var buf [64]byte
	for {
		if err := r.set(time.Now()); err != nil {
			return err
		}
		n, err := r.rd.Read(buf[:])
		if errors.Is(err, os.ErrDeadlineExceeded) || (n == 0 && err == nil) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// pumpReader serves a plain io.Reader through a goroutine, which runs until the reader
// fails.
type pumpReader struct {
	ch   chan byte
	done chan struct{}
	err  error // set before done is closed
}

func newPumpReader(r io.Reader) *pumpReader {
	p := &pumpReader{ch: make(chan byte, 256), done: make(chan struct{})}
	go func() {
		var buf [256]byte
		for {
			n, err := r.Read(buf[:])
			for _, c := range buf[:n] {
				p.ch <- c
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

func (p *pumpReader) read(ctx context.Context, b []byte, d time.Duration) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case c := <-p.ch:
		b[0] = c
		return 1, nil
	case <-p.done:
		select {
		case c := <-p.ch:
			b[0] = c
			return 1, nil
		default:
			return 0, p.err
		}
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-t.C:
		return 0, nil
	}
}

func (p *pumpReader) discard() error {
	for {
		select {
		case <-p.ch:
		default:
			return nil
		}
	}
}
