package abecs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"countertop/hal/pinpad/abecs"
)

// pipeConn is an in-memory Conn: what the host writes arrives on out, what the test
// puts on in is read by the host. Used inside a synctest bubble, so the link's 2 s
// and 500 ms waits take no real time.
type pipeConn struct {
	in      chan []byte
	out     chan []byte
	pending []byte
	err     error // returned by Read and Write once set
}

func newPipe() *pipeConn {
	return &pipeConn{in: make(chan []byte, 16), out: make(chan []byte, 64)}
}

func (p *pipeConn) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	p.out <- append([]byte(nil), b...)
	return len(b), nil
}

func (p *pipeConn) Read(ctx context.Context, b []byte, d time.Duration) (int, error) {
	if len(p.pending) == 0 {
		if p.err != nil {
			return 0, p.err
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case p.pending = <-p.in:
		case <-t.C:
			return 0, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	n := copy(b, p.pending)
	p.pending = p.pending[n:]
	return n, nil
}

func (p *pipeConn) Discard() error {
	p.pending = nil
	for {
		select {
		case <-p.in:
		default:
			return nil
		}
	}
}

// written returns everything the host wrote so far.
func (p *pipeConn) written() []byte {
	var all []byte
	for {
		select {
		case b := <-p.out:
			all = append(all, b...)
		default:
			return all
		}
	}
}

func frame(t testing.TB, s string) []byte {
	t.Helper()
	f, err := abecs.Encode([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func corrupt(f []byte) []byte {
	c := append([]byte(nil), f...)
	c[len(c)-1] ^= 0xFF
	return c
}

// run runs the host side in a goroutine and returns its error channel.
func run(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

func TestSend(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replies [][]byte // one per frame the host sends
		err     error
		sent    int
		elapsed time.Duration
	}{
		{"ack", [][]byte{{abecs.ACK}}, nil, 1, 0},
		{"nak then ack", [][]byte{{abecs.NAK}, {abecs.ACK}}, nil, 2, 0},
		{"garbage before ack", [][]byte{{0xFF, 0x00, abecs.EOT, 'x', abecs.ACK}}, nil, 1, 0},
		{"nak three times", [][]byte{{abecs.NAK}, {abecs.NAK}, {abecs.NAK}}, abecs.ErrNAK, 3, 0},
		{"silence", [][]byte{nil}, abecs.ErrNoAck, 1, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newPipe()
				l := abecs.NewLink(c, abecs.Timeouts{})
				start := time.Now()
				done := run(func() error { return l.Send(t.Context(), []byte("OPN")) })
				for _, r := range tc.replies {
					if got := <-c.out; !bytes.Equal(got, frame(t, "OPN")) {
						t.Fatalf("host wrote % X, want the OPN frame", got)
					}
					if r != nil {
						c.in <- r
					}
				}
				err := <-done
				if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
					t.Fatalf("Send = %v, want %v", err, tc.err)
				}
				if l.Stats.Sent != tc.sent || time.Since(start) != tc.elapsed {
					t.Errorf("sent %d frames in %v, want %d in %v", l.Stats.Sent, time.Since(start), tc.sent, tc.elapsed)
				}
				if extra := c.written(); len(extra) > 0 {
					t.Errorf("host also wrote % X", extra)
				}
			})
		})
	}
}

func TestReceive(t *testing.T) {
	good := frame(t, "GIN000003ABC")
	for _, tc := range []struct {
		name    string
		frames  [][]byte // sent by the pad: the first at once, each next after the host's NAK
		timeout time.Duration
		want    string
		err     error
		naks    int
		elapsed time.Duration
	}{
		{"intact", [][]byte{good}, 0, "GIN000003ABC", nil, 0, 0},
		{"garbage between frames", [][]byte{append([]byte{0xFF, 0x00, abecs.ACK, abecs.NAK, 0x17, 'z'}, good...)}, time.Second, "GIN000003ABC", nil, 0, 0},
		{"bad crc then good", [][]byte{corrupt(good), good}, 0, "GIN000003ABC", nil, 1, 500 * time.Millisecond},
		{"bad escape then good", [][]byte{{abecs.SYN, 'G', abecs.DC3, 'A', 'B', abecs.ETB, 1, 2}, good}, 0, "GIN000003ABC", nil, 1, 500 * time.Millisecond},
		{"cut short then good", [][]byte{good[:5], good}, 0, "GIN000003ABC", nil, 1, 2500 * time.Millisecond},
		{"damaged three times", [][]byte{corrupt(good), corrupt(good), corrupt(good)}, 0, "", abecs.ErrBadResponse, 2, time.Second},
		{"no response", nil, 10 * time.Second, "", abecs.ErrNoResponse, 0, 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newPipe()
				l := abecs.NewLink(c, abecs.Timeouts{})
				start := time.Now()
				var got []byte
				done := run(func() (err error) {
					got, err = l.Receive(t.Context(), tc.timeout)
					return err
				})
				for i, f := range tc.frames {
					if i > 0 {
						if nak := <-c.out; !bytes.Equal(nak, []byte{abecs.NAK}) {
							t.Fatalf("host wrote % X after a damaged frame, want NAK", nak)
						}
					}
					c.in <- f
				}
				err := <-done
				if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) || string(got) != tc.want {
					t.Fatalf("Receive = %q, %v; want %q, %v", got, err, tc.want, tc.err)
				}
				if l.Stats.NAKsOut != tc.naks || time.Since(start) != tc.elapsed {
					t.Errorf("%d NAKs in %v, want %d in %v", l.Stats.NAKsOut, time.Since(start), tc.naks, tc.elapsed)
				}
				if extra := c.written(); len(extra) > 0 {
					t.Errorf("host also wrote % X", extra)
				}
			})
		})
	}
}

// TestDrainWaitsForSilence: after a damaged frame the host throws away bytes until
// 500 ms pass without one, and only then sends NAK.
func TestDrainWaitsForSilence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newPipe()
		l := abecs.NewLink(c, abecs.Timeouts{})
		start := time.Now()
		done := run(func() error { _, err := l.Receive(t.Context(), 0); return err })
		c.in <- corrupt(frame(t, "DSP000"))
		for range 3 {
			time.Sleep(400 * time.Millisecond) // noise keeps the line busy
			c.in <- []byte{0xAA, 0x55}
		}
		if nak := <-c.out; !bytes.Equal(nak, []byte{abecs.NAK}) || time.Since(start) != 1700*time.Millisecond {
			t.Fatalf("host wrote % X after %v, want NAK after 1.7 s", nak, time.Since(start))
		}
		c.in <- frame(t, "DSP000")
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if l.Stats.Drained != 6 {
			t.Errorf("drained %d bytes, want 6", l.Stats.Drained)
		}
	})
}

func TestCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newPipe()
		l := abecs.NewLink(c, abecs.Timeouts{})
		done := run(func() error { return l.Cancel(t.Context()) })
		if b := <-c.out; !bytes.Equal(b, []byte{abecs.CAN}) {
			t.Fatalf("host wrote % X, want CAN", b)
		}
		// A response already in flight, then EOT.
		c.in <- append(frame(t, "GPN013"), abecs.EOT)
		if err := <-done; err != nil {
			t.Fatalf("Cancel: %v", err)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		c := newPipe()
		l := abecs.NewLink(c, abecs.Timeouts{})
		start := time.Now()
		err := l.Cancel(t.Context())
		if !errors.Is(err, abecs.ErrNoEOT) || time.Since(start) != 6*time.Second {
			t.Fatalf("Cancel to a silent pad = %v after %v, want ErrNoEOT after 6 s", err, time.Since(start))
		}
		if d := cmp.Diff([]byte{abecs.CAN, abecs.CAN, abecs.CAN}, c.written()); d != "" {
			t.Errorf("written (-want +got):\n%s", d)
		}
	})
}

func TestReceiveHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newPipe()
		l := abecs.NewLink(c, abecs.Timeouts{})
		ctx, cancel := context.WithCancel(t.Context())
		done := run(func() error { _, err := l.Receive(ctx, 0); return err })
		time.Sleep(time.Hour) // a blocking command waits for ever
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Receive returned %v before cancel", err)
		default:
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Receive after cancel = %v", err)
		}
	})
}

func TestTransportError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newPipe()
		c.err = io.ErrClosedPipe
		l := abecs.NewLink(c, abecs.Timeouts{})
		if err := l.Send(t.Context(), []byte("OPN")); !errors.Is(err, abecs.ErrTransport) || !abecs.Silent(err) {
			t.Errorf("Send on a closed port = %v, want ErrTransport", err)
		}
		if _, err := l.Receive(t.Context(), 0); !errors.Is(err, abecs.ErrTransport) || !errors.Is(err, io.ErrClosedPipe) {
			t.Errorf("Receive on a closed port = %v, want ErrTransport", err)
		}
	})
}
