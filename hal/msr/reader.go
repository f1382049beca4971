package msr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"go.bug.st/serial"

	"countertop/hal"
)

const device = "magstripe reader"

// Defaults.
const (
	// DefaultGap is the silence after which text without a line end is taken as the
	// whole swipe (a reader that stopped mid-swipe, or one that breaks lines per
	// track). Readers send a swipe as one burst, a wedge types it in well under this.
	DefaultGap = 500 * time.Millisecond
	// DefaultBaud is the usual speed of serial stripe readers.
	DefaultBaud = 9600

	maxSwipe = 1024 // bytes without a line end before they are taken as one bad swipe
)

// Options tune how swipes are delimited.
type Options struct {
	// Gap: see DefaultGap (used when zero).
	Gap time.Duration
	// LinePerTrack is for readers set to end every track with CR/LF (a MagTek
	// option): line ends then separate tracks and only Gap ends a swipe, at the cost
	// of Gap's delay on every swipe.
	LinePerTrack bool
}

var _ hal.CardReader = (*Reader)(nil)

// Reader is a magnetic stripe reader. Its methods are safe for concurrent use;
// WaitCard calls are serialised.
type Reader struct {
	opts   Options
	reopen func() (source, error) // nil when the reader cannot be reopened (New, NewWedge)

	mu  sync.Mutex // serialises WaitCard; guards buf
	buf []byte     // text of a swipe in progress

	smu    sync.Mutex // guards src and closed
	src    source     // nil after the device went away, until reopened
	closed bool
}

// source delivers the reader's text as it arrives.
type source interface {
	// read returns the next text, blocking until some arrives or ctx ends.
	read(ctx context.Context) ([]byte, error)
	close() error
}

// Open opens a serial stripe reader on portName (8N1 at baud; DefaultBaud when
// zero). When the port goes away (a USB reader unplugged), WaitCard reports
// hal.ErrDeviceGone and tries to open portName again on its next call, so a reader
// plugged back in — best named by a stable /dev/serial/by-id/… link — works again
// without a restart. Only cmd/ opens devices; the caller closes it.
func Open(portName string, baud int, opts Options) (*Reader, error) {
	if baud == 0 {
		baud = DefaultBaud
	}
	open := func() (source, error) {
		port, err := serial.Open(portName, &serial.Mode{BaudRate: baud, DataBits: 8,
			Parity: serial.NoParity, StopBits: serial.OneStopBit})
		if err != nil {
			return nil, &hal.DeviceError{Device: device, Op: "open " + portName,
				Err: fmt.Errorf("%w: %w", hal.ErrDeviceGone, err)}
		}
		return newPump(port), nil
	}
	return openReopening(open, opts)
}

// openReopening opens a source now and again after it goes away.
func openReopening(open func() (source, error), opts Options) (*Reader, error) {
	src, err := open()
	if err != nil {
		return nil, err
	}
	r := newReader(src, opts)
	r.reopen = open
	return r, nil
}

// New returns a reader taking track text from r: a serial port, a pty, a pipe. Close
// closes r when it is an io.Closer.
func New(r io.Reader, opts Options) *Reader {
	return newReader(newPump(r), opts)
}

func newReader(src source, opts Options) *Reader {
	if opts.Gap <= 0 {
		opts.Gap = DefaultGap
	}
	return &Reader{opts: opts, src: src}
}

// WaitCard returns the next swipe as a hal.CardSwiped event: with Tracks set, or with
// Err set when the swipe could not be read (the cardholder should swipe again). It
// returns ctx.Err() when ctx ends first, keeping a swipe in progress for the next
// call, and a *hal.DeviceError wrapping hal.ErrDeviceGone when the port is closed or
// unplugged.
func (r *Reader) WaitCard(ctx context.Context) (hal.CardEvent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if line, ok := r.takeLine(); ok {
			if ev, ok := swipeEvent(line); ok {
				return ev, nil
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			return hal.CardEvent{}, err
		}
		src, err := r.source()
		if err != nil {
			return hal.CardEvent{}, err
		}
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if len(r.buf) > 0 {
			rctx, cancel = context.WithTimeout(ctx, r.opts.Gap)
		}
		chunk, err := src.read(rctx)
		cancel()
		switch {
		case err == nil:
			r.buf = append(r.buf, chunk...)
			clear(chunk)
			if len(r.buf) > maxSwipe && !r.hasLineEnd() {
				line := r.buf
				r.buf = nil
				clear(line)
				return hal.CardEvent{Kind: hal.CardSwiped,
					Err: fmt.Errorf("more than %d bytes without a line end: %w", maxSwipe, ErrPartial)}, nil
			}
		case ctx.Err() != nil:
			return hal.CardEvent{}, ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// Silence after part of a swipe: what came is all there is.
			line := r.buf
			r.buf = nil
			if ev, ok := swipeEvent(line); ok {
				return ev, nil
			}
		default:
			clear(r.buf)
			r.buf = nil
			r.lost(src)
			return hal.CardEvent{}, &hal.DeviceError{Device: device, Op: "wait card",
				Err: fmt.Errorf("%w: %w", hal.ErrDeviceGone, err)}
		}
	}
}

// source returns the open source, reopening the device when it went away and can be
// reopened.
func (r *Reader) source() (source, error) {
	r.smu.Lock()
	defer r.smu.Unlock()
	if r.src != nil {
		return r.src, nil
	}
	if r.closed || r.reopen == nil {
		return nil, &hal.DeviceError{Device: device, Op: "wait card", Err: fmt.Errorf("%w: closed", hal.ErrDeviceGone)}
	}
	src, err := r.reopen()
	if err != nil {
		return nil, err
	}
	r.src = src
	return src, nil
}

// lost drops a source that failed, so the next call reopens the device.
func (r *Reader) lost(src source) {
	r.smu.Lock()
	defer r.smu.Unlock()
	if r.src == src {
		r.src = nil
	}
	src.close()
}

// takeLine removes and returns the text up to the first line end, when there is one.
func (r *Reader) takeLine() ([]byte, bool) {
	if r.opts.LinePerTrack {
		if i := bytes.IndexByte(r.buf, etx); i >= 0 {
			return r.cut(i), true
		}
		return nil, false
	}
	if i := bytes.IndexAny(r.buf, "\r\n\x03"); i >= 0 {
		return r.cut(i), true
	}
	return nil, false
}

func (r *Reader) hasLineEnd() bool {
	return bytes.ContainsAny(r.buf, "\r\n\x03")
}

func (r *Reader) cut(i int) []byte {
	line := bytes.Clone(r.buf[:i])
	rest := copy(r.buf, r.buf[i+1:])
	clear(r.buf[rest:])
	r.buf = r.buf[:rest]
	return line
}

// swipeEvent parses one swipe's text, then wipes it. Text of line ends and framing
// only is no swipe.
func swipeEvent(line []byte) (hal.CardEvent, bool) {
	defer clear(line)
	if len(bytes.Trim(line, "\r\n\x02\x03")) == 0 {
		return hal.CardEvent{}, false
	}
	t, err := ParseSwipe(line)
	if err != nil {
		return hal.CardEvent{Kind: hal.CardSwiped, Err: fmt.Errorf("swipe: %w", err)}, true
	}
	return hal.CardEvent{Kind: hal.CardSwiped, Tracks: t}, true
}

// Transmit always fails with hal.ErrNoCard: a stripe reader has no chip.
func (r *Reader) Transmit(ctx context.Context, _ []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, &hal.DeviceError{Device: device, Op: "transmit", Err: hal.ErrNoCard}
}

// Close closes the port or input device for good. Only the owner (cmd/) calls it.
func (r *Reader) Close() error {
	r.smu.Lock()
	src := r.src
	r.src, r.closed = nil, true
	r.smu.Unlock()
	if src == nil {
		return nil
	}
	if err := src.close(); err != nil {
		return fmt.Errorf("close %s: %w", device, err)
	}
	return nil
}

// pump reads a byte stream in one goroutine, until it fails.
type pump struct {
	ch     chan []byte
	done   chan struct{} // closed when the read loop ends
	quit   chan struct{} // closed by close
	err    error         // why the loop ended; read after done
	closer io.Closer
	once   sync.Once
}

func newPump(r io.Reader) *pump {
	p := &pump{ch: make(chan []byte, 16), done: make(chan struct{}), quit: make(chan struct{})}
	if c, ok := r.(io.Closer); ok {
		p.closer = c
	}
	go p.loop(r)
	return p
}

func (p *pump) loop(r io.Reader) {
	defer close(p.done)
	buf := make([]byte, 256)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			select {
			case p.ch <- bytes.Clone(buf[:n]):
			case <-p.quit:
				p.err = errors.New("reader closed")
				return
			}
			clear(buf[:n])
		}
		if err != nil {
			p.err = err
			return
		}
	}
}

func (p *pump) read(ctx context.Context) ([]byte, error) {
	select {
	case b := <-p.ch:
		return b, nil
	default:
	}
	select {
	case b := <-p.ch:
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.done:
		select {
		case b := <-p.ch:
			return b, nil
		default:
			return nil, p.err
		}
	}
}

func (p *pump) close() error {
	var err error
	p.once.Do(func() {
		close(p.quit)
		if p.closer != nil {
			err = p.closer.Close()
		}
	})
	return err
}
