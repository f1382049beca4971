package abecs

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Link failures. Each means the exchange did not complete; the ones marked "silence"
// mean the pad is not answering at all, which a driver reports as hal.ErrDeviceGone.
var (
	// ErrNoAck: neither ACK nor NAK came within Timeouts.Ack of a command (silence).
	ErrNoAck = errors.New("abecs: no ack or nak for the command")
	// ErrNAK: the pad refused the command with NAK on every try.
	ErrNAK = errors.New("abecs: command refused with nak on every try")
	// ErrNoResponse: a non-blocking command's response did not start within
	// Timeouts.Response, or a frame stopped mid-way for Timeouts.Byte (silence).
	ErrNoResponse = errors.New("abecs: no response from the pad")
	// ErrBadResponse: the response arrived damaged on every try.
	ErrBadResponse = errors.New("abecs: response damaged on every try")
	// ErrNoEOT: CAN was not confirmed with EOT on any try (silence).
	ErrNoEOT = errors.New("abecs: cancel not confirmed with eot")
	// ErrTransport: reading or writing the port failed (cable pulled, port closed).
	ErrTransport = errors.New("abecs: transport failed")
)

// Silent reports whether err means the pad did not answer or the port failed: the
// pad is gone (for now).
func Silent(err error) bool {
	return errors.Is(err, ErrNoAck) || errors.Is(err, ErrNoResponse) ||
		errors.Is(err, ErrNoEOT) || errors.Is(err, ErrTransport)
}

// Conn is the byte stream under a Link: a serial port, a pseudo-terminal, a pipe.
type Conn interface {
	// Write writes all of p.
	Write(p []byte) (int, error)
	// Read reads what has arrived into p, blocking at most about d and returning
	// early when ctx ends. (0, nil) means nothing arrived.
	Read(ctx context.Context, p []byte, d time.Duration) (int, error)
	// Discard drops input that has already arrived, without waiting.
	Discard() error
}

// Timeouts are the link's waits. The zero value of a field takes its default.
type Timeouts struct {
	Ack      time.Duration // for ACK/NAK after a command (2 s)
	Byte     time.Duration // between two bytes of a frame (2 s)
	Silence  time.Duration // quiet that ends the draining after a damaged frame (500 ms)
	Response time.Duration // for a non-blocking command's response (10 s)
	EOT      time.Duration // for EOT after CAN (2 s)
	Tries    int           // sends of a command, receptions of a response, CANs (3)
}

// DefaultTimeouts are the specification's values.
var DefaultTimeouts = Timeouts{Ack: 2 * time.Second, Byte: 2 * time.Second,
	Silence: 500 * time.Millisecond, Response: 10 * time.Second, EOT: 2 * time.Second, Tries: 3}

func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts
	pick := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	t.Ack, t.Byte, t.Silence = pick(t.Ack, d.Ack), pick(t.Byte, d.Byte), pick(t.Silence, d.Silence)
	t.Response, t.EOT = pick(t.Response, d.Response), pick(t.EOT, d.EOT)
	if t.Tries <= 0 {
		t.Tries = d.Tries
	}
	return t
}

// slice is the longest single Conn.Read: ctx is checked at least this often.
const slice = 50 * time.Millisecond

var errTimeout = errors.New("timeout")

// Link runs the host (SPE) side of the ABECS link rules over a Conn. It is not safe
// for concurrent use; a driver serialises its exchanges.
type Link struct {
	conn Conn
	t    Timeouts
	buf  []byte // read from conn, not consumed yet
	rb   [512]byte
	// Stats counts link events since NewLink, for tests and diagnostics.
	Stats Stats
}

// Stats counts link events.
type Stats struct {
	Sent     int // command frames written, resends included
	NAKsIn   int // NAKs received for commands
	NAKsOut  int // NAKs sent for damaged responses
	Skipped  int // bytes ignored outside frames (garbage, stray control bytes)
	Drained  int // bytes thrown away while draining after a damaged frame
	Cancels  int // CANs written
	Received int // intact response frames
}

// NewLink returns a link over c with t (zero fields take DefaultTimeouts).
func NewLink(c Conn, t Timeouts) *Link {
	return &Link{conn: c, t: t.withDefaults()}
}

// Timeouts returns the link's effective timeouts.
func (l *Link) Timeouts() Timeouts { return l.t }

// Discard drops what has arrived and not been read: stale bytes from an aborted
// exchange must not be taken for the next ACK.
func (l *Link) Discard() error {
	l.buf = l.buf[:0]
	if err := l.conn.Discard(); err != nil {
		return fmt.Errorf("discard input: %w: %w", ErrTransport, err)
	}
	return nil
}

// readByte returns the next byte, waiting until deadline (none when zero).
func (l *Link) readByte(ctx context.Context, deadline time.Time) (byte, error) {
	for len(l.buf) == 0 {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		d := slice
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				return 0, errTimeout
			}
			d = min(d, left)
		}
		n, err := l.conn.Read(ctx, l.rb[:], d)
		l.buf = append(l.buf, l.rb[:n]...)
		if err != nil && n == 0 {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, fmt.Errorf("read: %w: %w", ErrTransport, err)
		}
	}
	c := l.buf[0]
	l.buf = l.buf[1:]
	return c, nil
}

func (l *Link) write(b []byte) error {
	if _, err := l.conn.Write(b); err != nil {
		return fmt.Errorf("write: %w: %w", ErrTransport, err)
	}
	return nil
}

// Send frames payload, writes it and waits for ACK, resending on NAK up to Tries
// times. Bytes other than ACK and NAK are skipped. A cancelled ctx returns ctx.Err():
// the command may have reached the pad, so the caller should Cancel.
func (l *Link) Send(ctx context.Context, payload []byte) error {
	frame, err := Encode(payload)
	if err != nil {
		return err
	}
	for try := 1; ; try++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := l.write(frame); err != nil {
			return err
		}
		l.Stats.Sent++
		nak, err := l.awaitAck(ctx)
		if err != nil {
			return err
		}
		if !nak {
			return nil
		}
		l.Stats.NAKsIn++
		if try >= l.t.Tries {
			return fmt.Errorf("%s after %d tries: %w", clip(payload, 3), try, ErrNAK)
		}
	}
}

// awaitAck waits for ACK (false) or NAK (true).
func (l *Link) awaitAck(ctx context.Context) (nak bool, err error) {
	deadline := time.Now().Add(l.t.Ack)
	for {
		c, err := l.readByte(ctx, deadline)
		if errors.Is(err, errTimeout) {
			return false, fmt.Errorf("within %v: %w", l.t.Ack, ErrNoAck)
		}
		if err != nil {
			return false, err
		}
		switch c {
		case ACK:
			return false, nil
		case NAK:
			return true, nil
		}
		l.Stats.Skipped++
	}
}

// Receive returns the PKTDATA of the next intact frame. It waits for the frame to
// start until timeout (forever when 0, for blocking commands) and skips any byte
// before SYN. A damaged frame is drained until Timeouts.Silence of quiet and answered
// with NAK, so the pad sends it again; after Tries damaged frames it gives up with
// ErrBadResponse. A cancelled ctx returns ctx.Err().
func (l *Link) Receive(ctx context.Context, timeout time.Duration) ([]byte, error) {
	var start time.Time
	if timeout > 0 {
		start = time.Now().Add(timeout)
	}
	var p Parser
	for bad := 0; ; {
		// Wait for SYN.
		for {
			c, err := l.readByte(ctx, start)
			if errors.Is(err, errTimeout) {
				return nil, fmt.Errorf("within %v: %w", timeout, ErrNoResponse)
			}
			if err != nil {
				return nil, err
			}
			if c == SYN {
				p.Push(c)
				break
			}
			l.Stats.Skipped++
		}
		data, ferr := l.frame(ctx, &p)
		if ferr == nil {
			l.Stats.Received++
			return data, nil
		}
		if !errors.Is(ferr, ErrFrame) && !errors.Is(ferr, ErrCRC) && !errors.Is(ferr, errTimeout) {
			return nil, ferr
		}
		bad++
		if bad >= l.t.Tries {
			return nil, fmt.Errorf("%d damaged frames, last: %w: %w", bad, ErrBadResponse, ferr)
		}
		if err := l.drain(ctx); err != nil {
			return nil, err
		}
		if err := l.write([]byte{NAK}); err != nil {
			return nil, err
		}
		l.Stats.NAKsOut++
		if timeout > 0 {
			start = time.Now().Add(timeout)
		}
	}
}

// frame reads the rest of a frame whose SYN p has seen.
func (l *Link) frame(ctx context.Context, p *Parser) ([]byte, error) {
	for {
		c, err := l.readByte(ctx, time.Now().Add(l.t.Byte))
		if errors.Is(err, errTimeout) {
			p.Reset()
			return nil, fmt.Errorf("frame stopped for %v: %w", l.t.Byte, errTimeout)
		}
		if err != nil {
			p.Reset()
			return nil, err
		}
		data, err := p.Push(c)
		if data != nil || err != nil {
			return data, err
		}
	}
}

// drain throws input away until Timeouts.Silence passes without a byte.
func (l *Link) drain(ctx context.Context) error {
	for {
		_, err := l.readByte(ctx, time.Now().Add(l.t.Silence))
		if errors.Is(err, errTimeout) {
			return nil
		}
		if err != nil {
			return err
		}
		l.Stats.Drained++
	}
}

// Cancel aborts the command in progress: CAN, then up to Timeouts.EOT for EOT while
// ignoring everything else (a response or notification may be in flight), up to
// Tries times. The pad answers EOT even when idle, so hosts open every conversation
// with Cancel. Bytes after the EOT are left for the next Discard.
func (l *Link) Cancel(ctx context.Context) error {
	for try := 1; try <= l.t.Tries; try++ {
		if err := l.write([]byte{CAN}); err != nil {
			return err
		}
		l.Stats.Cancels++
		deadline := time.Now().Add(l.t.EOT)
		for {
			c, err := l.readByte(ctx, deadline)
			if errors.Is(err, errTimeout) {
				break
			}
			if err != nil {
				return err
			}
			if c == EOT {
				return nil
			}
			l.Stats.Skipped++
		}
	}
	return fmt.Errorf("%d cans: %w", l.t.Tries, ErrNoEOT)
}
