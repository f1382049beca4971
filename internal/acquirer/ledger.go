package acquirer

import (
	"time"

	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/iso8583"
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
	Reversals      int    // how many 0400s for it arrived (repeats are answered, not applied)
	ReversalReason string // field 39 of the first reversal
	Voided         bool   // a void (or completion/pre-auth void) approved against it
	ScriptResults  string // DF31 of the script-result advice, hex ("" none arrived)
}

type record struct {
	Entry
	pan     string  // clear, for balances; never leaves the package
	orig    *record // a void's original
	foreign bool    // not a CUP card: settled in the foreign card group
}

type ledgerKey struct {
	tid  string
	stan txtype.STAN
}

// ledger is guarded by Server.mu. Look-ups are by map so that the simulator stays
// fast under load.
type ledger struct {
	recs   []*record
	byKey  map[ledgerKey]*record // latest record per terminal and STAN
	byRRN  map[string]*record
	spentP map[string]int64 // clear PAN → standing debits less refunds
	// orphanReversals counts reversals whose original the host never approved.
	orphanReversals int
}

// effect is what r takes from its card's balance while it stands.
func (r *record) effect() int64 {
	switch r.Type {
	case txtype.Refund:
		return -r.Amount.Minor
	case txtype.Sale, txtype.PreAuthCompletion, txtype.PreAuthCompletionAdvice:
		return r.Amount.Minor
	}
	return 0
}

func (l *ledger) add(r *record) {
	if l.byKey == nil {
		l.byKey = make(map[ledgerKey]*record)
		l.byRRN = make(map[string]*record)
		l.spentP = make(map[string]int64)
	}
	l.recs = append(l.recs, r)
	l.byKey[ledgerKey{r.TerminalID, r.STAN}] = r
	l.byRRN[r.RRN] = r
	l.spentP[r.pan] += r.effect()
}

// find returns the latest approved record of terminal tid with the given STAN, or nil.
// A void or reversal names its original by STAN within the terminal.
func (l *ledger) find(tid string, stan txtype.STAN) *record {
	return l.byKey[ledgerKey{tid, stan}]
}

// findRRN returns the record with the given RRN, or nil.
func (l *ledger) findRRN(rrn string) *record { return l.byRRN[rrn] }

// reverse marks the original of a reversal reversed. It is idempotent: the first
// reason stays. It reports whether the original was known.
func (l *ledger) reverse(tid string, stan txtype.STAN, reason string) bool {
	r := l.find(tid, stan)
	if r == nil {
		l.orphanReversals++
		return false
	}
	r.Reversals++
	if !r.Reversed {
		r.Reversed = true
		r.ReversalReason = reason
		if !r.Voided {
			l.spentP[r.pan] -= r.effect()
		}
		if o := r.orig; o != nil && o.Voided && !o.Reversed {
			// The void is undone: its original stands again.
			o.Voided = false
			l.spentP[o.pan] += o.effect()
		}
	}
	return true
}

// void marks r voided.
func (l *ledger) void(r *record) {
	if !r.Voided && !r.Reversed {
		l.spentP[r.pan] -= r.effect()
	}
	r.Voided = true
}

// spent is what the card's approved, standing transactions have taken from its
// balance: debits less refunds.
func (l *ledger) spent(pan string) int64 { return l.spentP[pan] }

func (l *ledger) snapshot() []Entry {
	out := make([]Entry, len(l.recs))
	for i, r := range l.recs {
		out[i] = r.Entry
	}
	return out
}

// totals are the batch totals of terminal tid as the host counts them for
// settlement: debits are the standing (neither reversed nor voided) sales and
// pre-auth completions, credits the standing refunds; voids and pre-auths are not
// counted. CUP cards are domestic, the others foreign.
func (l *ledger) totals(tid string, batch txtype.Batch) iso8583.Totals {
	var t iso8583.Totals
	for _, r := range l.recs {
		if r.TerminalID != tid || r.Batch != batch || r.Reversed || r.Voided {
			continue
		}
		debit := r.Type == txtype.Sale || r.Type == txtype.PreAuthCompletion || r.Type == txtype.PreAuthCompletionAdvice
		credit := r.Type == txtype.Refund
		switch {
		case debit && !r.foreign:
			t.DebitAmount += r.Amount.Minor
			t.DebitCount++
		case credit && !r.foreign:
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

// forget removes terminal tid's records and their effect on balances.
func (l *ledger) forget(tid string) int {
	kept := l.recs[:0]
	n := 0
	for _, r := range l.recs {
		if r.TerminalID == tid {
			if !r.Reversed && !r.Voided {
				l.spentP[r.pan] -= r.effect()
			}
			if l.byKey[ledgerKey{r.TerminalID, r.STAN}] == r {
				delete(l.byKey, ledgerKey{r.TerminalID, r.STAN})
			}
			if l.byRRN[r.RRN] == r {
				delete(l.byRRN, r.RRN)
			}
			n++
			continue
		}
		kept = append(kept, r)
	}
	l.recs = kept
	return n
}
