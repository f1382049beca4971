package receipt_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"countertop/hal"
	"countertop/internal/carddata"
	"countertop/internal/cardprofile"
	"countertop/internal/money"
	"countertop/internal/msgs"
	"countertop/internal/receipt"
	"countertop/internal/txtype"
	"countertop/testdata"
)

var update = flag.Bool("update", false, "rewrite the golden slips in testdata/receipts")

var (
	merchant  = receipt.Merchant{Name: "北京朝阳区好邻居便利店", ID: "898110070110234", TerminalID: "12345678", Acquirer: "01050000"}
	saleTime  = time.Date(2026, 11, 27, 14, 3, 9, 0, time.FixedZone("CST", 8*3600))
	bilingual = receipt.Layout{Width: 32, Lang: msgs.ZH, English: true}
	english   = receipt.Layout{Width: 32, Lang: msgs.EN}
)

// card loads a test card profile and returns its PAN.
func card(t *testing.T, name string) (cardprofile.Profile, carddata.PAN) {
	t.Helper()
	ps, err := cardprofile.Load(testdata.FS, "cards")
	if err != nil {
		t.Fatal(err)
	}
	p, err := cardprofile.Find(ps, name)
	if err != nil {
		t.Fatal(err)
	}
	pan, err := carddata.ParsePAN(p.PAN)
	if err != nil {
		t.Fatal(err)
	}
	return p, pan
}

// first6last4 masks a PAN as CUP slips do (merchant-ux.md §1.2).
func first6last4(p carddata.PAN) string {
	d := p.Reveal()
	return d[:6] + strings.Repeat("*", len(d)-10) + d[len(d)-4:]
}

// magSale is a swiped sale as the engine would map it from the journal.
func magSale(t *testing.T) receipt.Slip {
	p, pan := card(t, "cup-debit")
	return receipt.Slip{
		Merchant: merchant, Operator: "01", Type: txtype.Sale,
		CardOrg: p.Org, Issuer: p.Issuer, MaskedPAN: first6last4(pan), Entry: txtype.EntryMagstripe, Expiry: p.Expiry,
		Batch: 1, Voucher: 123, AuthCode: "A1B2C3", RRN: "141309123456", Time: saleTime,
		Amount: money.New(1234, money.CNY), Signature: true,
	}
}

func chipSale(t *testing.T) receipt.Slip {
	s := magSale(t)
	s.Entry = txtype.EntryChip
	s.Voucher, s.RRN, s.AuthCode = 124, "141512000124", "093811"
	s.Chip = &receipt.Chip{AID: "A000000333010101", Label: "PBOC DEBIT", CryptogramType: "TC",
		Cryptogram: "8B2F4C1D93A6E015", TVR: "0000000000", TSI: "E800", ATC: "001C"}
	return s
}

func void(t *testing.T) receipt.Slip {
	s := magSale(t)
	s.Type = txtype.Void
	s.Voucher, s.RRN, s.AuthCode = 125, "141733000125", "A1B2C3"
	s.Time = saleTime.Add(14 * time.Minute)
	s.Original = &receipt.Original{Voucher: 123}
	return s
}

func reprint(t *testing.T) receipt.Slip {
	s := magSale(t)
	s.Reprint = true
	return s
}

func visaRefundTest(t *testing.T) receipt.Slip {
	p, pan := card(t, "visa-credit")
	return receipt.Slip{
		Merchant: merchant, Operator: "02", Type: txtype.Refund,
		CardOrg: p.Org, Issuer: "99990000", MaskedPAN: pan.Masked(), Entry: txtype.EntryManual, Expiry: p.Expiry,
		Batch: 2, Voucher: 7, RRN: "150102000007", Time: saleTime,
		Amount:   money.New(500, money.CNY),
		Original: &receipt.Original{RRN: "141309123456", Date: "1127"},
		Test:     true,
	}
}

type goldenCase struct {
	name   string
	slip   func(*testing.T) receipt.Slip
	copy   receipt.Copy
	layout receipt.Layout
}

var goldenCases = []goldenCase{
	{"sale-magstripe-merchant-zh", magSale, receipt.MerchantCopy, bilingual},
	{"sale-magstripe-cardholder-zh", magSale, receipt.CardholderCopy, bilingual},
	{"sale-magstripe-merchant-en", magSale, receipt.MerchantCopy, english},
	{"void-merchant-zh", void, receipt.MerchantCopy, bilingual},
	{"sale-chip-merchant-zh", chipSale, receipt.MerchantCopy, bilingual},
	{"sale-reprint-merchant-zh", reprint, receipt.MerchantCopy, bilingual},
	{"refund-test-bank-zhonly", visaRefundTest, receipt.BankCopy, receipt.Layout{Width: 32, Lang: msgs.ZH}},
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			got := receipt.Build(c.slip(t), c.copy, c.layout).Text()
			path := filepath.Join("..", "..", "testdata", "receipts", c.name+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/receipt -update to create it)", err)
			}
			if d := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); d != "" {
				t.Errorf("slip differs from %s (-golden +built); if intended, run with -update and review:\n%s", path, d)
			}
		})
	}
}

// TestNoClearPAN is the hard rule: whatever the copy, language or width, a slip never
// carries 12 or more consecutive digits of the card number — even when a caller
// passes the clear number as MaskedPAN.
func TestNoClearPAN(t *testing.T) {
	for _, name := range []string{"cup-debit", "cup-credit", "cup-chip-swiped", "visa-credit"} {
		_, pan := card(t, name)
		for _, masked := range []string{pan.Masked(), first6last4(pan), pan.Reveal(), pan.Grouped()} {
			s := chipSale(t)
			s.MaskedPAN = masked
			for _, l := range layouts() {
				for _, c := range []receipt.Copy{receipt.MerchantCopy, receipt.CardholderCopy, receipt.BankCopy} {
					d := receipt.Build(s, c, l)
					text := strings.ReplaceAll(d.Text(), " ", "")
					clear := pan.Reveal()
					for i := 0; i+12 <= len(clear); i++ {
						if strings.Contains(text, clear[i:i+12]) {
							t.Fatalf("%s (MaskedPAN %q, %v copy, %+v): slip carries PAN digits %s", name, masked, c, l, clear[i:i+12])
						}
					}
					if !strings.Contains(text, pan.Last4()) {
						t.Errorf("%s %v copy %+v: last four digits missing", name, c, l)
					}
				}
			}
		}
	}
}

func layouts() []receipt.Layout {
	var out []receipt.Layout
	for _, w := range []int{24, 32, 48} {
		out = append(out,
			receipt.Layout{Width: w, Lang: msgs.ZH, English: true},
			receipt.Layout{Width: w, Lang: msgs.ZH},
			receipt.Layout{Width: w, Lang: msgs.EN})
	}
	return out
}

func TestLinesFitWidth(t *testing.T) {
	for _, c := range goldenCases {
		for _, l := range layouts() {
			for _, cp := range []receipt.Copy{receipt.MerchantCopy, receipt.CardholderCopy, receipt.BankCopy} {
				d := receipt.Build(c.slip(t), cp, l)
				if d.Width != l.Width {
					t.Errorf("%s: document width %d; want %d", c.name, d.Width, l.Width)
				}
				for _, line := range d.Lines {
					w := hal.TextWidth(line.Text)
					if line.Large {
						w *= 2
					}
					if w > l.Width {
						t.Errorf("%s %v copy width %d lang %v: line %q takes %d columns", c.name, cp, l.Width, l.Lang, line.Text, w)
					}
				}
			}
		}
	}
}

// bigOrBold finds the line after the label line starting with prefix.
func valueLineAfter(t *testing.T, d hal.Document, prefix string) hal.Line {
	t.Helper()
	for i, l := range d.Lines {
		if strings.HasPrefix(l.Text, prefix) && i+1 < len(d.Lines) {
			return d.Lines[i+1]
		}
	}
	t.Fatalf("no line starting %q in\n%s", prefix, d.Text())
	return hal.Line{}
}

func TestFonts(t *testing.T) {
	s := magSale(t)
	_, pan := card(t, "cup-chip-swiped")
	s.MaskedPAN = first6last4(pan)
	d := receipt.Build(s, receipt.MerchantCopy, receipt.Layout{Width: 48, Lang: msgs.ZH, English: true})
	want := map[string]hal.Line{
		"卡号(CARD NO):":     {Text: "6228 48** **** 0007 S", Large: true},
		"交易类型(TXN. TYPE):": {Text: "消费(SALE)", Large: true},
		"金额(AMOUNT):":      {Text: "RMB 12.34", Large: true},
	}
	for lbl, w := range want {
		if d := cmp.Diff(w, valueLineAfter(t, d, lbl)); d != "" {
			t.Errorf("value of %s (-want +got):\n%s", lbl, d)
		}
	}
	if !d.Lines[0].Large || d.Lines[0].Text != "银联POS签购单" {
		t.Errorf("first line %+v; want the big title", d.Lines[0])
	}
	// On 58 mm the card number does not fit big: bold instead.
	d = receipt.Build(magSale(t), receipt.MerchantCopy, bilingual)
	if got := valueLineAfter(t, d, "卡号(CARD NO):"); got.Large || !got.Bold {
		t.Errorf("card number on 32 columns: %+v; want bold normal font", got)
	}
}

func TestSignatureOnlyOnMerchantCopy(t *testing.T) {
	for _, c := range []struct {
		copy      receipt.Copy
		signature bool
		want      bool
	}{
		{receipt.MerchantCopy, true, true},
		{receipt.MerchantCopy, false, false},
		{receipt.CardholderCopy, true, false},
		{receipt.BankCopy, true, false},
	} {
		s := magSale(t)
		s.Signature = c.signature
		text := receipt.Build(s, c.copy, bilingual).Text()
		got := strings.Contains(text, "持卡人签名") && strings.Contains(text, "本人确认以上交易")
		if got != c.want {
			t.Errorf("%v copy, Signature %v: signature and statement printed = %v; want %v", c.copy, c.signature, got, c.want)
		}
	}
}

func TestAmountSign(t *testing.T) {
	for typ, want := range map[txtype.Type]string{
		txtype.Sale: "RMB 12.34", txtype.Void: "RMB -12.34", txtype.Refund: "RMB 12.34",
		txtype.PreAuthVoid: "RMB -12.34", txtype.CompletionVoid: "RMB -12.34", txtype.PreAuthCompletion: "RMB 12.34",
	} {
		for _, minor := range []int64{1234, -1234} {
			s := magSale(t)
			s.Type, s.Amount = typ, money.New(minor, money.CNY)
			got := valueLineAfter(t, receipt.Build(s, receipt.MerchantCopy, bilingual), "金额(AMOUNT):").Text
			if got != want {
				t.Errorf("%v of %d: amount %q; want %q", typ, minor, got, want)
			}
		}
	}
}

func TestQRReference(t *testing.T) {
	d := receipt.Build(magSale(t), receipt.CardholderCopy, bilingual)
	if want := "tid=12345678&batch=000001&voucher=000123&rrn=141309123456"; d.QR != want {
		t.Errorf("QR = %q; want %q", d.QR, want)
	}
}

func TestBankName(t *testing.T) {
	for _, c := range []struct {
		code    string
		english bool
		want    string
	}{
		{"01020000", false, "工商银行"},
		{"01050000", true, "CCB"},
		{"03083100", false, "招商银行"}, // branch area digits do not matter
		{"99990000", false, "99990000"},
		{"0102", false, "0102"},
		{"工商银行", false, "工商银行"},
		{"", false, ""},
	} {
		if got := receipt.BankName(c.code, c.english); got != c.want {
			t.Errorf("BankName(%q, %v) = %q; want %q", c.code, c.english, got, c.want)
		}
	}
}

func TestWrapKeepsEveryCharacter(t *testing.T) {
	s := magSale(t)
	s.Merchant.Name = "Very Long Merchant Name With Words 以及很长的中文商户名称一直写到超过一行为止 SUPERCALIFRAGILISTICEXPIALIDOCIOUSWORDTHATISLONG"
	for _, w := range []int{16, 24, 32} {
		d := receipt.Build(s, receipt.MerchantCopy, receipt.Layout{Width: w, Lang: msgs.ZH, English: true})
		var name strings.Builder
		for i, l := range d.Lines {
			if strings.HasSuffix(l.Text, "NAME):") {
				for _, nl := range d.Lines[i+1:] {
					if strings.HasPrefix(nl.Text, "商户编号") {
						break
					}
					name.WriteString(nl.Text)
				}
				break
			}
		}
		want := strings.ReplaceAll(s.Merchant.Name, " ", "")
		if got := strings.ReplaceAll(name.String(), " ", ""); got != want {
			t.Errorf("width %d: wrapped name %q; want %q", w, got, want)
		}
	}
}
