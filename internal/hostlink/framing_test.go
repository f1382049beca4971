package hostlink_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"countertop/internal/acquirer"
	"countertop/internal/hostlink"
	"countertop/internal/keys"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/iso8583/frame"
)

// The dial-up framing end to end: client and simulator both on STX/ETX/LRC frames,
// sign-in and sale over real TCP.
func TestDialUpFraming(t *testing.T) {
	host, err := acquirer.NewServer(acquirer.Config{Dialect: iso8583.CUP, Framing: frame.DialUp, TMK: tmk(t), Cards: cards(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { host.Close() })
	c := hostlink.New(hostlink.Config{Addr: host.Addr(), ResponseTimeout: responseTimeout, Dialect: iso8583.CUP,
		Framing: frame.DialUp, Terminal: term, MACAlgorithm: keys.MACCUPECB}, nil)
	wk := signIn(t, c)
	rep, err := c.Do(context.Background(), sale(t, "cup-debit", 8800, 2, wk.PIK), nil)
	if err != nil || rep.RespCode != "00" {
		t.Fatalf("sale over dial-up frames: %+v, %v", rep, err)
	}
	if l := host.Ledger(); len(l) != 1 || l[0].STAN != 2 {
		t.Errorf("host ledger %+v", l)
	}
}

// A reply whose LRC is wrong is a bad reply: the terminal cannot know what the host
// decided, so a financial request is reversed (ErrBadReply, outcome unknown).
func TestDialUpBadLRC(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		f, err := frame.DialUp.Read(conn, 0)
		if err != nil {
			return
		}
		out, _ := frame.DialUp.Bytes(f.SwapTPDU())
		out[len(out)-1] ^= 0x55
		conn.Write(out)
		time.Sleep(time.Second)
	}()
	c := hostlink.New(hostlink.Config{Addr: ln.Addr().String(), ResponseTimeout: responseTimeout, Dialect: iso8583.CUP,
		Framing: frame.DialUp, Terminal: term, MACAlgorithm: keys.MACCUPECB}, nil)
	_, err = c.Do(context.Background(), iso8583.Request{Type: txtype.Echo, STAN: 1, Batch: 1}, nil)
	if !errors.Is(err, hostlink.ErrBadReply) || !errors.Is(err, frame.ErrFraming) {
		t.Errorf("reply with a wrong LRC: %v, want ErrBadReply and ErrFraming", err)
	}
}

// A gateway pre-header goes between TPDU and header on the wire, and a host on the
// same link reads past it: sign-in and sale as usual.
func TestPreHeader(t *testing.T) {
	pre := append([]byte{0xFD, 0x00, 0x10}, bytes.Repeat([]byte{0x5A}, 13)...)
	host, err := acquirer.NewServer(acquirer.Config{Dialect: iso8583.CUP, PreHeaderLen: len(pre), TMK: tmk(t), Cards: cards(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { host.Close() })
	c := hostlink.New(hostlink.Config{Addr: host.Addr(), ResponseTimeout: responseTimeout, Dialect: iso8583.CUP,
		PreHeader: pre, Terminal: term, MACAlgorithm: keys.MACCUPECB}, nil)
	wk := signIn(t, c)
	if rep, err := c.Do(context.Background(), sale(t, "cup-debit", 8800, 2, wk.PIK), nil); err != nil || rep.RespCode != "00" {
		t.Fatalf("sale behind a pre-header: %+v, %v", rep, err)
	}

	// On the wire: length, TPDU, then the pre-header.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan []byte, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		buf := make([]byte, 2+5+len(pre))
		if _, err := io.ReadFull(conn, buf); err == nil {
			got <- buf
		}
	}()
	raw := hostlink.New(hostlink.Config{Addr: ln.Addr().String(), ResponseTimeout: 200 * time.Millisecond, Dialect: iso8583.CUP,
		PreHeader: pre, Terminal: term}, nil)
	raw.Do(context.Background(), iso8583.Request{Type: txtype.Echo, STAN: 1, Batch: 1}, nil)
	select {
	case b := <-got:
		if !bytes.Equal(b[7:], pre) || !bytes.Equal(b[2:7], iso8583.CUP.TPDU[:]) {
			t.Errorf("wire starts % X, want length, TPDU, pre-header % X", b, pre)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no request reached the listener")
	}
}
