package store_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/store"
	"countertop/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/journal")

// golden compares got with testdata/journal/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "journal", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-golden +got):\n%s", name, diff)
	}
}

// exportSample is a few records as the journal holds them, at fixed times.
func exportSample() []store.Record {
	cst := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 11, 27, 9, 30, 0, 0, cst)
	s := storetest.Sale(12345)
	s.ID, s.State, s.STAN, s.Batch = 1, store.Approved, 1, 7
	s.RRN, s.AuthCode, s.RespCode, s.HostTime = "333109000001", "A1B2C3", "00", at.Add(3*time.Second)
	s.CreatedAt, s.UpdatedAt = at, at.Add(4*time.Second)
	s.Slip = "must not be exported"
	v := *s
	v.ID, v.Type, v.STAN, v.RRN, v.AuthCode = 2, txtype.Void, 2, "333109000002", "D4E5F6"
	v.Original = &store.OriginalRef{ID: 1, STAN: 1, Batch: 7}
	v.CreatedAt, v.HostTime = at.Add(time.Minute), time.Time{}
	d := *storetest.Sale(800)
	d.ID, d.State, d.STAN, d.Batch, d.RespCode = 3, store.Declined, 3, 7, "51"
	d.CardOrg, d.Operator = "VIS", "=HYPERLINK(\"x\")" // a spreadsheet formula, defused
	d.CreatedAt = at.Add(2 * time.Minute)
	jpy, _ := money.LookupCurrency("JPY")
	p := store.Record{ID: 4, Type: txtype.PreAuth, State: store.Pending, Amount: money.New(1200, jpy),
		MaskedPAN: "476173******0010", CardOrg: "VIS", STAN: 4, Batch: 7, Operator: "02, night shift",
		ReversalReason: "98", CreatedAt: at.Add(3 * time.Minute)}
	return []store.Record{*s, v, d, p}
}

func TestExportGolden(t *testing.T) {
	for _, format := range []string{store.FormatCSV, store.FormatJSON} {
		var b bytes.Buffer
		if err := store.Export(&b, exportSample(), format); err != nil {
			t.Fatalf("Export %s: %v", format, err)
		}
		if bytes.Contains(b.Bytes(), []byte("must not be exported")) || bytes.Contains(b.Bytes(), []byte(storetest.TestPAN)) {
			t.Errorf("%s export holds the slip or the clear PAN:\n%s", format, b.Bytes())
		}
		golden(t, "export."+format, b.Bytes())
	}
}

func TestExportRefuses(t *testing.T) {
	var b bytes.Buffer
	if err := store.Export(&b, exportSample(), "xlsx"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Export as xlsx: %v, want ErrInvalid", err)
	}
	for name, spoil := range map[string]func(r *store.Record){
		"masked pan": func(r *store.Record) { r.MaskedPAN = storetest.TestPAN },
		"operator":   func(r *store.Record) { r.Operator = "card " + storetest.TestPAN },
	} {
		recs := exportSample()
		spoil(&recs[2])
		for _, format := range []string{store.FormatCSV, store.FormatJSON} {
			b.Reset()
			if err := store.Export(&b, recs, format); !errors.Is(err, store.ErrSensitive) {
				t.Errorf("Export (%s) of a clear PAN in the %s: %v, want ErrSensitive", format, name, err)
			}
			if b.Len() != 0 {
				t.Errorf("refused %s export wrote %q", format, b.String())
			}
		}
	}
	var empty bytes.Buffer
	if err := store.Export(&empty, nil, store.FormatJSON); err != nil || empty.String() != "[]\n" {
		t.Errorf("Export of no records = %q, %v; want an empty array", empty.String(), err)
	}
}
