// Package storetest gives tests a journal in a temporary directory that is checked when
// the test ends, and sample records that carry no clear card data. It imports store and
// the L0 value packages only.
package storetest

import (
	"errors"
	"path/filepath"
	"testing"

	"countertop/internal/carddata"
	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/store"
)

// Open opens a new journal in t.TempDir(). When the test ends it runs Check and fails
// the test on any inconsistency, then closes the journal. A test may Close the journal
// itself: it is then reopened for the check.
func Open(t testing.TB) *store.DB {
	t.Helper()
	return OpenPath(t, filepath.Join(t.TempDir(), "journal.db"), nil)
}

// OpenPath opens (or creates) the journal at path with o, checked and closed like Open.
func OpenPath(t testing.TB, path string, o *store.Options) *store.DB {
	t.Helper()
	db, err := store.Open(path, o)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		err := db.Check()
		if errors.Is(err, store.ErrClosed) {
			re, oerr := store.Open(path, &store.Options{ReadOnly: true})
			if oerr != nil {
				t.Errorf("storetest: reopen %s for the final check: %v", path, oerr)
				return
			}
			defer re.Close()
			err = re.Check()
		} else {
			defer func() {
				if err := db.Close(); err != nil {
					t.Errorf("storetest: %v", err)
				}
			}()
		}
		if err != nil {
			t.Errorf("storetest: journal inconsistent at the end of the test: %v", err)
		}
	})
	return db
}

// TestPAN is the test card number the samples stand for. It must never appear in a
// journal file.
const TestPAN = "6222021234567890128"

// HashKey is the key the samples' PANHash is made with.
var HashKey = []byte("storetest pan hash key")

// Sale returns a chip sale of minor fen on TestPAN, ready for Begin.
func Sale(minor int64) *store.Record {
	pan, err := carddata.ParsePAN(TestPAN)
	if err != nil {
		panic("storetest: " + err.Error())
	}
	return &store.Record{
		Type:      txtype.Sale,
		Amount:    money.New(minor, money.CNY),
		MaskedPAN: pan.Masked(),
		PANHash:   pan.Hash(HashKey),
		CardOrg:   "CUP",
		Issuer:    "01020000",
		Acquirer:  "48020000",
		Expiry:    "2912",
		Entry:     txtype.EntryChip,
		Operator:  "01",
	}
}
