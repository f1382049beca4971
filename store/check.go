package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"

	"countertop/internal/txtype"
)

// maxProblems caps how many problems one check reports.
const maxProblems = 20

// Check verifies the journal: bbolt's page check (no page lost or used twice), then
// that every record decodes, that every index entry and the pending reversal agree with
// the records, and that the counters are in range. It returns ErrCorrupt wrapping the
// first problems found. It waits for (and blocks) writers while it runs.
func (db *DB) Check() error {
	var err error
	if db.bolt.IsReadOnly() {
		err = db.view(func(tx *bolt.Tx) error { return check(tx, true) })
	} else {
		// bbolt's check is only safe against concurrent writers inside the write lock.
		var tx *bolt.Tx
		if tx, err = db.bolt.Begin(true); err == nil {
			err = check(tx, true)
			_ = tx.Rollback()
		}
		err = mapErr(err)
	}
	if err != nil {
		return fmt.Errorf("check journal %s: %w", db.path, err)
	}
	return nil
}

// checkOpen runs checkSize and the quick check: bbolt's page check, counters, index
// sizes and the pending reversal, without reading every record.
func checkOpen(tx *bolt.Tx) error {
	if err := checkSize(tx); err != nil {
		return err
	}
	return check(tx, false)
}

// checkSize makes sure the file holds every page its meta page counts: reading past
// the end of a truncated file would kill the process (SIGBUS) instead of returning an
// error.
func checkSize(tx *bolt.Tx) error {
	st, err := os.Stat(tx.DB().Path())
	if err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	if st.Size() < tx.Size() {
		return fmt.Errorf("%w: file is %d bytes, its meta page counts %d: truncated", ErrCorrupt, st.Size(), tx.Size())
	}
	return nil
}

// check runs the page check and, for a file at the current schema version, the index
// check (full: record by record; otherwise counts only). A fresh (empty) file passes.
func check(tx *bolt.Tx, full bool) error {
	var problems []error
	for err := range tx.Check() {
		if len(problems) < maxProblems {
			problems = append(problems, err)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: bbolt page check: %w", ErrCorrupt, errors.Join(problems...))
	}
	version, fresh, err := readVersion(tx)
	if err != nil || fresh || version != schemaVersion() {
		return err // older files are checked after their migration, newer ones refused
	}
	return checkIndexes(tx, full)
}

// indexed is the part of a stored record the indexes and the reversal depend on;
// decoding only this keeps the check of a large journal fast.
type indexed struct {
	ID        uint64        `json:"id"`
	Type      txtype.Type   `json:"type"`
	State     State         `json:"state"`
	STAN      txtype.STAN   `json:"stan"`
	Batch     txtype.Batch  `json:"batch"`
	RRN       string        `json:"rrn"`
	CreatedAt time.Time     `json:"created_at"`
	Original  *diskOriginal `json:"original"`
}

// checkIndexes checks the indexes and the reversal bucket against the records. Each
// index must hold as many entries as there are records it covers (none stray); the full
// check also reads every record and finds its own entries (none missing or shared).
func checkIndexes(tx *bolt.Tx, full bool) error {
	var problems []error
	add := func(format string, args ...any) {
		if len(problems) < maxProblems {
			problems = append(problems, fmt.Errorf(format, args...))
		}
	}
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			add("bucket %s missing", name)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %w", ErrCorrupt, errors.Join(problems...))
	}
	meta := tx.Bucket(bucketMeta)
	if b := getUint32(meta, keyBatch); b < 1 || b > 999999 {
		add("batch %d out of range", b)
	}
	if s := getUint32(meta, keySTAN); s > 999999 {
		add("stan counter %d out of range", s)
	}
	txns, vouchers, dates, rrns := tx.Bucket(bucketTxns), tx.Bucket(bucketVoucher),
		tx.Bucket(bucketDate), tx.Bucket(bucketRRN)
	idv := func(id uint64) []byte { return idKey(id) }
	var records, withRRN, pendingRecords int
	pendingIdx := tx.Bucket(bucketPending)
	maxID := uint64(0)
	if !full {
		records = txns.Stats().KeyN
		if k, _ := txns.Cursor().Last(); k != nil {
			maxID = keyID(k)
		}
	}
	forEach := func(b *bolt.Bucket, fn func(k, v []byte) error) error {
		if !full {
			return nil
		}
		return b.ForEach(fn)
	}
	err := forEach(txns, func(k, v []byte) error {
		records++
		id := keyID(k)
		if len(k) != 8 || id == 0 {
			add("record key %x is not an id", k)
			return nil
		}
		maxID = max(maxID, id)
		var r indexed
		if err := json.Unmarshal(v, &r); err != nil {
			add("record %d: %v", id, err)
			return nil
		}
		if r.ID != id {
			add("record %d holds id %d", id, r.ID)
		}
		if r.STAN < 1 || r.STAN > 999999 {
			add("record %d: stan %d out of range", id, uint32(r.STAN))
		}
		if got := vouchers.Get(voucherKey(r.Batch, r.STAN)); !bytes.Equal(got, idv(id)) {
			add("record %d: voucher index %v/%v points to %d", id, r.Batch, r.STAN, keyID(got))
		}
		if got := dates.Get(dateKey(r.CreatedAt, id)); !bytes.Equal(got, idv(id)) {
			add("record %d: date index entry missing", id)
		}
		if r.State == Pending {
			pendingRecords++
			if pendingIdx.Get(k) == nil {
				add("record %d: pending, but not in %s", id, bucketPending)
			}
		}
		if r.RRN != "" {
			withRRN++
			if got := rrns.Get(rrnKey(r.RRN, id)); !bytes.Equal(got, idv(id)) {
				add("record %d: rrn index entry missing", id)
			}
		}
		if o := r.Original; o != nil && o.ID != 0 && txns.Get(idKey(o.ID)) == nil {
			add("record %d: original %d missing", id, o.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if seq := txns.Sequence(); maxID > seq {
		add("record id %d above the id sequence %d (ids would be reused)", maxID, seq)
	}
	if n := vouchers.Stats().KeyN; n != records {
		add("index %s has %d entries for %d records", bucketVoucher, n, records)
	}
	if n := dates.Stats().KeyN; n != records {
		add("index %s has %d entries for %d records", bucketDate, n, records)
	}
	// The quick check does not know how many records have an RRN, only the bound.
	if n := rrns.Stats().KeyN; full && n != withRRN || n > records {
		add("index %s has %d entries for %d records with an rrn", bucketRRN, n, withRRN)
	}
	// Pending records are few (those interrupted, or whose reversal was dropped): each
	// entry is checked even by the quick check. (Counted, not Stats: Stats does not see
	// what a migration wrote in the same transaction.)
	pendingEntries := 0
	err = pendingIdx.ForEach(func(k, _ []byte) error {
		pendingEntries++
		r, err := loadRecord(tx, keyID(k))
		switch {
		case err != nil:
			add("%s entry: %v", bucketPending, err)
		case r.State != Pending:
			add("%s entry for record %d in state %v", bucketPending, r.ID, r.State)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if full && pendingEntries != pendingRecords || pendingEntries > records {
		add("index %s has %d entries for %d pending records", bucketPending, pendingEntries, pendingRecords)
	}
	settleSeq := tx.Bucket(bucketSettle).Sequence()
	if k, _ := tx.Bucket(bucketSettle).Cursor().Last(); k != nil && keyID(k) > settleSeq {
		add("settlement %d above the settlement sequence %d", keyID(k), settleSeq)
	}
	err = forEach(tx.Bucket(bucketSettle), func(k, v []byte) error {
		if s, err := decodeSettlement(v); err != nil || s.Seq != keyID(k) || s.Seq == 0 {
			add("settlement %x: bad key or entry (%v)", k, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var pending int
	err = tx.Bucket(bucketReversal).ForEach(func(k, v []byte) error {
		pending++
		r, err := loadRecord(tx, keyID(k))
		switch {
		case err != nil:
			add("pending reversal: %v", err)
		case !r.Type.Financial():
			add("pending reversal for record %d of non-financial type %v", r.ID, r.Type)
		case r.State == Reversed:
			add("pending reversal for record %d already reversed", r.ID)
		case string(v) != r.ReversalReason:
			add("pending reversal for record %d has reason %q, record says %q", r.ID, v, r.ReversalReason)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if pending > 1 {
		add("%d pending reversals, at most one allowed", pending)
	}
	auditSeq := tx.Bucket(bucketAudit).Sequence()
	if k, _ := tx.Bucket(bucketAudit).Cursor().Last(); k != nil && keyID(k) > auditSeq {
		add("audit entry %d above the audit sequence %d", keyID(k), auditSeq)
	}
	err = forEach(tx.Bucket(bucketAudit), func(k, v []byte) error {
		if _, err := decodeAudit(v); err != nil || keyID(k) == 0 || keyID(k) > auditSeq {
			add("audit entry %x: bad key or entry (%v)", k, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %w", ErrCorrupt, errors.Join(problems...))
	}
	return nil
}

// WriteTo writes a consistent copy of the journal (a bbolt file) to w while it stays in
// use: a hot backup.
func (db *DB) WriteTo(w io.Writer) (int64, error) {
	var n int64
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("back up journal %s: %w", db.path, err)
	}
	return n, nil
}
