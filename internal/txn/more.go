package txn

import (
	"context"
	"errors"
	"fmt"

	"countertop/hal"
	"countertop/internal/carddata"
	"countertop/internal/hostlink"
	"countertop/internal/money"
	"countertop/internal/msgs"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/store"
)

// cardOf reads the card data of ev: a swipe's track, or an inserted chip's records.
func (e *Engine) cardOf(ctx context.Context, ev hal.CardEvent) (cardData, error) {
	if ev.Kind == hal.CardInserted {
		return e.chipCardData(ctx)
	}
	return readCard(ev, false)
}

// capture reads the card of ev, makes the terminal ready (signed in, no reversal
// pending), has the merchant confirm and, when pin is set, collects the PIN.
func (e *Engine) capture(ctx context.Context, ev hal.CardEvent, amount money.Amount, pin bool) (cardData, carddata.PINBlock, error) {
	return e.captureCard(ctx, ev, nil, amount, pin)
}

// captureCard is capture with the card data already read (known, when not nil).
func (e *Engine) captureCard(ctx context.Context, ev hal.CardEvent, known *cardData, amount money.Amount, pin bool) (cardData, carddata.PINBlock, error) {
	var card cardData
	if known != nil {
		card = *known
	} else {
		var err error
		if card, err = e.cardOf(ctx, ev); err != nil {
			return cardData{}, carddata.PINBlock{}, err
		}
	}
	if err := e.ready(ctx); err != nil {
		return cardData{}, carddata.PINBlock{}, err
	}
	ok, err := e.confirm(ctx, card.pan, card.holder, amount)
	if err != nil {
		return cardData{}, carddata.PINBlock{}, fail(msgs.Timeout, err)
	}
	if !ok {
		return cardData{}, carddata.PINBlock{}, fail(msgs.Cancelled, nil)
	}
	if !pin {
		return card, carddata.PINBlock{}, nil
	}
	e.ui.Progress(ctx, msgs.EnterPIN)
	block, err := e.dev.PINPad.ReadPIN(ctx, hal.PINEntry{PAN: card.pan, Amount: amount, MinLen: 4, MaxLen: 6, AllowBypass: true})
	switch {
	case err == nil, errors.Is(err, hal.ErrPINBypassed):
		return card, block, nil
	case errors.Is(err, hal.ErrCancelled):
		return cardData{}, carddata.PINBlock{}, fail(msgs.Cancelled, err)
	case errors.Is(err, hal.ErrNoKey):
		e.signedIn = false
		return cardData{}, carddata.PINBlock{}, fail(msgs.SignInNeeded, err)
	case ctx.Err() != nil:
		return cardData{}, carddata.PINBlock{}, fail(msgs.Timeout, err)
	}
	return cardData{}, carddata.PINBlock{}, fail(msgs.PINPadFailed, err)
}

// record starts a journal record for a card transaction.
func (e *Engine) record(t txtype.Type, amount money.Amount, card cardData, pin carddata.PINBlock) store.Record {
	hash := card.pan.Hash(e.set.PANHashKey)
	return store.Record{Type: t, Amount: amount, MaskedPAN: card.pan.Masked(), PANHash: hash,
		PANSealed: e.seal(card.pan, hash), CardOrg: CardOrg(card.pan), Expiry: string(card.expiry),
		Entry: card.entry, Operator: e.set.Operator, CVM: cvmOf(pin)}
}

func (e *Engine) request(t txtype.Type, amount money.Amount, card cardData, pin carddata.PINBlock) iso8583.Request {
	return iso8583.Request{Type: t, Terminal: e.set.Terminal, Operator: e.set.Operator, Amount: amount,
		PAN: card.pan, Track2: card.track2, Expiry: card.expiry, Entry: card.entry, PINBlock: pin}
}

// FindVoucher returns the record of voucher (trace) number stan in the current batch.
func (e *Engine) FindVoucher(stan txtype.STAN) (store.Record, error) {
	batch, err := e.journal.Batch()
	if err != nil {
		return store.Record{}, fail(msgs.JournalFailed, err)
	}
	rec, err := e.journal.ByVoucher(batch, stan)
	if errors.Is(err, store.ErrNotFound) {
		return store.Record{}, fail(msgs.OriginalNotFound, err)
	}
	if err != nil {
		return store.Record{}, fail(msgs.JournalFailed, err)
	}
	return rec, nil
}

// Voidable checks that orig is an approved, not yet voided transaction of type want
// (a sale for a void, a pre-authorisation for its void or completion).
func Voidable(orig store.Record, want txtype.Type) error {
	switch {
	case orig.State == store.Voided:
		return fail(msgs.AlreadyVoided, fmt.Errorf("record %d is voided", orig.ID))
	case orig.Type != want:
		return fail(msgs.NotVoidable, fmt.Errorf("record %d is a %s", orig.ID, orig.Type))
	case orig.State != store.Approved:
		return fail(msgs.NotVoidable, fmt.Errorf("record %d is %s", orig.ID, orig.State))
	}
	return nil
}

// Void cancels the approved sale with voucher number stan of the current batch. The
// card must be presented again and be the card of the sale.
func (e *Engine) Void(ctx context.Context, stan txtype.STAN, ev hal.CardEvent) (Result, error) {
	orig, err := e.FindVoucher(stan)
	if err != nil {
		return Result{}, err
	}
	if err := Voidable(orig, txtype.Sale); err != nil {
		return Result{}, err
	}
	return e.voidOf(ctx, orig, txtype.Void, ev)
}

func (e *Engine) voidOf(ctx context.Context, orig store.Record, t txtype.Type, ev hal.CardEvent) (Result, error) {
	card, err := e.cardOf(ctx, ev)
	if err != nil {
		return Result{}, err
	}
	if card.pan.Hash(e.set.PANHashKey) != orig.PANHash {
		return Result{}, fail(msgs.CardMismatch, fmt.Errorf("card is not the card of record %d", orig.ID))
	}
	card, pin, err := e.captureCard(ctx, ev, &card, orig.Amount, false)
	if err != nil {
		return Result{}, err
	}
	rec := e.record(t, orig.Amount, card, pin)
	rec.Original = &store.OriginalRef{ID: orig.ID, STAN: orig.STAN, Batch: orig.Batch, RRN: orig.RRN,
		Date: orig.HostTime.Format("0102")}
	req := e.request(t, orig.Amount, card, pin)
	req.Original = &iso8583.Original{Type: orig.Type, Batch: orig.Batch, STAN: orig.STAN, RRN: orig.RRN,
		AuthCode: orig.AuthCode, Date: orig.HostTime.Format("0102")}
	return e.online(ctx, &rec, req)
}

// Refund returns amount to the card of an earlier sale identified by its reference
// number and date (MMDD). When the sale is in this terminal's journal the refund is
// limited to its amount.
func (e *Engine) Refund(ctx context.Context, amount money.Amount, rrn, date string, ev hal.CardEvent) (Result, error) {
	if len(rrn) != 12 || len(date) != 4 {
		return Result{}, fail(msgs.OriginalNotFound, fmt.Errorf("reference %q date %q", rrn, date))
	}
	if orig, err := e.journal.ByRRN(rrn); err == nil {
		if orig.Type != txtype.Sale && orig.Type != txtype.PreAuthCompletion {
			return Result{}, fail(msgs.NotRefundable, fmt.Errorf("record %d is a %s", orig.ID, orig.Type))
		}
		if amount.Minor > orig.Amount.Minor {
			return Result{}, fail(msgs.RefundTooLarge, fmt.Errorf("refund %d over original %d", amount.Minor, orig.Amount.Minor))
		}
	}
	card, pin, err := e.capture(ctx, ev, amount, false)
	if err != nil {
		return Result{}, err
	}
	rec := e.record(txtype.Refund, amount, card, pin)
	rec.Original = &store.OriginalRef{RRN: rrn, Date: date}
	req := e.request(txtype.Refund, amount, card, pin)
	req.Original = &iso8583.Original{Type: txtype.Sale, RRN: rrn, Date: date}
	return e.online(ctx, &rec, req)
}

// PreAuth reserves amount on the card.
func (e *Engine) PreAuth(ctx context.Context, amount money.Amount, ev hal.CardEvent) (Result, error) {
	card, pin, err := e.capture(ctx, ev, amount, true)
	if err != nil {
		return Result{}, err
	}
	rec := e.record(txtype.PreAuth, amount, card, pin)
	return e.online(ctx, &rec, e.request(txtype.PreAuth, amount, card, pin))
}

// PreAuthVoid releases the pre-authorisation with voucher number stan.
func (e *Engine) PreAuthVoid(ctx context.Context, stan txtype.STAN, ev hal.CardEvent) (Result, error) {
	orig, err := e.FindVoucher(stan)
	if err != nil {
		return Result{}, err
	}
	if err := Voidable(orig, txtype.PreAuth); err != nil {
		return Result{}, err
	}
	return e.voidOf(ctx, orig, txtype.PreAuthVoid, ev)
}

// PreAuthCompletion completes the pre-authorisation with voucher number stan for
// amount (at most the authorised amount, as CUP hosts allow a completion of up to
// the pre-authorised amount).
func (e *Engine) PreAuthCompletion(ctx context.Context, stan txtype.STAN, amount money.Amount, ev hal.CardEvent) (Result, error) {
	orig, card, pin, err := e.completionOf(ctx, stan, amount, ev, true)
	if err != nil {
		return Result{}, err
	}
	rec := e.record(txtype.PreAuthCompletion, amount, card, pin)
	date := orig.HostTime.Format("0102")
	rec.Original = &store.OriginalRef{ID: orig.ID, STAN: orig.STAN, Batch: orig.Batch, RRN: orig.RRN, Date: date}
	req := e.request(txtype.PreAuthCompletion, amount, card, pin)
	req.Original = &iso8583.Original{Type: txtype.PreAuth, Batch: orig.Batch, STAN: orig.STAN, RRN: orig.RRN,
		AuthCode: orig.AuthCode, Date: date}
	return e.online(ctx, &rec, req)
}

// completionOf finds the pre-authorisation with voucher number stan that a
// completion of amount may complete, checks that ev is its card, and captures the
// card (and, when pin, the PIN).
func (e *Engine) completionOf(ctx context.Context, stan txtype.STAN, amount money.Amount, ev hal.CardEvent, pin bool) (store.Record, cardData, carddata.PINBlock, error) {
	orig, err := e.FindVoucher(stan)
	if err != nil {
		return store.Record{}, cardData{}, carddata.PINBlock{}, err
	}
	if err := Voidable(orig, txtype.PreAuth); err != nil {
		return store.Record{}, cardData{}, carddata.PINBlock{}, err
	}
	if amount.Minor > orig.Amount.Minor {
		return store.Record{}, cardData{}, carddata.PINBlock{}, fail(msgs.RefundTooLarge, fmt.Errorf("completion %d over pre-auth %d", amount.Minor, orig.Amount.Minor))
	}
	card, err := e.cardOf(ctx, ev)
	if err != nil {
		return store.Record{}, cardData{}, carddata.PINBlock{}, err
	}
	if card.pan.Hash(e.set.PANHashKey) != orig.PANHash {
		return store.Record{}, cardData{}, carddata.PINBlock{}, fail(msgs.CardMismatch, fmt.Errorf("card is not the card of record %d", orig.ID))
	}
	card, block, err := e.captureCard(ctx, ev, &card, amount, pin)
	if err != nil {
		return store.Record{}, cardData{}, carddata.PINBlock{}, err
	}
	return orig, card, block, nil
}

// CompletionAdvice completes the pre-authorisation with voucher number stan offline
// (预授权完成通知): the completion is journaled as approved at once, under the
// pre-authorisation's authorisation code, and the host is told by an advice (0220)
// that store-and-forward sends before the next online transaction or settlement.
func (e *Engine) CompletionAdvice(ctx context.Context, stan txtype.STAN, amount money.Amount, ev hal.CardEvent) (Result, error) {
	orig, card, pin, err := e.completionOf(ctx, stan, amount, ev, false)
	if err != nil {
		return Result{}, err
	}
	rec := e.record(txtype.PreAuthCompletionAdvice, amount, card, pin)
	date := orig.HostTime.Format("0102")
	rec.Original = &store.OriginalRef{ID: orig.ID, STAN: orig.STAN, Batch: orig.Batch, RRN: orig.RRN, Date: date}
	if err := e.riskCheck(ctx, &rec); err != nil {
		return Result{}, err
	}
	if err := e.journal.Begin(&rec); err != nil {
		return Result{}, fail(msgs.JournalFailed, err)
	}
	rec.State, rec.Message, rec.ReversalReason = store.Approved, string(msgs.Approved), ""
	rec.AuthCode, rec.HostTime, rec.Advice = orig.AuthCode, e.now(), txtype.PreAuthCompletionAdvice
	rec.Slip = e.slipText(rec)
	if err := e.journal.Finish(&rec); err != nil {
		return Result{}, fail(msgs.JournalFailed, err)
	}
	res := Result{Record: rec, Approved: true, Text: msgs.Text(msgs.Approved, e.set.Layout.Lang)}
	res.PrintErr = e.PrintSlips(ctx, rec, false)
	res.Record.Printed = res.PrintErr == nil
	return res, nil
}

// Balance asks the issuer for the card's available balance. Like NL terminals it is
// not journaled and prints no slip.
func (e *Engine) Balance(ctx context.Context, ev hal.CardEvent) (money.Amount, string, error) {
	cur := e.set.Currency
	if cur.Code == "" {
		cur = money.CNY
	}
	card, pin, err := e.capture(ctx, ev, money.New(0, cur), true)
	if err != nil {
		return money.Amount{}, "", err
	}
	stan, err := e.journal.NextSTAN()
	if err != nil {
		return money.Amount{}, "", fail(msgs.JournalFailed, err)
	}
	batch, err := e.journal.Batch()
	if err != nil {
		return money.Amount{}, "", fail(msgs.JournalFailed, err)
	}
	req := e.request(txtype.Balance, money.New(0, cur), card, pin)
	req.STAN, req.Batch = stan, batch
	rep, err := e.do(ctx, req, e.stage(ctx))
	if err != nil {
		return money.Amount{}, "", fail(hostlink.MessageCode(err), err)
	}
	text := msgs.ResponseText(rep.RespCode, e.set.Layout.Lang)
	if msgs.ResponseAction(rep.RespCode) != msgs.ActApprove || rep.Balance == nil {
		return money.Amount{}, text, &Failure{Code: msgs.Declined, Err: fmt.Errorf("balance inquiry answered %s", rep.RespCode)}
	}
	return *rep.Balance, text, nil
}
