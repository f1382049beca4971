package risk

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"countertop/internal/money"
	"countertop/internal/msgs"
	"countertop/internal/txtype"
	"countertop/store"
)

// Rule names, as in Alarm.Rule, the audit log and the [risk] configuration.
const (
	RuleAmount          = "amount"
	RuleCardVelocity    = "card_velocity"
	RuleDeclines        = "declines"
	RuleWrongPIN        = "wrong_pin"
	RuleRefundOverSales = "refund_over_sales"
	RuleBusinessHours   = "business_hours"
)

// WrongPIN is the response code (field 39) of a wrong PIN.
const WrongPIN = "55"

// AuditKind is the audit log kind alarms are written under.
const AuditKind = "alarm"

// History is the part of the journal the rules read. *store.DB satisfies it.
type History interface {
	List(store.Filter) ([]store.Record, error)
}

// Auditor appends to the audit log. *store.DB satisfies it.
type Auditor interface {
	Audit(kind, detail string) error
}

// Candidate is a transaction about to go online.
type Candidate struct {
	Type    txtype.Type
	Amount  money.Amount
	PANHash string // carddata.PAN.Hash, as the journal stores it; "" when there is no card
	Time    time.Time
}

// Alarm is one rule that fired.
type Alarm struct {
	Rule     string    // RuleAmount, ...
	Code     msgs.Code // what the merchant reads
	Block    bool      // the transaction must be refused
	Severity msgs.Severity
	Detail   string // for the log and the audit log: figures, never card data
}

// Message is the alarm's text for the merchant in l.
func (a Alarm) Message(l msgs.Lang) string { return msgs.Text(a.Code, l) }

// LogValue logs the alarm as a group.
func (a Alarm) LogValue() slog.Value {
	return slog.GroupValue(slog.String("rule", a.Rule), slog.String("code", string(a.Code)),
		slog.Bool("block", a.Block), slog.String("severity", a.Severity.String()),
		slog.String("detail", a.Detail))
}

// Blocked returns the first alarm that refuses the transaction, if any.
func Blocked(alarms []Alarm) (Alarm, bool) {
	for _, a := range alarms {
		if a.Block {
			return a, true
		}
	}
	return Alarm{}, false
}

// Options are the engine's collaborators; nil fields are skipped (no audit log) or
// discarded (no logger).
type Options struct {
	Audit Auditor
	Log   *slog.Logger
}

// Engine applies the configured rules. Its methods are safe for concurrent use when
// History and Auditor are.
type Engine struct {
	cfg        Config
	loc        *time.Location
	open, shut time.Duration
	hist       History
	audit      Auditor
	log        *slog.Logger
}

// New returns an engine for cfg, which must pass Validate.
func New(cfg Config, h History, o Options) (*Engine, error) {
	if err := cfg.Validate("risk"); err != nil {
		return nil, fmt.Errorf("risk engine: %w", err)
	}
	if h == nil {
		return nil, fmt.Errorf("risk engine: no history")
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("risk engine: %w", err)
	}
	e := &Engine{cfg: cfg, loc: loc, hist: h, audit: o.Audit, log: o.Log}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if cfg.BusinessHours.Enabled {
		e.open, _ = parseClock(cfg.BusinessHours.Open)
		e.shut, _ = parseClock(cfg.BusinessHours.Close)
	}
	return e, nil
}

// cardTxn reports whether t is a transaction with a card that the card-velocity and
// business-hours rules look at (not settlement, sign-in and the like).
func cardTxn(t txtype.Type) bool {
	switch t {
	case txtype.Sale, txtype.Refund, txtype.PreAuth, txtype.PreAuthCompletion,
		txtype.PreAuthCompletionAdvice, txtype.Balance,
		txtype.Void, txtype.PreAuthVoid, txtype.CompletionVoid:
		return true
	}
	return false
}

// velocityTxn reports whether t counts for the card-velocity rule: card transactions
// that are not voids (a sale voided and keyed again is a correction, not velocity).
func velocityTxn(t txtype.Type) bool {
	switch t {
	case txtype.Void, txtype.PreAuthVoid, txtype.CompletionVoid:
		return false
	}
	return cardTxn(t)
}

// salesTxn reports whether t counts as the day's sales for the refund rule.
func salesTxn(t txtype.Type) bool {
	return t == txtype.Sale || t == txtype.PreAuthCompletion || t == txtype.PreAuthCompletionAdvice
}

// Check applies the rules to a transaction before it goes online. It returns the
// alarms that fired, already written to the audit log and logged; Blocked says
// whether to refuse the transaction. An error means the history could not be read or
// an alarm could not be audited; the alarms found so far are still returned, and the
// caller decides (posd refuses only on Blocked).
func (e *Engine) Check(c Candidate) ([]Alarm, error) {
	if c.Time.IsZero() {
		return nil, fmt.Errorf("risk check %v: candidate has no time", c.Type)
	}
	var alarms []Alarm
	cfg := e.cfg
	if r := cfg.Amount; r.Enabled && c.Amount.Minor > r.MaxMinor {
		limit := money.New(r.MaxMinor, c.Amount.Currency)
		alarms = append(alarms, e.alarm(RuleAmount, msgs.RiskAmount, r.Action, c.Type,
			"amount %s over limit %s", c.Amount, limit))
	}
	if r := cfg.BusinessHours; r.Enabled && cardTxn(c.Type) && !e.inHours(c.Time) {
		alarms = append(alarms, e.alarm(RuleBusinessHours, msgs.RiskAfterHours, r.Action, c.Type,
			"at %s outside %s-%s %s", c.Time.In(e.loc).Format("15:04"), r.Open, r.Close, e.loc))
	}

	from, need := e.historyFrom(c)
	if !need {
		return e.record(alarms, nil)
	}
	recs, err := e.hist.List(store.Filter{From: from, To: c.Time.Add(time.Nanosecond)})
	if err != nil {
		return e.record(alarms, fmt.Errorf("risk check %v: read history: %w", c.Type, err))
	}
	card := c.PANHash != ""
	if r := cfg.CardVelocity; r.Enabled && card && velocityTxn(c.Type) {
		n := 1 + count(recs, c.Time.Add(-r.Window), func(rec *store.Record) bool {
			return rec.PANHash == c.PANHash && velocityTxn(rec.Type)
		})
		if n >= r.Count {
			alarms = append(alarms, e.alarm(RuleCardVelocity, msgs.RiskCardVelocity, r.Action, c.Type,
				"%d transactions on card %s within %v (limit %d)", n, shortHash(c.PANHash), r.Window, r.Count))
		}
	}
	if card {
		alarms = append(alarms, e.declineRules(recs, c.PANHash, c.Time, c.Type, 0)...)
	}
	if r := cfg.RefundOverSales; r.Enabled && c.Type == txtype.Refund {
		start := e.dayStart(c.Time)
		var sales, refunds int64
		for i := range recs {
			rec := &recs[i]
			if rec.CreatedAt.Before(start) || rec.State != store.Approved ||
				rec.Amount.Currency.Code != c.Amount.Currency.Code {
				continue
			}
			switch {
			case salesTxn(rec.Type):
				sales += rec.Amount.Minor
			case rec.Type == txtype.Refund:
				refunds += rec.Amount.Minor
			}
		}
		if refunds+c.Amount.Minor > sales {
			cur := c.Amount.Currency
			alarms = append(alarms, e.alarm(RuleRefundOverSales, msgs.RiskRefundOver, r.Action, c.Type,
				"refund %s with %s refunded today over today's sales %s",
				c.Amount, money.New(refunds, cur), money.New(sales, cur)))
		}
	}
	return e.record(alarms, nil)
}

// CheckResult applies the decline and wrong-PIN rules once the result of rec is in the
// journal (rec is the record as finished). It fires only when rec itself is a decline
// of the rule's kind, so each further decline alarms again. Errors are as for Check.
func (e *Engine) CheckResult(rec store.Record) ([]Alarm, error) {
	if rec.State != store.Declined || rec.PANHash == "" {
		return nil, nil
	}
	at := rec.UpdatedAt
	if at.IsZero() {
		at = rec.CreatedAt
	}
	from, need := e.declineFrom(at)
	if !need {
		return nil, nil
	}
	recs, err := e.hist.List(store.Filter{From: from, To: at.Add(time.Nanosecond)})
	if err != nil {
		return nil, fmt.Errorf("risk check result of %v %d: read history: %w", rec.Type, rec.ID, err)
	}
	// The journal already holds rec; count it once, as finished, whatever List saw.
	kept := recs[:0]
	for _, r := range recs {
		if r.ID != rec.ID || rec.ID == 0 {
			kept = append(kept, r)
		}
	}
	alarms := e.declineRules(append(kept, withTime(rec, at)), rec.PANHash, at, rec.Type, kindOf(rec))
	return e.record(alarms, nil)
}

// declineKind tells the two decline rules apart.
type declineKind int

const (
	anyDecline declineKind = iota // Check: both rules look
	plainDecline
	pinDecline
)

func kindOf(r store.Record) declineKind {
	if r.RespCode == WrongPIN {
		return pinDecline
	}
	return plainDecline
}

func withTime(r store.Record, at time.Time) store.Record {
	r.CreatedAt = at
	return r
}

// declineRules counts the declines on card within each rule's window before at. Before
// the transaction (only == anyDecline) a card that has already reached the count
// fires; after it, only the rule of the kind just declined.
func (e *Engine) declineRules(recs []store.Record, card string, at time.Time, t txtype.Type, only declineKind) []Alarm {
	var alarms []Alarm
	rules := []struct {
		name string
		code msgs.Code
		kind declineKind
		rule CountRule
		what string
	}{
		{RuleDeclines, msgs.RiskDeclines, plainDecline, e.cfg.Declines, "declines"},
		{RuleWrongPIN, msgs.RiskWrongPIN, pinDecline, e.cfg.WrongPIN, "wrong PINs"},
	}
	for _, r := range rules {
		if !r.rule.Enabled || (only != anyDecline && only != r.kind) {
			continue
		}
		n := count(recs, at.Add(-r.rule.Window), func(rec *store.Record) bool {
			return rec.PANHash == card && rec.State == store.Declined && kindOf(*rec) == r.kind
		})
		if n >= r.rule.Count {
			alarms = append(alarms, e.alarm(r.name, r.code, r.rule.Action, t,
				"%d %s on card %s within %v (limit %d)", n, r.what, shortHash(card), r.rule.Window, r.rule.Count))
		}
	}
	return alarms
}

// count counts the records created at or after from that match.
func count(recs []store.Record, from time.Time, match func(*store.Record) bool) int {
	n := 0
	for i := range recs {
		if !recs[i].CreatedAt.Before(from) && match(&recs[i]) {
			n++
		}
	}
	return n
}

// historyFrom returns how far back Check must read, and whether it must read at all.
func (e *Engine) historyFrom(c Candidate) (time.Time, bool) {
	var from time.Time
	need := false
	earlier := func(t time.Time) {
		if !need || t.Before(from) {
			from = t
		}
		need = true
	}
	if c.PANHash != "" {
		if r := e.cfg.CardVelocity; r.Enabled && velocityTxn(c.Type) {
			earlier(c.Time.Add(-r.Window))
		}
		if t, ok := e.declineFrom(c.Time); ok {
			earlier(t)
		}
	}
	if e.cfg.RefundOverSales.Enabled && c.Type == txtype.Refund {
		earlier(e.dayStart(c.Time))
	}
	return from, need
}

func (e *Engine) declineFrom(at time.Time) (time.Time, bool) {
	var w time.Duration
	if r := e.cfg.Declines; r.Enabled {
		w = r.Window
	}
	if r := e.cfg.WrongPIN; r.Enabled && r.Window > w {
		w = r.Window
	}
	return at.Add(-w), w > 0
}

// dayStart is midnight of t's day in the terminal's zone.
func (e *Engine) dayStart(t time.Time) time.Time {
	y, m, d := t.In(e.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, e.loc)
}

// inHours reports whether t falls within business hours.
func (e *Engine) inHours(t time.Time) bool {
	lt := t.In(e.loc)
	since := lt.Sub(time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, e.loc))
	if e.open < e.shut {
		return since >= e.open && since < e.shut
	}
	return since >= e.open || since < e.shut // across midnight
}

func (e *Engine) alarm(rule string, code msgs.Code, act Action, t txtype.Type, format string, a ...any) Alarm {
	al := Alarm{Rule: rule, Code: code, Block: act == ActBlock, Severity: msgs.Warning,
		Detail: t.String() + ": " + fmt.Sprintf(format, a...)}
	if al.Block {
		al.Severity = msgs.Error
	}
	return al
}

// record writes the alarms to the audit log and the log, and joins any audit failure
// to err.
func (e *Engine) record(alarms []Alarm, err error) ([]Alarm, error) {
	for _, a := range alarms {
		lvl := slog.LevelWarn
		if a.Block {
			lvl = slog.LevelError
		}
		e.log.LogAttrs(context.Background(), lvl, "risk alarm", slog.Any("alarm", a))
		if e.audit == nil {
			continue
		}
		action := ActAlarm
		if a.Block {
			action = ActBlock
		}
		detail := fmt.Sprintf("rule=%s action=%s code=%s %s", a.Rule, action, a.Code, a.Detail)
		if aerr := e.audit.Audit(AuditKind, detail); aerr != nil && err == nil {
			err = fmt.Errorf("risk alarm %s: %w", a.Rule, aerr)
		}
	}
	return alarms, err
}

// shortHash is the first 8 hex digits of a PAN hash: enough to tell cards apart in the
// audit log, useless for finding the number.
func shortHash(h string) string {
	if len(h) > 8 {
		h = h[:8]
	}
	return strings.ToLower(h)
}
