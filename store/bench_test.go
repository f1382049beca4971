package store

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"countertop/internal/money"
	"countertop/internal/txtype"
)

// benchSale is a chip sale as txn writes it, slip included.
func benchSale(i int) *Record {
	return &Record{
		Type: txtype.Sale, Amount: money.New(int64(1000+i), money.CNY),
		MaskedPAN: "***************0128", PANHash: "6f1ed002ab5595859014ebf0951522d9" + "6f1ed002ab5595859014ebf0951522d9",
		CardOrg: "CUP", Issuer: "01020000", Acquirer: "48020000", Expiry: "2912",
		Entry: txtype.EntryChip, Operator: "01",
		Chip: &ChipData{AID: "A000000333010101", Label: "UnionPay Debit", CryptogramType: "TC",
			Cryptogram: "8A3F0C1D2E4B5A69", TVR: "0000000000", TSI: "E800", ATC: "0042"},
	}
}

func benchApprove(r *Record, i int) {
	r.State, r.RRN, r.AuthCode, r.RespCode = Approved, fmt.Sprintf("%012d", i), "123456", "00"
	r.HostTime, r.SettleDate, r.Message = time.Now(), "1127", "M0000"
	r.ReversalReason = ""
	r.Slip = fmt.Sprintf("MERCHANT NAME: COUNTERTOP TEST SHOP\nMERCHANT NO: 123456789012345\n"+
		"TERMINAL NO: 12345678  OPERATOR NO: 01\nISSUER: 01020000  ACQUIRER: 48020000\n"+
		"CARD NO: %s I\nTRANS TYPE: SALE\nEXP DATE: 2029/12\nBATCH NO: %v  VOUCHER NO: %v\n"+
		"AUTH NO: 123456  REFER NO: %s\nDATE/TIME: 2026/11/27 09:00:00\nAMOUNT: RMB %s\n"+
		"ARQC: 8A3F0C1D2E4B5A69 AID: A000000333010101 TVR: 0000000000 TSI: E800 ATC: 0042\n",
		r.MaskedPAN, r.Batch, r.STAN, r.RRN, r.Amount.Decimal())
}

// fsyncMeter times write+fsync of one 4 KiB page, overwritten in place: what one
// durable commit cannot beat on this disk.
type fsyncMeter struct {
	f     *os.File
	page  []byte
	n     int
	spent time.Duration
}

func newFsyncMeter(b *testing.B, dir string) *fsyncMeter {
	f, err := os.Create(filepath.Join(dir, "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	m := &fsyncMeter{f: f, page: make([]byte, 4096)}
	m.run(b, 16) // allocate the pages first
	m.n, m.spent = 0, 0
	return m
}

func (m *fsyncMeter) run(b *testing.B, n int) {
	start := time.Now()
	for range n {
		if _, err := m.f.WriteAt(m.page, int64(m.n%16)*4096); err != nil {
			b.Fatal(err)
		}
		if err := m.f.Sync(); err != nil {
			b.Fatal(err)
		}
		m.n++
	}
	m.spent += time.Since(start)
}

func (m *fsyncMeter) rate() float64 { return float64(m.n) / m.spent.Seconds() }

// BenchmarkBeginFinish: durable Begin+Finish pairs per second against the disk's raw
// fsync rate, measured in the same run in slices interleaved with the transactions (the
// disk is shared and its rate drifts). bbolt syncs twice per commit (data, then meta),
// so a transaction's two commits cost about four fsyncs: expect txn/fsync near 0.25.
func BenchmarkBeginFinish(b *testing.B) {
	dir := b.TempDir()
	meter := newFsyncMeter(b, dir)
	db, err := Open(filepath.Join(dir, "journal.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	i := 0
	for b.Loop() {
		if i%16 == 0 {
			b.StopTimer()
			meter.run(b, 16)
			b.StartTimer()
		}
		r := benchSale(i)
		if err := db.Begin(r); err != nil {
			b.Fatal(err)
		}
		benchApprove(r, i)
		if err := db.Finish(r); err != nil {
			b.Fatal(err)
		}
		i++
	}
	txns := float64(i) / b.Elapsed().Seconds()
	b.ReportMetric(txns, "txn/s")
	b.ReportMetric(2*txns, "commits/s")
	b.ReportMetric(meter.rate(), "fsync/s")
	b.ReportMetric(txns/meter.rate(), "txn/fsync")
}

// bulkLoad writes n finished sales, many per commit, unsynced: a fixture builder
// that goes through the same begin/finish code as Begin and Finish.
func bulkLoad(tb testing.TB, db *DB, n int) {
	tb.Helper()
	const perCommit = 1000
	for done := 0; done < n; {
		err := db.update(func(tx *bolt.Tx) error {
			for k := 0; k < perCommit && done < n; k++ {
				r := benchSale(done)
				if err := db.begin(tx, r); err != nil {
					return err
				}
				benchApprove(r, done)
				if err := db.finish(tx, r); err != nil {
					return err
				}
				done++
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkBytesPerTxn reports the file size and the bytes bbolt has in use per
// finished sale (slip and chip data included) after 10,000 sales written as posd
// writes them, one Begin and one Finish commit each (unsynced: the layout is the same).
func BenchmarkBytesPerTxn(b *testing.B) {
	const n = 10000
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "journal.db")
		db, err := Open(path, &Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			r := benchSale(i)
			if err := db.Begin(r); err != nil {
				b.Fatal(err)
			}
			benchApprove(r, i)
			if err := db.Finish(r); err != nil {
				b.Fatal(err)
			}
		}
		var inuse int
		db.bolt.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(_ []byte, bk *bolt.Bucket) error {
				s := bk.Stats()
				inuse += s.BranchInuse + s.LeafInuse
				return nil
			})
		})
		db.Close()
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(st.Size())/n, "file-bytes/txn")
		b.ReportMetric(float64(inuse)/n, "inuse-bytes/txn")
	}
}

// BenchmarkOpenCheck100k: Open (lock, bbolt page check, quick index check) of a
// journal holding 100,000 finished sales, then Close; and Open + the full Check that
// reads every record.
func BenchmarkOpenCheck100k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "journal.db")
	db, err := Open(path, &Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	bulkLoad(b, db, 100000)
	db.Close()
	st, _ := os.Stat(path)
	for _, full := range []bool{false, true} {
		name := "open"
		if full {
			name = "open+check"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				db, err := Open(path, nil)
				if err != nil {
					b.Fatal(err)
				}
				if full {
					if err := db.Check(); err != nil {
						b.Fatal(err)
					}
				}
				db.Close()
			}
			b.ReportMetric(float64(st.Size())/(1<<20), "file-MiB")
		})
	}
}
