package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"countertop/internal/money"
	"countertop/internal/txtype"
)

// Sums are one group of a batch's totals: how many debits (sales, completions) and
// credits (refunds, voids) and how much.
type Sums struct {
	DebitCount  int
	Debit       money.Amount
	CreditCount int
	Credit      money.Amount
}

// Totals are a batch's totals as the terminal sent them with its settlement request:
// domestic (内卡) and foreign (外卡) cards apart.
type Totals struct {
	Domestic, Foreign Sums
}

// SettleResult is the host's verdict on the totals.
type SettleResult int

// The settlement results (field 48 of the CUP settlement reply).
const (
	Balanced   SettleResult = iota + 1 // 对账平
	Unbalanced                         // 对账不平: a batch upload follows
	Errored                            // 对账出错
)

var settleResultNames = [...]string{"", "balanced", "unbalanced", "error"}

func (r SettleResult) String() string {
	if r < Balanced || r > Errored {
		return fmt.Sprintf("settleresult(%d)", int(r))
	}
	return settleResultNames[r]
}

// MarshalText writes the result's name.
func (r SettleResult) MarshalText() ([]byte, error) {
	if r < Balanced || r > Errored {
		return nil, fmt.Errorf("marshal %v: %w", r, ErrInvalid)
	}
	return []byte(r.String()), nil
}

// UnmarshalText reads a result's name.
func (r *SettleResult) UnmarshalText(b []byte) error {
	for i, n := range settleResultNames {
		if i > 0 && n == string(b) {
			*r = SettleResult(i)
			return nil
		}
	}
	return fmt.Errorf("unknown settlement result %q: %w", b, ErrInvalid)
}

// Settlement is one entry of the settlement history: batch Batch was settled at Time.
// Only batches with a settlement entry are ever purged.
type Settlement struct {
	Seq    uint64 // assigned by RecordSettlement, increasing
	Batch  txtype.Batch
	Time   time.Time // the journal's clock when it was recorded
	Totals Totals
	Result SettleResult
}

type diskSums struct {
	DebitCount  int    `json:"debit_count"`
	DebitMinor  int64  `json:"debit_minor"`
	DebitCur    string `json:"debit_currency,omitempty"`
	CreditCount int    `json:"credit_count"`
	CreditMinor int64  `json:"credit_minor"`
	CreditCur   string `json:"credit_currency,omitempty"`
}

// diskSettlement is a Settlement as stored (schema version 2).
type diskSettlement struct {
	Seq      uint64       `json:"seq"`
	Batch    txtype.Batch `json:"batch"`
	Time     time.Time    `json:"time"`
	Domestic diskSums     `json:"domestic"`
	Foreign  diskSums     `json:"foreign"`
	Result   SettleResult `json:"result"`
}

func toDiskSums(s Sums) diskSums {
	return diskSums{DebitCount: s.DebitCount, DebitMinor: s.Debit.Minor, DebitCur: s.Debit.Currency.Code,
		CreditCount: s.CreditCount, CreditMinor: s.Credit.Minor, CreditCur: s.Credit.Currency.Code}
}

func amountOf(minor int64, code string) (money.Amount, error) {
	a := money.Amount{Minor: minor}
	if code == "" {
		return a, nil
	}
	c, err := money.LookupCurrency(code)
	if err != nil {
		return a, err
	}
	a.Currency = c
	return a, nil
}

func fromDiskSums(d diskSums) (Sums, error) {
	debit, err := amountOf(d.DebitMinor, d.DebitCur)
	if err != nil {
		return Sums{}, err
	}
	credit, err := amountOf(d.CreditMinor, d.CreditCur)
	if err != nil {
		return Sums{}, err
	}
	return Sums{DebitCount: d.DebitCount, Debit: debit, CreditCount: d.CreditCount, Credit: credit}, nil
}

func decodeSettlement(v []byte) (Settlement, error) {
	var d diskSettlement
	if err := json.Unmarshal(v, &d); err != nil {
		return Settlement{}, err
	}
	dom, err := fromDiskSums(d.Domestic)
	if err != nil {
		return Settlement{}, err
	}
	foreign, err := fromDiskSums(d.Foreign)
	if err != nil {
		return Settlement{}, err
	}
	return Settlement{Seq: d.Seq, Batch: d.Batch, Time: d.Time, Result: d.Result,
		Totals: Totals{Domestic: dom, Foreign: foreign}}, nil
}

func validSums(name string, s Sums) error {
	for _, a := range []money.Amount{s.Debit, s.Credit} {
		if a.Minor < 0 || a.Minor != 0 && a.Currency.Code == "" {
			return fmt.Errorf("%s totals: amount %d %q: %w", name, a.Minor, a.Currency.Code, ErrInvalid)
		}
	}
	if s.DebitCount < 0 || s.CreditCount < 0 {
		return fmt.Errorf("%s totals: negative count: %w", name, ErrInvalid)
	}
	return nil
}

// RecordSettlement adds batch b's settlement to the settlement history, with an audit
// entry of kind "settlement", in one durable commit. It does not change the current
// batch (SetBatch does). Settling a batch makes its records eligible for Purge once
// the settlement is older than the cutoff. ErrInvalid for a batch out of range, an
// unknown result or totals with a negative or currency-less amount.
func (db *DB) RecordSettlement(b txtype.Batch, t Totals, res SettleResult) (Settlement, error) {
	s := Settlement{Batch: b, Totals: t, Result: res}
	if b < 1 || b > 999999 {
		return Settlement{}, fmt.Errorf("record settlement of batch %d: %w", uint32(b), ErrInvalid)
	}
	if _, err := res.MarshalText(); err != nil {
		return Settlement{}, fmt.Errorf("record settlement of batch %v: %w", b, err)
	}
	if err := errors.Join(validSums("domestic", t.Domestic), validSums("foreign", t.Foreign)); err != nil {
		return Settlement{}, fmt.Errorf("record settlement of batch %v: %w", b, err)
	}
	err := db.update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketSettle)
		seq, err := bk.NextSequence()
		if err != nil {
			return fmt.Errorf("next settlement sequence: %w", err)
		}
		s.Seq, s.Time = seq, db.clock()
		v, err := json.Marshal(diskSettlement{Seq: s.Seq, Batch: b, Time: s.Time,
			Domestic: toDiskSums(t.Domestic), Foreign: toDiskSums(t.Foreign), Result: res})
		if err != nil {
			return fmt.Errorf("encode settlement: %w", err)
		}
		if err := bk.Put(idKey(seq), v); err != nil {
			return fmt.Errorf("put settlement %d: %w", seq, err)
		}
		return db.putAudit(tx, "settlement", fmt.Sprintf("batch %v %v", b, res))
	})
	if err != nil {
		return Settlement{}, fmt.Errorf("record settlement of batch %v: %w", b, err)
	}
	return s, nil
}

// Settlements returns the settlement history, newest first.
func (db *DB) Settlements() ([]Settlement, error) {
	var out []Settlement
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketSettle).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			s, err := decodeSettlement(v)
			if err != nil {
				return fmt.Errorf("settlement %d: %w: %w", keyID(k), ErrCorrupt, err)
			}
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("settlements: %w", err)
	}
	return out, nil
}

// errNothing rolls back a write transaction that found nothing to do.
var errNothing = errors.New("nothing to do")

// purged is what Purge needs to know of a record to remove it and its index entries.
type purged struct {
	ID        uint64       `json:"id"`
	State     State        `json:"state"`
	STAN      txtype.STAN  `json:"stan"`
	Batch     txtype.Batch `json:"batch"`
	RRN       string       `json:"rrn"`
	CreatedAt time.Time    `json:"created_at"`
}

// Purge removes the records of settled batches whose settlement is older than before
// (Settlement.Time < before), with their index entries, in one durable commit that
// also writes an audit entry of kind "purge". It returns how many records it removed.
//
// A record is removed only if its batch has a settlement entry recorded after the
// record was created (batch numbers come round again) and before the cutoff, and it is
// not Pending and has no pending reversal: unsettled records, interrupted
// transactions and the pending reversal are never removed. The settlement history and
// the audit log are kept. A kept record (a refund, a void) whose original is removed
// keeps its OriginalRef with ID set to zero: "not in this journal".
//
// The file does not shrink: bbolt reuses the freed pages. Compact writes a smaller
// copy.
func (db *DB) Purge(before time.Time) (int, error) {
	var n int
	err := db.update(func(tx *bolt.Tx) error {
		var err error
		n, err = db.purge(tx, before)
		return err
	})
	switch {
	case errors.Is(err, errNothing):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("purge before %s: %w", before.Format(time.RFC3339), err)
	}
	return n, nil
}

func (db *DB) purge(tx *bolt.Tx, before time.Time) (int, error) {
	txns, vouchers := tx.Bucket(bucketTxns), tx.Bucket(bucketVoucher)
	rev := tx.Bucket(bucketReversal)
	gone := map[uint64]purged{}
	var batches []txtype.Batch
	err := tx.Bucket(bucketSettle).ForEach(func(k, v []byte) error {
		s, err := decodeSettlement(v)
		if err != nil {
			return fmt.Errorf("settlement %d: %w: %w", keyID(k), ErrCorrupt, err)
		}
		if !s.Time.Before(before) {
			return nil
		}
		prefix := batchPrefix(s.Batch)
		c := vouchers.Cursor()
		found := false
		for vk, id := c.Seek(prefix); vk != nil && bytes.HasPrefix(vk, prefix); vk, id = c.Next() {
			var r purged
			raw := txns.Get(id)
			if raw == nil {
				return fmt.Errorf("voucher %x: record %d: %w", vk, keyID(id), ErrCorrupt)
			}
			if err := json.Unmarshal(raw, &r); err != nil {
				return fmt.Errorf("record %d: %w: %w", keyID(id), ErrCorrupt, err)
			}
			if r.CreatedAt.After(s.Time) || r.State == Pending || rev.Get(id) != nil {
				continue
			}
			gone[r.ID] = r
			found = true
		}
		if found {
			batches = append(batches, s.Batch)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if len(gone) == 0 {
		return 0, errNothing
	}
	ids := make([]uint64, 0, len(gone))
	for id, r := range gone {
		ids = append(ids, id)
		for _, del := range []struct {
			b []byte
			k []byte
		}{
			{bucketTxns, idKey(id)}, {bucketVoucher, voucherKey(r.Batch, r.STAN)},
			{bucketDate, dateKey(r.CreatedAt, id)}, {bucketPending, idKey(id)},
		} {
			if err := tx.Bucket(del.b).Delete(del.k); err != nil {
				return 0, fmt.Errorf("delete %s entry of record %d: %w", del.b, id, err)
			}
		}
		if r.RRN != "" {
			if err := tx.Bucket(bucketRRN).Delete(rrnKey(r.RRN, id)); err != nil {
				return 0, fmt.Errorf("delete %s entry of record %d: %w", bucketRRN, id, err)
			}
		}
	}
	// A record refers to an original created before it: only records above the
	// lowest removed ID can point at a removed one.
	slices.Sort(ids)
	var orphans []uint64
	c := txns.Cursor()
	for k, v := c.Seek(idKey(ids[0])); k != nil; k, v = c.Next() {
		var r struct {
			Original *diskOriginal `json:"original"`
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return 0, fmt.Errorf("record %d: %w: %w", keyID(k), ErrCorrupt, err)
		}
		if r.Original != nil && r.Original.ID != 0 {
			if _, ok := gone[r.Original.ID]; ok {
				orphans = append(orphans, keyID(k))
			}
		}
	}
	for _, id := range orphans {
		r, err := loadRecord(tx, id)
		if err != nil {
			return 0, err
		}
		r.Original.ID = 0
		if err := putRecord(tx, &r); err != nil {
			return 0, err
		}
	}
	slices.Sort(batches)
	batches = slices.Compact(batches)
	detail := fmt.Sprintf("%d records of batches %v settled before %s", len(ids), batches, before.Format(time.RFC3339))
	if err := db.putAudit(tx, "purge", detail); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// compactTxBytes bounds one commit of Compact's copy.
const compactTxBytes = 32 << 20

// Compact writes a compacted copy of the journal (no free pages, full leaves) to dst,
// which must not exist, syncs it and verifies it (VerifyBackup). It holds the journal's
// write lock while it copies, so the copy is consistent but Begin and Finish wait for
// it (about a second for 50,000 records; see BenchmarkPurgeCompact100k); posd runs it
// after a settlement's Purge, between transactions.
//
// The copy replaces the journal only through Swap: Close the DB, Swap(dst, path),
// Open again. Swap refuses the copy unless it holds exactly what the journal holds, so
// a transaction committed after Compact returned cannot be lost in the exchange.
func (db *DB) Compact(dst string) (err error) {
	out, err := os.OpenFile(dst, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("compact journal %s: %w", db.path, err)
	}
	out.Close()
	defer func() {
		if err != nil {
			os.Remove(dst)
			err = fmt.Errorf("compact journal %s into %s: %w", db.path, dst, markNoSpace(err))
		}
	}()
	writable := !db.bolt.IsReadOnly()
	tx, err := db.bolt.Begin(writable)
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback()
	bdst, err := bolt.Open(dst, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	if err := copyBuckets(tx, bdst); err != nil {
		bdst.Close()
		return err
	}
	_ = tx.Rollback() // writers may go on while the copy is checked
	if err := bdst.Close(); err != nil {
		return err
	}
	if err := VerifyBackup(dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// copyBuckets copies every bucket of tx, with its sequence, into dst in commits of at
// most compactTxBytes.
func copyBuckets(tx *bolt.Tx, dst *bolt.DB) error {
	out, err := dst.Begin(true)
	if err != nil {
		return err
	}
	defer func() { out.Rollback() }()
	size := 0
	err = tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		nb, err := out.CreateBucket(name)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
		if err := nb.SetSequence(b.Sequence()); err != nil {
			return err
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if v == nil {
				return fmt.Errorf("bucket %s/%x: %w: nested bucket", name, k, ErrSchema)
			}
			if size += len(k) + len(v); size > compactTxBytes {
				if err := out.Commit(); err != nil {
					return err
				}
				if out, err = dst.Begin(true); err != nil {
					return err
				}
				size = len(k) + len(v)
			}
			nb = out.Bucket(name)
			nb.FillPercent = 1.0
			if err := nb.Put(k, v); err != nil {
				return fmt.Errorf("put %s/%x: %w", name, k, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return out.Commit()
}

// Swap replaces the closed journal at target with the compacted copy Compact made of
// it: it verifies the copy (VerifyBackup), checks that it holds exactly the buckets,
// keys, values and sequences target holds, renames it over target and syncs the
// directory. It fails with ErrLocked if target is open (by this process or another),
// and with ErrInvalid if the contents differ (target changed after Compact, or the
// copy is of another journal); nothing is changed then.
func Swap(compacted, target string) error {
	if err := swap(compacted, target); err != nil {
		return fmt.Errorf("swap %s into %s: %w", compacted, target, err)
	}
	return nil
}

func swap(compacted, target string) error {
	if err := VerifyBackup(compacted); err != nil {
		return err
	}
	if err := sameContent(compacted, target); err != nil {
		return err
	}
	unlock, err := lockFile(target)
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.Rename(compacted, target); err != nil {
		return err
	}
	return syncDir(filepath.Dir(target))
}

// sameContent compares two journal files bucket by bucket. Both are opened read-only,
// failing at once with ErrLocked if either is open for writing.
func sameContent(a, b string) error {
	var txs [2]*bolt.Tx
	for i, path := range []string{a, b} {
		bdb, err := openBolt(path, &bolt.Options{ReadOnly: true, Timeout: time.Nanosecond})
		if err != nil {
			return err
		}
		defer bdb.Close()
		if txs[i], err = bdb.Begin(false); err != nil {
			return err
		}
		defer txs[i].Rollback()
	}
	differ := func(format string, args ...any) error {
		return fmt.Errorf("%w: the copy differs from the journal (%s): compact it again",
			ErrInvalid, fmt.Sprintf(format, args...))
	}
	var names [2][][]byte
	for i, tx := range txs {
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names[i] = append(names[i], name)
			return nil
		})
	}
	if !slices.EqualFunc(names[0], names[1], bytes.Equal) {
		return differ("buckets %q and %q", names[0], names[1])
	}
	for _, name := range names[0] {
		ba, bb := txs[0].Bucket(name), txs[1].Bucket(name)
		if ba.Sequence() != bb.Sequence() {
			return differ("bucket %s sequence %d and %d", name, ba.Sequence(), bb.Sequence())
		}
		ca, cb := ba.Cursor(), bb.Cursor()
		ka, va := ca.First()
		kb, vb := cb.First()
		for ; ka != nil || kb != nil; ka, va, kb, vb = next2(ca, cb) {
			if !bytes.Equal(ka, kb) || !bytes.Equal(va, vb) {
				return differ("bucket %s at key %x / %x", name, ka, kb)
			}
		}
	}
	return nil
}

func next2(a, b *bolt.Cursor) (ka, va, kb, vb []byte) {
	ka, va = a.Next()
	kb, vb = b.Next()
	return
}
