// Package vpcd is the card side of vsmartcard's vpcd socket protocol: it connects a
// virtual ICC (a Card) to the vpcd reader driver inside pcscd, so PC/SC applications,
// hal/pcsc among them, see it as a card in the reader "Virtual PCD 00 00".
//
// vpcd listens (TCP port 35963 for slot 0, 35964 for slot 1, on all interfaces) and the
// card connects; countertop only ever connects to 127.0.0.1. Both directions carry a
// 2-byte big-endian length and a payload. From vpcd, a 1-byte payload is a control
// code (00 power off, 01 power on, 02 reset, 04 ATR request) and anything longer is a
// command APDU; the card answers 04 with its ATR and every APDU with a response APDU,
// and nothing else. Closing the connection removes the card.
//
// vpcd up to 0.8 (Debian 12) writes the length and the payload in two sends without
// TCP_NODELAY, which stalls every exchange for the peer's delayed ACK (about 40 ms).
// Serve writes each message in one write with TCP_NODELAY and re-arms TCP_QUICKACK
// before every read, which removes the stall with every vpcd version.
//
// vpcd is pure Go, without cgo or build tags, so cmd/devsim builds everywhere. It
// imports only the standard library and golang.org/x/sys; never hal or any L2+ package.
package vpcd

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultAddr is where pcscd's vpcd waits for the card of slot 0 with Debian's
// /etc/reader.conf.d/vpcd (CHANNELID 0x8C7B). That port lies inside Linux's ephemeral
// range (32768–60999), where any outgoing connection may hold it and keep vpcd from
// listening; scripts/pcscd/start.sh therefore configures 31963 for tests.
const DefaultAddr = "127.0.0.1:35963"

// Control codes vpcd sends as 1-byte messages.
const (
	CtrlPowerOff = 0x00
	CtrlPowerOn  = 0x01
	CtrlReset    = 0x02
	CtrlATR      = 0x04
)

// Card is a virtual ICC.
type Card interface {
	// ATR is the answer to reset; vpcd asks for it on every presence poll.
	ATR() []byte
	// Transmit answers one command APDU with a response APDU, SW1 SW2 last.
	Transmit(apdu []byte) []byte
}

// PowerHandler is implemented by cards that want vpcd's power events, for example to
// forget the selected application on reset.
type PowerHandler interface {
	PowerOn()
	PowerOff()
	Reset()
}

// swNoDiagnosis answers for a card that returned less than a status word: an empty
// answer would make vpcd drop the connection.
var swNoDiagnosis = []byte{0x6F, 0x00}

// Serve connects card to vpcd at addr and answers vpcd until ctx ends, which removes
// the card (the connection is closed). While vpcd is not listening, or after it drops
// the connection (pcscd restarted), Serve dials again with a growing pause of at most
// one second. It returns ctx's error once ctx ends, or an error that retrying cannot
// cure.
func Serve(ctx context.Context, addr string, card Card) error {
	var d net.Dialer
	pause := 20 * time.Millisecond
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil && conn.LocalAddr().String() == conn.RemoteAddr().String() {
			// TCP self-connect: with nobody listening on a port of the ephemeral range
			// the kernel can pick that same port as our source. Let go of it for vpcd.
			conn.Close()
			err = errors.New("connected to itself")
		}
		if err == nil {
			pause = 20 * time.Millisecond
			err = serveConn(ctx, conn.(*net.TCPConn), card)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
				return fmt.Errorf("vpcd %s: %w", addr, err)
			}
			continue // vpcd went away: dial again
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, time.Second)
	}
}

// serveConn answers vpcd on one connection until it fails or ctx ends.
func serveConn(ctx context.Context, conn *net.TCPConn, card Card) error {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer func() {
		stop()
		conn.Close()
	}()
	if err := conn.SetNoDelay(true); err != nil {
		return fmt.Errorf("set tcp_nodelay: %w", err)
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var hdr [2]byte
	buf := make([]byte, 0, 512)
	for {
		if err := quickACK(raw); err != nil {
			return err
		}
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			return fmt.Errorf("read length: %w", err)
		}
		n := int(binary.BigEndian.Uint16(hdr[:]))
		buf = buf[:n]
		if n > 0 {
			if err := quickACK(raw); err != nil {
				return err
			}
			if _, err := io.ReadFull(conn, buf); err != nil {
				return fmt.Errorf("read message of %d bytes: %w", n, err)
			}
		}
		reply, ok := answer(card, buf)
		if !ok {
			continue
		}
		if err := send(conn, reply); err != nil {
			return err
		}
	}
}

// answer returns the card's reply to one vpcd message, ok false when none is due.
func answer(card Card, msg []byte) (reply []byte, ok bool) {
	switch len(msg) {
	case 0:
		return nil, false
	case 1:
		ph, _ := card.(PowerHandler)
		switch msg[0] {
		case CtrlATR:
			return card.ATR(), true
		case CtrlPowerOn:
			if ph != nil {
				ph.PowerOn()
			}
		case CtrlPowerOff:
			if ph != nil {
				ph.PowerOff()
			}
		case CtrlReset:
			if ph != nil {
				ph.Reset()
			}
		}
		return nil, false
	}
	r := card.Transmit(msg)
	if len(r) < 2 {
		r = swNoDiagnosis
	}
	return r, true
}

// send writes length and payload in one write, so Nagle has nothing to hold back.
func send(conn net.Conn, payload []byte) error {
	if len(payload) > 0xFFFF {
		return fmt.Errorf("reply of %d bytes exceeds vpcd's 65535", len(payload))
	}
	msg := make([]byte, 2+len(payload))
	binary.BigEndian.PutUint16(msg, uint16(len(payload)))
	copy(msg[2:], payload)
	if _, err := conn.Write(msg); err != nil {
		return fmt.Errorf("write reply: %w", err)
	}
	return nil
}

// quickACKEnabled is switched off only by the benchmark that shows the stall.
var quickACKEnabled = true

// quickACK asks Linux to ACK the next segment at once. The kernel leaves quick-ACK mode
// by itself, so it is set again before every read.
func quickACK(raw syscall.RawConn) error {
	if !quickACKEnabled {
		return nil
	}
	var serr error
	err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK, 1)
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("set tcp_quickack: %w", err)
	}
	return nil
}
