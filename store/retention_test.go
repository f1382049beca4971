package store

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"countertop/internal/money"
	"countertop/internal/txtype"
)

// dayClock is a clock the test sets to a day; each reading moves it on a second.
type dayClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *dayClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func (c *dayClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// year is a journal of a year of trading and what the test knows about it.
type year struct {
	db      *DB
	path    string
	clk     *dayClock
	end     time.Time
	settled map[txtype.Batch]time.Time
	keep    map[uint64]bool // records Purge must never remove: interrupted, reversal pending
}

var yearStart = time.Date(2025, 11, 27, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))

// loadYear writes days days of trading, one commit per day's transactions (a fixture:
// the records go through the same begin and finish code as Begin and Finish): perDay
// sales, a void of the day's first sale, a refund of the first sale 30 days back and a
// balance inquiry; then the batch is settled and the next one opened. On day 10 a sale
// is left Pending after its reversal was dropped, on day 20 a balance inquiry is left
// Pending; the last day's batch is not settled and ends with a pending reversal.
func loadYear(t testing.TB, days, perDay int) *year {
	t.Helper()
	y := &year{path: filepath.Join(t.TempDir(), "journal.db"), clk: &dayClock{},
		settled: map[txtype.Batch]time.Time{}, keep: map[uint64]bool{}}
	y.clk.set(yearStart)
	db, err := Open(y.path, &Options{Now: y.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	y.db = db
	t.Cleanup(func() { db.Close() })
	var firstSales []*Record
	for day := range days {
		y.clk.set(yearStart.AddDate(0, 0, day))
		err := db.update(func(tx *bolt.Tx) error {
			var first *Record
			for i := range perDay {
				r := benchSale(day*perDay + i)
				if err := db.begin(tx, r); err != nil {
					return err
				}
				benchApprove(r, day*perDay+i)
				if err := db.finish(tx, r); err != nil {
					return err
				}
				if first == nil {
					first = r
				}
			}
			firstSales = append(firstSales, first)
			extra := []*Record{
				{Type: txtype.Void, Amount: first.Amount, MaskedPAN: first.MaskedPAN, Operator: "02",
					Original: &OriginalRef{ID: first.ID, STAN: first.STAN, Batch: first.Batch, RRN: first.RRN}},
				{Type: txtype.Balance, MaskedPAN: first.MaskedPAN, Operator: "01"},
			}
			if day >= 30 {
				o := firstSales[day-30]
				extra = append(extra, &Record{Type: txtype.Refund, Amount: money.New(100, money.CNY),
					MaskedPAN: o.MaskedPAN, Operator: "01",
					Original: &OriginalRef{ID: o.ID, STAN: o.STAN, Batch: o.Batch, RRN: o.RRN}})
			}
			for _, r := range extra {
				if err := db.begin(tx, r); err != nil {
					return err
				}
				r.State, r.RespCode, r.ReversalReason = Approved, "00", ""
				if err := db.finish(tx, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
		switch day {
		case 10:
			r := &Record{Type: txtype.Sale, Amount: money.New(999, money.CNY), Operator: "01"}
			if err := db.Begin(r); err != nil {
				t.Fatal(err)
			}
			if err := db.DropReversal(r.ID, "host unreachable after 3 tries"); err != nil {
				t.Fatal(err)
			}
			y.keep[r.ID] = true
		case 20:
			r := &Record{Type: txtype.Balance, Operator: "01"}
			if err := db.Begin(r); err != nil {
				t.Fatal(err)
			}
			y.keep[r.ID] = true
		}
		b, err := db.Batch()
		if err != nil {
			t.Fatal(err)
		}
		if day == days-1 {
			r := &Record{Type: txtype.Sale, Amount: money.New(5000, money.CNY), Operator: "01"}
			if err := db.Begin(r); err != nil { // sent, no answer: the reversal is pending
				t.Fatal(err)
			}
			y.keep[r.ID] = true
			break
		}
		s, err := db.RecordSettlement(b, Totals{Domestic: Sums{DebitCount: perDay, Debit: money.New(1, money.CNY)}}, Balanced)
		if err != nil {
			t.Fatal(err)
		}
		y.settled[b] = s.Time
		if err := db.SetBatch(b + 1); err != nil {
			t.Fatal(err)
		}
	}
	y.end = yearStart.AddDate(0, 0, days)
	return y
}

func (y *year) list(t testing.TB) []Record {
	t.Helper()
	recs, err := y.db.List(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func size(t testing.TB, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// A year of transactions, purged to the last 90 days and compacted: the file shrinks,
// exactly the settled records before the cutoff are gone, and every invariant holds.
func TestPurgeAndCompactAYear(t *testing.T) {
	days, perDay := 365, 20
	if testing.Short() {
		days = 120
	}
	y := loadYear(t, days, perDay)
	db := y.db
	before := y.list(t)
	interrupted, err := db.Interrupted()
	if err != nil {
		t.Fatal(err)
	}
	cutoff := y.end.AddDate(0, 0, -90)
	var wantKept []Record
	gone := map[uint64]bool{}
	for _, r := range before {
		at, settled := y.settled[r.Batch]
		if settled && at.Before(cutoff) && !y.keep[r.ID] {
			gone[r.ID] = true
			continue
		}
		wantKept = append(wantKept, r)
	}
	for i, r := range wantKept {
		if r.Original != nil && gone[r.Original.ID] {
			o := *r.Original
			o.ID = 0
			wantKept[i].Original = &o
		}
	}
	if len(gone) == 0 || len(wantKept) == len(before) {
		t.Fatalf("fixture: %d records, %d to purge: nothing to test", len(before), len(gone))
	}
	batchBefore, _ := db.Batch()
	audits, _ := db.AuditLog(0)
	// What compaction alone gives, to tell its gain from Purge's.
	unpurged := filepath.Join(t.TempDir(), "unpurged.db")
	if err := db.Compact(unpurged); err != nil {
		t.Fatalf("Compact: %v", err)
	}

	start := time.Now()
	n, err := db.Purge(cutoff)
	if err != nil {
		t.Fatalf("Purge: %v", err)
	}
	purgeTook := time.Since(start)
	if n != len(gone) {
		t.Errorf("Purge removed %d records, want %d", n, len(gone))
	}
	if err := db.Check(); err != nil {
		t.Fatalf("Check after Purge: %v", err)
	}
	after := y.list(t)
	if diff := cmp.Diff(wantKept, after); diff != "" {
		t.Fatalf("records after Purge (-want +got):\n%s", diff)
	}
	for id := range y.keep {
		if _, err := db.Get(id); err != nil {
			t.Errorf("interrupted record %d: %v", id, err)
		}
	}
	if got, _ := db.Interrupted(); !cmp.Equal(interrupted, got) {
		t.Errorf("Interrupted changed by Purge:\n%s", cmp.Diff(interrupted, got))
	}
	if got, _ := db.AuditLog(0); len(got) != len(audits)+1 || got[0].Kind != "purge" {
		t.Errorf("audit log after Purge: %d entries (was %d), newest %+v", len(got), len(audits), got[0])
	}
	if n, err := db.Purge(cutoff); n != 0 || err != nil {
		t.Errorf("second Purge = %d, %v; want 0, nil", n, err)
	}

	// Compact, swap, reopen.
	dst := filepath.Join(t.TempDir(), "compact.db")
	start = time.Now()
	if err := db.Compact(dst); err != nil {
		t.Fatalf("Compact: %v", err)
	}
	compactTook := time.Since(start)
	if err := db.Compact(dst); err == nil {
		t.Error("Compact over an existing file succeeded")
	}
	if err := Swap(dst, y.path); !errors.Is(err, ErrLocked) {
		t.Errorf("Swap while the journal is open: %v, want ErrLocked", err)
	}
	settlements, _ := db.Settlements()
	audits, _ = db.AuditLog(0)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	sizeBefore, sizeCompact, usedCompact := size(t, y.path), size(t, dst), usedBytes(t, dst)
	if err := Swap(dst, y.path); err != nil {
		t.Fatalf("Swap: %v", err)
	}
	usedUnpurged := usedBytes(t, unpurged)
	t.Logf("%d days × %d sales: %d records, purged %d in %v; compacted in %v: file %d bytes → %d; "+
		"pages in use %d compacted without purging, %d purged and compacted",
		days, perDay, len(before), n, purgeTook.Round(time.Millisecond), compactTook.Round(time.Millisecond),
		sizeBefore, sizeCompact, usedUnpurged, usedCompact)
	// The pages in use shrink with the records kept (give or take the audit log, the
	// settlement history and the branch pages).
	kept := float64(len(after)) / float64(len(before))
	if sizeCompact > sizeBefore || float64(usedCompact) > (kept+0.1)*float64(usedUnpurged) {
		t.Errorf("purged and compacted: file %d, %d bytes in use; compacted only %d in use; journal %d: "+
			"want in use at most %.0f%% of the compacted", sizeCompact, usedCompact, usedUnpurged, sizeBefore, 100*(kept+0.1))
	}
	db, err = Open(y.path, &Options{Now: y.clk.Now})
	if err != nil {
		t.Fatalf("Open after Swap: %v", err)
	}
	defer db.Close()
	y.db = db
	if err := db.Check(); err != nil {
		t.Fatalf("Check after Swap: %v", err)
	}
	if diff := cmp.Diff(after, y.list(t)); diff != "" {
		t.Errorf("records after Compact (-purged +compacted):\n%s", diff)
	}
	gotS, _ := db.Settlements()
	gotA, _ := db.AuditLog(0)
	if diff := cmp.Diff(settlements, gotS); diff != "" {
		t.Errorf("settlements after Compact:\n%s", diff)
	}
	if diff := cmp.Diff(audits, gotA); diff != "" {
		t.Errorf("audit log after Compact:\n%s", diff)
	}
	if b, _ := db.Batch(); b != batchBefore {
		t.Errorf("batch after Compact %v, want %v", b, batchBefore)
	}
	// Counters go on: no ID or STAN handed out again.
	r := &Record{Type: txtype.Balance}
	if err := db.Begin(r); err != nil {
		t.Fatal(err)
	}
	if r.ID != before[0].ID+1 || r.STAN != before[0].STAN.Next() {
		t.Errorf("first record after Compact: id %d stan %v, want %d %v", r.ID, r.STAN, before[0].ID+1, before[0].STAN.Next())
	}
}

func TestPurgeKeepsUnsettledAndReusedBatches(t *testing.T) {
	clk := &dayClock{}
	clk.set(yearStart)
	db, err := Open(filepath.Join(t.TempDir(), "journal.db"), &Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mk := func(ty txtype.Type) *Record {
		r := &Record{Type: ty, Amount: money.New(100, money.CNY), Operator: "01"}
		if err := db.Begin(r); err != nil {
			t.Fatal(err)
		}
		r.State, r.ReversalReason = Approved, ""
		if err := db.Finish(r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	old := mk(txtype.Sale) // batch 1, settled below
	if _, err := db.RecordSettlement(1, Totals{}, Unbalanced); err != nil {
		t.Fatal(err)
	}
	unsettled := mk(txtype.Sale) // batch 1 again, after its settlement: a later cycle
	if err := db.SetBatch(2); err != nil {
		t.Fatal(err)
	}
	current := mk(txtype.Sale) // batch 2, not settled
	clk.set(yearStart.AddDate(1, 0, 0))
	n, err := db.Purge(yearStart.AddDate(0, 6, 0))
	if err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1 record", n, err)
	}
	if _, err := db.Get(old.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("settled record: %v, want ErrNotFound", err)
	}
	for _, r := range []*Record{unsettled, current} {
		if _, err := db.Get(r.ID); err != nil {
			t.Errorf("unsettled record %d: %v", r.ID, err)
		}
	}
	if err := db.Check(); err != nil {
		t.Error(err)
	}
	if _, err := db.RecordSettlement(0, Totals{}, Balanced); !errors.Is(err, ErrInvalid) {
		t.Errorf("RecordSettlement of batch 0: %v, want ErrInvalid", err)
	}
	if _, err := db.RecordSettlement(2, Totals{}, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("RecordSettlement without a result: %v, want ErrInvalid", err)
	}
	bad := Totals{Foreign: Sums{Debit: money.Amount{Minor: 5}}}
	if _, err := db.RecordSettlement(2, bad, Balanced); !errors.Is(err, ErrInvalid) {
		t.Errorf("RecordSettlement with an amount without currency: %v, want ErrInvalid", err)
	}
	s, err := db.Settlements()
	if err != nil || len(s) != 1 || s[0].Batch != 1 || s[0].Result != Unbalanced {
		t.Errorf("Settlements = %+v, %v", s, err)
	}
}

func TestSwapRefusesAStaleCopy(t *testing.T) {
	y := loadYear(t, 3, 5)
	dst := filepath.Join(t.TempDir(), "compact.db")
	if err := y.db.Compact(dst); err != nil {
		t.Fatal(err)
	}
	r := &Record{Type: txtype.Balance} // committed after the copy
	if err := y.db.Begin(r); err != nil {
		t.Fatal(err)
	}
	y.db.Close()
	before, _ := os.ReadFile(y.path)
	if err := Swap(dst, y.path); !errors.Is(err, ErrInvalid) {
		t.Errorf("Swap of a stale copy: %v, want ErrInvalid", err)
	}
	if after, _ := os.ReadFile(y.path); string(after) != string(before) {
		t.Error("refused Swap changed the journal")
	}
	if _, err := os.Stat(dst); err != nil {
		t.Errorf("refused Swap removed the copy: %v", err)
	}
}

func TestSettleResultText(t *testing.T) {
	for r := Balanced; r <= Errored; r++ {
		b, err := r.MarshalText()
		var back SettleResult
		if err != nil || back.UnmarshalText(b) != nil || back != r {
			t.Errorf("%v: round trip gave %v (%v)", r, back, err)
		}
	}
	var r SettleResult
	if err := r.UnmarshalText([]byte("")); !errors.Is(err, ErrInvalid) {
		t.Errorf("UnmarshalText(\"\"): %v, want ErrInvalid", err)
	}
}

// usedBytes is the size of the pages a closed journal file has allocated (its high
// water mark: the file itself grows in large steps).
func usedBytes(t testing.TB, path string) int64 {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var n int64
	b.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}
