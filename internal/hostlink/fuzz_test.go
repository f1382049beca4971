package hostlink_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"countertop/internal/acquirer"
	"countertop/internal/hostlink"
	"countertop/internal/keys"
	"countertop/iso8583"
	"countertop/iso8583/frame"
)

// FuzzReply answers the client's sale with arbitrary bytes: Do must never panic,
// never claim the request was not sent, and succeed only on a reply that matches and
// verifies. Seeds: the simulator's real reply (which must succeed), and damaged
// copies of it.
func FuzzReply(f *testing.F) {
	// Fixed working keys: the fuzzing workers are separate processes and must
	// verify the seed reply captured by the coordinator.
	pik, _ := keys.ParseHexKey("0123456789ABCDEF0123456789ABCDEF")
	mak, _ := keys.ParseHexKey("FEDCBA9876543210FEDCBA9876543210")
	host, err := acquirer.NewServer(acquirer.Config{Dialect: iso8583.CUP, TMK: tmk(f), Cards: cards(f),
		Keys: &acquirer.TerminalKeys{PIK: pik, MAK: mak, TDK: pik}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { host.Close() })
	c := newClient(f, host.Addr(), nil)
	wk := signIn(f, c)
	req := sale(f, "cup-debit", 1234, 9, wk.PIK)

	// Capture the simulator's reply to req as raw wire bytes.
	msg, err := iso8583.CUP.Build(withTerminal(req))
	if err != nil {
		f.Fatal(err)
	}
	body, err := iso8583.CUP.Pack(msg, func(mab []byte) ([]byte, error) { return keys.MAC(keys.MACCUPECB, wk.MAK, mab) })
	if err != nil {
		f.Fatal(err)
	}
	conn, err := net.Dial("tcp", host.Addr())
	if err != nil {
		f.Fatal(err)
	}
	if err := frame.Write(conn, frame.Frame{TPDU: iso8583.CUP.TPDU, Header: iso8583.CUP.Header, Body: body}); err != nil {
		f.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	rf, err := frame.Read(conn, 4096)
	conn.Close()
	if err != nil {
		f.Fatal(err)
	}
	good, err := rf.Bytes()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(append(append([]byte(nil), good...), good...))
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)-3] ^= 0x40
	f.Add(flipped)
	f.Add([]byte{})

	// A fake host that answers every request with the fuzz input.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ln.Close() })
	answers := make(chan []byte, 1)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			frame.Read(conn, 4096)
			conn.Write(<-answers)
			conn.Close()
		}
	}()
	fc := newClientTimeout(f, ln.Addr().String(), nil, 2*time.Second)
	fc.SetMACKey(wk.MAK)

	f.Fuzz(func(t *testing.T, answer []byte) {
		answers <- answer
		rep, err := fc.Do(context.Background(), req, nil)
		switch {
		case err == nil:
			if rep.RespCode == "" {
				t.Error("success without a response code")
			}
		case errors.Is(err, hostlink.ErrNotSent), errors.Is(err, hostlink.ErrNotSignedIn):
			t.Fatalf("sent request reported as not sent: %v", err)
		case !hostlink.OutcomeUnknown(err):
			t.Fatalf("error outside the outcome classes: %v", err)
		}
		// (In fuzzing workers good is another process's capture and never equal.)
		if bytes.Equal(answer, good) && err != nil {
			t.Errorf("the simulator's own reply was refused: %v", err)
		}
	})
}

func withTerminal(r iso8583.Request) iso8583.Request {
	r.Terminal = term
	return r
}
