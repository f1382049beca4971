package storetest_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"countertop/store/storetest"
)

// recorder is a testing.TB that keeps failures and cleanups instead of acting on them.
type recorder struct {
	testing.TB
	dir      string
	errs     []string
	cleanups []func()
}

func (r *recorder) Helper()          {}
func (r *recorder) TempDir() string  { return r.dir }
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(format string, a ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatalf(format string, a ...any) { r.Errorf(format, a...); panic("fatal") }
func (r *recorder) runCleanups() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func TestOpenChecksAtCleanup(t *testing.T) {
	for _, tc := range []struct {
		name    string
		spoil   bool
		closeIt bool
		want    string
	}{
		{"consistent, left open", false, false, ""},
		{"consistent, closed by the test", false, true, ""},
		{"index broken behind its back", true, true, "journal inconsistent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{TB: t, dir: t.TempDir()}
			db := storetest.Open(rec)
			r := storetest.Sale(100)
			if err := db.Begin(r); err != nil {
				t.Fatal(err)
			}
			if tc.closeIt {
				if err := db.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if tc.spoil {
				b, err := bolt.Open(filepath.Join(rec.dir, "journal.db"), 0o600, &bolt.Options{Timeout: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				b.Update(func(tx *bolt.Tx) error {
					c := tx.Bucket([]byte("idx_date")).Cursor()
					k, v := c.First()
					nk := append([]byte(nil), k...)
					nk[7]++
					c.Delete()
					return tx.Bucket([]byte("idx_date")).Put(nk, v)
				})
				b.Close()
			}
			rec.runCleanups()
			got := strings.Join(rec.errs, "\n")
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("cleanup reported %q, want %q", got, tc.want)
			}
			if _, err := db.Get(r.ID); err == nil {
				t.Error("journal still open after cleanup")
			}
		})
	}
}

func TestSaleHasNoClearPAN(t *testing.T) {
	r := storetest.Sale(1)
	if strings.Contains(fmt.Sprintf("%+v", *r), storetest.TestPAN) {
		t.Errorf("sample record carries the clear PAN: %+v", *r)
	}
	db := storetest.Open(t)
	if err := db.Begin(r); err != nil {
		t.Errorf("sample sale refused: %v", err)
	}
}
