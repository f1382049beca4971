package txn

import (
	"context"
	"fmt"

	"countertop/hal"
	"countertop/internal/fees"
	"countertop/internal/hostlink"
	"countertop/internal/money"
	"countertop/internal/msgs"
	"countertop/internal/receipt"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/store"
)

// Settlement is the outcome of a batch settlement.
type Settlement struct {
	Batch     txtype.Batch // the batch that was settled
	Totals    iso8583.Totals
	Result    string // the host's verdict per card group, "11": both balanced
	Balanced  bool
	Uploaded  int   // transactions uploaded (0320) after an unbalanced settlement
	UploadErr error // the batch upload did not finish; the merchant is told
	Slip      hal.Document
	PrintErr  error
}

// BatchTotals adds up the current batch as settlement reports it: approved sales and
// completions are debits, approved refunds credits, UnionPay cards domestic and the
// others foreign; voided and reversed transactions do not count.
func BatchTotals(recs []store.Record) iso8583.Totals {
	var t iso8583.Totals
	for _, r := range recs {
		if r.State != store.Approved {
			continue
		}
		debit := r.Type == txtype.Sale || r.Type == txtype.PreAuthCompletion || r.Type == txtype.PreAuthCompletionAdvice
		credit := r.Type == txtype.Refund
		foreign := r.CardOrg != "" && r.CardOrg != "CUP"
		switch {
		case debit && !foreign:
			t.DebitAmount += r.Amount.Minor
			t.DebitCount++
		case credit && !foreign:
			t.CreditAmount += r.Amount.Minor
			t.CreditCount++
		case debit:
			t.ForeignDebitAmount += r.Amount.Minor
			t.ForeignDebitCount++
		case credit:
			t.ForeignCreditAmount += r.Amount.Minor
			t.ForeignCreditCount++
		}
	}
	return t
}

// uploadBatch sends each approved transaction of the batch to the host (0320), then
// the batch end with the count, after the host found the totals different.
func (e *Engine) uploadBatch(ctx context.Context, batch txtype.Batch, recs []store.Record) (int, error) {
	n := 0
	for _, r := range recs {
		if r.State != store.Approved || (r.Type != txtype.Sale && r.Type != txtype.PreAuthCompletion &&
			r.Type != txtype.PreAuthCompletionAdvice && r.Type != txtype.Refund) {
			continue
		}
		stan, err := e.journal.NextSTAN()
		if err != nil {
			return n, fail(msgs.JournalFailed, err)
		}
		req := iso8583.Request{Type: txtype.BatchUpload, Terminal: e.set.Terminal, STAN: stan, Batch: batch,
			Operator: e.set.Operator, Amount: r.Amount, PAN: e.unseal(r), Entry: r.Entry,
			Original: &iso8583.Original{Type: r.Type, Batch: r.Batch, STAN: r.STAN, RRN: r.RRN, AuthCode: r.AuthCode}}
		if _, err := e.do(ctx, req, nil); err != nil {
			return n, fail(hostlink.MessageCode(err), fmt.Errorf("upload record %d: %w", r.ID, err))
		}
		n++
	}
	stan, err := e.journal.NextSTAN()
	if err != nil {
		return n, fail(msgs.JournalFailed, err)
	}
	end := iso8583.Request{Type: txtype.BatchEnd, Terminal: e.set.Terminal, STAN: stan, Batch: batch,
		Operator: e.set.Operator, Count: n}
	if _, err := e.do(ctx, end, nil); err != nil {
		return n, fail(hostlink.MessageCode(err), fmt.Errorf("batch end: %w", err))
	}
	return n, nil
}

func unrated(s fees.Summary) int {
	n := 0
	for _, o := range s.Orgs {
		n += o.Unrated
	}
	return n
}

// Settle sends the current batch's totals to the host (after any pending reversal),
// moves to the next batch, and prints the settlement slip. When the host finds the
// totals different, every approved transaction of the batch is uploaded (0320) and
// the upload closed with the count, and the slip says the batch was not balanced.
func (e *Engine) Settle(ctx context.Context) (Settlement, error) {
	if err := e.ready(ctx); err != nil {
		return Settlement{}, err
	}
	batch, err := e.journal.Batch()
	if err != nil {
		return Settlement{}, fail(msgs.JournalFailed, err)
	}
	recs, err := e.journal.List(store.Filter{Batch: &batch})
	if err != nil {
		return Settlement{}, fail(msgs.JournalFailed, err)
	}
	totals := BatchTotals(recs)
	stan, err := e.journal.NextSTAN()
	if err != nil {
		return Settlement{}, fail(msgs.JournalFailed, err)
	}
	req := iso8583.Request{Type: txtype.Settlement, Terminal: e.set.Terminal, STAN: stan, Batch: batch,
		Operator: e.set.Operator, Totals: &totals}
	rep, err := e.do(ctx, req, e.stage(ctx))
	if err != nil {
		return Settlement{}, fail(hostlink.MessageCode(err), fmt.Errorf("settlement: %w", err))
	}
	if msgs.ResponseAction(rep.RespCode) != msgs.ActApprove {
		return Settlement{}, &Failure{Code: msgs.Declined, Err: fmt.Errorf("settlement answered %s", rep.RespCode)}
	}
	s := Settlement{Batch: batch, Totals: totals, Result: rep.SettleResult, Balanced: true}
	for i := 0; i < len(rep.SettleResult); i++ {
		if rep.SettleResult[i] != '1' {
			s.Balanced = false
		}
	}
	result := store.Balanced
	if !s.Balanced {
		result = store.Unbalanced
	}
	sums := func(dc int, da int64, cc int, ca int64) store.Sums {
		return store.Sums{DebitCount: dc, Debit: money.New(da, e.set.Currency), CreditCount: cc, Credit: money.New(ca, e.set.Currency)}
	}
	if _, err := e.journal.RecordSettlement(batch, store.Totals{
		Domestic: sums(totals.DebitCount, totals.DebitAmount, totals.CreditCount, totals.CreditAmount),
		Foreign:  sums(totals.ForeignDebitCount, totals.ForeignDebitAmount, totals.ForeignCreditCount, totals.ForeignCreditAmount),
	}, result); err != nil {
		return Settlement{}, fail(msgs.JournalFailed, err)
	}
	if err := e.journal.SetBatch(batch + 1); err != nil {
		return Settlement{}, fail(msgs.JournalFailed, err)
	}
	e.audit("settlement", fmt.Sprintf("batch %s result %q debit %d/%d credit %d/%d", batch, rep.SettleResult,
		totals.DebitCount+totals.ForeignDebitCount, totals.DebitAmount+totals.ForeignDebitAmount,
		totals.CreditCount+totals.ForeignCreditCount, totals.CreditAmount+totals.ForeignCreditAmount))
	if !s.Balanced {
		e.log.Warn("settlement not balanced: uploading the batch", "batch", batch.String(), "result", rep.SettleResult)
		e.ui.Progress(ctx, msgs.BatchUploading)
		s.Uploaded, s.UploadErr = e.uploadBatch(ctx, batch, recs)
		if s.UploadErr != nil {
			e.log.Error("batch upload", "uploaded", s.Uploaded, "err", s.UploadErr)
		}
		e.audit("batch-upload", fmt.Sprintf("batch %s: %d transactions uploaded, err %v", batch, s.Uploaded, s.UploadErr))
	}
	group := func(i int, dc int, da int64, cc int, ca int64) receipt.GroupTotals {
		g := receipt.GroupTotals{DebitCount: dc, DebitAmount: da, CreditCount: cc, CreditAmount: ca}
		if i < len(rep.SettleResult) {
			g.Result = rep.SettleResult[i]
		}
		return g
	}
	when := rep.HostTime
	if when.IsZero() {
		when = e.now()
	}
	slip := receipt.Settlement{Merchant: e.set.Merchant, Operator: e.set.Operator,
		Batch: batch, Time: when, Currency: e.set.Currency, Uploaded: s.Uploaded,
		Domestic: group(0, totals.DebitCount, totals.DebitAmount, totals.CreditCount, totals.CreditAmount),
		Foreign:  group(1, totals.ForeignDebitCount, totals.ForeignDebitAmount, totals.ForeignCreditCount, totals.ForeignCreditAmount),
	}
	if e.set.Fees != nil {
		sum := e.set.Fees.Estimate(recs)
		slip.Fees = &receipt.FeeSummary{Gross: sum.Total.Gross, Fees: sum.Total.Fees, Net: sum.Total.Net, Understated: unrated(sum) > 0}
	}
	s.Slip = receipt.BuildSettlement(slip, e.set.Layout)
	e.ui.Progress(ctx, msgs.Printing)
	s.PrintErr = e.dev.Printer.Print(ctx, s.Slip)
	if e.set.AfterSettle != nil {
		e.set.AfterSettle(ctx, batch)
	}
	return s, nil
}
