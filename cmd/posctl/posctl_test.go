package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func posctl(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := dispatch(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// A scenario run with --db leaves a journal that journal list and show read back,
// masked.
func TestScenarioThenJournal(t *testing.T) {
	db := filepath.Join(t.TempDir(), "j.db")
	code, out, errOut := posctl("scenario", "run", "--db", db, "../../testdata/scenarios/magstripe-sale-approved.scn")
	if code != 0 {
		t.Fatalf("scenario run exit %d\n%s%s", code, out, errOut)
	}
	if !strings.HasPrefix(out, "ok   magstripe sale approved") {
		t.Errorf("scenario output = %q", out)
	}
	code, out, errOut = posctl("journal", "list", "--db", db, "--json")
	if code != 0 {
		t.Fatalf("journal list exit %d: %s", code, errOut)
	}
	var recs []listed
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatalf("journal list --json: %v\n%s", err, out)
	}
	if len(recs) != 1 || recs[0].State != "approved" || recs[0].Amount != "123.45" || recs[0].PAN != "***************0128" {
		t.Fatalf("records = %+v", recs)
	}
	code, out, _ = posctl("journal", "show", "--db", db, "1")
	if code != 0 || !strings.Contains(out, "state:     approved") || !strings.Contains(out, "银联POS签购单") {
		t.Fatalf("journal show exit %d:\n%s", code, out)
	}
	code, table, _ := posctl("journal", "list", "--db", db)
	if code != 0 || !strings.Contains(table, "***************0128") {
		t.Fatalf("journal list exit %d:\n%s", code, table)
	}
	for _, s := range []string{out, table} {
		if strings.Contains(s, "6222021234567890128") {
			t.Errorf("output contains the full PAN:\n%s", s)
		}
	}
}

func TestFailingScenarioExitsOne(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.scn")
	writeFile(t, bad, "scenario \"wrong expectation\"\nexpect screen \"NOT ON SCREEN\"\n")
	code, out, _ := posctl("scenario", "run", bad)
	if code != 1 || !strings.Contains(out, "FAIL wrong expectation") || !strings.Contains(out, "bad.scn:2") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"nonsense"}, {"journal"}, {"journal", "list"}, {"journal", "show", "--db", "x"}, {"scenario"}} {
		if code, _, _ := posctl(args...); code == 0 {
			t.Errorf("posctl %q exited 0", args)
		}
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// journal export --fees adds the estimated fee and the net of each approved sale:
// RMB 123.45 on a swiped UnionPay card (debit or credit unknown: credit, 60 bp) is
// 0.74 (0.7407 rounded half up), net 122.71.
func TestJournalExportWithFees(t *testing.T) {
	db := filepath.Join(t.TempDir(), "j.db")
	if code, out, errOut := posctl("scenario", "run", "--db", db, "../../testdata/scenarios/magstripe-sale-approved.scn"); code != 0 {
		t.Fatalf("scenario run exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := posctl("journal", "export", "--db", db, "--format", "csv", "--fees")
	if code != 0 {
		t.Fatalf("export exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], ",est_fee,est_net") || !strings.HasSuffix(lines[1], ",0.74,122.71") {
		t.Fatalf("export:\n%s", out)
	}
	if code, plain, _ := posctl("journal", "export", "--db", db, "--format", "csv"); code != 0 || strings.Contains(plain, "est_fee") {
		t.Errorf("export without --fees (exit %d) has fee columns:\n%s", code, plain)
	}
}
