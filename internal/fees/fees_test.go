package fees

import (
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"

	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/store"
)

const (
	cupDebitAID  = "A000000333010101"
	cupCreditAID = "A000000333010102"
)

func cny(minor int64) money.Amount { return money.New(minor, money.CNY) }

func r(org string, t txtype.Type, st store.State, minor int64, aid string) store.Record {
	rec := store.Record{Type: t, State: st, Amount: cny(minor), CardOrg: org}
	if aid != "" {
		rec.Chip = &store.ChipData{AID: aid}
	}
	return rec
}

func totals(count int, gross, fees int64) Totals {
	return Totals{Count: count, Gross: cny(gross), Fees: cny(fees), Net: cny(gross - fees)}
}

// The rates of every test: DefaultConfig, that is
//
//	CUP debit 50 bp capped at 2000 fen, CUP credit 60 bp,
//	VIS, MCC, JCB 250 bp, AMX 300 bp, unknown kind priced as credit, refunds keep their fee.
func TestEstimate(t *testing.T) {
	e, err := New(DefaultConfig(), money.CNY, Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := []store.Record{
		// CUP, by hand (fee = amount × bp / 10000, half-up):
		r("CUP", txtype.Sale, store.Approved, 10000, cupDebitAID),               // 10000×50 = 500000 → 50.00 → 50
		r("CUP", txtype.Sale, store.Approved, 1000000, cupDebitAID),             // 1000000×50 = 50000000 → 5000, capped → 2000
		r("CUP", txtype.Sale, store.Approved, 12345, cupCreditAID),              // 12345×60 = 740700 → 74.07 → 74
		r("CUP", txtype.Sale, store.Approved, 250, cupCreditAID),                // 250×60 = 15000 → 1.5 → 2 (half goes up)
		r("CUP", txtype.Sale, store.Approved, 249, cupCreditAID),                // 249×60 = 14940 → 1.494 → 1
		r("CUP", txtype.Sale, store.Approved, 5000, ""),                         // swiped, kind unknown → credit: 5000×60 = 300000 → 30
		r("CUP", txtype.PreAuthCompletion, store.Approved, 40000, cupCreditAID), // 40000×60 = 2400000 → 240
		// CUP, not counted: voided sale and its void, declined, pending, reversed, a pre-auth.
		r("CUP", txtype.Sale, store.Voided, 50000, cupCreditAID),
		r("CUP", txtype.Void, store.Approved, 50000, cupCreditAID),
		r("CUP", txtype.Sale, store.Declined, 70000, cupCreditAID),
		r("CUP", txtype.Sale, store.Pending, 70000, cupCreditAID),
		r("CUP", txtype.Sale, store.Reversed, 70000, cupCreditAID),
		r("CUP", txtype.PreAuth, store.Approved, 70000, cupCreditAID),
		// CUP: gross 10000+1000000+12345+250+249+5000+40000 = 1067844 over 7,
		//      fees 50+2000+74+2+1+30+240 = 2397, net 1065447.

		r("VIS", txtype.Sale, store.Approved, 9999, ""),                                                                 // 9999×250 = 2499750 → 249.975 → 250
		r("MCC", txtype.Refund, store.Approved, 2000, ""),                                                               // refund: gross -2000, fee kept by the acquirer: 0
		r("JCB", txtype.Sale, store.Approved, 100, ""),                                                                  // 100×250 = 25000 → 2.5 → 3
		r("DIN", txtype.Sale, store.Approved, 1000, ""),                                                                 // no rate: gross 1000, fee 0, unrated
		{Type: txtype.Sale, State: store.Approved, Amount: money.New(500, money.Currency{Code: "USD"}), CardOrg: "VIS"}, // other currency
	}
	got := e.Estimate(recs)
	want := Summary{
		Orgs: []OrgSummary{
			{Org: "CUP", Totals: totals(7, 1067844, 2397)},
			{Org: "VIS", Totals: totals(1, 9999, 250)},
			{Org: "MCC", Totals: totals(1, -2000, 0)},
			{Org: "JCB", Totals: totals(1, 100, 3)},
			{Org: "DIN", Totals: totals(1, 1000, 0), Unrated: 1},
		},
		// gross 1067844+9999-2000+100+1000 = 1076943; fees 2397+250+0+3+0 = 2650; net 1074293
		Total:   totals(11, 1076943, 2650),
		Skipped: 1,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Estimate (-want +got):\n%s", d)
	}
	if want.Total.Net.Minor != 1074293 || want.Orgs[0].Net.Minor != 1065447 {
		t.Errorf("hand-derived nets disagree with the table: %d, %d", want.Total.Net.Minor, want.Orgs[0].Net.Minor)
	}
}

func TestRefundReturnsFee(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RefundReturnsFee = true
	e, err := New(cfg, money.CNY, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := e.Estimate([]store.Record{
		r("MCC", txtype.Sale, store.Approved, 10000, ""),              // 10000×250 = 2500000 → 250
		r("MCC", txtype.Refund, store.Approved, 2000, ""),             // 2000×250 = 500000 → 50 back: -50
		r("CUP", txtype.Refund, store.Approved, 1000000, cupDebitAID), // 5000 capped at 2000 back: -2000
	})
	want := Summary{
		Orgs: []OrgSummary{
			{Org: "CUP", Totals: totals(1, -1000000, -2000)},
			{Org: "MCC", Totals: totals(2, 8000, 200)}, // 10000-2000; 250-50
		},
		Total: totals(3, -992000, -1800),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Estimate (-want +got):\n%s", d)
	}
}

func TestUnknownKindAndClassifier(t *testing.T) {
	cfg := DefaultConfig()
	cfg.UnknownKind = Debit
	swiped := r("CUP", txtype.Sale, store.Approved, 1000000, "")
	e, err := New(cfg, money.CNY, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fee, _ := e.Fee(swiped); fee.Minor != 2000 { // debit: 5000 capped at 2000
		t.Errorf("swiped CUP card priced as debit: fee %d, want 2000", fee.Minor)
	}
	// A BIN table says it is a credit card: 1000000×60 = 60000000 → 6000, no cap.
	e, err = New(cfg, money.CNY, Options{Kind: func(store.Record) Kind { return Credit }})
	if err != nil {
		t.Fatal(err)
	}
	if fee, _ := e.Fee(swiped); fee.Minor != 6000 {
		t.Errorf("classified credit: fee %d, want 6000", fee.Minor)
	}
}

func TestDiscount(t *testing.T) {
	for _, tt := range []struct{ minor, bp, want int64 }{
		{0, 60, 0},
		{1, 60, 0},        // 0.006
		{83, 60, 0},       // 0.498
		{84, 60, 1},       // 0.504
		{250, 60, 2},      // 1.5 exactly: up
		{150, 100, 2},     // 1.5 exactly: up
		{149, 100, 1},     // 1.49
		{100, 10000, 100}, // 100%
		{900_000_000_000_000, 10000, 900_000_000_000_000},
	} {
		if got := Discount(tt.minor, tt.bp); got != tt.want {
			t.Errorf("Discount(%d, %d) = %d, want %d", tt.minor, tt.bp, got, tt.want)
		}
	}
}

func TestKindOf(t *testing.T) {
	for _, tt := range []struct {
		aid  string
		want Kind
	}{
		{"A000000333010101", Debit},
		{"a000000333010101", Debit},
		{"A000000333010102", Credit},
		{"A000000333010103", Credit},
		{"A0000000032010", Debit},
		{"A0000000043060", Debit},
		{"A0000000031010", KindUnknown}, // Visa: credit or debit
		{"A0000000041010", KindUnknown}, // Mastercard: credit or debit
		{"", KindUnknown},
		{"ZZ", KindUnknown},
	} {
		rec := store.Record{Chip: &store.ChipData{AID: tt.aid}}
		if got := KindOf(rec); got != tt.want {
			t.Errorf("KindOf(%q) = %v, want %v", tt.aid, got, tt.want)
		}
	}
	if got := KindOf(store.Record{}); got != KindUnknown {
		t.Errorf("KindOf(no chip) = %v", got)
	}
}

func TestConfig(t *testing.T) {
	if err := DefaultConfig().Validate("fees"); err != nil {
		t.Errorf("defaults: %v", err)
	}
	bad := Config{Rates: map[string]Rate{
		"CUP": {DebitBP: -1, DebitCapMinor: -5, CreditBP: 10001},
		"VIS": {DebitBP: 250, CreditBP: 250},
	}}
	err := bad.Validate("fees")
	want := []string{
		"fees.rates.CUP.debit_bp: -1 is not between 0 and 10000",
		"fees.rates.CUP.credit_bp: 10001 is not between 0 and 10000",
		"fees.rates.CUP.debit_cap_minor: -5 is negative",
		"fees.unknown_kind: must be debit or credit",
	}
	if err == nil {
		t.Fatal("Validate accepted bad rates")
	}
	if d := cmp.Diff(want, strings.Split(err.Error(), "\n")); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	if _, err := New(bad, money.CNY, Options{}); err == nil {
		t.Error("New accepted bad rates")
	}

	const doc = `
unknown_kind = "debit"
refund_returns_fee = true
[rates.CUP]
debit_bp = 38
debit_cap_minor = 2500
credit_bp = 55
[rates.VIS]
credit_bp = 300
debit_bp = 300
`
	var got Config
	md, err := toml.Decode(doc, &got)
	if err != nil || len(md.Undecoded()) > 0 {
		t.Fatalf("decode: %v, undecoded %v", err, md.Undecoded())
	}
	wantCfg := Config{
		Rates:            map[string]Rate{"CUP": {DebitBP: 38, DebitCapMinor: 2500, CreditBP: 55}, "VIS": {DebitBP: 300, CreditBP: 300}},
		UnknownKind:      Debit,
		RefundReturnsFee: true,
	}
	if d := cmp.Diff(wantCfg, got); d != "" {
		t.Errorf("decoded (-want +got):\n%s", d)
	}
	if _, err := toml.Decode(`unknown_kind = "prepaid"`, new(Config)); err == nil {
		t.Error("unknown_kind prepaid decoded without error")
	}
}
