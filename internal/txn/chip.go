package txn

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"countertop/emv"
	"countertop/emv/emvtest"
	"countertop/emv/tlv"
	"countertop/hal"
	"countertop/internal/carddata"
	"countertop/internal/money"
	"countertop/internal/msgs"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/store"
)

// readerCard is the kernel's view of the card reader.
type readerCard struct{ r hal.CardReader }

func (c readerCard) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	return c.r.Transmit(ctx, apdu)
}

// chipPIN is the kernel's port to the PIN pad. Offline plaintext PIN needs a pad that
// returns a format 2 block for VERIFY, which hal.PINPad does not offer yet: the
// kernel is told the pad cannot do it and goes on down the CVM list.
type chipPIN struct {
	e      *Engine
	pan    carddata.PAN
	amount money.Amount
}

func (p chipPIN) OfflinePlaintextPIN(context.Context, emv.OfflinePINRequest) ([]byte, error) {
	return nil, emv.ErrPINPadUnavailable
}

func (p chipPIN) OnlinePIN(ctx context.Context) ([]byte, error) {
	p.e.ui.Progress(ctx, msgs.EnterPIN)
	block, err := p.e.dev.PINPad.ReadPIN(ctx, hal.PINEntry{PAN: p.pan, Amount: p.amount, MinLen: 4, MaxLen: 6, AllowBypass: true})
	switch {
	case errors.Is(err, hal.ErrPINBypassed):
		return nil, emv.ErrPINBypassed
	case errors.Is(err, hal.ErrCancelled):
		return nil, fail(msgs.Cancelled, err)
	case err != nil && ctx.Err() == nil:
		return nil, fmt.Errorf("%w: %w", emv.ErrPINPadUnavailable, err)
	case err != nil:
		return nil, err
	}
	return block.Reveal(), nil
}

// chooser lets the cardholder pick an application on the terminal's display.
type chooser struct{ e *Engine }

func (c chooser) Choose(ctx context.Context, cs []emv.Candidate) (int, error) {
	labels := make([]string, len(cs))
	for i, cand := range cs {
		labels[i] = cand.Label
		if labels[i] == "" {
			labels[i] = strings.ToUpper(hex.EncodeToString(cand.AID))
		}
	}
	return c.e.ui.Choose(ctx, labels)
}

func (c chooser) Confirm(ctx context.Context, cand emv.Candidate) (bool, error) {
	i, err := c.e.ui.Choose(ctx, []string{cand.Label})
	return i == 0 && err == nil, err
}

// CheckID implements emv.IDChecker: the merchant compares the card's identity
// document with the cardholder (PBOC CVM 20).
func (c chooser) CheckID(ctx context.Context, doc emv.IDDocument) (bool, error) {
	kind, ok := idKinds[doc.Type]
	if !ok {
		kind = msgs.IDOther
	}
	return c.e.ui.ConfirmID(ctx, kind, doc.Number)
}

// idKinds names the identity documents of 9F62; an unknown kind is "other".
var idKinds = map[emv.IDType]msgs.Code{
	emv.IDResident: msgs.IDResident, emv.IDOfficer: msgs.IDOfficer, emv.IDPassport: msgs.IDPassport,
	emv.IDEntry: msgs.IDEntry, emv.IDTemporary: msgs.IDTemporary, emv.IDOther: msgs.IDOther,
}

// chipCardData reads the card data of the inserted chip — application selection and
// records, no cryptogram — for the transactions that need only the card number and
// expiry (void, refund, the pre-authorisation family, balance).
func (e *Engine) chipCardData(ctx context.Context) (cardData, error) {
	if e.kernel == nil {
		return cardData{}, fail(msgs.ChipNotSupported, errors.New("no emv kernel configured"))
	}
	e.ui.Progress(ctx, msgs.ChipProcessing)
	tx := e.kernel.NewTransaction(readerCard{e.dev.Reader}, emv.Params{Time: e.now(), Cardholder: chooser{e}})
	if err := tx.Run(ctx, emv.StepRecords); err != nil {
		return cardData{}, e.chipFailure(tx, err)
	}
	pan, err := tx.PAN()
	if err != nil {
		return cardData{}, e.chipFailure(tx, fmt.Errorf("%w: card number: %w", emv.ErrCardError, err))
	}
	c := cardData{pan: pan, entry: txtype.EntryChip}
	if v, ok := tx.Get(0x5F24); ok && len(v) >= 2 {
		c.expiry = carddata.Expiry(hex.EncodeToString(v[:2]))
	}
	if v, ok := tx.Get(0x5F20); ok {
		c.holder = strings.TrimSpace(string(v))
	}
	return c, nil
}

// chipFailure maps a kernel error to what the merchant is told: a card that cannot
// be read by chip may be swiped instead (fallback), a blocked card may not.
func (e *Engine) chipFailure(tx *emv.Transaction, err error) error {
	var f *Failure
	if errors.As(err, &f) {
		return err
	}
	switch tx.Outcome() {
	case emv.CardBlocked:
		return fail(msgs.CardBlocked, err)
	case emv.NotAccepted, emv.CardError:
		e.fallback = true
		return fail(msgs.ChipFailedSwipe, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fail(msgs.Timeout, err)
	}
	e.fallback = true
	return fail(msgs.ChipFailedSwipe, err)
}

// chipData is what the slip and the journal keep of a chip transaction.
func chipData(tx *emv.Transaction) *store.ChipData {
	h := func(tag tlv.Tag) string {
		v, _ := tx.Get(tag)
		return strings.ToUpper(hex.EncodeToString(v))
	}
	d := &store.ChipData{AID: h(0x4F), TVR: tx.TVR().String(), TSI: tx.TSI().String(), ATC: h(0x9F36), Cryptogram: h(0x9F26)}
	if d.AID == "" {
		d.AID = h(0x84)
	}
	if v, ok := tx.Get(0x50); ok {
		d.Label = string(v)
	}
	if ac, ok := tx.ACType(); ok {
		d.CryptogramType = ac.String()
	}
	return d
}

// chipSale runs a sale with the chip of the inserted card through the EMV kernel:
// selection and card data, the merchant's confirmation, the rest of the kernel up
// to the first GENERATE AC (online PIN on the PIN pad when the CVM list asks), then
// online with field 55, and the card's completion (issuer data, second GENERATE AC)
// before the result is journaled. A card that declines after the host approved is
// reversed (96).
func (e *Engine) chipSale(ctx context.Context, amount money.Amount) (Result, error) {
	if e.kernel == nil {
		return Result{}, fail(msgs.ChipNotSupported, errors.New("no emv kernel configured"))
	}
	if err := e.ready(ctx); err != nil {
		return Result{}, err
	}
	e.ui.Progress(ctx, msgs.ChipProcessing)
	e.sequence++
	p := emv.Params{Amount: amount.Minor, Time: e.now(), Sequence: e.sequence, Cardholder: chooser{e}}
	pin := &chipPIN{e: e, amount: amount}
	p.PIN = pin
	var card emv.Card = readerCard{e.dev.Reader}
	if e.set.TraceDir != "" {
		rec := &emvtest.Recorder{Card: card}
		card = rec
		defer func() {
			path, err := writeTrace(e.set.TraceDir, e.now(), rec.T)
			if err != nil {
				e.log.Error("chip trace", "err", err)
				return
			}
			e.log.Info("chip trace written", "file", path, "exchanges", len(rec.T.Exchanges))
		}()
	}
	tx := e.kernel.NewTransaction(card, p)
	if err := tx.Run(ctx, emv.StepRecords); err != nil {
		return Result{}, e.chipFailure(tx, err)
	}
	panDigits, _ := tx.Get(0x5A)
	pan, err := carddata.ParsePAN(strings.TrimRight(strings.ToUpper(hex.EncodeToString(panDigits)), "F"))
	if err != nil {
		return Result{}, e.chipFailure(tx, fmt.Errorf("%w: card number: %w", emv.ErrCardError, err))
	}
	pin.pan = pan
	holder := ""
	if v, ok := tx.Get(0x5F20); ok {
		holder = strings.TrimSpace(string(v))
	}
	ok, err := e.confirm(ctx, pan, holder, amount)
	if err != nil {
		return Result{}, fail(msgs.Timeout, err)
	}
	if !ok {
		return Result{}, fail(msgs.Cancelled, nil)
	}
	e.ui.Progress(ctx, msgs.ChipProcessing)
	for _, step := range []func(context.Context) error{tx.Authenticate, tx.CheckRestrictions, tx.VerifyCardholder, tx.ManageRisk,
		func(ctx context.Context) error { _, err := tx.AnalyseActions(ctx); return err },
		func(ctx context.Context) error { _, err := tx.FirstGenAC(ctx); return err }} {
		if err := step(ctx); err != nil {
			return Result{}, e.chipFailure(tx, err)
		}
	}
	var expiry carddata.Expiry
	if v, ok := tx.Get(0x5F24); ok && len(v) >= 2 {
		expiry = carddata.Expiry(hex.EncodeToString(v[:2]))
	}
	seq := ""
	if v, ok := tx.Get(0x5F34); ok && len(v) == 1 {
		seq = fmt.Sprintf("%03x", v[0])
	}
	hash := pan.Hash(e.set.PANHashKey)
	rec := store.Record{Type: txtype.Sale, Amount: amount, MaskedPAN: pan.Masked(), PANHash: hash,
		PANSealed: e.seal(pan, hash), CardOrg: CardOrg(pan), Expiry: string(expiry), Entry: txtype.EntryChip,
		Operator: e.set.Operator, CVM: "none"}
	switch {
	case tx.SignatureRequired():
		rec.CVM = "signature"
	case len(tx.OnlinePINBlock()) > 0 || tx.TVR().Has(emv.TVROnlinePINEntered):
		rec.CVM = "pin"
	}
	switch tx.Outcome() {
	case emv.Approved, emv.Declined:
		return e.offlineChip(ctx, &rec, tx)
	case emv.Online:
	default:
		return Result{}, e.chipFailure(tx, fmt.Errorf("kernel outcome %s after GENERATE AC", tx.Outcome()))
	}
	req := iso8583.Request{Type: txtype.Sale, Terminal: e.set.Terminal, Operator: e.set.Operator, Amount: amount,
		PAN: pan, Expiry: expiry, Entry: txtype.EntryChip, CardSeq: seq, ICC: tx.Field55(),
		PINBlock: carddata.NewPINBlock(tx.OnlinePINBlock())}
	rec.Chip = chipData(tx)
	return e.onlineWith(ctx, &rec, req, func(r *store.Record, rep iso8583.Reply, hostErr error) {
		if hostErr != nil {
			// The card's session ends; the transaction's outcome is the host's.
			if err := tx.CompleteUnableOnline(ctx); err != nil {
				e.log.Info("complete unable online", "err", err)
			}
			return
		}
		approved := msgs.ResponseAction(rep.RespCode) == msgs.ActApprove
		err := tx.CompleteOnline(ctx, emv.HostResponse{Approved: approved, ARC: []byte(rep.RespCode), ICCData: rep.ICC})
		r.Chip = chipData(tx)
		if res := tx.IssuerScriptResults(); len(res) > 0 {
			// The host ran issuer scripts on the card: it is owed their results (DF31,
			// with the cryptogram and counters that identify the card session).
			r.ICC, r.Advice = scriptAdviceData(tx, res), txtype.ScriptAdvice
		}
		if approved && (err != nil || tx.ReversalRequired() || tx.Outcome() != emv.Approved) {
			// The host approved but the card refused at the second GENERATE AC (or went
			// away): the terminal cannot complete, so the host's approval is reversed.
			e.log.Warn("card declined after host approval", "err", err, "outcome", tx.Outcome().String())
			r.State, r.ReversalReason, r.Message = store.Declined, "96", string(msgs.CardDeclined)
		}
	})
}

// scriptAdviceData is field 55 of a script-result advice: DF31 (the results) with the
// card's cryptogram, ATC, TVR and terminal country.
func scriptAdviceData(tx *emv.Transaction, results []byte) string {
	out := []tlv.TLV{{Tag: 0xDF31, Value: results}}
	for _, tag := range []tlv.Tag{0x9F26, 0x9F36, 0x95, 0x9F1A, 0x82} {
		if v, ok := tx.Get(tag); ok {
			out = append(out, tlv.TLV{Tag: tag, Value: v})
		}
	}
	return strings.ToUpper(hex.EncodeToString(tlv.Encode(out...)))
}

// offlineChip journals a transaction the card decided offline (TC approves, AAC
// declines) with the EMV offline response codes Y1 and Z1; an approval is marked for
// its advice (the TC upload), which store-and-forward sends.
func (e *Engine) offlineChip(ctx context.Context, rec *store.Record, tx *emv.Transaction) (Result, error) {
	if err := e.riskCheck(ctx, rec); err != nil {
		return Result{}, err
	}
	if err := e.journal.Begin(rec); err != nil {
		return Result{}, fail(msgs.JournalFailed, err)
	}
	rec.ReversalReason, rec.HostTime, rec.Chip = "", e.now(), chipData(tx)
	res := Result{}
	if tx.Outcome() == emv.Approved {
		rec.State, rec.RespCode, rec.Message = store.Approved, "Y1", string(msgs.Approved)
		// The host learns of it by an advice (TC upload), forwarded before the next
		// online transaction and before settlement.
		rec.ICC, rec.Advice = strings.ToUpper(hex.EncodeToString(tx.Field55())), txtype.TCUpload
		rec.Slip = e.slipText(*rec)
		res.Approved = true
		res.Text = msgs.Text(msgs.Approved, e.set.Layout.Lang)
	} else {
		rec.State, rec.RespCode, rec.Message = store.Declined, "Z1", string(msgs.CardDeclined)
		res.Text = msgs.Text(msgs.CardDeclined, e.set.Layout.Lang)
	}
	if err := e.journal.Finish(rec); err != nil {
		return Result{}, fail(msgs.JournalFailed, err)
	}
	res.Record = *rec
	if res.Approved {
		res.PrintErr = e.PrintSlips(ctx, *rec, false)
		res.Record.Printed = res.PrintErr == nil
	}
	return res, nil
}
