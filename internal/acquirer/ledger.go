package acquirer

import (
	"time"

	"countertop/internal/money"
	"countertop/internal/txtype"
)

// Entry is one approved transaction in the acquirer's ledger, as tests inspect it.
// It holds no clear card data.
type Entry struct {
	TerminalID     string
	STAN           txtype.STAN
	Batch          txtype.Batch
	Type           txtype.Type
	Amount         money.Amount
	MaskedPAN      string // "************0128"
	RRN            string
	AuthCode       string
	Time           time.Time
	Reversed       bool   // a 0400 for it arrived
	ReversalReason string // field 39 of the first reversal
	Voided         bool   // a void (or completion/pre-auth void) approved against it
}

type record struct {
	Entry
	pan string // clear, for balances; never leaves the package
}

// ledger is guarded by Server.mu.
type ledger struct {
	recs []*record
	// orphanReversals counts reversals whose original the host never approved.
	orphanReversals int
}

func (l *ledger) add(r *record) { l.recs = append(l.recs, r) }

// find returns the latest approved record of terminal tid with the given STAN, or nil.
// A void, refund or reversal names its original by STAN within the terminal.
func (l *ledger) find(tid string, stan txtype.STAN) *record {
	for i := len(l.recs) - 1; i >= 0; i-- {
		r := l.recs[i]
		if r.TerminalID == tid && r.STAN == stan {
			return r
		}
	}
	return nil
}

// findRRN returns the latest record with the given RRN, or nil.
func (l *ledger) findRRN(rrn string) *record {
	for i := len(l.recs) - 1; i >= 0; i-- {
		if l.recs[i].RRN == rrn {
			return l.recs[i]
		}
	}
	return nil
}

// reverse marks the original of a reversal reversed. It is idempotent: the first
// reason stays. It reports whether the original was known.
func (l *ledger) reverse(tid string, stan txtype.STAN, reason string) bool {
	r := l.find(tid, stan)
	if r == nil {
		l.orphanReversals++
		return false
	}
	if !r.Reversed {
		r.Reversed = true
		r.ReversalReason = reason
	}
	return true
}

// spent is what the card's approved, standing transactions have taken from its
// balance: debits less refunds.
func (l *ledger) spent(pan string) int64 {
	var n int64
	for _, r := range l.recs {
		if r.pan != pan || r.Reversed || r.Voided {
			continue
		}
		switch {
		case r.Type == txtype.Refund:
			n -= r.Amount.Minor
		case r.Type == txtype.Sale, r.Type == txtype.PreAuthCompletion:
			n += r.Amount.Minor
		}
	}
	return n
}

func (l *ledger) snapshot() []Entry {
	out := make([]Entry, len(l.recs))
	for i, r := range l.recs {
		out[i] = r.Entry
	}
	return out
}
