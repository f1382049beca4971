package iso8583

import (
	"encoding/hex"
	"testing"
	"time"

	"countertop/internal/carddata"
	"countertop/internal/money"
	"countertop/internal/txtype"

	"github.com/google/go-cmp/cmp"
)

// Test card data (Luhn-valid, not a real card).
const (
	testPAN    = "6222021234567890128"
	testTrack2 = "6222021234567890128=30121010123456789"
)

var testTerminal = Terminal{TerminalID: "12345678", MerchantID: "123456789012345"}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustPAN(t testing.TB, s string) carddata.PAN {
	t.Helper()
	p, err := carddata.ParsePAN(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustTrack(t testing.TB, s string) carddata.Track2 {
	t.Helper()
	tr, err := carddata.ParseTrack2(s)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// cardCmp compares card data by clear value (the types have unexported fields).
var cardCmp = cmp.Options{
	cmp.Comparer(func(a, b carddata.PAN) bool { return a.Reveal() == b.Reveal() }),
	cmp.Comparer(func(a, b carddata.Track2) bool { return a.Reveal() == b.Reveal() }),
	cmp.Comparer(func(a, b carddata.PINBlock) bool {
		return hex.EncodeToString(a.Reveal()) == hex.EncodeToString(b.Reveal())
	}),
}

// testRequests are one request per supported type, the inputs of the golden files.
func testRequests(t testing.TB) map[string]Request {
	t.Helper()
	pan := mustPAN(t, testPAN)
	track := mustTrack(t, testTrack2)
	pin := carddata.NewPINBlock(unhex(t, "A1B2C3D4E5F60718"))
	amt := money.New(12345, money.CNY)
	icc := tlvs(t, "9F26", "A1B2C3D4E5F60718", "9F27", "80", "9F10", "07010103A0A000",
		"9F37", "12345678", "9F36", "001E", "95", "0000000000", "9A", "261127", "9C", "00",
		"9F02", "000000012345", "5F2A", "0156", "82", "7C00", "9F1A", "0156", "9F03", "000000000000",
		"9F33", "E0E1C8", "9F34", "420300", "9F35", "22", "84", "A000000333010101", "9F74", "")
	base := Request{Terminal: testTerminal, STAN: 42, Batch: 7, Operator: "01"}
	with := func(f func(r *Request)) Request {
		r := base
		f(&r)
		return r
	}
	orig := &Original{Type: txtype.Sale, Batch: 7, STAN: 41, Date: "1127", RRN: "123456789012", AuthCode: "A1B2C3"}
	return map[string]Request{
		"sign-in": with(func(r *Request) { r.Type = txtype.SignIn }),
		"sign-off": with(func(r *Request) {
			r.Type = txtype.SignOff
		}),
		"echo":           with(func(r *Request) { r.Type = txtype.Echo }),
		"param-download": with(func(r *Request) { r.Type = txtype.ParamDownload }),
		"settlement": with(func(r *Request) {
			r.Type = txtype.Settlement
			r.Totals = &Totals{DebitAmount: 1234567, DebitCount: 12, CreditAmount: 500, CreditCount: 1, ForeignDebitAmount: 99, ForeignDebitCount: 1}
		}),
		"sale-swipe-pin": with(func(r *Request) {
			r.Type, r.Amount, r.Track2, r.Entry, r.PINBlock = txtype.Sale, amt, track, txtype.EntryMagstripe, pin
		}),
		"sale-swipe-nopin": with(func(r *Request) {
			r.Type, r.Amount, r.Track2, r.Entry = txtype.Sale, amt, track, txtype.EntryMagstripe
		}),
		"sale-chip-pin": with(func(r *Request) {
			r.Type, r.Amount, r.PAN, r.Track2, r.Expiry, r.Entry, r.PINBlock, r.CardSeq, r.ICC =
				txtype.Sale, amt, pan, track, "3012", txtype.EntryChip, pin, "001", icc
		}),
		"sale-fallback": with(func(r *Request) {
			r.Type, r.Amount, r.Track2, r.Entry, r.PINBlock = txtype.Sale, amt, track, txtype.EntryFallback, pin
		}),
		"balance": with(func(r *Request) {
			r.Type, r.Amount, r.Track2, r.Entry, r.PINBlock = txtype.Balance, money.Amount{Currency: money.CNY}, track, txtype.EntryMagstripe, pin
		}),
		"void": with(func(r *Request) {
			r.Type, r.Amount, r.Track2, r.Entry, r.Original = txtype.Void, amt, track, txtype.EntryMagstripe, orig
		}),
		"refund": with(func(r *Request) {
			r.Type, r.Amount, r.Track2, r.Entry, r.Original = txtype.Refund, amt, track, txtype.EntryMagstripe, orig
		}),
		"preauth": with(func(r *Request) {
			r.Type, r.Amount, r.Track2, r.Entry, r.PINBlock = txtype.PreAuth, amt, track, txtype.EntryMagstripe, pin
		}),
		"preauth-void": with(func(r *Request) {
			o := *orig
			o.Type = txtype.PreAuth
			r.Type, r.Amount, r.Track2, r.Entry, r.Original = txtype.PreAuthVoid, amt, track, txtype.EntryMagstripe, &o
		}),
		"preauth-completion": with(func(r *Request) {
			o := *orig
			o.Type = txtype.PreAuth
			r.Type, r.Amount, r.Track2, r.Entry, r.Original = txtype.PreAuthCompletion, amt, track, txtype.EntryMagstripe, &o
		}),
		"completion-void": with(func(r *Request) {
			o := *orig
			o.Type = txtype.PreAuthCompletion
			r.Type, r.Amount, r.Track2, r.Entry, r.Original = txtype.CompletionVoid, amt, track, txtype.EntryMagstripe, &o
		}),
		"reversal-sale": with(func(r *Request) {
			o := *orig
			o.STAN = 42
			o.Date, o.RRN = "", ""
			r.Type, r.Amount, r.PAN, r.Expiry, r.Entry, r.CardSeq, r.ICC, r.Original, r.Reason =
				txtype.Reversal, amt, pan, "3012", txtype.EntryChip, "001", icc, &o, "98"
			r.STAN = 43
		}),
	}
}

var fixedNow = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)

// tlvs concatenates tag/value pairs (hex) into BER-TLV with one-byte lengths.
func tlvs(t testing.TB, kv ...string) []byte {
	t.Helper()
	var out []byte
	for i := 0; i+1 < len(kv); i += 2 {
		v := unhex(t, kv[i+1])
		out = append(out, unhex(t, kv[i])...)
		out = append(out, byte(len(v)))
		out = append(out, v...)
	}
	return out
}
