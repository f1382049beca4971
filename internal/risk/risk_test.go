package risk

import (
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests need Asia/Shanghai wherever they run

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"

	"countertop/internal/money"
	"countertop/internal/msgs"
	"countertop/internal/txtype"
	"countertop/store"
)

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// now is the fixed clock of every test: Friday 27 November 2026, 14:00 in Shanghai.
var now = time.Date(2026, 11, 27, 14, 0, 0, 0, shanghai)

const (
	cardA = "aaaaaaaa11111111111111111111111111111111111111111111111111111111"
	cardB = "bbbbbbbb22222222222222222222222222222222222222222222222222222222"
)

func cny(minor int64) money.Amount { return money.New(minor, money.CNY) }

// fakeHistory is a journal in a slice. List applies the filter as store does (From
// inclusive, To exclusive, on CreatedAt) and counts its calls.
type fakeHistory struct {
	recs  []store.Record
	err   error
	calls int
}

func (h *fakeHistory) List(f store.Filter) ([]store.Record, error) {
	h.calls++
	if h.err != nil {
		return nil, h.err
	}
	var out []store.Record
	for _, r := range h.recs {
		if (!f.From.IsZero() && r.CreatedAt.Before(f.From)) || (!f.To.IsZero() && !r.CreatedAt.Before(f.To)) ||
			(f.Type != nil && r.Type != *f.Type) || (f.State != nil && r.State != *f.State) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

type fakeAudit struct {
	entries []string
	err     error
}

func (a *fakeAudit) Audit(kind, detail string) error {
	if a.err != nil {
		return a.err
	}
	a.entries = append(a.entries, kind+": "+detail)
	return nil
}

// rec is a journal record created ago before now.
func rec(id uint64, t txtype.Type, st store.State, minor int64, card, rc string, ago time.Duration) store.Record {
	at := now.Add(-ago)
	return store.Record{ID: id, Type: t, State: st, Amount: cny(minor), PANHash: card, RespCode: rc,
		CreatedAt: at, UpdatedAt: at}
}

// config returns the defaults with every rule off, then lets the case turn some on.
func config(edit func(*Config)) Config {
	c := DefaultConfig()
	c.Amount.Enabled = false
	c.CardVelocity.Enabled = false
	c.Declines.Enabled = false
	c.WrongPIN.Enabled = false
	c.RefundOverSales.Enabled = false
	c.BusinessHours.Enabled = false
	if edit != nil {
		edit(&c)
	}
	return c
}

// short is an alarm as the tables write it: "rule/alarm" or "rule/block".
func short(alarms []Alarm) []string {
	var out []string
	for _, a := range alarms {
		act := "alarm"
		if a.Block {
			act = "block"
		}
		out = append(out, a.Rule+"/"+act)
	}
	return out
}

func sale(minor int64, card string) Candidate {
	return Candidate{Type: txtype.Sale, Amount: cny(minor), PANHash: card, Time: now}
}

func TestCheck(t *testing.T) {
	amountOn := func(act Action) func(*Config) {
		return func(c *Config) { c.Amount = AmountRule{Enabled: true, Action: act, MaxMinor: 100000} }
	}
	velocityOn := func(c *Config) {
		c.CardVelocity = CountRule{Enabled: true, Action: ActAlarm, Count: 3, Window: 10 * time.Minute}
	}
	declinesOn := func(c *Config) {
		c.Declines = CountRule{Enabled: true, Action: ActAlarm, Count: 3, Window: 30 * time.Minute}
		c.WrongPIN = CountRule{Enabled: true, Action: ActBlock, Count: 2, Window: 24 * time.Hour}
	}
	refundOn := func(c *Config) { c.RefundOverSales = RefundRule{Enabled: true, Action: ActBlock} }
	hoursOn := func(open, shut string) func(*Config) {
		return func(c *Config) {
			c.BusinessHours = HoursRule{Enabled: true, Action: ActAlarm, Open: open, Close: shut}
		}
	}
	at := func(c Candidate, hh, mm int) Candidate {
		c.Time = time.Date(2026, 11, 27, hh, mm, 0, 0, shanghai)
		return c
	}
	refund := func(minor int64) Candidate {
		return Candidate{Type: txtype.Refund, Amount: cny(minor), PANHash: cardA, Time: now}
	}
	// Today's book for the refund rule: RMB 100.00 of sales standing, RMB 30.00 refunded.
	today := []store.Record{
		rec(1, txtype.Sale, store.Approved, 6000, cardB, "00", 3*time.Hour),
		rec(2, txtype.PreAuthCompletion, store.Approved, 4000, cardB, "00", 2*time.Hour),
		rec(3, txtype.Refund, store.Approved, 3000, cardB, "00", time.Hour),
		rec(4, txtype.Sale, store.Voided, 50000, cardB, "00", 90*time.Minute),             // voided: not a sale
		rec(5, txtype.Sale, store.Declined, 50000, cardB, "51", 80*time.Minute),           // declined: not a sale
		rec(6, txtype.Sale, store.Approved, 90000, cardB, "00", 14*time.Hour+time.Minute), // 23:59 yesterday
		rec(7, txtype.Refund, store.Declined, 9000, cardB, "25", 30*time.Minute),          // declined refund
	}

	tests := []struct {
		name string
		cfg  func(*Config)
		hist []store.Record
		c    Candidate
		want []string
	}{
		{"amount over the limit alarms", amountOn(ActAlarm), nil, sale(100001, cardA), []string{"amount/alarm"}},
		{"amount over the limit blocks", amountOn(ActBlock), nil, sale(100001, cardA), []string{"amount/block"}},
		{"amount at the limit passes", amountOn(ActBlock), nil, sale(100000, cardA), nil},
		{"amount rule disabled", nil, nil, sale(99999999, cardA), nil},

		{"third on one card within the window", velocityOn, []store.Record{
			rec(1, txtype.Sale, store.Approved, 100, cardA, "00", 9*time.Minute),
			rec(2, txtype.Balance, store.Approved, 0, cardA, "00", time.Minute),
		}, sale(100, cardA), []string{"card_velocity/alarm"}},
		{"second on one card is fine", velocityOn, []store.Record{
			rec(1, txtype.Sale, store.Approved, 100, cardA, "00", time.Minute),
		}, sale(100, cardA), nil},
		{"one of three fell out of the window", velocityOn, []store.Record{
			rec(1, txtype.Sale, store.Approved, 100, cardA, "00", 10*time.Minute+time.Second),
			rec(2, txtype.Sale, store.Approved, 100, cardA, "00", time.Minute),
		}, sale(100, cardA), nil},
		{"another card's transactions do not count", velocityOn, []store.Record{
			rec(1, txtype.Sale, store.Approved, 100, cardB, "00", 2*time.Minute),
			rec(2, txtype.Sale, store.Approved, 100, cardB, "00", time.Minute),
		}, sale(100, cardA), nil},
		{"voids do not count", velocityOn, []store.Record{
			rec(1, txtype.Sale, store.Voided, 100, cardA, "00", 2*time.Minute),
			rec(2, txtype.Void, store.Approved, 100, cardA, "00", time.Minute),
		}, sale(100, cardA), nil},
		{"a void is not checked for velocity", velocityOn, []store.Record{
			rec(1, txtype.Sale, store.Approved, 100, cardA, "00", 2*time.Minute),
			rec(2, txtype.Sale, store.Approved, 100, cardA, "00", time.Minute),
		}, Candidate{Type: txtype.Void, Amount: cny(100), PANHash: cardA, Time: now}, nil},
		{"no card, no velocity", velocityOn, []store.Record{
			rec(1, txtype.Sale, store.Approved, 100, "", "00", 2*time.Minute),
			rec(2, txtype.Sale, store.Approved, 100, "", "00", time.Minute),
		}, sale(100, ""), nil},

		{"card declined three times", declinesOn, []store.Record{
			rec(1, txtype.Sale, store.Declined, 100, cardA, "51", 20*time.Minute),
			rec(2, txtype.Sale, store.Declined, 100, cardA, "51", 10*time.Minute),
			rec(3, txtype.Sale, store.Declined, 100, cardA, "05", time.Minute),
		}, sale(100, cardA), []string{"declines/alarm"}},
		{"card declined twice", declinesOn, []store.Record{
			rec(1, txtype.Sale, store.Declined, 100, cardA, "51", 10*time.Minute),
			rec(2, txtype.Sale, store.Approved, 100, cardA, "00", 5*time.Minute),
			rec(3, txtype.Sale, store.Declined, 100, cardA, "05", time.Minute),
		}, sale(100, cardA), nil},
		{"old decline out of the window", declinesOn, []store.Record{
			rec(1, txtype.Sale, store.Declined, 100, cardA, "51", 31*time.Minute),
			rec(2, txtype.Sale, store.Declined, 100, cardA, "51", 10*time.Minute),
			rec(3, txtype.Sale, store.Declined, 100, cardA, "05", time.Minute),
		}, sale(100, cardA), nil},
		{"two wrong PINs block the third try", declinesOn, []store.Record{
			rec(1, txtype.Sale, store.Declined, 100, cardA, "55", 5*time.Hour),
			rec(2, txtype.Balance, store.Declined, 0, cardA, "55", time.Minute),
		}, sale(100, cardA), []string{"wrong_pin/block"}},
		{"one wrong PIN", declinesOn, []store.Record{
			rec(1, txtype.Sale, store.Declined, 100, cardA, "55", time.Minute),
			rec(2, txtype.Sale, store.Declined, 100, cardA, "51", time.Minute),
		}, sale(100, cardA), nil},
		{"wrong PINs on another card", declinesOn, []store.Record{
			rec(1, txtype.Sale, store.Declined, 100, cardB, "55", 2*time.Minute),
			rec(2, txtype.Sale, store.Declined, 100, cardB, "55", time.Minute),
		}, sale(100, cardA), nil},

		{"refund over the day's sales", refundOn, today, refund(7001), []string{"refund_over_sales/block"}},
		{"refund up to the day's sales", refundOn, today, refund(7000), nil},
		{"sales are not checked against refunds", refundOn, today, sale(1_000_000, cardA), nil},
		{"refund with no sales today", refundOn, nil, refund(1), []string{"refund_over_sales/block"}},

		{"before opening", hoursOn("07:00", "23:00"), nil, at(sale(100, cardA), 6, 59), []string{"business_hours/alarm"}},
		{"at opening", hoursOn("07:00", "23:00"), nil, at(sale(100, cardA), 7, 0), nil},
		{"last minute", hoursOn("07:00", "23:00"), nil, at(sale(100, cardA), 22, 59), nil},
		{"at closing", hoursOn("07:00", "23:00"), nil, at(sale(100, cardA), 23, 0), []string{"business_hours/alarm"}},
		{"open across midnight, after midnight", hoursOn("18:00", "02:00"), nil, at(sale(100, cardA), 1, 59), nil},
		{"open across midnight, early morning", hoursOn("18:00", "02:00"), nil, at(sale(100, cardA), 2, 0), []string{"business_hours/alarm"}},
		{"open across midnight, afternoon", hoursOn("18:00", "02:00"), nil, at(sale(100, cardA), 14, 0), []string{"business_hours/alarm"}},
		{"settlement after hours is normal", hoursOn("07:00", "23:00"),
			nil, Candidate{Type: txtype.Settlement, Time: time.Date(2026, 11, 27, 23, 30, 0, 0, shanghai)}, nil},
		{"hours are the terminal's zone, not UTC", hoursOn("07:00", "23:00"), nil,
			Candidate{Type: txtype.Sale, Amount: cny(100), Time: time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC)}, nil}, // 07:30 next day in Shanghai

		{"several rules at once", func(c *Config) {
			amountOn(ActAlarm)(c)
			hoursOn("07:00", "23:00")(c)
			refundOn(c)
		}, nil, at(refund(100001), 23, 30), []string{"amount/alarm", "business_hours/alarm", "refund_over_sales/block"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(config(tt.cfg), &fakeHistory{recs: tt.hist}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Check(tt.c)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if d := cmp.Diff(tt.want, short(got)); d != "" {
				t.Errorf("alarms (-want +got):\n%s", d)
			}
			_, blocked := Blocked(got)
			wantBlock := strings.Contains(strings.Join(tt.want, " "), "/block")
			if blocked != wantBlock {
				t.Errorf("Blocked = %v, want %v", blocked, wantBlock)
			}
		})
	}
}

func TestCheckResult(t *testing.T) {
	cfg := config(func(c *Config) {
		c.Declines = CountRule{Enabled: true, Action: ActAlarm, Count: 3, Window: 30 * time.Minute}
		c.WrongPIN = CountRule{Enabled: true, Action: ActBlock, Count: 2, Window: time.Hour}
	})
	// Two earlier declines (51) and one wrong PIN on card A in the last hour.
	hist := []store.Record{
		rec(1, txtype.Sale, store.Declined, 100, cardA, "51", 20*time.Minute),
		rec(2, txtype.Sale, store.Declined, 100, cardA, "51", 10*time.Minute),
		rec(3, txtype.Sale, store.Declined, 100, cardA, "55", 40*time.Minute),
		rec(4, txtype.Sale, store.Declined, 100, cardB, "51", 5*time.Minute),
	}
	tests := []struct {
		name string
		hist []store.Record
		rec  store.Record
		want []string
	}{
		{"third decline fires", hist, rec(10, txtype.Sale, store.Declined, 100, cardA, "05", 0), []string{"declines/alarm"}},
		{"second wrong PIN fires only its rule", hist, rec(10, txtype.Sale, store.Declined, 100, cardA, "55", 0), []string{"wrong_pin/block"}},
		{"approved does not fire", hist, rec(10, txtype.Sale, store.Approved, 100, cardA, "00", 0), nil},
		{"second decline on card B", hist, rec(10, txtype.Sale, store.Declined, 100, cardB, "51", 0), nil},
		{"the record already in the journal counts once",
			append(hist[:1:1], rec(10, txtype.Sale, store.Declined, 100, cardA, "05", 0)),
			rec(10, txtype.Sale, store.Declined, 100, cardA, "05", 0), nil},
		{"no card", hist, rec(10, txtype.Sale, store.Declined, 100, "", "51", 0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(cfg, &fakeHistory{recs: tt.hist}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.CheckResult(tt.rec)
			if err != nil {
				t.Fatalf("CheckResult: %v", err)
			}
			if d := cmp.Diff(tt.want, short(got)); d != "" {
				t.Errorf("alarms (-want +got):\n%s", d)
			}
		})
	}
}

func TestAlarmAuditedAndWorded(t *testing.T) {
	audit := &fakeAudit{}
	e, err := New(config(func(c *Config) {
		c.Amount = AmountRule{Enabled: true, Action: ActBlock, MaxMinor: 500000}
	}), &fakeHistory{}, Options{Audit: audit})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Check(sale(600000, cardA))
	if err != nil {
		t.Fatal(err)
	}
	want := []Alarm{{Rule: RuleAmount, Code: msgs.RiskAmount, Block: true, Severity: msgs.Error,
		Detail: "sale: amount RMB 6000.00 over limit RMB 5000.00"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("alarms (-want +got):\n%s", d)
	}
	wantAudit := []string{"alarm: rule=amount action=block code=risk-amount sale: amount RMB 6000.00 over limit RMB 5000.00"}
	if d := cmp.Diff(wantAudit, audit.entries); d != "" {
		t.Errorf("audit log (-want +got):\n%s", d)
	}
	if zh, en := got[0].Message(msgs.ZH), got[0].Message(msgs.EN); zh != "单笔金额超限" || en != "AMOUNT OVER SINGLE LIMIT" {
		t.Errorf("Message = %q / %q", zh, en)
	}
}

func TestEveryRuleHasWords(t *testing.T) {
	for _, c := range []msgs.Code{msgs.RiskAmount, msgs.RiskCardVelocity, msgs.RiskDeclines,
		msgs.RiskWrongPIN, msgs.RiskRefundOver, msgs.RiskAfterHours, msgs.RiskBlocked} {
		if !msgs.Known(c) {
			t.Errorf("code %s is not in the catalogue", c)
		}
	}
}

func TestErrors(t *testing.T) {
	errDisk := errors.New("disk on fire")
	amount := func(c *Config) {
		c.Amount = AmountRule{Enabled: true, Action: ActAlarm, MaxMinor: 100}
		c.CardVelocity = CountRule{Enabled: true, Action: ActAlarm, Count: 2, Window: time.Minute}
	}

	t.Run("history unreadable", func(t *testing.T) {
		e, err := New(config(amount), &fakeHistory{err: errDisk}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Check(sale(101, cardA))
		if !errors.Is(err, errDisk) {
			t.Errorf("Check error = %v, want %v", err, errDisk)
		}
		if d := cmp.Diff([]string{"amount/alarm"}, short(got)); d != "" {
			t.Errorf("alarms found before the history failed (-want +got):\n%s", d)
		}
	})

	t.Run("audit fails", func(t *testing.T) {
		e, err := New(config(amount), &fakeHistory{}, Options{Audit: &fakeAudit{err: errDisk}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Check(sale(101, cardA))
		if !errors.Is(err, errDisk) || len(got) != 1 {
			t.Errorf("Check = %v, %v; want the alarm and %v", short(got), err, errDisk)
		}
	})

	t.Run("candidate without a time", func(t *testing.T) {
		e, err := New(config(amount), &fakeHistory{}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Check(Candidate{Type: txtype.Sale, Amount: cny(1)}); err == nil {
			t.Error("Check accepted a candidate with no time")
		}
	})

	t.Run("no history read when no rule needs it", func(t *testing.T) {
		h := &fakeHistory{}
		e, err := New(config(func(c *Config) { c.Amount.Enabled = true }), h, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Check(sale(1, cardA)); err != nil || h.calls != 0 {
			t.Errorf("Check = %v with %d history reads; want none", err, h.calls)
		}
	})
}

func TestValidate(t *testing.T) {
	if err := DefaultConfig().Validate("risk"); err != nil {
		t.Errorf("defaults: %v", err)
	}
	c := DefaultConfig()
	c.TimeZone = "Mars/Olympus"
	c.Amount.MaxMinor = 0
	c.CardVelocity.Count = 0
	c.Declines.Window = 0
	c.WrongPIN.Action = "shout"
	c.BusinessHours.Open = "25:00"
	c.RefundOverSales.Enabled = false
	c.RefundOverSales.Action = "shout" // disabled: not checked
	err := c.Validate("risk")
	if err == nil {
		t.Fatal("Validate accepted a bad configuration")
	}
	var got []string
	for _, line := range strings.Split(err.Error(), "\n") {
		key, _, _ := strings.Cut(line, ":")
		got = append(got, key)
	}
	want := []string{"risk.time_zone", "risk.amount.max_minor", "risk.card_velocity.count",
		"risk.declines.window", "risk.wrong_pin.action", "risk.business_hours.open"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("problems reported (-want +got):\n%s", d)
	}

	c = DefaultConfig()
	c.BusinessHours.Close = c.BusinessHours.Open
	if err := c.Validate("risk"); err == nil || !strings.Contains(err.Error(), "risk.business_hours.close") {
		t.Errorf("open == close: %v", err)
	}
	if _, err := New(c, &fakeHistory{}, Options{}); err == nil {
		t.Error("New accepted an invalid configuration")
	}
}

func TestTOML(t *testing.T) {
	const doc = `
time_zone = "Asia/Urumqi"
[amount]
enabled = true
action = "block"
max_minor = 2000000
[card_velocity]
enabled = false
action = "alarm"
count = 5
window = "15m"
[wrong_pin]
enabled = true
action = "block"
count = 3
window = "24h"
[business_hours]
enabled = true
action = "alarm"
open = "09:30"
close = "01:00"
`
	got := DefaultConfig()
	md, err := toml.Decode(doc, &got)
	if err != nil {
		t.Fatal(err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Errorf("undecoded keys %v", u)
	}
	want := DefaultConfig()
	want.TimeZone = "Asia/Urumqi"
	want.Amount = AmountRule{Enabled: true, Action: ActBlock, MaxMinor: 2000000}
	want.CardVelocity = CountRule{Enabled: false, Action: ActAlarm, Count: 5, Window: 15 * time.Minute}
	want.WrongPIN = CountRule{Enabled: true, Action: ActBlock, Count: 3, Window: 24 * time.Hour}
	want.BusinessHours = HoursRule{Enabled: true, Action: ActAlarm, Open: "09:30", Close: "01:00"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("decoded (-want +got):\n%s", d)
	}
	if _, err := toml.Decode(`[amount]
action = "shout"`, new(Config)); err == nil {
		t.Error("action \"shout\" decoded without error")
	}
}
