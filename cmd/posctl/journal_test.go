package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/store"
	"countertop/store/storetest"
)

var cst = time.FixedZone("CST", 8*3600)

// fixtureClock is set to a time by the fixture; each reading moves it on a second.
type fixtureClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixtureClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func (c *fixtureClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// journalFixture writes a closed journal of two batches on two days (times in CST,
// the zone the test gives --from and --to):
//
//	batch 1, 2026-11-26: 1 sale (voided by 3), 2 sale declined, 3 void, 4 balance
//	batch 2, 2026-11-27: 5 refund, 6 sale, 7 sale sent with no answer (pending)
func journalFixture(t *testing.T) string {
	t.Helper()
	saved := journalZone
	journalZone = cst
	t.Cleanup(func() { journalZone = saved })
	path := filepath.Join(t.TempDir(), "journal.db")
	clk := &fixtureClock{}
	db, err := store.Open(path, &store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	step := func(r *store.Record, state store.State, rrn string) *store.Record {
		t.Helper()
		if err := db.Begin(r); err != nil {
			t.Fatal(err)
		}
		r.State, r.RRN, r.ReversalReason = state, rrn, ""
		if state == store.Approved {
			r.AuthCode, r.RespCode = "A1B2C3", "00"
		} else {
			r.RespCode = "51"
		}
		r.Slip = "CARD NO: " + r.MaskedPAN + " I\n"
		if err := db.Finish(r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	clk.set(time.Date(2026, 11, 26, 9, 0, 0, 0, cst))
	s1 := step(storetest.Sale(12345), store.Approved, "333109000001")
	step(storetest.Sale(800), store.Declined, "333109000002")
	void := storetest.Sale(12345)
	void.Type = txtype.Void
	void.Original = &store.OriginalRef{ID: s1.ID, STAN: s1.STAN, Batch: s1.Batch, RRN: s1.RRN}
	step(void, store.Approved, "333109000003")
	bal := storetest.Sale(0)
	bal.Type, bal.Amount = txtype.Balance, money.Amount{}
	step(bal, store.Approved, "333109000004")
	if err := db.SetBatch(2); err != nil {
		t.Fatal(err)
	}
	clk.set(time.Date(2026, 11, 27, 10, 0, 0, 0, cst))
	refund := storetest.Sale(500)
	refund.Type = txtype.Refund
	refund.Original = &store.OriginalRef{STAN: 42, Batch: 1, RRN: "333000000042", Date: "1120"}
	step(refund, store.Approved, "333109000005")
	step(storetest.Sale(2000), store.Approved, "333109000006")
	if err := db.Begin(storetest.Sale(3000)); err != nil {
		t.Fatal(err)
	}
	return path
}

func listedIDs(t *testing.T, out string) []uint64 {
	t.Helper()
	var recs []listed
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	var ids []uint64
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestJournalFilters(t *testing.T) {
	db := journalFixture(t)
	for _, tc := range []struct {
		args []string
		want []uint64
	}{
		{nil, []uint64{7, 6, 5, 4, 3, 2, 1}},
		{[]string{"--from", "2026-11-27"}, []uint64{7, 6, 5}},
		{[]string{"--to", "2026-11-26"}, []uint64{4, 3, 2, 1}},
		{[]string{"--from", "2026-11-26", "--to", "2026-11-26"}, []uint64{4, 3, 2, 1}},
		{[]string{"--from", "2026-11-26T09:00:03+08:00", "--to", "2026-11-26T09:00:07+08:00"}, []uint64{3, 2}},
		{[]string{"--batch", "1"}, []uint64{4, 3, 2, 1}},
		{[]string{"--batch", "000002", "--state", "approved"}, []uint64{6, 5}},
		{[]string{"--type", "void"}, []uint64{3}},
		{[]string{"--type", "sale"}, []uint64{7, 6, 2, 1}},
		{[]string{"--state", "voided"}, []uint64{1}},
		{[]string{"--state", "pending"}, []uint64{7}},
		{[]string{"--state", "declined", "--type", "sale", "--from", "2026-11-27"}, nil},
		{[]string{"--limit", "2", "--type", "sale"}, []uint64{7, 6}},
	} {
		code, out, errOut := posctl(append([]string{"journal", "list", "--db", db, "--json"}, tc.args...)...)
		if code != 0 {
			t.Errorf("list %q: exit %d: %s", tc.args, code, errOut)
			continue
		}
		if diff := cmp.Diff(tc.want, listedIDs(t, out)); diff != "" {
			t.Errorf("list %q (-want +got):\n%s", tc.args, diff)
		}
	}
	for _, args := range [][]string{
		{"--batch", "x"}, {"--batch", "0"}, {"--batch", "1000000"}, {"--type", "coffee"}, {"--state", "happy"},
		{"--from", "2026-13-01"}, {"--to", "yesterday"}, {"--from", "2026-11-27", "--to", "2026-11-26"},
	} {
		for _, sub := range []string{"list", "export"} {
			code, _, errOut := posctl(append([]string{"journal", sub, "--db", db}, args...)...)
			if code != 2 || !strings.Contains(errOut, strings.TrimPrefix(args[0], "--")) {
				t.Errorf("%s %q: exit %d, %q; want 2 naming the flag", sub, args, code, errOut)
			}
		}
	}
}

func TestJournalExportGolden(t *testing.T) {
	db := journalFixture(t)
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"posctl-export.csv", nil},
		{"posctl-export-batch2.json", []string{"--format", "json", "--batch", "2"}},
		{"posctl-export-approved-26.csv", []string{"--format", "csv", "--state", "approved", "--from", "2026-11-26", "--to", "2026-11-26"}},
	} {
		code, out, errOut := posctl(append([]string{"journal", "export", "--db", db}, tc.args...)...)
		if code != 0 {
			t.Fatalf("export %q: exit %d: %s", tc.args, code, errOut)
		}
		if strings.Contains(out, storetest.TestPAN) {
			t.Errorf("export %q holds the clear PAN", tc.args)
		}
		golden(t, filepath.Join("..", "..", "testdata", "journal", tc.golden), out)
	}

	file := filepath.Join(t.TempDir(), "out.csv")
	code, stdout, errOut := posctl("journal", "export", "--db", db, "--out", file)
	if code != 0 || stdout != "" || !strings.Contains(errOut, "7 records written") {
		t.Fatalf("export --out: exit %d, stdout %q, stderr %q", code, stdout, errOut)
	}
	_, want, _ := posctl("journal", "export", "--db", db)
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Error("export --out wrote something else than standard output gets")
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v, want 0600", st.Mode().Perm())
	}
	if code, _, _ := posctl("journal", "export", "--db", db, "--format", "xml"); code != 2 {
		t.Errorf("export --format xml: exit %d, want 2", code)
	}
	if code, _, _ := posctl("journal", "export", "--db", db, "--out", filepath.Join(t.TempDir(), "no", "such", "dir")); code != 1 {
		t.Errorf("export into a missing directory: exit %d, want 1", code)
	}
}

func TestJournalVerify(t *testing.T) {
	db := journalFixture(t)
	code, out, errOut := posctl("journal", "verify", "--db", db)
	if code != 0 {
		t.Fatalf("verify of a good journal: exit %d: %s", code, errOut)
	}
	want := db + ": ok\nunresolved: record 7 sale pending batch 000002 voucher 000007: send-reversal\n"
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("verify output (-want +got):\n%s", diff)
	}

	// An index entry moved behind the journal's back: only the full check sees it.
	b, err := bolt.Open(db, 0o600, &bolt.Options{Timeout: time.Second})
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
	code, out, errOut = posctl("journal", "verify", "--db", db)
	if code != 1 || out != "" || !strings.Contains(errOut, "FAILED") || !strings.Contains(errOut, "date index entry missing") ||
		!strings.Contains(errOut, "posctl restore") {
		t.Errorf("verify of a broken index: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	garbage := filepath.Join(t.TempDir(), "garbage.db")
	writeFile(t, garbage, strings.Repeat("garbage!", 2048))
	code, _, errOut = posctl("journal", "verify", "--db", garbage)
	if code != 1 || !strings.Contains(errOut, "journal is corrupt") {
		t.Errorf("verify of garbage: exit %d, %q", code, errOut)
	}
	for _, args := range [][]string{{"journal", "verify"}, {"journal", "verify", "--db", db, "extra"}} {
		if code, _, _ := posctl(args...); code == 0 {
			t.Errorf("%q: exit 0", args)
		}
	}
}
