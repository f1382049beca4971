package acquirer

import (
	"log/slog"
	"testing"

	"countertop/internal/carddata"
	"countertop/internal/cardprofile"
	"countertop/internal/keys"
	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/iso8583/frame"
	"countertop/testdata"
)

// FuzzAnswer feeds arbitrary bodies to the request handler: it must never panic,
// whatever a terminal (or an attacker) sends. Seeds: a sign-in, and MACed sales with
// and without PIN for a signed-in terminal.
func FuzzAnswer(f *testing.F) {
	tmk, err := keys.ParseHexKey(TestTMK)
	if err != nil {
		f.Fatal(err)
	}
	pik, _ := keys.ParseHexKey("11111111111111112222222222222222")
	mak, _ := keys.ParseHexKey("33333333333333334444444444444444")
	cards, err := cardprofile.Load(testdata.FS, "cards")
	if err != nil {
		f.Fatal(err)
	}
	s, err := NewServer(Config{Dialect: iso8583.CUP, TMK: tmk, Cards: cards, Keys: &TerminalKeys{PIK: pik, MAK: mak, TDK: pik}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	log := slog.New(slog.DiscardHandler)
	tm := iso8583.Terminal{TerminalID: "10000001", MerchantID: "898100012340001"}
	pack := func(req iso8583.Request, macked bool) []byte {
		msg, err := iso8583.CUP.Build(req)
		if err != nil {
			f.Fatal(err)
		}
		var fn func([]byte) ([]byte, error)
		if macked {
			fn = func(mab []byte) ([]byte, error) { return keys.MAC(keys.MACCUPECB, mak, mab) }
		}
		b, err := iso8583.CUP.Pack(msg, fn)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	signIn := pack(iso8583.Request{Type: txtype.SignIn, Terminal: tm, STAN: 1, Batch: 1}, false)
	if _, err := s.answer(frame.Frame{Body: signIn}, log); err != nil {
		f.Fatal(err)
	}
	tr, _ := cards[0].Track2()
	clear, _ := keys.ClearPINBlock(cards[0].PIN, tr.PAN())
	enc, _ := keys.EncryptPINBlock(pik, clear)
	sale := iso8583.Request{Type: txtype.Sale, Terminal: tm, STAN: 2, Batch: 1, Amount: money.New(100, money.CNY),
		PAN: tr.PAN(), Track2: tr, Entry: txtype.EntryMagstripe}
	f.Add(signIn)
	f.Add(pack(sale, true))
	sale.PINBlock = carddata.NewPINBlock(enc)
	f.Add(pack(sale, true))
	f.Add(pack(iso8583.Request{Type: txtype.Reversal, Terminal: tm, Amount: sale.Amount, PAN: sale.PAN, Entry: sale.Entry,
		Reason: "98", Original: &iso8583.Original{Type: txtype.Sale, STAN: 2, Batch: 1}}, true))
	f.Fuzz(func(t *testing.T, body []byte) {
		s.answer(frame.Frame{TPDU: iso8583.CUP.TPDU, Header: iso8583.CUP.Header, Body: body}, log)
	})
}
