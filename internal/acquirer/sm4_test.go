package acquirer_test

import (
	"net"
	"testing"

	"countertop/internal/acquirer"
	"countertop/internal/keys"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/iso8583/frame"
)

// testSM4TMK is the SM4 master key of the national-cryptography tests.
const testSM4TMK = "1234567890ABCDEFABCDEF0987654321"

// sm4Exchange sends req under the CUP SM4 dialect (SM4 MAC under mak when set) and
// returns the reply, its MAC verified with mak.
func sm4Exchange(t *testing.T, addr string, req iso8583.Request, mak *keys.Key) iso8583.Reply {
	t.Helper()
	d := iso8583.CUPSM4
	msg, err := d.Build(req)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	var macFn func([]byte) ([]byte, error)
	if mak != nil {
		macFn = keys.MACFunc(keys.MACCUPSM4, *mak)
	}
	body, err := d.Pack(msg, macFn)
	if err != nil {
		t.Fatalf("pack: %v", err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := frame.Write(c, frame.Frame{TPDU: d.TPDU, Header: d.Header, Body: body}); err != nil {
		t.Fatal(err)
	}
	f, err := readFrame(t, c)
	if err != nil {
		t.Fatalf("%s: read reply: %v", req.Type, err)
	}
	rmsg, err := d.Unpack(f.Body)
	if err != nil {
		t.Fatalf("unpack reply: %v", err)
	}
	rep, err := d.ParseReply(rmsg)
	if err != nil {
		t.Fatalf("parse reply: %v", err)
	}
	if mak != nil {
		mab, got, err := iso8583.MACInput(f.Body)
		if err != nil {
			t.Fatal(err)
		}
		want, err := keys.MAC(keys.MACCUPSM4, *mak, mab)
		if err != nil || string(want) != string(got) {
			t.Fatalf("reply SM4 MAC does not verify (%v)", err)
		}
	}
	return rep
}

// A terminal on national cryptography: SM4 working keys under the SM4 TMK at
// sign-in, 16-byte PIN blocks checked against the card's PIN, SM4 MACs both ways.
func TestSM4SignInAndSale(t *testing.T) {
	tmk, err := keys.ParseHexSM4Key(testSM4TMK)
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, func(c *acquirer.Config) {
		c.Dialect, c.TMK, c.MACAlgorithm = iso8583.CUPSM4, tmk, ""
	})
	rep := sm4Exchange(t, s.Addr(), iso8583.Request{Type: txtype.SignIn, Terminal: term, STAN: 1, Batch: 1, Operator: "01"}, nil)
	if rep.RespCode != "00" {
		t.Fatalf("sign-in: response %q", rep.RespCode)
	}
	wk, err := keys.ParseWorkingKeys(rep.Field62, tmk)
	if err != nil {
		t.Fatalf("sign-in keys under the SM4 TMK: %v", err)
	}
	if wk.PIK.Kind() != keys.KindSM4 || wk.MAK.Kind() != keys.KindSM4 {
		t.Fatalf("working keys are %s/%s, want sm4", wk.PIK.Kind(), wk.MAK.Kind())
	}
	p := card(t, "cup-debit")
	right := saleReq(t, p, 1000, 2, p.PIN, wk.PIK)
	if n := len(right.PINBlock.Reveal()); n != 16 {
		t.Fatalf("PIN block of %d bytes, want 16", n)
	}
	if rep := sm4Exchange(t, s.Addr(), right, &wk.MAK); rep.RespCode != "00" {
		t.Errorf("sale with the right PIN: %q, want 00", rep.RespCode)
	}
	if rep := sm4Exchange(t, s.Addr(), saleReq(t, p, 1000, 3, "999999", wk.PIK), &wk.MAK); rep.RespCode != "55" {
		t.Errorf("sale with a wrong PIN: %q, want 55", rep.RespCode)
	}
	// A block under another SM4 key does not decrypt to a PIN block.
	other, _ := keys.ParseHexSM4Key("0F1E2D3C4B5A69788796A5B4C3D2E1F0")
	if rep := sm4Exchange(t, s.Addr(), saleReq(t, p, 1000, 4, p.PIN, other), &wk.MAK); rep.RespCode != "99" {
		t.Errorf("sale with a block under another key: %q, want 99", rep.RespCode)
	}
	if l := s.Ledger(); len(l) != 1 || l[0].STAN != 2 {
		t.Errorf("host ledger = %+v, want only the sale with the right PIN (STAN 2)", l)
	}
}

// The simulator refuses a TMK of the wrong kind for its dialect at start.
func TestSM4ConfigMismatch(t *testing.T) {
	sm4, _ := keys.ParseHexSM4Key(testSM4TMK)
	for name, cfg := range map[string]acquirer.Config{
		"des tmk, sm4 dialect": {Dialect: iso8583.CUPSM4, TMK: testTMK(t)},
		"sm4 tmk, des dialect": {Dialect: iso8583.CUP, TMK: sm4},
		"sm4 tmk, layout 24":   {Dialect: iso8583.CUPSM4, TMK: sm4, KeyLayout: keys.Layout24},
	} {
		if s, err := acquirer.NewServer(cfg); err == nil {
			s.Close()
			t.Errorf("%s: NewServer accepted it", name)
		}
	}
}
