package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"countertop/internal/money"
	"countertop/internal/txtype"
)

func openTemp(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("final check: %v", err)
		}
		db.Close()
	})
	return db, path
}

func setCounter(t *testing.T, db *DB, stan uint32) {
	t.Helper()
	err := db.update(func(tx *bolt.Tx) error { return putUint32(tx.Bucket(bucketMeta), keySTAN, stan) })
	if err != nil {
		t.Fatal(err)
	}
}

func TestSTANWrapsAndSkipsVouchersInUse(t *testing.T) {
	db, _ := openTemp(t)
	setCounter(t, db, 999998)
	var got []txtype.STAN
	for range 3 {
		r := &Record{Type: txtype.Balance}
		if err := db.Begin(r); err != nil {
			t.Fatal(err)
		}
		got = append(got, r.STAN)
	}
	// The counter comes round again while 000001 and 000002 are still vouchers of the
	// current batch: they are skipped, for records and for NextSTAN alike.
	setCounter(t, db, 0)
	s, err := db.NextSTAN()
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, s)
	if diff := cmp.Diff([]txtype.STAN{999999, 1, 2, 3}, got); diff != "" {
		t.Errorf("STANs (-want +got):\n%s", diff)
	}
	// In a new batch they are free again.
	if err := db.SetBatch(2); err != nil {
		t.Fatal(err)
	}
	setCounter(t, db, 0)
	if s, _ := db.NextSTAN(); s != 1 {
		t.Errorf("first STAN in a new batch after wrapping = %v, want 000001", s)
	}
}

// withMigrations runs the test with a migration table of its own.
func withMigrations(t *testing.T, ms []migration) {
	t.Helper()
	saved := migrations
	migrations = ms
	t.Cleanup(func() { migrations = saved })
}

// versionOf reads a closed file's schema version.
func versionOf(t *testing.T, path string) uint32 {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var v uint32
	b.View(func(tx *bolt.Tx) error { v = getUint32(tx.Bucket(bucketMeta), keySchema); return nil })
	return v
}

func TestMigrationFromVersion1(t *testing.T) {
	// A version-1 journal as the first release writes it.
	withMigrations(t, nil)
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &Record{Type: txtype.Sale, Amount: money.New(100, money.CNY), Operator: "01"}
	if err := db.Begin(r); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if v := versionOf(t, path); v != 1 {
		t.Fatalf("new file has version %d, want 1", v)
	}
	v1, _ := os.ReadFile(path)

	// Version 2 (for this test): operators are recorded with a prefix.
	runs := 0
	withMigrations(t, []migration{{name: "operator prefix", run: func(tx *bolt.Tx) error {
		runs++
		c := tx.Bucket(bucketTxns).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			rec, err := decodeRecord(v)
			if err != nil {
				return err
			}
			rec.Operator = "op-" + rec.Operator
			if err := putRecord(tx, &rec); err != nil {
				return err
			}
		}
		return nil
	}}})
	db, err = Open(path, nil)
	if err != nil {
		t.Fatalf("Open of a version-1 file: %v", err)
	}
	if got, _ := db.Get(r.ID); got.Operator != "op-01" {
		t.Errorf("migrated operator = %q, want op-01", got.Operator)
	}
	if n := db.Stats().Commits; n != 0 {
		t.Errorf("migration counted %d commits in Stats", n)
	}
	db.Close()
	if v := versionOf(t, path); v != 2 {
		t.Errorf("migrated file has version %d, want 2", v)
	}
	db, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if runs != 1 {
		t.Errorf("migration ran %d times over two opens, want 1", runs)
	}

	// A migration that fails (or breaks the indexes) leaves the file at version 1.
	for name, run := range map[string]func(tx *bolt.Tx) error{
		"fails": func(*bolt.Tx) error { return errors.New("disk says no") },
		"breaks an index": func(tx *bolt.Tx) error {
			k, _ := tx.Bucket(bucketVoucher).Cursor().First()
			return tx.Bucket(bucketVoucher).Delete(k)
		},
	} {
		p := filepath.Join(t.TempDir(), "v1.db")
		if err := os.WriteFile(p, v1, 0o600); err != nil {
			t.Fatal(err)
		}
		withMigrations(t, []migration{{name: name, run: run}})
		if db, err := Open(p, nil); err == nil {
			db.Close()
			t.Errorf("migration that %s: Open succeeded", name)
		}
		if v := versionOf(t, p); v != 1 {
			t.Errorf("migration that %s left version %d, want 1", name, v)
		}
	}

	// A read-only open does not migrate.
	p := filepath.Join(t.TempDir(), "v1.db")
	os.WriteFile(p, v1, 0o600)
	withMigrations(t, []migration{{name: "noop", run: func(*bolt.Tx) error { return nil }}})
	if _, err := Open(p, &Options{ReadOnly: true}); !errors.Is(err, ErrSchema) {
		t.Errorf("read-only Open of a file needing migration: %v, want ErrSchema", err)
	}
	if after, _ := os.ReadFile(p); !bytes.Equal(after, v1) {
		t.Error("read-only Open changed the file")
	}
}

func TestTextCheck(t *testing.T) {
	for s, want := range map[string]bool{
		"6222021234567890128":          true,  // 19-digit PAN
		"card 4111111111111111 ok":     true,  // 16
		"4111111111111112":             false, // Luhn fails
		"MERCHANT NO: 123456789012345": false, // 15 digits, allowed
		"RRN 123456789012 AUTH 123456": false,
		"":                             false,
		"622202*********0128":          false,
		"622202 1234 5678 90128 grouped is caught?": false, // documented limit
	} {
		if got := checkText(s) != nil; got != want {
			t.Errorf("checkText(%q) refused = %v, want %v", s, got, want)
		}
	}
}
