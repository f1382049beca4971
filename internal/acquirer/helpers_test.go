package acquirer_test

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	"countertop/internal/acquirer"
	"countertop/internal/carddata"
	"countertop/internal/cardprofile"
	"countertop/internal/keys"
	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/iso8583/frame"
	"countertop/testdata"

	moov "github.com/moov-io/iso8583"
)

var term = iso8583.Terminal{TerminalID: "10000001", MerchantID: "898100012340001"}

func testTMK(t testing.TB) keys.Key {
	t.Helper()
	k, err := keys.ParseHexKey(acquirer.TestTMK)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testCards(t testing.TB) []cardprofile.Profile {
	t.Helper()
	cs, err := cardprofile.Load(testdata.FS, "cards")
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func card(t testing.TB, name string) cardprofile.Profile {
	t.Helper()
	p, err := cardprofile.Find(testCards(t), name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newServer starts a simulator for the test; mod may change the config.
func newServer(t testing.TB, mod func(*acquirer.Config)) *acquirer.Server {
	t.Helper()
	cfg := acquirer.Config{
		Dialect:      iso8583.CUP,
		TMK:          testTMK(t),
		MACAlgorithm: keys.MACCUPECB,
		Cards:        testCards(t),
		Now:          func() time.Time { return time.Date(2026, 11, 27, 10, 30, 0, 0, time.Local) },
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := acquirer.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// send builds, MACs (when mak is not nil), frames and writes req on a new
// connection.
func send(t testing.TB, addr string, req iso8583.Request, mak *keys.Key) (net.Conn, frame.Frame) {
	t.Helper()
	msg, err := iso8583.CUP.Build(req)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	var macFn func([]byte) ([]byte, error)
	if mak != nil {
		k := *mak
		macFn = func(mab []byte) ([]byte, error) { return keys.MAC(keys.MACCUPECB, k, mab) }
	}
	body, err := iso8583.CUP.Pack(msg, macFn)
	if err != nil {
		t.Fatalf("pack: %v", err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	f := frame.Frame{TPDU: iso8583.CUP.TPDU, Header: iso8583.CUP.Header, Body: body}
	if err := frame.Write(c, f); err != nil {
		t.Fatal(err)
	}
	return c, f
}

// readFrame reads one reply frame within two seconds.
func readFrame(t testing.TB, c net.Conn) (frame.Frame, error) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	return frame.Read(c, 4096)
}

// decode unpacks and parses a reply frame, verifying its MAC with mak when set.
func decode(t testing.TB, f frame.Frame, mak *keys.Key) (*moov.Message, iso8583.Reply) {
	t.Helper()
	msg, err := iso8583.CUP.Unpack(f.Body)
	if err != nil {
		t.Fatalf("unpack reply: %v", err)
	}
	rep, err := iso8583.CUP.ParseReply(msg)
	if err != nil {
		t.Fatalf("parse reply: %v", err)
	}
	if mak != nil {
		if err := checkMAC(f.Body, *mak); err != nil {
			t.Fatalf("reply: %v", err)
		}
	}
	return msg, rep
}

var errMAC = errors.New("mac mismatch")

func checkMAC(body []byte, mak keys.Key) error {
	mab, mac, err := iso8583.MACInput(body)
	if err != nil {
		return err
	}
	want, err := keys.MAC(keys.MACCUPECB, mak, mab)
	if err != nil {
		return err
	}
	if !bytes.Equal(want, mac) {
		return errMAC
	}
	return nil
}

// exchange sends req and returns the (MAC-verified) reply.
func exchange(t testing.TB, addr string, req iso8583.Request, mak *keys.Key) iso8583.Reply {
	t.Helper()
	c, _ := send(t, addr, req, mak)
	f, err := readFrame(t, c)
	if err != nil {
		t.Fatalf("%s: read reply: %v", req.Type, err)
	}
	_, rep := decode(t, f, mak)
	return rep
}

// signIn signs term in and returns its working keys as the terminal decrypts them.
func signIn(t testing.TB, addr string, tm iso8583.Terminal, scheme string) (keys.WorkingKeys, iso8583.Reply) {
	t.Helper()
	rep := exchange(t, addr, iso8583.Request{Type: txtype.SignIn, Terminal: tm, STAN: 1, Batch: 1, Operator: "01", KeyScheme: scheme}, nil)
	if rep.RespCode != "00" {
		t.Fatalf("sign-in: response %q", rep.RespCode)
	}
	wk, err := keys.ParseWorkingKeys(rep.Field62, testTMK(t))
	if err != nil {
		t.Fatalf("sign-in keys: %v", err)
	}
	return wk, rep
}

// saleReq is a swiped sale of p for amount fen, with a PIN block of pin under pik
// when pin is not "".
func saleReq(t testing.TB, p cardprofile.Profile, amount int64, stan txtype.STAN, pin string, pik keys.Key) iso8583.Request {
	t.Helper()
	tr, err := p.Track2()
	if err != nil {
		t.Fatal(err)
	}
	req := iso8583.Request{
		Type: txtype.Sale, Terminal: term, STAN: stan, Batch: 1, Operator: "01",
		Amount: money.New(amount, money.CNY), PAN: tr.PAN(), Track2: tr,
		Entry: txtype.EntryMagstripe,
	}
	if pin != "" {
		req.PINBlock = pinBlock(t, pin, tr.PAN(), pik)
	}
	return req
}

// pinBlock is the encrypted PIN block a pad makes of pin under pik (8 bytes under a
// DES-family key, 16 under SM4).
func pinBlock(t testing.TB, pin string, pan carddata.PAN, pik keys.Key) carddata.PINBlock {
	t.Helper()
	enc, err := keys.EncipherPIN(pik, pin, pan)
	if err != nil {
		t.Fatal(err)
	}
	return carddata.NewPINBlock(enc)
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
