package vpcd

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testCard answers SELECT with data and 9000, anything else with 6D00, and records
// power events.
type testCard struct {
	mu     sync.Mutex
	events []string
}

var testATR = []byte{0x3B, 0x80, 0x80, 0x01, 0x01}

func (c *testCard) ATR() []byte { return testATR }

func (c *testCard) Transmit(apdu []byte) []byte {
	if len(apdu) >= 4 && apdu[0] == 0x00 && apdu[1] == 0xA4 {
		return []byte{0x6F, 0x00, 0x90, 0x00}
	}
	if len(apdu) >= 2 && apdu[1] == 0xEE {
		return nil // a broken card: must not hang vpcd
	}
	return []byte{0x6D, 0x00}
}

func (c *testCard) PowerOn()  { c.log("on") }
func (c *testCard) PowerOff() { c.log("off") }
func (c *testCard) Reset()    { c.log("reset") }

func (c *testCard) log(e string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
}

func (c *testCard) Events() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.events...)
}

// fakeVPCD is pcscd's side: it listens, as vpcd does.
type fakeVPCD struct {
	t  testing.TB
	ln net.Listener
}

func listen(t testing.TB, addr string) *fakeVPCD {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &fakeVPCD{t: t, ln: ln}
}

func (f *fakeVPCD) accept() net.Conn {
	f.t.Helper()
	f.ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	c, err := f.ln.Accept()
	if err != nil {
		f.t.Fatalf("accept: %v", err)
	}
	f.t.Cleanup(func() { c.Close() })
	return c
}

// send writes one message as vpcd 0.8 does: length and payload in two writes.
func send2(t testing.TB, c net.Conn, msg []byte) {
	t.Helper()
	var hdr [2]byte
	binary.BigEndian.PutUint16(hdr[:], uint16(len(msg)))
	if _, err := c.Write(hdr[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
}

func recv(t testing.TB, c net.Conn) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		t.Fatalf("read length: %v", err)
	}
	b := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read payload: %v", err)
	}
	return b
}

func startServe(t *testing.T, addr string, card Card) (cancel func() error) {
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, addr, card) }()
	var once sync.Once
	var err error
	cancel = func() error {
		once.Do(func() { stop(); err = <-done })
		return err
	}
	t.Cleanup(func() { cancel() })
	return cancel
}

func TestServeProtocol(t *testing.T) {
	f := listen(t, "127.0.0.1:0")
	card := &testCard{}
	cancel := startServe(t, f.ln.Addr().String(), card)
	c := f.accept()

	send2(t, c, []byte{CtrlATR})
	if got := recv(t, c); !cmp.Equal(got, testATR) {
		t.Errorf("ATR % x, want % x", got, testATR)
	}
	// Power on and reset get no answer: the next reply must be the APDU's.
	send2(t, c, []byte{CtrlPowerOn})
	send2(t, c, []byte{CtrlReset})
	send2(t, c, []byte{0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00})
	if got, want := recv(t, c), []byte{0x6F, 0x00, 0x90, 0x00}; !cmp.Equal(got, want) {
		t.Errorf("SELECT answered % x, want % x", got, want)
	}
	send2(t, c, []byte{0x00, 0xEE, 0x00, 0x00})
	if got, want := recv(t, c), []byte{0x6F, 0x00}; !cmp.Equal(got, want) {
		t.Errorf("empty card answer sent as % x, want % x", got, want)
	}
	send2(t, c, []byte{CtrlPowerOff})
	send2(t, c, []byte{CtrlATR}) // answered when powered off too
	if got := recv(t, c); !cmp.Equal(got, testATR) {
		t.Errorf("ATR after power off % x", got)
	}
	if diff := cmp.Diff([]string{"on", "reset", "off"}, card.Events()); diff != "" {
		t.Errorf("power events (-want +got):\n%s", diff)
	}

	// Cancelling removes the card: vpcd sees the connection close.
	if err := cancel(); !errors.Is(err, context.Canceled) {
		t.Errorf("Serve returned %v, want context.Canceled", err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("after cancel vpcd reads %v, want EOF", err)
	}
}

func TestServeWaitsForVPCDAndReconnects(t *testing.T) {
	// A free port nobody listens on yet.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	cancel := startServe(t, addr, &testCard{})
	f := listen(t, addr) // pcscd starts after the card
	c := f.accept()
	send2(t, c, []byte{CtrlATR})
	if got := recv(t, c); !cmp.Equal(got, testATR) {
		t.Fatalf("ATR % x", got)
	}
	c.Close() // pcscd restarts: the card comes back
	c = f.accept()
	send2(t, c, []byte{CtrlATR})
	if got := recv(t, c); !cmp.Equal(got, testATR) {
		t.Fatalf("ATR after reconnect % x", got)
	}
	if err := cancel(); !errors.Is(err, context.Canceled) {
		t.Errorf("Serve returned %v", err)
	}
}

func TestServeNoVPCD(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := Serve(ctx, addr, &testCard{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Serve = %v, want deadline exceeded", err)
	}
}

// BenchmarkRoundTrip measures one APDU exchange with a peer that writes like vpcd 0.8
// (length and payload in two sends, Nagle on): with TCP_QUICKACK re-armed, and without
// it, which shows the delayed-ACK stall.
func BenchmarkRoundTrip(b *testing.B) {
	for _, qa := range []bool{true, false} {
		name := "quickack"
		if !qa {
			name = "no-quickack"
		}
		b.Run(name, func(b *testing.B) {
			quickACKEnabled = qa
			defer func() { quickACKEnabled = true }()
			f := listen(b, "127.0.0.1:0")
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- Serve(ctx, f.ln.Addr().String(), &testCard{}) }()
			defer func() { cancel(); <-done }()
			c := f.accept()
			c.(*net.TCPConn).SetNoDelay(false)
			apdu := []byte{0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00}
			for b.Loop() {
				send2(b, c, apdu)
				recv(b, c)
			}
		})
	}
}
