package store

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"countertop/internal/txtype"
)

// Get returns the record with the given ID, or ErrNotFound.
func (db *DB) Get(id uint64) (Record, error) {
	var r Record
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		r, err = loadRecord(tx, id)
		return err
	})
	if err != nil {
		return Record{}, fmt.Errorf("get record %d: %w", id, err)
	}
	return r, nil
}

// ByVoucher returns the record with voucher number (STAN) s in batch b, or ErrNotFound.
func (db *DB) ByVoucher(b txtype.Batch, s txtype.STAN) (Record, error) {
	var r Record
	err := db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketVoucher).Get(voucherKey(b, s))
		if v == nil {
			return ErrNotFound
		}
		var err error
		r, err = loadRecord(tx, keyID(v))
		return err
	})
	if err != nil {
		return Record{}, fmt.Errorf("get voucher %v/%v: %w", b, s, err)
	}
	return r, nil
}

// ByRRN returns the newest record with the host's retrieval reference number rrn, or
// ErrNotFound.
func (db *DB) ByRRN(rrn string) (Record, error) {
	var r Record
	err := db.view(func(tx *bolt.Tx) error {
		if rrn == "" {
			return ErrNotFound
		}
		prefix := rrnPrefix(rrn)
		c := tx.Bucket(bucketRRN).Cursor()
		var last []byte
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			last = v
		}
		if last == nil {
			return ErrNotFound
		}
		var err error
		r, err = loadRecord(tx, keyID(last))
		return err
	})
	if err != nil {
		return Record{}, fmt.Errorf("get rrn %q: %w", rrn, err)
	}
	return r, nil
}

// Last returns the most recently begun record, or ErrNotFound in an empty journal.
func (db *DB) Last() (Record, error) {
	var r Record
	err := db.view(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketTxns).Cursor().Last()
		if k == nil {
			return ErrNotFound
		}
		var err error
		r, err = loadRecord(tx, keyID(k))
		return err
	})
	if err != nil {
		return Record{}, fmt.Errorf("last record: %w", err)
	}
	return r, nil
}

// Filter selects records for List. Zero fields select everything.
type Filter struct {
	From, To time.Time     // creation time, From inclusive, To exclusive
	Batch    *txtype.Batch // only this batch
	Type     *txtype.Type
	State    *State
	Limit    int // at most this many; 0 means no limit
}

func (f *Filter) match(r *Record) bool {
	switch {
	case !f.From.IsZero() && r.CreatedAt.Before(f.From),
		!f.To.IsZero() && !r.CreatedAt.Before(f.To),
		f.Batch != nil && r.Batch != *f.Batch,
		f.Type != nil && r.Type != *f.Type,
		f.State != nil && r.State != *f.State:
		return false
	}
	return true
}

// List returns the records f selects, newest (latest creation time) first.
func (db *DB) List(f Filter) ([]Record, error) {
	var out []Record
	err := db.view(func(tx *bolt.Tx) error {
		if f.Batch != nil {
			return listBatch(tx, &f, &out)
		}
		c := tx.Bucket(bucketDate).Cursor()
		var k, v []byte
		if f.To.IsZero() {
			k, v = c.Last()
		} else if k, _ = c.Seek(timeKey(f.To)); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev() // the last record before To
		}
		var from []byte
		if !f.From.IsZero() {
			from = timeKey(f.From)
		}
		for ; k != nil; k, v = c.Prev() {
			if from != nil && bytes.Compare(k[:8], from) < 0 {
				break
			}
			r, err := loadRecord(tx, keyID(v))
			if err != nil {
				return err
			}
			if !f.match(&r) {
				continue
			}
			out = append(out, r)
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	return out, nil
}

// listBatch reads one batch through the voucher index.
func listBatch(tx *bolt.Tx, f *Filter, out *[]Record) error {
	prefix := batchPrefix(*f.Batch)
	c := tx.Bucket(bucketVoucher).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		r, err := loadRecord(tx, keyID(v))
		if err != nil {
			return err
		}
		if f.match(&r) {
			*out = append(*out, r)
		}
	}
	slices.SortFunc(*out, func(a, b Record) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	if f.Limit > 0 && len(*out) > f.Limit {
		*out = (*out)[:f.Limit]
	}
	return nil
}
