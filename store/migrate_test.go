package store

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"countertop/internal/money"
	"countertop/internal/txtype"
)

// makeV1 turns a closed current journal into the version-1 file the first release
// wrote: no pending index, no settlement history.
func makeV1(t *testing.T, path string) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketPending, bucketSettle} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		return putUint32(tx.Bucket(bucketMeta), keySchema, 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
}

func TestMigrationTo2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := &Record{Type: txtype.Sale, Amount: money.New(100, money.CNY)}
	if err := db.Begin(done); err != nil {
		t.Fatal(err)
	}
	done.State, done.ReversalReason = Approved, ""
	if err := db.Finish(done); err != nil {
		t.Fatal(err)
	}
	open := &Record{Type: txtype.Sale, Amount: money.New(200, money.CNY)}
	if err := db.Begin(open); err != nil {
		t.Fatal(err)
	}
	want, _ := db.List(Filter{})
	db.Close()
	makeV1(t, path)
	if v := versionOf(t, path); v != 1 {
		t.Fatalf("fixture has version %d", v)
	}
	if err := VerifyBackup(path); err != nil {
		t.Errorf("VerifyBackup of a version-1 journal: %v", err)
	}

	db, err = Open(path, nil)
	if err != nil {
		t.Fatalf("Open of a version-1 journal: %v", err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Errorf("Check after migration: %v", err)
	}
	got, _ := db.List(Filter{})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records changed by the migration:\n%s", diff)
	}
	xs, err := db.Interrupted()
	if err != nil || len(xs) != 1 || xs[0].Record.ID != open.ID || xs[0].Action != SendReversal {
		t.Errorf("Interrupted after migration = %+v, %v; want record %d, send-reversal", xs, err, open.ID)
	}
	if s, err := db.Settlements(); len(s) != 0 || err != nil {
		t.Errorf("Settlements after migration = %v, %v", s, err)
	}
	if _, err := db.RecordSettlement(1, Totals{}, Balanced); err != nil {
		t.Errorf("RecordSettlement after migration: %v", err)
	}
	db.Close()
	if v := versionOf(t, path); v != 2 {
		t.Errorf("migrated file has version %d, want 2", v)
	}
}
