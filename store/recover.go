package store

import (
	"cmp"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Recovery is what the terminal must do at start with a transaction that Interrupted
// reports.
type Recovery int

// The recoveries.
const (
	// SendReversal: the transaction's reversal is pending (an unanswered request, or an
	// answer that could not be used). Hand it to the host link (PendingReversal, then
	// ReversalDone or DropReversal); until then the transaction is not approved.
	SendReversal Recovery = iota + 1
	// MarkFailed: a non-financial transaction (balance inquiry, sign-in) whose answer
	// never came. Nothing to undo; Finish it with State Failed.
	MarkFailed
	// OutcomeUnknown: a financial transaction left Pending with no reversal pending,
	// because its reversal was dropped after the retries ran out (冲正不成功). Show it
	// as unknown, never as approved; only the host's records can settle it.
	OutcomeUnknown
)

var recoveryNames = [...]string{"", "send-reversal", "mark-failed", "outcome-unknown"}

func (r Recovery) String() string {
	if r < SendReversal || r > OutcomeUnknown {
		return fmt.Sprintf("recovery(%d)", int(r))
	}
	return recoveryNames[r]
}

// Interruption is a transaction whose outcome is not settled, and what to do about it.
type Interruption struct {
	Record Record
	Action Recovery
}

// Interrupted returns, oldest first, every transaction a crash (or a lost answer)
// left unresolved: each record in state Pending, and the record whose reversal is
// pending whatever its state (an approval whose reply failed its MAC check stays
// Approved with a reversal pending: it must not be shown as approved). posd calls it
// at start, before it takes a payment. It reads an index, not every record.
func (db *DB) Interrupted() ([]Interruption, error) {
	var out []Interruption
	err := db.view(func(tx *bolt.Tx) error {
		rev := tx.Bucket(bucketReversal)
		ids := map[uint64]bool{}
		var order []uint64
		for _, b := range []*bolt.Bucket{tx.Bucket(bucketPending), rev} {
			err := b.ForEach(func(k, _ []byte) error {
				if id := keyID(k); !ids[id] {
					ids[id] = true
					order = append(order, id)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		for _, id := range order {
			r, err := loadRecord(tx, id)
			if err != nil {
				return err
			}
			var a Recovery
			switch {
			case rev.Get(idKey(id)) != nil:
				a = SendReversal
			case r.Type.Financial():
				a = OutcomeUnknown
			default:
				a = MarkFailed
			}
			out = append(out, Interruption{Record: r, Action: a})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("interrupted transactions: %w", err)
	}
	slices.SortFunc(out, func(a, b Interruption) int { return cmp.Compare(a.Record.ID, b.Record.ID) })
	return out, nil
}
