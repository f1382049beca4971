package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"countertop/internal/txtype"
)

// ReasonNoAnswer is the reversal reason Begin records: no answer from the host (98).
const ReasonNoAnswer = "98"

// Begin writes a transaction's intent in one durable commit, before the request is
// sent. It assigns r.ID and r.STAN (the next trace number, 000001–999999 wrapping,
// skipping any still used as a voucher number in the current batch, never handed out
// twice even across a crash), sets r.Batch to the current batch, r.State to Pending
// and r.CreatedAt and r.UpdatedAt. For a financial type (r.Type.Financial()) it also
// records a pending reversal with reason "98" and sets r.ReversalReason to "98": a
// clean reply must clear r.ReversalReason before Finish, or the reversal stays.
//
// r.ID must be zero. A financial Begin while another reversal is pending fails with
// ErrReversalPending; a record that carries card data in the clear with ErrSensitive.
// r is changed only when the commit succeeded.
func (db *DB) Begin(r *Record) error {
	if r.ID != 0 {
		return fmt.Errorf("begin: record already has id %d: %w", r.ID, ErrInvalid)
	}
	if err := validate(r); err != nil {
		return fmt.Errorf("begin %v: %w", r.Type, err)
	}
	rec := *r
	if err := db.update(func(tx *bolt.Tx) error { return db.begin(tx, &rec) }); err != nil {
		return fmt.Errorf("begin %v: %w", r.Type, err)
	}
	*r = rec
	return nil
}

// begin is Begin inside tx: rec is filled in even if tx is later rolled back.
func (db *DB) begin(tx *bolt.Tx, rec *Record) error {
	if rec.Type.Financial() {
		if k, _ := tx.Bucket(bucketReversal).Cursor().First(); k != nil {
			return fmt.Errorf("record %d: %w", keyID(k), ErrReversalPending)
		}
	}
	if o := rec.Original; o != nil && o.ID != 0 && tx.Bucket(bucketTxns).Get(idKey(o.ID)) == nil {
		return fmt.Errorf("original %d: %w", o.ID, ErrNotFound)
	}
	batch := txtype.Batch(getUint32(tx.Bucket(bucketMeta), keyBatch))
	stan, err := allocSTAN(tx, batch)
	if err != nil {
		return err
	}
	id, err := tx.Bucket(bucketTxns).NextSequence()
	if err != nil {
		return fmt.Errorf("next id: %w", err)
	}
	now := db.clock()
	rec.ID, rec.STAN, rec.Batch, rec.State = id, stan, batch, Pending
	rec.CreatedAt, rec.UpdatedAt = now, now
	if rec.Type.Financial() {
		rec.ReversalReason = ReasonNoAnswer
		if err := tx.Bucket(bucketReversal).Put(idKey(id), []byte(ReasonNoAnswer)); err != nil {
			return fmt.Errorf("put reversal: %w", err)
		}
	}
	if err := tx.Bucket(bucketVoucher).Put(voucherKey(batch, stan), idKey(id)); err != nil {
		return fmt.Errorf("put voucher index: %w", err)
	}
	if err := tx.Bucket(bucketDate).Put(dateKey(now, id), idKey(id)); err != nil {
		return fmt.Errorf("put date index: %w", err)
	}
	if rec.RRN != "" {
		if err := tx.Bucket(bucketRRN).Put(rrnKey(rec.RRN, id), idKey(id)); err != nil {
			return fmt.Errorf("put rrn index: %w", err)
		}
	}
	return putRecord(tx, rec)
}

// Finish writes a transaction's result in one durable commit, before the merchant is
// told. It stores r (whose ID, type, STAN, batch and creation time must be those Begin
// gave it, a zero CreatedAt meaning unchanged: ErrInvalid otherwise) and sets
// r.CreatedAt and r.UpdatedAt. If r.ReversalReason is empty it
// clears the pending reversal of r.ID; otherwise the reversal stays pending with that
// reason (and is recorded again for a financial type whose reversal was cleared by an
// earlier Finish; ErrReversalPending if another transaction's is pending).
//
// A reversed record stays reversed: a Finish that changes its state fails with
// ErrInvalid.
//
// An approved void with no reversal reason marks its original (Original.ID) Voided in
// the same commit; a void that is later reversed gives the original back Approved.
func (db *DB) Finish(r *Record) error {
	if r.ID == 0 {
		return fmt.Errorf("finish: record without id (call Begin first): %w", ErrInvalid)
	}
	if err := validate(r); err != nil {
		return fmt.Errorf("finish record %d: %w", r.ID, err)
	}
	rec := *r
	if err := db.update(func(tx *bolt.Tx) error { return db.finish(tx, &rec) }); err != nil {
		return fmt.Errorf("finish record %d: %w", r.ID, err)
	}
	*r = rec
	return nil
}

// finish is Finish inside tx.
func (db *DB) finish(tx *bolt.Tx, rec *Record) error {
	old, err := loadRecord(tx, rec.ID)
	if err != nil {
		return err
	}
	switch {
	case old.Type != rec.Type:
		return fmt.Errorf("type changed from %v to %v: %w", old.Type, rec.Type, ErrInvalid)
	case old.STAN != rec.STAN || old.Batch != rec.Batch:
		return fmt.Errorf("voucher changed from %v/%v to %v/%v: %w",
			old.Batch, old.STAN, rec.Batch, rec.STAN, ErrInvalid)
	case !rec.CreatedAt.IsZero() && !old.CreatedAt.Equal(rec.CreatedAt):
		return fmt.Errorf("creation time changed: %w", ErrInvalid)
	case old.State == Reversed && rec.State != Reversed:
		// A late result must not undo a reversal the host has already answered.
		return fmt.Errorf("already reversed, cannot become %v: %w", rec.State, ErrInvalid)
	}
	rec.CreatedAt = old.CreatedAt // keep the indexed value bit for bit
	rec.UpdatedAt = db.clock()
	rev := tx.Bucket(bucketReversal)
	switch {
	case rec.ReversalReason == "" || rec.State == Reversed:
		if err := rev.Delete(idKey(rec.ID)); err != nil {
			return fmt.Errorf("delete reversal: %w", err)
		}
	case rec.Type.Financial():
		if k, _ := rev.Cursor().First(); k != nil && keyID(k) != rec.ID {
			return fmt.Errorf("record %d: %w", keyID(k), ErrReversalPending)
		}
		if err := rev.Put(idKey(rec.ID), []byte(rec.ReversalReason)); err != nil {
			return fmt.Errorf("put reversal: %w", err)
		}
	}
	if old.RRN != rec.RRN {
		if old.RRN != "" {
			if err := tx.Bucket(bucketRRN).Delete(rrnKey(old.RRN, rec.ID)); err != nil {
				return fmt.Errorf("delete rrn index: %w", err)
			}
		}
		if rec.RRN != "" {
			if err := tx.Bucket(bucketRRN).Put(rrnKey(rec.RRN, rec.ID), idKey(rec.ID)); err != nil {
				return fmt.Errorf("put rrn index: %w", err)
			}
		}
	}
	if err := db.applyVoid(tx, rec); err != nil {
		return err
	}
	return putRecord(tx, rec)
}

// applyVoid keeps a void's original in step with the void: Voided while the void
// stands approved with no reversal, Approved again otherwise.
func (db *DB) applyVoid(tx *bolt.Tx, void *Record) error {
	switch void.Type {
	case txtype.Void, txtype.PreAuthVoid, txtype.CompletionVoid:
	default:
		return nil
	}
	if void.Original == nil || void.Original.ID == 0 {
		return nil
	}
	orig, err := loadRecord(tx, void.Original.ID)
	if err != nil {
		return fmt.Errorf("original: %w", err)
	}
	stands := void.State == Approved && void.ReversalReason == ""
	switch {
	case stands && orig.State == Approved:
		orig.State = Voided
	case !stands && orig.State == Voided:
		orig.State = Approved
	default:
		return nil
	}
	orig.UpdatedAt = db.clock()
	return putRecord(tx, &orig)
}

// PendingReversal returns the transaction whose reversal is pending, if any; its
// ReversalReason is the reason to send.
func (db *DB) PendingReversal() (Record, bool, error) {
	var rec Record
	var found bool
	err := db.view(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketReversal).Cursor().First()
		if k == nil {
			return nil
		}
		var err error
		rec, err = loadRecord(tx, keyID(k))
		found = err == nil
		return err
	})
	if err != nil {
		return Record{}, false, fmt.Errorf("pending reversal: %w", err)
	}
	return rec, found, nil
}

// ReversalDone records that the reversal of transaction id was answered: its state
// becomes Reversed and the pending reversal is cleared, in one commit. ErrNotFound if
// no reversal is pending for id.
func (db *DB) ReversalDone(id uint64) error {
	err := db.update(func(tx *bolt.Tx) error {
		rev := tx.Bucket(bucketReversal)
		if rev.Get(idKey(id)) == nil {
			return fmt.Errorf("no pending reversal: %w", ErrNotFound)
		}
		rec, err := loadRecord(tx, id)
		if err != nil {
			return err
		}
		rec.State = Reversed
		rec.UpdatedAt = db.clock()
		if err := rev.Delete(idKey(id)); err != nil {
			return fmt.Errorf("delete reversal: %w", err)
		}
		if err := db.applyVoid(tx, &rec); err != nil {
			return err
		}
		return putRecord(tx, &rec)
	})
	if err != nil {
		return fmt.Errorf("reversal done %d: %w", id, err)
	}
	return nil
}

// DropReversal gives up the pending reversal of transaction id after its retries ran
// out (冲正不成功): the reversal is cleared, the record keeps its state and reason, and an
// audit entry of kind "reversal-dropped" with why is written in the same commit.
// ErrNotFound if no reversal is pending for id.
func (db *DB) DropReversal(id uint64, why string) error {
	if err := checkText(why); err != nil {
		return fmt.Errorf("drop reversal %d: %w", id, err)
	}
	err := db.update(func(tx *bolt.Tx) error {
		rev := tx.Bucket(bucketReversal)
		reason := rev.Get(idKey(id))
		if reason == nil {
			return fmt.Errorf("no pending reversal: %w", ErrNotFound)
		}
		rec, err := loadRecord(tx, id)
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("record %d voucher %v/%v reason %s: %s", id, rec.Batch, rec.STAN, reason, why)
		if err := rev.Delete(idKey(id)); err != nil {
			return fmt.Errorf("delete reversal: %w", err)
		}
		return db.putAudit(tx, "reversal-dropped", detail)
	})
	if err != nil {
		return fmt.Errorf("drop reversal %d: %w", id, err)
	}
	return nil
}

// NextSTAN hands out the next trace number in one durable commit, for messages that
// have no journal record (sign-in, echo, settlement).
func (db *DB) NextSTAN() (txtype.STAN, error) {
	var stan txtype.STAN
	err := db.update(func(tx *bolt.Tx) error {
		var err error
		stan, err = allocSTAN(tx, txtype.Batch(getUint32(tx.Bucket(bucketMeta), keyBatch)))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("next stan: %w", err)
	}
	return stan, nil
}

// allocSTAN advances the persistent counter past any STAN still used as a voucher
// number in batch.
func allocSTAN(tx *bolt.Tx, batch txtype.Batch) (txtype.STAN, error) {
	meta, vouchers := tx.Bucket(bucketMeta), tx.Bucket(bucketVoucher)
	stan := txtype.STAN(getUint32(meta, keySTAN))
	for range 999999 {
		stan = stan.Next()
		if vouchers.Get(voucherKey(batch, stan)) == nil {
			return stan, putUint32(meta, keySTAN, uint32(stan))
		}
	}
	return 0, fmt.Errorf("batch %v has used every stan (settle it): %w", batch, ErrInvalid)
}

// Batch returns the current batch number (000001 in a new journal).
func (db *DB) Batch() (txtype.Batch, error) {
	var b txtype.Batch
	err := db.view(func(tx *bolt.Tx) error {
		b = txtype.Batch(getUint32(tx.Bucket(bucketMeta), keyBatch))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("batch: %w", err)
	}
	return b, nil
}

// SetBatch sets the current batch number (after settlement, or from the host), 1–999999.
func (db *DB) SetBatch(b txtype.Batch) error {
	if b < 1 || b > 999999 {
		return fmt.Errorf("set batch %d: %w", uint32(b), ErrInvalid)
	}
	err := db.update(func(tx *bolt.Tx) error {
		return putUint32(tx.Bucket(bucketMeta), keyBatch, uint32(b))
	})
	if err != nil {
		return fmt.Errorf("set batch %v: %w", b, err)
	}
	return nil
}

// MarkPrinted records that transaction id's slip was printed.
func (db *DB) MarkPrinted(id uint64) error {
	err := db.update(func(tx *bolt.Tx) error {
		rec, err := loadRecord(tx, id)
		if err != nil {
			return err
		}
		rec.Printed = true
		rec.UpdatedAt = db.clock()
		return putRecord(tx, &rec)
	})
	if err != nil {
		return fmt.Errorf("mark printed %d: %w", id, err)
	}
	return nil
}

// AdviceSent records that the host acknowledged the advice of transaction id
// (Advice is cleared), in one commit.
func (db *DB) AdviceSent(id uint64) error {
	err := db.update(func(tx *bolt.Tx) error {
		rec, err := loadRecord(tx, id)
		if err != nil {
			return err
		}
		rec.Advice = txtype.Unknown
		rec.UpdatedAt = db.clock()
		return putRecord(tx, &rec)
	})
	if err != nil {
		return fmt.Errorf("advice sent %d: %w", id, err)
	}
	return nil
}

func (db *DB) clock() time.Time { return db.now().Round(0) }

func putRecord(tx *bolt.Tx, r *Record) error {
	b, err := encodeRecord(r)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketTxns).Put(idKey(r.ID), b); err != nil {
		return fmt.Errorf("put record %d: %w", r.ID, err)
	}
	// The pending index follows every write of a record (Interrupted reads it).
	if r.State == Pending {
		err = tx.Bucket(bucketPending).Put(idKey(r.ID), pendingMark)
	} else {
		err = tx.Bucket(bucketPending).Delete(idKey(r.ID))
	}
	if err != nil {
		return fmt.Errorf("pending index of record %d: %w", r.ID, err)
	}
	return nil
}

func loadRecord(tx *bolt.Tx, id uint64) (Record, error) {
	b := tx.Bucket(bucketTxns).Get(idKey(id))
	if b == nil {
		return Record{}, fmt.Errorf("record %d: %w", id, ErrNotFound)
	}
	r, err := decodeRecord(b)
	if err != nil {
		return Record{}, fmt.Errorf("record %d: %w: %w", id, ErrCorrupt, err)
	}
	if r.ID != id {
		return Record{}, fmt.Errorf("record %d holds id %d: %w", id, r.ID, ErrCorrupt)
	}
	return r, nil
}
