package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"countertop/store"
	"countertop/store/storetest"
)

// journalRecords lists a closed journal file.
func journalRecords(t *testing.T, path string) []store.Record {
	t.Helper()
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer db.Close()
	recs, err := db.List(store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBackupCommand(t *testing.T) {
	db := journalFixture(t)
	out := filepath.Join(t.TempDir(), "backup.db")
	code, stdout, stderr := call(runBackup, "--db", db, "--out", out)
	if code != 0 || !strings.Contains(stdout, "verified") {
		t.Fatalf("backup: exit %d, %q, %q", code, stdout, stderr)
	}
	if err := store.VerifyBackup(out); err != nil {
		t.Error(err)
	}
	if diff := cmp.Diff(journalRecords(t, db), journalRecords(t, out)); diff != "" {
		t.Errorf("backup differs from the journal:\n%s", diff)
	}

	// posd has the journal open: a clear refusal that points at posd's own backups.
	storetest.OpenPath(t, db, nil) // closed (and checked) when the test ends
	before := readString(t, out)
	code, _, stderr = call(runBackup, "--db", db, "--out", out)
	if code != 1 || !strings.Contains(stderr, "in use by a running posd") || !strings.Contains(stderr, "automatic backups") ||
		!strings.Contains(stderr, "locked by another process") {
		t.Errorf("backup while posd runs: exit %d, %q", code, stderr)
	}
	if readString(t, out) != before {
		t.Error("refused backup changed the earlier backup")
	}

	for _, args := range [][]string{nil, {"--db", db}, {"--out", out}, {"--db", db, "--out", out, "extra"}} {
		if code, _, _ := call(runBackup, args...); code != 2 {
			t.Errorf("backup %q: exit %d, want 2", args, code)
		}
	}
	if code, _, stderr := call(runBackup, "--db", filepath.Join(t.TempDir(), "none.db"), "--out", out); code != 1 {
		t.Errorf("backup of a missing journal: exit %d, %q", code, stderr)
	}
}

func TestRestoreCommand(t *testing.T) {
	good := journalFixture(t)
	backup := filepath.Join(t.TempDir(), "backup.db")
	if code, _, stderr := call(runBackup, "--db", good, "--out", backup); code != 0 {
		t.Fatal(stderr)
	}
	want := journalRecords(t, backup)
	dir := t.TempDir()
	target := filepath.Join(dir, "journal.db")
	garbage := strings.Repeat("garbage!", 2048)

	// A corrupt journal is replaced without --force and kept aside.
	writeFile(t, target, garbage)
	code, stdout, stderr := call(runRestore, "--backup", backup, "--db", target)
	if code != 0 || !strings.Contains(stdout, "kept as "+target+".replaced-") {
		t.Fatalf("restore over a corrupt journal: exit %d, %q, %q", code, stdout, stderr)
	}
	if diff := cmp.Diff(want, journalRecords(t, target)); diff != "" {
		t.Errorf("restored journal differs from the backup:\n%s", diff)
	}
	kept, _ := filepath.Glob(target + ".replaced-*")
	if len(kept) != 1 || readString(t, kept[0]) != garbage {
		t.Errorf("replaced journal kept as %v", kept)
	}

	// Now healthy: only with --force.
	before := readString(t, target)
	code, _, stderr = call(runRestore, "--backup", backup, "--db", target)
	if code != 1 || !strings.Contains(stderr, "--force") || !strings.Contains(stderr, "nothing was changed") {
		t.Errorf("restore over a healthy journal: exit %d, %q", code, stderr)
	}
	if readString(t, target) != before {
		t.Error("refused restore changed the journal")
	}
	if code, _, stderr := call(runRestore, "--backup", backup, "--db", target, "--force"); code != 0 {
		t.Errorf("restore --force: exit %d, %q", code, stderr)
	}

	// A bad backup never replaces anything.
	badBackup := filepath.Join(t.TempDir(), "bad.db")
	writeFile(t, badBackup, garbage)
	before = readString(t, target)
	code, _, stderr = call(runRestore, "--backup", badBackup, "--db", target, "--force")
	if code != 1 || !strings.Contains(stderr, "journal is corrupt") || !strings.Contains(stderr, "nothing was changed") {
		t.Errorf("restore from a corrupt backup: exit %d, %q", code, stderr)
	}
	if readString(t, target) != before {
		t.Error("restore from a corrupt backup changed the journal")
	}

	// posd running on the target.
	storetest.OpenPath(t, target, nil)
	code, _, stderr = call(runRestore, "--backup", backup, "--db", target, "--force")
	if code != 1 || !strings.Contains(stderr, "stop posd first") {
		t.Errorf("restore while posd runs: exit %d, %q", code, stderr)
	}

	for _, args := range [][]string{nil, {"--backup", backup}, {"--db", target}, {"--backup", backup, "--db", target, "x"}} {
		if code, _, _ := call(runRestore, args...); code != 2 {
			t.Errorf("restore %q: exit %d, want 2", args, code)
		}
	}
}
