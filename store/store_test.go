package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
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

// clock is a fake time source that moves one second per reading.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func openClocked(t *testing.T) (*store.DB, *clock) {
	t.Helper()
	c := newClock()
	return storetest.OpenPath(t, filepath.Join(t.TempDir(), "journal.db"), &store.Options{Now: c.Now}), c
}

func begin(t *testing.T, db *store.DB, r *store.Record) *store.Record {
	t.Helper()
	if err := db.Begin(r); err != nil {
		t.Fatalf("Begin: %v", err)
	}
	return r
}

func finish(t *testing.T, db *store.DB, r *store.Record) {
	t.Helper()
	if err := db.Finish(r); err != nil {
		t.Fatalf("Finish(%d): %v", r.ID, err)
	}
}

// approve fills in a clean host approval.
func approve(r *store.Record, rrn string) {
	r.State = store.Approved
	r.RRN, r.AuthCode, r.RespCode = rrn, "A1B2C3", "00"
	r.ReversalReason = ""
}

func get(t *testing.T, db *store.DB, id uint64) store.Record {
	t.Helper()
	r, err := db.Get(id)
	if err != nil {
		t.Fatalf("Get(%d): %v", id, err)
	}
	return r
}

func TestPackageDocAndImports(t *testing.T) {
	for dir, name := range map[string]string{".": "store", "storetest": "storetest"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		doc := ""
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments|parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			if f.Name.Name == name && f.Doc != nil {
				doc += f.Doc.Text()
			}
		}
		if want := "Package " + name + " "; !strings.HasPrefix(doc, want) {
			t.Errorf("package %s doc = %q, want it to start with %q", name, doc, want)
		}
	}
	out, err := exec.Command("go", "list", "-deps", "countertop/store", "countertop/store/storetest").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{"net", "countertop/hal", "countertop/iso8583", "countertop/internal/txn",
		"countertop/internal/hostlink"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("store depends on %s: it must not reach devices, the network, the host dialect or txn", dep)
			}
		}
	}
}

func TestBeginFinishRoundTripInTwoCommits(t *testing.T) {
	db, _ := openClocked(t)
	r := storetest.Sale(12345)
	before := db.Stats().Commits
	begin(t, db, r)
	if r.ID != 1 || r.STAN != 1 || r.Batch != 1 || r.State != store.Pending || r.ReversalReason != "98" {
		t.Errorf("after Begin: id %d stan %v batch %v state %v reason %q; want 1 000001 000001 pending 98",
			r.ID, r.STAN, r.Batch, r.State, r.ReversalReason)
	}
	if r.CreatedAt.IsZero() || !r.CreatedAt.Equal(r.UpdatedAt) {
		t.Errorf("after Begin: created %v updated %v", r.CreatedAt, r.UpdatedAt)
	}
	if diff := cmp.Diff(*r, get(t, db, r.ID)); diff != "" {
		t.Errorf("stored intent differs (-Begin +Get):\n%s", diff)
	}
	approve(r, "123456789012")
	r.HostTime = time.Date(2026, 11, 27, 9, 0, 3, 0, time.FixedZone("CST", 8*3600))
	r.SettleDate = "1127"
	r.Message = "M0000"
	r.Chip = &store.ChipData{AID: "A000000333010101", Label: "UnionPay Debit", CryptogramType: "TC",
		Cryptogram: "1234567890123456", TVR: "0000000000", TSI: "E800", ATC: "0042"}
	r.Slip = "CARD NO: 622202*********0128 I\nMERCHANT NO: 123456789012345\nAMOUNT: RMB 123.45\n"
	finish(t, db, r)
	if got := db.Stats().Commits - before; got != 2 {
		t.Errorf("Begin+Finish took %d commits, want exactly 2", got)
	}
	got := get(t, db, r.ID)
	if diff := cmp.Diff(*r, got); diff != "" {
		t.Errorf("stored result differs (-Finish +Get):\n%s", diff)
	}
	if !got.UpdatedAt.After(got.CreatedAt) {
		t.Errorf("UpdatedAt %v not after CreatedAt %v", got.UpdatedAt, got.CreatedAt)
	}
	if _, ok, err := db.PendingReversal(); ok || err != nil {
		t.Errorf("PendingReversal after a clean Finish = %v, %v; want none", ok, err)
	}
}

func TestBeginLeavesRecordAloneOnError(t *testing.T) {
	db := storetest.Open(t)
	begin(t, db, storetest.Sale(100))
	r := storetest.Sale(200)
	want := *r
	if err := db.Begin(r); !errors.Is(err, store.ErrReversalPending) {
		t.Fatalf("second financial Begin with a reversal pending: %v, want ErrReversalPending", err)
	}
	if diff := cmp.Diff(want, *r); diff != "" {
		t.Errorf("failed Begin changed the record:\n%s", diff)
	}
	r.ID = 7
	if err := db.Begin(r); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Begin with an id set: %v, want ErrInvalid", err)
	}
	if err := db.Begin(&store.Record{}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Begin of an unknown type: %v, want ErrInvalid", err)
	}
}

func TestSTANsIncreaseAcrossMessagesAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []txtype.STAN
	for i := range 3 {
		r := &store.Record{Type: txtype.Balance}
		if err := db.Begin(r); err != nil {
			t.Fatal(err)
		}
		got = append(got, r.STAN)
		if i == 1 {
			s, err := db.NextSTAN()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, s)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = storetest.OpenPath(t, path, nil)
	s, err := db.NextSTAN()
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, s)
	if diff := cmp.Diff([]txtype.STAN{1, 2, 3, 4, 5}, got); diff != "" {
		t.Errorf("STANs (-want +got):\n%s", diff)
	}
}

func TestReversalLifecycle(t *testing.T) {
	db := storetest.Open(t)
	r := begin(t, db, storetest.Sale(500))
	p, ok, err := db.PendingReversal()
	if err != nil || !ok || p.ID != r.ID || p.ReversalReason != "98" {
		t.Fatalf("PendingReversal after Begin = %d %q %v %v; want %d \"98\"", p.ID, p.ReversalReason, ok, err, r.ID)
	}
	// The host approved but the reply failed its MAC: the reversal stays, reason A0.
	approve(r, "000000000001")
	r.ReversalReason = "A0"
	finish(t, db, r)
	p, ok, _ = db.PendingReversal()
	if !ok || p.ID != r.ID || p.ReversalReason != "A0" || p.State != store.Approved {
		t.Fatalf("PendingReversal after Finish with A0 = %d %q %v %v", p.ID, p.ReversalReason, p.State, ok)
	}
	if err := db.Begin(storetest.Sale(1)); !errors.Is(err, store.ErrReversalPending) {
		t.Errorf("Begin with a reversal pending: %v, want ErrReversalPending", err)
	}
	bal := &store.Record{Type: txtype.Balance}
	if err := db.Begin(bal); err != nil {
		t.Errorf("non-financial Begin with a reversal pending: %v", err)
	}
	if bal.ReversalReason != "" {
		t.Errorf("non-financial Begin set reversal reason %q", bal.ReversalReason)
	}
	before := db.Stats().Commits
	if err := db.ReversalDone(r.ID); err != nil {
		t.Fatal(err)
	}
	if n := db.Stats().Commits - before; n != 1 {
		t.Errorf("ReversalDone took %d commits, want 1", n)
	}
	if got := get(t, db, r.ID); got.State != store.Reversed || got.ReversalReason != "A0" {
		t.Errorf("after ReversalDone: state %v reason %q; want reversed A0", got.State, got.ReversalReason)
	}
	if _, ok, _ := db.PendingReversal(); ok {
		t.Error("reversal still pending after ReversalDone")
	}
	if err := db.ReversalDone(r.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second ReversalDone: %v, want ErrNotFound", err)
	}
	late := get(t, db, r.ID)
	late.State, late.ReversalReason = store.Approved, ""
	if err := db.Finish(&late); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("late Finish of a reversed record: %v, want ErrInvalid", err)
	}

	// A reversal that never gets through is dropped with an audit entry.
	r2 := begin(t, db, storetest.Sale(600))
	if err := db.DropReversal(r2.ID, "3 tries, no answer"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.PendingReversal(); ok {
		t.Error("reversal still pending after DropReversal")
	}
	log, err := db.AuditLog(1)
	if err != nil || len(log) != 1 || log[0].Kind != "reversal-dropped" || !strings.Contains(log[0].Detail, "3 tries") {
		t.Errorf("audit after DropReversal = %+v, %v", log, err)
	}
	if got := get(t, db, r2.ID); got.State != store.Pending {
		t.Errorf("DropReversal changed the state to %v", got.State)
	}

	// A later Finish may ask for a reversal again (card declined at second GENERATE AC).
	r3 := begin(t, db, storetest.Sale(700))
	approve(r3, "000000000003")
	finish(t, db, r3)
	r3.State = store.Declined
	r3.ReversalReason = "06"
	finish(t, db, r3)
	if p, ok, _ := db.PendingReversal(); !ok || p.ID != r3.ID || p.ReversalReason != "06" {
		t.Errorf("PendingReversal after a late reversal = %d %q %v", p.ID, p.ReversalReason, ok)
	}
}

func TestVoidMarksOriginal(t *testing.T) {
	db := storetest.Open(t)
	sale := begin(t, db, storetest.Sale(1000))
	approve(sale, "100000000001")
	finish(t, db, sale)

	void := storetest.Sale(1000)
	void.Type = txtype.Void
	void.Original = &store.OriginalRef{ID: sale.ID, STAN: sale.STAN, Batch: sale.Batch, RRN: sale.RRN, Date: "1127"}
	begin(t, db, void)
	if got := get(t, db, sale.ID).State; got != store.Approved {
		t.Errorf("original after the void's Begin: %v, want approved", got)
	}
	approve(void, "100000000002")
	finish(t, db, void)
	if got := get(t, db, sale.ID).State; got != store.Voided {
		t.Errorf("original after an approved void: %v, want voided", got)
	}
	void.ReversalReason = "A0"
	finish(t, db, void)
	if err := db.ReversalDone(void.ID); err != nil {
		t.Fatal(err)
	}
	if got := get(t, db, sale.ID).State; got != store.Approved {
		t.Errorf("original after the void was reversed: %v, want approved", got)
	}

	missing := storetest.Sale(1)
	missing.Type = txtype.Refund
	missing.Original = &store.OriginalRef{ID: 99}
	if err := db.Begin(missing); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Begin with a missing original: %v, want ErrNotFound", err)
	}
}

func TestFinishRefusesChangedIdentity(t *testing.T) {
	db := storetest.Open(t)
	r := begin(t, db, storetest.Sale(1))
	for name, change := range map[string]func(r *store.Record){
		"stan":    func(r *store.Record) { r.STAN++ },
		"batch":   func(r *store.Record) { r.Batch++ },
		"type":    func(r *store.Record) { r.Type = txtype.Refund },
		"created": func(r *store.Record) { r.CreatedAt = r.CreatedAt.Add(time.Second) },
	} {
		c := *r
		change(&c)
		if err := db.Finish(&c); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Finish with changed %s: %v, want ErrInvalid", name, err)
		}
	}
	c := *r
	c.ID = 42
	if err := db.Finish(&c); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Finish of an unknown id: %v, want ErrNotFound", err)
	}
	if err := db.Finish(storetest.Sale(1)); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Finish without Begin: %v, want ErrInvalid", err)
	}
}

func TestLookups(t *testing.T) {
	db := storetest.Open(t)
	if _, err := db.Last(); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Last of an empty journal: %v, want ErrNotFound", err)
	}
	var recs []*store.Record
	for i, rrn := range []string{"111111111111", "222222222222", "111111111111"} {
		r := begin(t, db, storetest.Sale(int64(100*(i+1))))
		approve(r, rrn)
		finish(t, db, r)
		recs = append(recs, r)
	}
	r, err := db.ByVoucher(1, recs[1].STAN)
	if err != nil || r.ID != recs[1].ID {
		t.Errorf("ByVoucher(1, %v) = %d, %v; want %d", recs[1].STAN, r.ID, err, recs[1].ID)
	}
	if _, err := db.ByVoucher(2, recs[1].STAN); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ByVoucher in another batch: %v, want ErrNotFound", err)
	}
	if r, err := db.ByRRN("111111111111"); err != nil || r.ID != recs[2].ID {
		t.Errorf("ByRRN of a repeated RRN = %d, %v; want the newest, %d", r.ID, err, recs[2].ID)
	}
	// Changing the RRN moves the index entry.
	recs[1].RRN = "333333333333"
	finish(t, db, recs[1])
	if _, err := db.ByRRN("222222222222"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ByRRN of a replaced RRN: %v, want ErrNotFound", err)
	}
	if r, err := db.ByRRN("333333333333"); err != nil || r.ID != recs[1].ID {
		t.Errorf("ByRRN of the new RRN = %d, %v", r.ID, err)
	}
	if _, err := db.ByRRN("11111111111"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ByRRN of a prefix: %v, want ErrNotFound", err)
	}
	if r, err := db.Last(); err != nil || r.ID != recs[2].ID {
		t.Errorf("Last = %d, %v; want %d", r.ID, err, recs[2].ID)
	}
	if err := db.MarkPrinted(recs[0].ID); err != nil {
		t.Fatal(err)
	}
	if !get(t, db, recs[0].ID).Printed {
		t.Error("MarkPrinted did not stick")
	}
	if err := db.MarkPrinted(99); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkPrinted(99): %v, want ErrNotFound", err)
	}
	if _, err := db.Get(99); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(99): %v, want ErrNotFound", err)
	}
}

func TestList(t *testing.T) {
	db, _ := openClocked(t)
	// Six records, one clock second apart per Begin/Finish; batch 1 then batch 2.
	for i := range 6 {
		if i == 3 {
			if err := db.SetBatch(2); err != nil {
				t.Fatal(err)
			}
		}
		r := storetest.Sale(int64(i + 1))
		if i%2 == 1 {
			r.Type = txtype.Refund
		}
		begin(t, db, r)
		approve(r, fmt.Sprintf("%012d", i))
		if i == 4 {
			r.State = store.Declined
		}
		finish(t, db, r)
	}
	all, err := db.List(store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	first := all[len(all)-1].CreatedAt
	idsOf := func(rs []store.Record) []uint64 {
		var out []uint64
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	b1, b2 := txtype.Batch(1), txtype.Batch(2)
	refund, declined := txtype.Refund, store.Declined
	for _, tc := range []struct {
		name string
		f    store.Filter
		want []uint64
	}{
		{"all", store.Filter{}, []uint64{6, 5, 4, 3, 2, 1}},
		{"limit", store.Filter{Limit: 2}, []uint64{6, 5}},
		{"batch 1", store.Filter{Batch: &b1}, []uint64{3, 2, 1}},
		{"batch 2 limit", store.Filter{Batch: &b2, Limit: 1}, []uint64{6}},
		{"refunds", store.Filter{Type: &refund}, []uint64{6, 4, 2}},
		{"declined", store.Filter{State: &declined}, []uint64{5}},
		// Begin and Finish each read the clock: record i is created at first+2i seconds.
		{"from", store.Filter{From: first.Add(6 * time.Second)}, []uint64{6, 5, 4}},
		{"to", store.Filter{To: first.Add(4 * time.Second)}, []uint64{2, 1}},
		{"window", store.Filter{From: first.Add(2 * time.Second), To: first.Add(5 * time.Second)}, []uint64{3, 2}},
		{"batch and window", store.Filter{Batch: &b2, From: first.Add(8 * time.Second)}, []uint64{6, 5}},
	} {
		got, err := db.List(tc.f)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, idsOf(got)); diff != "" {
			t.Errorf("List %s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestBatch(t *testing.T) {
	db := storetest.Open(t)
	if b, err := db.Batch(); err != nil || b != 1 {
		t.Errorf("Batch of a new journal = %v, %v; want 000001", b, err)
	}
	if err := db.SetBatch(42); err != nil {
		t.Fatal(err)
	}
	if b, _ := db.Batch(); b != 42 {
		t.Errorf("Batch after SetBatch(42) = %v", b)
	}
	if r := begin(t, db, &store.Record{Type: txtype.Balance}); r.Batch != 42 {
		t.Errorf("Begin used batch %v, want 000042", r.Batch)
	}
	for _, bad := range []txtype.Batch{0, 1000000} {
		if err := db.SetBatch(bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("SetBatch(%d): %v, want ErrInvalid", uint32(bad), err)
		}
	}
}

func TestAuditLog(t *testing.T) {
	db, _ := openClocked(t)
	for i, kind := range []string{"sign-in", "key-load", "supervisor"} {
		if err := db.Audit(kind, fmt.Sprintf("detail %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Audit("", "x"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Audit with no kind: %v, want ErrInvalid", err)
	}
	got, err := db.AuditLog(2)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.AuditEntry{
		{Seq: 3, Kind: "supervisor", Detail: "detail 2"},
		{Seq: 2, Kind: "key-load", Detail: "detail 1"},
	}
	if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".Time"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("AuditLog(2) (-want +got):\n%s", diff)
	}
	if !got[0].Time.After(got[1].Time) {
		t.Errorf("audit times %v, %v not increasing", got[1].Time, got[0].Time)
	}
	all, _ := db.AuditLog(0)
	if len(all) != 3 {
		t.Errorf("AuditLog(0) gave %d entries, want 3", len(all))
	}
}

func TestStateText(t *testing.T) {
	for s := store.Pending; s <= store.Voided; s++ {
		b, err := s.MarshalText()
		var back store.State
		if err != nil || back.UnmarshalText(b) != nil || back != s {
			t.Errorf("%v: round trip gave %v (%v)", s, back, err)
		}
	}
	if _, err := store.State(17).MarshalText(); err == nil {
		t.Error("MarshalText of an undefined state succeeded")
	}
	var s store.State
	if err := s.UnmarshalText([]byte("approvedd")); err == nil {
		t.Error("UnmarshalText of a bad name succeeded")
	}
}

func TestNoClearCardDataInFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	db := storetest.OpenPath(t, path, nil)
	for i := range 50 {
		r := begin(t, db, storetest.Sale(int64(i+1)))
		approve(r, fmt.Sprintf("%012d", i))
		r.Slip = "CARD NO: " + r.MaskedPAN + " I\nMERCHANT NO: 123456789012345\n"
		finish(t, db, r)
	}
	// Each way a clear PAN could slip in is refused before anything is written.
	for name, spoil := range map[string]func(r *store.Record){
		"masked pan": func(r *store.Record) { r.MaskedPAN = storetest.TestPAN },
		"6+4 too many digits": func(r *store.Record) {
			r.MaskedPAN = storetest.TestPAN[:8] + "*****" + storetest.TestPAN[13:]
		},
		"pan hash":   func(r *store.Record) { r.PANHash = storetest.TestPAN },
		"slip":       func(r *store.Record) { r.Slip = "CARD NO: " + storetest.TestPAN + " I" },
		"message":    func(r *store.Record) { r.Message = "pan=" + storetest.TestPAN },
		"operator":   func(r *store.Record) { r.Operator = storetest.TestPAN },
		"chip label": func(r *store.Record) { r.Chip = &store.ChipData{Label: storetest.TestPAN} },
	} {
		r := storetest.Sale(1)
		spoil(r)
		if err := db.Begin(r); !errors.Is(err, store.ErrSensitive) {
			t.Errorf("Begin with a clear PAN in the %s: %v, want ErrSensitive", name, err)
		}
	}
	if err := db.Audit("alarm", "card "+storetest.TestPAN+" used 5 times"); !errors.Is(err, store.ErrSensitive) {
		t.Errorf("Audit with a clear PAN: %v, want ErrSensitive", err)
	}
	var backup bytes.Buffer
	if _, err := db.WriteTo(&backup); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	masked := storetest.Sale(1).MaskedPAN
	if !bytes.Contains(raw, []byte(masked)) {
		t.Fatalf("masked PAN %s not in the file: the scan below would prove nothing", masked)
	}
	for name, b := range map[string][]byte{"journal file": raw, "backup": backup.Bytes()} {
		if i := bytes.Index(b, []byte(storetest.TestPAN)); i >= 0 {
			t.Errorf("%s holds the clear test PAN at byte %d", name, i)
		}
	}
}

func TestSecondOpenFailsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	db := storetest.OpenPath(t, path, nil)
	_ = db
	for _, timeout := range []time.Duration{-1, 200 * time.Millisecond} {
		start := time.Now()
		db2, err := store.Open(path, &store.Options{Timeout: timeout})
		took := time.Since(start)
		if err == nil {
			db2.Close()
			t.Fatalf("second Open (timeout %v) succeeded", timeout)
		}
		if !errors.Is(err, store.ErrLocked) {
			t.Errorf("second Open (timeout %v): %v, want ErrLocked", timeout, err)
		}
		if took > timeout+time.Second {
			t.Errorf("second Open (timeout %v) took %v", timeout, took)
		}
	}
	// Read-only openers are locked out too while posd writes.
	if _, err := store.Open(path, &store.Options{ReadOnly: true, Timeout: -1}); !errors.Is(err, store.ErrLocked) {
		t.Errorf("read-only Open while open for writing: %v, want ErrLocked", err)
	}
}

func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	if _, err := store.Open(path, &store.Options{ReadOnly: true}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only Open of a missing file: %v, want not exist", err)
	}
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := begin(t, db, storetest.Sale(1))
	db.Close()
	ro := storetest.OpenPath(t, path, &store.Options{ReadOnly: true})
	if got, err := ro.Get(r.ID); err != nil || got.ID != r.ID {
		t.Errorf("read-only Get = %d, %v", got.ID, err)
	}
	if err := ro.Begin(storetest.Sale(2)); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("read-only Begin: %v, want ErrReadOnly", err)
	}
	if err := ro.Check(); err != nil {
		t.Errorf("read-only Check: %v", err)
	}
}

func TestClosed(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "journal.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := db.Get(1); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Get after Close: %v, want ErrClosed", err)
	}
	if err := db.Begin(storetest.Sale(1)); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Begin after Close: %v, want ErrClosed", err)
	}
	if err := db.Check(); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Check after Close: %v, want ErrClosed", err)
	}
}

// sampleFile writes a closed journal with n finished sales and returns its path. It
// does not sync: a fixture.
func sampleFile(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal.db")
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		r := begin(t, db, storetest.Sale(int64(i+1)))
		approve(r, fmt.Sprintf("%012d", i))
		finish(t, db, r)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// openMustFail opens path, wants err, and checks the file was not changed.
func openMustFail(t *testing.T, path string, want error) error {
	t.Helper()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	db, err := store.Open(path, nil)
	if err == nil {
		db.Close()
		t.Fatalf("Open succeeded, want %v", want)
	}
	if !errors.Is(err, want) {
		t.Errorf("Open: %v, want %v", err, want)
	}
	after, _ := os.ReadFile(path)
	st2, _ := os.Stat(path)
	if !bytes.Equal(before, after) || !st.ModTime().Equal(st2.ModTime()) {
		t.Errorf("Open changed the refused file (%d bytes before, %d after)", len(before), len(after))
	}
	return err
}

func TestCorruptFileRefusedUntouched(t *testing.T) {
	good := sampleFile(t, 2000) // big enough that half the file is unmapped pages
	orig, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	garbage := func(n int) []byte { return bytes.Repeat([]byte("garbage!"), n/8) }
	for _, tc := range []struct {
		name  string
		spoil func(b []byte) []byte
	}{
		{"all garbage", func(b []byte) []byte { return garbage(len(b)) }},
		{"both meta pages", func(b []byte) []byte { copy(b, garbage(2*page)); return b }},
		{"truncated to one page", func(b []byte) []byte { return b[:page+100] }},
		{"truncated to half", func(b []byte) []byte { return b[:len(b)/2/page*page] }},
		{"data pages", func(b []byte) []byte { copy(b[2*page:], garbage(len(b)-2*page)); return b }},
		{"one leaf page", func(b []byte) []byte { copy(b[5*page+16:], garbage(page-16)); return b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "copy.db")
			if err := os.WriteFile(path, tc.spoil(bytes.Clone(orig)), 0o600); err != nil {
				t.Fatal(err)
			}
			err := openMustFail(t, path, store.ErrCorrupt)
			if !strings.Contains(err.Error(), "restore it from a backup") || !strings.Contains(err.Error(), path) {
				t.Errorf("message %q does not name the file and the fix", err)
			}
		})
	}
}

// editBolt changes a closed journal behind store's back.
func editBolt(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCheckFindsInconsistentIndexes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		quick bool // Open's quick check finds it; otherwise only Check (record by record)
		edit  func(tx *bolt.Tx) error
	}{
		{"voucher entry deleted", true, func(tx *bolt.Tx) error {
			k, _ := tx.Bucket([]byte("idx_voucher")).Cursor().First()
			return tx.Bucket([]byte("idx_voucher")).Delete(k)
		}},
		{"stray rrn entry", true, func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("idx_rrn")).Put([]byte("999\x00\x00\x00\x00\x00\x00\x00\x00\x01"), []byte{0, 0, 0, 0, 0, 0, 0, 1})
		}},
		{"date entry moved", false, func(tx *bolt.Tx) error {
			c := tx.Bucket([]byte("idx_date")).Cursor()
			k, v := c.Last()
			nk := bytes.Clone(k)
			nk[7]++
			if err := c.Delete(); err != nil {
				return err
			}
			return tx.Bucket([]byte("idx_date")).Put(nk, v)
		}},
		{"record garbled", false, func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("txns")).Put([]byte{0, 0, 0, 0, 0, 0, 0, 2}, []byte("{not json"))
		}},
		{"two reversals", true, func(tx *bolt.Tx) error {
			rev := tx.Bucket([]byte("reversal"))
			if err := rev.Put([]byte{0, 0, 0, 0, 0, 0, 0, 1}, []byte("98")); err != nil {
				return err
			}
			return rev.Put([]byte{0, 0, 0, 0, 0, 0, 0, 2}, []byte("98"))
		}},
		{"id sequence behind", true, func(tx *bolt.Tx) error { return tx.Bucket([]byte("txns")).SetSequence(1) }},
		{"bucket missing", true, func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("audit")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := sampleFile(t, 5)
			editBolt(t, path, tc.edit)
			if tc.quick {
				openMustFail(t, path, store.ErrCorrupt)
				return
			}
			db, err := store.Open(path, nil)
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

func TestSchemaRefused(t *testing.T) {
	t.Run("newer", func(t *testing.T) {
		path := sampleFile(t, 3)
		editBolt(t, path, func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte{0, 0, 0, 99})
		})
		err := openMustFail(t, path, store.ErrSchema)
		if !strings.Contains(err.Error(), "version 99") {
			t.Errorf("message %q does not name the file's version", err)
		}
	})
	t.Run("not a journal", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "other.db")
		editBolt(t, path, func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket([]byte("settings"))
			return err
		})
		openMustFail(t, path, store.ErrSchema)
	})
}

func TestBackupIsAJournal(t *testing.T) {
	db := storetest.Open(t)
	var want []store.Record
	for i := range 20 {
		r := begin(t, db, storetest.Sale(int64(i)))
		approve(r, fmt.Sprintf("%012d", i))
		finish(t, db, r)
		want = append([]store.Record{*r}, want...)
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	copyDB := storetest.OpenPath(t, path, &store.Options{ReadOnly: true})
	got, err := copyDB.List(store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("backup differs (-journal +backup):\n%s", diff)
	}
}

func TestAmountKeepsCurrency(t *testing.T) {
	db := storetest.Open(t)
	jpy, _ := money.LookupCurrency("JPY")
	r := storetest.Sale(0)
	r.Amount = money.New(1200, jpy)
	begin(t, db, r)
	if got := get(t, db, r.ID).Amount; got != money.New(1200, jpy) {
		t.Errorf("amount read back as %v %+v", got, got.Currency)
	}
	r2 := storetest.Sale(0)
	r2.Amount = money.Amount{Minor: 5}
	if err := db.Begin(r2); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Begin of an amount without currency: %v, want ErrInvalid", err)
	}
}
