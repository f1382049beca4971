package store

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"countertop/internal/money"
)

// journal100k writes (once per benchmark) a closed journal of 100,000 finished sales
// in 100 daily batches of 1,000, each settled, unsynced (a fixture), and returns its
// path and the time of its last day.
func journal100k(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "journal.db")
	clk := &dayClock{}
	db, err := Open(path, &Options{NoSync: true, Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	for day := range 100 {
		clk.set(yearStart.AddDate(0, 0, day))
		err := db.update(func(tx *bolt.Tx) error {
			for i := range 1000 {
				r := benchSale(day*1000 + i)
				if err := db.begin(tx, r); err != nil {
					return err
				}
				benchApprove(r, day*1000+i)
				if err := db.finish(tx, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		batch, _ := db.Batch()
		if _, err := db.RecordSettlement(batch, Totals{Domestic: Sums{DebitCount: 1000, Debit: money.New(1, money.CNY)}}, Balanced); err != nil {
			b.Fatal(err)
		}
		if err := db.SetBatch(batch + 1); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

func copyFile(b *testing.B, src, dst string) {
	b.Helper()
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkBackup100k: Backup (hot copy, fsync, verify with the full check, rename,
// prune) of a journal of 100,000 finished sales; reports the backup's size.
func BenchmarkBackup100k(b *testing.B) {
	path := journal100k(b)
	db, err := Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	dir := b.TempDir()
	st, _ := os.Stat(path)
	b.Run("backup", func(b *testing.B) {
		var size int64
		for b.Loop() {
			p, err := db.Backup(dir, 2)
			if err != nil {
				b.Fatal(err)
			}
			st, err := os.Stat(p)
			if err != nil {
				b.Fatal(err)
			}
			size = st.Size()
		}
		b.ReportMetric(float64(size)/(1<<20), "backup-MiB")
		b.ReportMetric(float64(st.Size())/(1<<20), "journal-MiB")
	})
	// The part of a backup during which the journal's read transaction is open (the
	// rest is the check of the copy).
	b.Run("copy+fsync", func(b *testing.B) {
		for b.Loop() {
			f, err := os.Create(filepath.Join(dir, "copy"))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := db.WriteTo(f); err != nil {
				b.Fatal(err)
			}
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
}

// BenchmarkPurgeCompact100k: Purge of the older half (50 settled batches, 50,000
// sales) of a 100,000-sale journal, then Compact (copy, fsync, full check of the
// copy); reports the file and in-use sizes before and after.
func BenchmarkPurgeCompact100k(b *testing.B) {
	tmpl := journal100k(b)
	cutoff := yearStart.AddDate(0, 0, 50)
	dir := b.TempDir()
	var before, after, usedBefore, usedAfter int64
	var purge, compact time.Duration
	runs := 0
	for b.Loop() {
		b.StopTimer()
		path, dst := filepath.Join(dir, "journal.db"), filepath.Join(dir, "compact.db")
		os.Remove(dst)
		copyFile(b, tmpl, path)
		db, err := Open(path, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		n, err := db.Purge(cutoff)
		if err != nil || n != 50000 {
			b.Fatalf("Purge = %d, %v; want 50000", n, err)
		}
		purge += time.Since(start)
		start = time.Now()
		if err := db.Compact(dst); err != nil {
			b.Fatal(err)
		}
		compact += time.Since(start)
		runs++
		b.StopTimer()
		db.Close()
		before, after = size(b, path), size(b, dst)
		usedBefore, usedAfter = usedBytes(b, tmpl), usedBytes(b, dst)
		b.StartTimer()
	}
	b.ReportMetric(float64(purge.Milliseconds())/float64(runs), "purge-ms")
	b.ReportMetric(float64(compact.Milliseconds())/float64(runs), "compact-ms")
	b.ReportMetric(float64(before)/(1<<20), "file-MiB-before")
	b.ReportMetric(float64(after)/(1<<20), "file-MiB-after")
	b.ReportMetric(float64(usedBefore)/(1<<20), "inuse-MiB-before")
	b.ReportMetric(float64(usedAfter)/(1<<20), "inuse-MiB-after")
}
