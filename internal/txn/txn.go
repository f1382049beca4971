package txn

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"countertop/emv"
	"countertop/hal"
	"countertop/internal/carddata"
	"countertop/internal/fees"
	"countertop/internal/hostlink"
	"countertop/internal/keys"
	"countertop/internal/money"
	"countertop/internal/msgs"
	"countertop/internal/receipt"
	"countertop/internal/risk"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/store"
)

// Host is the acquirer link as the engine uses it.
type Host interface {
	Do(ctx context.Context, req iso8583.Request, onStage func(hostlink.Stage)) (iso8583.Reply, error)
	SetMACKey(k keys.Key)
}

// Journal is the part of the store the engine writes.
type Journal interface {
	Begin(r *store.Record) error
	Finish(r *store.Record) error
	PendingReversal() (store.Record, bool, error)
	ReversalDone(id uint64) error
	NextSTAN() (txtype.STAN, error)
	Batch() (txtype.Batch, error)
	SetBatch(b txtype.Batch) error
	MarkPrinted(id uint64) error
	Get(id uint64) (store.Record, error)
	Last() (store.Record, error)
	ByVoucher(b txtype.Batch, s txtype.STAN) (store.Record, error)
	ByRRN(rrn string) (store.Record, error)
	List(f store.Filter) ([]store.Record, error)
	RecordSettlement(b txtype.Batch, t store.Totals, res store.SettleResult) (store.Settlement, error)
	AdviceSent(id uint64) error
	Audit(kind, detail string) error
	Setting(name string) ([]byte, error)
	SetSetting(name string, value []byte) error
}

// Prompter is the merchant-facing side the engine needs during a transaction.
type Prompter interface {
	// Progress shows a progress screen (connecting, sending, reversing ...).
	Progress(ctx context.Context, code msgs.Code)
	// ConfirmCard shows the masked card number, the cardholder name and the amount
	// and waits for the merchant to confirm (true) or cancel (false).
	ConfirmCard(ctx context.Context, maskedPAN, holder string, amount money.Amount) (bool, error)
	// TearOff pauses between slip copies until a key or the timeout.
	TearOff(ctx context.Context, timeout time.Duration) error
	// ConfirmID shows the cardholder's identity document (its kind and number) for
	// the merchant to compare with the cardholder: true when it matches.
	ConfirmID(ctx context.Context, kind msgs.Code, number string) (bool, error)
	// Choose shows options (chip applications) and returns the index chosen.
	Choose(ctx context.Context, options []string) (int, error)
	// Alert shows alarms (abnormal transactions) until a key or a timeout.
	Alert(ctx context.Context, title string, lines []string)
	// PaperOut asks the merchant to reload paper: true to print again, false to
	// leave the slip for a reprint later.
	PaperOut(ctx context.Context) bool
}

// Risk checks transactions against the alarm rules (internal/risk.Engine).
type Risk interface {
	Check(c risk.Candidate) ([]risk.Alarm, error)
	CheckResult(rec store.Record) ([]risk.Alarm, error)
}

// Fees estimates merchant discount fees (internal/fees.Estimator).
type Fees interface {
	Estimate(recs []store.Record) fees.Summary
}

// Settings is what the engine needs from the configuration.
type Settings struct {
	Terminal        iso8583.Terminal
	Operator        string
	TMK             keys.Key
	PANHashKey      []byte
	ReversalRetries int
	Merchant        receipt.Merchant
	Layout          receipt.Layout
	Copies          int
	TearOff         time.Duration
	Currency        money.Currency
	// Kernel reads chip cards; nil: chip cards are refused with a message.
	Kernel *emv.Kernel
	// TraceDir receives a masked APDU transcript of every chip transaction; "": none.
	TraceDir string
	// Risk raises alarms for abnormal transactions; nil: no alarms.
	Risk Risk
	// Fees prints estimated fees on the settlement slip; nil: none.
	Fees Fees
	// AfterSettle runs after a settlement is journaled (backups, retention).
	AfterSettle func(ctx context.Context, batch txtype.Batch)
}

// Devices are the devices the engine drives itself.
type Devices struct {
	Reader  hal.CardReader // APDUs to an inserted chip
	PINPad  hal.PINPad
	Printer hal.Printer
}

// Engine runs transactions. It is not safe for concurrent use: a terminal does one
// transaction at a time.
type Engine struct {
	set      Settings
	host     Host
	journal  Journal
	dev      Devices
	ui       Prompter
	log      *slog.Logger
	now      func() time.Time
	signedIn bool
	// paramsDue is set when a reply header asked for a parameter download;
	// paramsRetry is when a failed one may be tried again.
	paramsDue   bool
	paramsRetry time.Time
	kernel      *emv.Kernel
	sealer      *keys.PANSealer // nil when the PAN key is unusable: no field 2 later
	sequence    uint32          // EMV transaction sequence counter (9F41) of this run
	// fallback is set when the chip of the last card could not be read: the next
	// swipe of a chip card is accepted as a fallback transaction.
	fallback bool
	// inFlight is the card of the transaction whose outcome may still be unknown,
	// kept in memory only so that its reversal can carry field 2; nothing clear is
	// ever written to the journal.
	inFlight struct {
		id     uint64
		pan    carddata.PAN
		expiry carddata.Expiry
	}
}

// New returns an engine. log may be nil.
func New(s Settings, host Host, j Journal, d Devices, ui Prompter, log *slog.Logger) *Engine {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if s.ReversalRetries < 1 {
		s.ReversalRetries = 1
	}
	sealer, err := keys.NewPANSealer(s.PANHashKey)
	if err != nil {
		log.Error("pan data key: reversals after a restart and batch upload go without field 2", "err", err)
	}
	return &Engine{set: s, host: host, journal: j, dev: d, ui: ui, log: log, now: time.Now, kernel: s.Kernel, sealer: sealer}
}

// Failure is a transaction that did not complete: Code is what the merchant is shown,
// Err the internal cause for the log.
type Failure struct {
	Code msgs.Code
	Err  error
	// Also is a second message when there is more to say (msgs.ReversedDone: the
	// host's possible approval was reversed); "" otherwise.
	Also msgs.Code
}

func (f *Failure) Error() string {
	if f.Err == nil {
		return string(f.Code)
	}
	return string(f.Code) + ": " + f.Err.Error()
}
func (f *Failure) Unwrap() error { return f.Err }

func fail(code msgs.Code, err error) error { return &Failure{Code: code, Err: err} }

// CodeOf returns the merchant message for an error from the engine.
func CodeOf(err error) msgs.Code {
	if f, ok := errors.AsType[*Failure](err); ok {
		return f.Code
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return msgs.Timeout
	}
	return msgs.Declined
}

// Record is a journal record, as the menus see it.
type Record = store.Record

// Result is a transaction that reached the host and got an answer.
type Result struct {
	Record   store.Record
	Approved bool
	Text     string // response message in the configured language, "[51] 可用余额不足"
	PrintErr error  // the slip could not be printed; the transaction stands
}

// networkRequest is a network-management request of type t with the next trace
// number and the current batch.
func (e *Engine) networkRequest(t txtype.Type) (iso8583.Request, error) {
	stan, err := e.journal.NextSTAN()
	if err != nil {
		return iso8583.Request{}, fail(msgs.JournalFailed, err)
	}
	batch, err := e.journal.Batch()
	if err != nil {
		return iso8583.Request{}, fail(msgs.JournalFailed, err)
	}
	return iso8583.Request{Type: t, Terminal: e.set.Terminal, STAN: stan, Batch: batch, Operator: e.set.Operator}, nil
}

// SignedIn reports whether working keys are loaded.
func (e *Engine) SignedIn() bool { return e.signedIn }

// SignIn exchanges a sign-in with the host, checks and loads the working keys (PIN key
// into the PIN pad, MAC key into the host link) and takes the host's batch number.
func (e *Engine) SignIn(ctx context.Context) error {
	req, err := e.networkRequest(txtype.SignIn)
	if err != nil {
		return err
	}
	rep, err := e.do(ctx, req, e.stage(ctx))
	if err != nil {
		return fail(hostlink.MessageCode(err), fmt.Errorf("sign-in: %w", err))
	}
	if rep.RespCode != "00" {
		return &Failure{Code: msgs.Declined, Err: fmt.Errorf("sign-in refused with %s", rep.RespCode)}
	}
	wk, err := keys.ParseWorkingKeys(rep.Field62, e.set.TMK)
	if err != nil {
		return fail(msgs.KeyCheckFailed, fmt.Errorf("sign-in keys: %w", err))
	}
	if loader, ok := e.dev.PINPad.(hal.PINKeyLoader); ok {
		if err := loader.LoadPINKey(ctx, wk.PIKEncrypted, wk.PIKCheck); err != nil {
			return fail(msgs.PINPadFailed, fmt.Errorf("load pin key: %w", err))
		}
	}
	e.host.SetMACKey(wk.MAK)
	if rep.Batch != 0 {
		if err := e.journal.SetBatch(rep.Batch); err != nil {
			return fail(msgs.JournalFailed, err)
		}
	}
	e.signedIn = true
	e.audit("sign-in", "operator "+e.set.Operator+" batch "+rep.Batch.String())
	e.log.Info("signed in", "batch", rep.Batch.String())
	return nil
}

func (e *Engine) audit(kind, detail string) {
	if err := e.journal.Audit(kind, detail); err != nil {
		e.log.Error("audit log", "kind", kind, "err", err)
	}
}

func (e *Engine) stage(ctx context.Context) func(hostlink.Stage) {
	return func(s hostlink.Stage) {
		switch s {
		case hostlink.Connecting:
			e.ui.Progress(ctx, msgs.Connecting)
		case hostlink.Sending:
			e.ui.Progress(ctx, msgs.Sending)
		case hostlink.Receiving:
			e.ui.Progress(ctx, msgs.Receiving)
		}
	}
}

// ready signs in when needed and sends a pending reversal: nothing financial goes
// out while the host may still count an earlier transaction.
func (e *Engine) ready(ctx context.Context) error {
	if !e.signedIn {
		if err := e.SignIn(ctx); err != nil {
			return err
		}
	}
	if err := e.DrainReversal(ctx); err != nil {
		return err
	}
	e.ForwardAdvices(ctx)
	if !e.signedIn {
		// A reply on the way (reversal, advice) asked for a new sign-in: the
		// transaction goes out under the new keys.
		return e.SignIn(ctx)
	}
	return nil
}

// ForwardAdvices sends the advices the host is owed (TC uploads of offline chip
// approvals, issuer script results), oldest first, and marks each acknowledged one. One that fails stays
// due and is tried again before the next transaction; it does not hold up the sale.
func (e *Engine) ForwardAdvices(ctx context.Context) int {
	batch, err := e.journal.Batch()
	if err != nil {
		e.log.Error("advices", "err", err)
		return 0
	}
	recs, err := e.journal.List(store.Filter{Batch: &batch})
	if err != nil {
		e.log.Error("advices", "err", err)
		return 0
	}
	sent := 0
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		if r.Advice == txtype.Unknown {
			continue
		}
		icc, err := hex.DecodeString(r.ICC)
		if err != nil {
			e.log.Error("advice icc data", "record", r.ID, "err", err)
			continue
		}
		stan := r.STAN // the completion advice goes under the completion's own trace
		if r.Advice != txtype.PreAuthCompletionAdvice {
			if stan, err = e.journal.NextSTAN(); err != nil {
				e.log.Error("advices", "err", err)
				return sent
			}
		}
		req := iso8583.Request{Type: r.Advice, Terminal: e.set.Terminal, STAN: stan, Batch: batch,
			Operator: r.Operator, Amount: r.Amount, PAN: e.unseal(r), Entry: r.Entry, ICC: icc,
			Original: &iso8583.Original{Type: r.Type, Batch: r.Batch, STAN: r.STAN, RRN: r.RRN, AuthCode: r.AuthCode}}
		if r.Advice == txtype.PreAuthCompletionAdvice && r.Original != nil {
			// The completion advice refers to its pre-authorisation, as an online
			// completion does.
			o := r.Original
			req.Expiry = carddata.Expiry(r.Expiry)
			req.Original = &iso8583.Original{Type: txtype.PreAuth, Batch: o.Batch, STAN: o.STAN, RRN: o.RRN,
				AuthCode: r.AuthCode, Date: o.Date}
		}
		if _, err := e.do(ctx, req, nil); err != nil {
			e.log.Warn("advice not acknowledged: it stays due", "record", r.ID, "err", err)
			return sent
		}
		if err := e.journal.AdviceSent(r.ID); err != nil {
			e.log.Error("advice sent", "record", r.ID, "err", err)
			return sent
		}
		sent++
		e.log.Info("advice sent", "record", r.ID, "type", req.Type.String())
	}
	return sent
}

// DrainReversal sends the pending reversal, if any, retrying up to the configured
// count. It returns a Failure with msgs.ReversalFailed when the host never
// acknowledged it; the reversal then stays pending.
func (e *Engine) DrainReversal(ctx context.Context) error {
	rec, ok, err := e.journal.PendingReversal()
	if err != nil {
		return fail(msgs.JournalFailed, err)
	}
	if !ok {
		return nil
	}
	if !e.signedIn {
		if err := e.SignIn(ctx); err != nil {
			return err
		}
	}
	e.ui.Progress(ctx, msgs.Reversing)
	reason := rec.ReversalReason
	if reason == "" {
		reason = "98" // interrupted before its result was written: no answer known
	}
	req := iso8583.Request{Type: txtype.Reversal, Terminal: e.set.Terminal, STAN: rec.STAN, Batch: rec.Batch,
		Operator: rec.Operator, Amount: rec.Amount, Entry: rec.Entry, Reason: reason, Expiry: carddata.Expiry(rec.Expiry),
		Original: &iso8583.Original{Type: rec.Type, Batch: rec.Batch, STAN: rec.STAN, RRN: rec.RRN, AuthCode: rec.AuthCode}}
	if e.inFlight.id == rec.ID {
		req.PAN, req.Expiry = e.inFlight.pan, e.inFlight.expiry
	} else {
		req.PAN = e.unseal(rec)
	}
	var last error
	for attempt := 1; attempt <= e.set.ReversalRetries; attempt++ {
		rep, err := e.do(ctx, req, nil)
		if err == nil {
			if err := e.journal.ReversalDone(rec.ID); err != nil {
				return fail(msgs.JournalFailed, err)
			}
			e.audit("reversal", fmt.Sprintf("record %d stan %s reason %s answered %s", rec.ID, rec.STAN, reason, rep.RespCode))
			e.log.Info("reversal acknowledged", "record", rec.ID, "stan", rec.STAN.String(), "reason", reason, "rc", rep.RespCode)
			return nil
		}
		last = err
		e.log.Warn("reversal not acknowledged", "record", rec.ID, "attempt", attempt, "err", err)
		if ctx.Err() != nil {
			break
		}
	}
	return fail(msgs.ReversalFailed, fmt.Errorf("reversal of record %d: %w", rec.ID, last))
}

// cardData is what a card event gave the engine.
type cardData struct {
	pan    carddata.PAN
	track2 carddata.Track2
	expiry carddata.Expiry
	holder string
	entry  txtype.EntryMode
}

// readCard reads a swipe. A chip card (service code 2xx or 6xx) must use its chip,
// unless fallback is set: its chip just failed, and the swipe is a fallback.
func readCard(ev hal.CardEvent, fallback bool) (cardData, error) {
	switch ev.Kind {
	case hal.CardSwiped:
		if ev.Err != nil || ev.Tracks.Track2.IsZero() {
			return cardData{}, fail(msgs.BadSwipe, ev.Err)
		}
		t2 := ev.Tracks.Track2
		entry := txtype.EntryMagstripe
		if sc := t2.ServiceCode(); sc[0] == '2' || sc[0] == '6' {
			if !fallback {
				return cardData{}, fail(msgs.UseChip, fmt.Errorf("service code %s: chip card swiped", sc))
			}
			entry = txtype.EntryFallback
		}
		return cardData{pan: t2.PAN(), track2: t2, expiry: t2.Expiry(), holder: ev.Tracks.Name, entry: entry}, nil
	case hal.CardTapped:
		return cardData{}, fail(msgs.ContactlessNotSupported, errors.New("the contactless kernel (qPBOC) is not built"))
	case hal.CardInserted:
		return cardData{}, fail(msgs.ChipNotSupported, errors.New("this transaction does not read chips yet"))
	}
	return cardData{}, fail(msgs.CardError, fmt.Errorf("unexpected card event %v", ev.Kind))
}

// CardOrg names the card organisation from the PAN's leading digits, as slips and
// settlement totals group cards.
func CardOrg(pan carddata.PAN) string {
	p := pan.Prefix(2)
	switch {
	case strings.HasPrefix(p, "62"), strings.HasPrefix(p, "81"):
		return "CUP"
	case strings.HasPrefix(p, "4"):
		return "VIS"
	case p >= "51" && p <= "55", p >= "22" && p <= "27":
		return "MCC"
	case p == "35":
		return "JCB"
	case p == "34", p == "37":
		return "AMX"
	}
	return "CUP"
}

// Sale runs a sale for amount with the card that ev presented.
func (e *Engine) Sale(ctx context.Context, amount money.Amount, ev hal.CardEvent) (Result, error) {
	if ev.Kind == hal.CardInserted {
		res, err := e.chipSale(ctx, amount)
		if err == nil {
			e.fallback = false
		}
		return res, err
	}
	card, err := readCard(ev, e.fallback)
	if err != nil {
		return Result{}, err
	}
	e.fallback = false
	if err := e.ready(ctx); err != nil {
		return Result{}, err
	}
	ok, err := e.confirm(ctx, card.pan, card.holder, amount)
	if err != nil {
		return Result{}, fail(msgs.Timeout, err)
	}
	if !ok {
		return Result{}, fail(msgs.Cancelled, nil)
	}
	e.ui.Progress(ctx, msgs.EnterPIN)
	pin, err := e.dev.PINPad.ReadPIN(ctx, hal.PINEntry{PAN: card.pan, Amount: amount, MinLen: 4, MaxLen: 6, AllowBypass: true})
	switch {
	case errors.Is(err, hal.ErrPINBypassed):
		pin = carddata.PINBlock{}
	case errors.Is(err, hal.ErrCancelled):
		return Result{}, fail(msgs.Cancelled, err)
	case errors.Is(err, hal.ErrNoKey):
		e.signedIn = false
		return Result{}, fail(msgs.SignInNeeded, err)
	case err != nil && ctx.Err() != nil:
		return Result{}, fail(msgs.Timeout, err)
	case err != nil:
		return Result{}, fail(msgs.PINPadFailed, err)
	}
	rec := e.record(txtype.Sale, amount, card, pin)
	req := iso8583.Request{Type: txtype.Sale, Terminal: e.set.Terminal, Operator: e.set.Operator,
		Amount: amount, PAN: card.pan, Track2: card.track2, Expiry: card.expiry, Entry: card.entry, PINBlock: pin}
	return e.online(ctx, &rec, req)
}

// online journals the intent, exchanges req with the host, journals the result and
// prints the slips of an approval.
func (e *Engine) online(ctx context.Context, rec *store.Record, req iso8583.Request) (Result, error) {
	return e.onlineWith(ctx, rec, req, nil)
}

// onlineWith is online with a completion step between the host's answer (or its
// absence) and the journaled result: a chip card's second GENERATE AC. complete may
// turn an approval into a decline with a reversal reason (96).
func (e *Engine) onlineWith(ctx context.Context, rec *store.Record, req iso8583.Request,
	complete func(*store.Record, iso8583.Reply, error)) (Result, error) {
	if err := e.riskCheck(ctx, rec); err != nil {
		return Result{}, err
	}
	if err := e.journal.Begin(rec); err != nil {
		return Result{}, fail(msgs.JournalFailed, err)
	}
	e.inFlight.id, e.inFlight.pan, e.inFlight.expiry = rec.ID, req.PAN, req.Expiry
	defer func() { e.inFlight.id, e.inFlight.pan = 0, carddata.PAN{} }()
	req.STAN, req.Batch = rec.STAN, rec.Batch
	log := e.log.With("record", rec.ID, "type", rec.Type.String(), "stan", rec.STAN.String())
	rep, err := e.do(ctx, req, e.stage(ctx))
	if err != nil && complete != nil {
		complete(rec, iso8583.Reply{}, err)
	}
	if err != nil {
		code := hostlink.MessageCode(err)
		rec.Message = string(code)
		if !hostlink.OutcomeUnknown(err) || !rec.Type.Financial() {
			// Not sent; or an advice-type request (refund) that is never reversed:
			// the merchant sees the failure and may ask the host later.
			if errors.Is(err, hostlink.ErrNotSignedIn) {
				e.signedIn = false
			}
			rec.State, rec.ReversalReason = store.Failed, ""
			log.Warn("not sent", "err", err)
			if ferr := e.journal.Finish(rec); ferr != nil {
				return Result{}, fail(msgs.JournalFailed, ferr)
			}
			return Result{}, fail(code, err)
		}
		rec.ReversalReason = hostlink.ReversalReason(err)
		log.Warn("outcome unknown, reversing", "err", err, "reason", rec.ReversalReason)
		if errors.Is(err, hostlink.ErrBadMAC) {
			e.signedIn = false // a reply MAC failure means new working keys first
		}
		if ferr := e.journal.Finish(rec); ferr != nil {
			return Result{}, fail(msgs.JournalFailed, ferr)
		}
		if rerr := e.DrainReversal(ctx); rerr != nil {
			log.Error("reversal pending", "err", rerr)
			return Result{}, &Failure{Code: code, Err: err, Also: msgs.ReversalPending}
		}
		return Result{}, &Failure{Code: code, Err: err, Also: msgs.ReversedDone}
	}
	rec.RespCode, rec.AuthCode, rec.RRN = rep.RespCode, rep.AuthCode, rep.RRN
	rec.ReversalReason = "" // a clean, MAC-verified answer: nothing to reverse
	rec.HostTime, rec.SettleDate, rec.Issuer, rec.Acquirer = rep.HostTime, rep.SettleDate, rep.Issuer, rep.Acquirer
	if rec.HostTime.IsZero() {
		rec.HostTime = e.now()
	}
	action := msgs.ResponseAction(rep.RespCode)
	res := Result{Text: msgs.ResponseText(rep.RespCode, e.set.Layout.Lang)}
	rec.State, rec.Message = store.Declined, string(msgs.Declined)
	if action == msgs.ActApprove {
		rec.State, rec.Message = store.Approved, string(msgs.Approved)
	}
	if complete != nil {
		complete(rec, rep, nil)
	}
	res.Approved = rec.State == store.Approved
	if res.Approved {
		rec.Slip = e.slipText(*rec)
	} else if rec.ReversalReason != "" {
		res.Text = msgs.Text(msgs.Code(rec.Message), e.set.Layout.Lang)
	}
	if action == msgs.ActSignIn {
		e.signedIn = false
	}
	if err := e.journal.Finish(rec); err != nil {
		// The merchant is never told "approved" without a durable result; the
		// intent's pending reversal stands and goes out before the next transaction.
		log.Error("journal result", "err", err)
		return Result{}, fail(msgs.JournalFailed, err)
	}
	log.Info("host answered", "rc", rep.RespCode, "state", rec.State.String())
	e.riskResult(ctx, *rec)
	if rec.ReversalReason != "" {
		if rerr := e.DrainReversal(ctx); rerr != nil {
			log.Error("reversal pending", "err", rerr)
		} else if back, gerr := e.journal.Get(rec.ID); gerr == nil {
			*rec = back
		}
	}
	res.Record = *rec
	if res.Approved {
		res.PrintErr = e.PrintSlips(ctx, *rec, false)
		if res.PrintErr == nil {
			res.Record.Printed = true
		}
	}
	return res, nil
}

// riskCheck runs the alarm rules before a transaction goes online: alarms are shown
// (the risk engine audits and logs them), a blocking one refuses the transaction.
func (e *Engine) riskCheck(ctx context.Context, rec *store.Record) error {
	if e.set.Risk == nil {
		return nil
	}
	alarms, err := e.set.Risk.Check(risk.Candidate{Type: rec.Type, Amount: rec.Amount, PANHash: rec.PANHash, Time: e.now()})
	if err != nil {
		e.log.Error("risk check", "err", err)
	}
	e.alert(ctx, alarms)
	if a, blocked := risk.Blocked(alarms); blocked {
		return fail(msgs.RiskBlocked, fmt.Errorf("risk rule %s: %s", a.Rule, a.Detail))
	}
	return nil
}

// riskResult runs the rules that look at a journaled result (declines, wrong PINs).
func (e *Engine) riskResult(ctx context.Context, rec store.Record) {
	if e.set.Risk == nil {
		return
	}
	alarms, err := e.set.Risk.CheckResult(rec)
	if err != nil {
		e.log.Error("risk check of result", "err", err)
	}
	e.alert(ctx, alarms)
}

func (e *Engine) alert(ctx context.Context, alarms []risk.Alarm) {
	if len(alarms) == 0 {
		return
	}
	lines := make([]string, len(alarms))
	for i, a := range alarms {
		lines[i] = a.Message(e.set.Layout.Lang)
	}
	e.ui.Alert(ctx, msgs.Text(msgs.RiskAlarmTitle, e.set.Layout.Lang), lines)
}

// confirm shows the masked card number, the cardholder name and the amount on the
// display for the merchant, and on the PIN pad for the cardholder, and waits for the
// merchant's confirmation.
func (e *Engine) confirm(ctx context.Context, pan carddata.PAN, holder string, amount money.Amount) (bool, error) {
	if err := e.dev.PINPad.Show(ctx, pan.Masked(), amount.String()); err != nil {
		e.log.Warn("pin pad display", "err", err)
	}
	return e.ui.ConfirmCard(ctx, pan.Masked(), holder, amount)
}

// seal encrypts the PAN for the journal (see store.Record.PANSealed); "" when it
// cannot, and the later messages then go without field 2.
func (e *Engine) seal(pan carddata.PAN, hash string) string {
	if e.sealer == nil {
		return ""
	}
	sealed, err := e.sealer.Seal(hash, pan.Reveal())
	if err != nil {
		e.log.Error("seal pan", "err", err)
		return ""
	}
	return sealed
}

// unseal recovers a record's PAN, or the zero PAN.
func (e *Engine) unseal(r store.Record) carddata.PAN {
	if e.sealer == nil || r.PANSealed == "" {
		return carddata.PAN{}
	}
	digits, err := e.sealer.Open(r.PANHash, r.PANSealed)
	if err != nil {
		e.log.Error("open sealed pan", "record", r.ID, "err", err)
		return carddata.PAN{}
	}
	pan, err := carddata.ParsePAN(digits)
	if err != nil {
		e.log.Error("open sealed pan", "record", r.ID, "err", err)
	}
	return pan
}

// cvmOf is the cardholder verification of a magstripe transaction.
func cvmOf(pin carddata.PINBlock) string {
	if pin.IsZero() {
		return "signature"
	}
	return "pin"
}

// slipText is the merchant copy's text as the journal keeps it.
func (e *Engine) slipText(r store.Record) string {
	return receipt.Build(e.slipOf(r, false), receipt.MerchantCopy, e.set.Layout).Text()
}

// PrintSlips prints the configured copies of a record's slip (merchant copy first,
// then the cardholder copy after a pause for tearing) and marks it printed.
func (e *Engine) PrintSlips(ctx context.Context, rec store.Record, reprint bool) error {
	copies := []receipt.Copy{receipt.MerchantCopy, receipt.CardholderCopy, receipt.BankCopy}[:max(1, min(e.set.Copies, 3))]
	e.ui.Progress(ctx, msgs.Printing)
	for i, c := range copies {
		if i > 0 {
			if err := e.ui.TearOff(ctx, e.set.TearOff); err != nil {
				return err
			}
			e.ui.Progress(ctx, msgs.Printing)
		}
		if err := e.printCopy(ctx, rec, c, reprint); err != nil {
			return err
		}
	}
	if err := e.journal.MarkPrinted(rec.ID); err != nil {
		return fail(msgs.JournalFailed, err)
	}
	return nil
}

// printCopy prints one copy; when the paper runs out part-way the merchant may
// reload it and the copy is printed again from the top, marked as a reprint (the
// first one was torn).
func (e *Engine) printCopy(ctx context.Context, rec store.Record, c receipt.Copy, reprint bool) error {
	for {
		err := e.dev.Printer.Print(ctx, receipt.Build(e.slipOf(rec, reprint), c, e.set.Layout))
		if err == nil {
			return nil
		}
		e.log.Warn("print slip", "record", rec.ID, "copy", int(c), "err", err)
		if !errors.Is(err, hal.ErrPaperOut) || !e.ui.PaperOut(ctx) {
			return err
		}
		reprint = true
	}
}

// Reprint prints the slips of the last transaction (stan 0) or of voucher stan of
// the current batch again, marked as a reprint.
func (e *Engine) Reprint(ctx context.Context, stan txtype.STAN) (store.Record, error) {
	var rec store.Record
	var err error
	if stan == 0 {
		rec, err = e.journal.Last()
	} else {
		rec, err = e.FindVoucher(stan)
	}
	if err != nil {
		return store.Record{}, fail(msgs.NoTransaction, err)
	}
	if rec.State != store.Approved {
		return rec, fail(msgs.NoTransaction, fmt.Errorf("last record %d is %s", rec.ID, rec.State))
	}
	e.audit("reprint", fmt.Sprintf("record %d", rec.ID))
	return rec, e.PrintSlips(ctx, rec, true)
}

// SignOff tells the host the terminal stops (0820); the working keys are dropped and
// the next transaction signs in again.
func (e *Engine) SignOff(ctx context.Context) error {
	req, err := e.networkRequest(txtype.SignOff)
	if err != nil {
		return err
	}
	rep, err := e.do(ctx, req, e.stage(ctx))
	if err != nil {
		return fail(hostlink.MessageCode(err), fmt.Errorf("sign-off: %w", err))
	}
	e.signedIn = false
	e.audit("sign-off", "operator "+e.set.Operator+" answered "+rep.RespCode)
	return nil
}

// SetOperator makes id the operator on slips and in host messages (an operator
// signed on at the terminal).
func (e *Engine) SetOperator(id string) {
	e.set.Operator = id
	e.audit("operator", "operator "+id+" signed on")
}

// Echo checks that the host answers (0820 echo test).
func (e *Engine) Echo(ctx context.Context) error {
	req, err := e.networkRequest(txtype.Echo)
	if err != nil {
		return err
	}
	rep, err := e.do(ctx, req, e.stage(ctx))
	if err != nil {
		return fail(hostlink.MessageCode(err), fmt.Errorf("echo: %w", err))
	}
	if rep.RespCode != "00" {
		return &Failure{Code: msgs.Declined, Err: fmt.Errorf("echo answered %s", rep.RespCode)}
	}
	return nil
}

// Today lists the journal's transactions since local midnight, newest first.
func (e *Engine) Today() ([]store.Record, error) {
	now := e.now()
	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	recs, err := e.journal.List(store.Filter{From: from})
	if err != nil {
		return nil, fail(msgs.JournalFailed, err)
	}
	return recs, nil
}

func (e *Engine) slipOf(r store.Record, reprint bool) receipt.Slip {
	s := receipt.Slip{Merchant: e.set.Merchant, Operator: r.Operator, Type: r.Type, CardOrg: r.CardOrg,
		Issuer: r.Issuer, MaskedPAN: r.MaskedPAN, Entry: r.Entry, Expiry: r.Expiry, Batch: r.Batch,
		Voucher: r.STAN, AuthCode: r.AuthCode, RRN: r.RRN, Time: r.HostTime, Amount: r.Amount,
		Signature: r.CVM == "" || r.CVM == "signature", Reprint: reprint}
	if o := r.Original; o != nil {
		s.Original = &receipt.Original{Voucher: o.STAN, RRN: o.RRN, Date: o.Date}
	}
	if r.Chip != nil {
		c := *r.Chip
		s.Chip = &receipt.Chip{AID: c.AID, Label: c.Label, CryptogramType: c.CryptogramType,
			Cryptogram: c.Cryptogram, TVR: c.TVR, TSI: c.TSI, ATC: c.ATC}
	}
	return s
}
