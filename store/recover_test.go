package store_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"countertop/internal/txtype"
	"countertop/store"
	"countertop/store/storetest"
)

func TestInterrupted(t *testing.T) {
	db := storetest.Open(t)
	type item struct {
		ID     uint64
		State  store.State
		Action store.Recovery
	}
	interrupted := func() []item {
		t.Helper()
		xs, err := db.Interrupted()
		if err != nil {
			t.Fatal(err)
		}
		var out []item
		for _, x := range xs {
			out = append(out, item{x.Record.ID, x.Record.State, x.Action})
		}
		return out
	}
	if got := interrupted(); got != nil {
		t.Errorf("Interrupted of a new journal = %v", got)
	}
	sale(t, db, 100)                                         // 1: approved, done
	bal := begin(t, db, &store.Record{Type: txtype.Balance}) // 2: no answer
	lost := begin(t, db, storetest.Sale(200))                // 3: no answer, reversal given up
	if err := db.DropReversal(lost.ID, "3 tries"); err != nil {
		t.Fatal(err)
	}
	macFail := begin(t, db, storetest.Sale(300)) // 4: approved, but the reply failed its MAC
	approve(macFail, "000000000004")
	macFail.ReversalReason = "A0"
	finish(t, db, macFail)
	want := []item{
		{bal.ID, store.Pending, store.MarkFailed},
		{lost.ID, store.Pending, store.OutcomeUnknown},
		{macFail.ID, store.Approved, store.SendReversal},
	}
	if diff := cmp.Diff(want, interrupted()); diff != "" {
		t.Errorf("Interrupted (-want +got):\n%s", diff)
	}
	// posd resolves them: the reversal goes out, the inquiry is marked failed.
	if err := db.ReversalDone(macFail.ID); err != nil {
		t.Fatal(err)
	}
	bal.State = store.Failed
	finish(t, db, bal)
	if diff := cmp.Diff(want[1:2], interrupted()); diff != "" {
		t.Errorf("Interrupted after recovery (-want +got):\n%s", diff)
	}
	pending := begin(t, db, storetest.Sale(400)) // 5: sent, then the power went
	want = []item{want[1], {pending.ID, store.Pending, store.SendReversal}}
	if diff := cmp.Diff(want, interrupted()); diff != "" {
		t.Errorf("Interrupted with an unanswered sale (-want +got):\n%s", diff)
	}
	for r, name := range map[store.Recovery]string{store.SendReversal: "send-reversal",
		store.MarkFailed: "mark-failed", store.OutcomeUnknown: "outcome-unknown", 0: "recovery(0)"} {
		if r.String() != name {
			t.Errorf("Recovery(%d).String() = %q, want %q", int(r), r.String(), name)
		}
	}
}

func TestCheckFindsABrokenPendingIndex(t *testing.T) {
	for _, tc := range []struct {
		name  string
		quick bool
		edit  func(tx *bolt.Tx) error
	}{
		{"stray entry", true, func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("idx_pending")).Put([]byte{0, 0, 0, 0, 0, 0, 0, 1}, []byte{1})
		}},
		{"entry missing", false, func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("idx_pending")).Delete([]byte{0, 0, 0, 0, 0, 0, 0, 6})
		}},
		{"settlement garbled", false, func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("settlements"))
			seq, _ := b.NextSequence()
			return b.Put([]byte{0, 0, 0, 0, 0, 0, 0, byte(seq)}, []byte("{"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := sampleFile(t, 5)
			db, err := store.Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			begin(t, db, &store.Record{Type: txtype.Balance}) // record 6, pending
			db.Close()
			editBolt(t, path, tc.edit)
			if tc.quick {
				openMustFail(t, path, store.ErrCorrupt)
				return
			}
			db, err = store.Open(path, nil)
			if err != nil {
				t.Fatalf("Open: %v (the quick check was not expected to see this)", err)
			}
			defer db.Close()
			if err := db.Check(); !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("Check: %v, want ErrCorrupt", err)
			}
		})
	}
}
