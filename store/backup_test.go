package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"countertop/store"
	"countertop/store/storetest"
)

// sale runs one approved sale through Begin and Finish.
func sale(t *testing.T, db *store.DB, minor int64) *store.Record {
	t.Helper()
	r := begin(t, db, storetest.Sale(minor))
	approve(r, fmt.Sprintf("%012d", r.ID))
	finish(t, db, r)
	return r
}

func listAll(t *testing.T, db *store.DB) []store.Record {
	t.Helper()
	recs, err := db.List(store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// recordsIn opens a journal file read-only and lists it.
func recordsIn(t *testing.T, path string) []store.Record {
	t.Helper()
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer db.Close()
	return listAll(t, db)
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestBackupKeepsTheLastN(t *testing.T) {
	db, _ := openClocked(t)
	dir := filepath.Join(t.TempDir(), "backups")
	if _, err := db.Backup(dir, 0); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Backup keeping 0: %v, want ErrInvalid", err)
	}
	var paths []string
	for i := range 5 {
		sale(t, db, int64(100+i))
		p, err := db.Backup(dir, 3)
		if err != nil {
			t.Fatalf("Backup %d: %v", i, err)
		}
		if err := store.VerifyBackup(p); err != nil {
			t.Errorf("backup %d: %v", i, err)
		}
		if diff := cmp.Diff(listAll(t, db), recordsIn(t, p)); diff != "" {
			t.Errorf("backup %d differs (-journal +backup):\n%s", i, diff)
		}
		paths = append(paths, p)
		if i == 1 {
			// Someone else's file and a temporary file left by a crash mid-backup.
			writeFile(t, filepath.Join(dir, "notes.txt"), "keep me")
			writeFile(t, filepath.Join(dir, ".journal-12345.tmp"), "half a backup")
		}
	}
	var want []string
	for _, p := range paths[2:] {
		want = append(want, filepath.Base(p))
	}
	want = append(want, "notes.txt")
	slices.Sort(want)
	if diff := cmp.Diff(want, dirNames(t, dir)); diff != "" {
		t.Errorf("backup directory (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(filepath.Base(paths[0]), "journal-20261127T09") {
		t.Errorf("backup name %s: want journal-<UTC time>.db", paths[0])
	}
	st, err := os.Stat(paths[4])
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600 (it holds the merchant's records)", st.Mode().Perm())
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Backups taken while another goroutine runs transactions are each a consistent
// journal holding a prefix of the records.
func TestBackupWhileTheTerminalRuns(t *testing.T) {
	db := storetest.Open(t)
	dir := t.TempDir()
	const n = 60
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		for i := range n {
			r := storetest.Sale(int64(i + 1))
			if err := db.Begin(r); err != nil {
				t.Error(err)
				return
			}
			approve(r, fmt.Sprintf("%012d", r.ID))
			if err := db.Finish(r); err != nil {
				t.Error(err)
				return
			}
		}
	})
	backups := 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		p, err := db.Backup(dir, 2)
		if err != nil {
			t.Fatalf("Backup while writing: %v", err)
		}
		backups++
		got := recordsIn(t, p)
		for _, r := range got {
			if r.State != store.Approved && r.State != store.Pending {
				t.Errorf("backup %d: record %d in state %v", backups, r.ID, r.State)
			}
		}
		if len(got) > 0 && got[len(got)-1].ID != 1 {
			t.Errorf("backup %d does not start at record 1", backups)
		}
	}
	wg.Wait()
	t.Logf("%d backups during %d transactions", backups, n)
}

func TestBackupTo(t *testing.T) {
	db := storetest.Open(t)
	sale(t, db, 1)
	dir := t.TempDir()
	out := filepath.Join(dir, "copy.db")
	writeFile(t, out, "an old, unrelated file")
	if err := db.BackupTo(out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(listAll(t, db), recordsIn(t, out)); diff != "" {
		t.Errorf("BackupTo copy differs:\n%s", diff)
	}
	if err := db.BackupTo(db.Path()); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("BackupTo the journal itself: %v, want ErrInvalid", err)
	}
	if err := db.BackupTo(filepath.Join(dir, "missing", "copy.db")); err == nil {
		t.Error("BackupTo a missing directory succeeded")
	}
	if diff := cmp.Diff([]string{"copy.db"}, dirNames(t, dir)); diff != "" {
		t.Errorf("directory after BackupTo (-want +got):\n%s", diff)
	}
}

func TestVerifyBackup(t *testing.T) {
	good := sampleFile(t, 300)
	orig, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	for _, tc := range []struct {
		name  string
		make  func(path string)
		want  error
		isNil bool
	}{
		{"good", func(p string) { os.WriteFile(p, orig, 0o600) }, nil, true},
		{"missing", func(string) {}, fs.ErrNotExist, false},
		{"garbage", func(p string) { os.WriteFile(p, bytes.Repeat([]byte("x"), len(orig)), 0o600) }, store.ErrCorrupt, false},
		{"truncated", func(p string) { os.WriteFile(p, orig[:len(orig)/2/page*page], 0o600) }, store.ErrCorrupt, false},
		{"empty bbolt file", func(p string) {
			b, _ := bolt.Open(p, 0o600, nil)
			b.Close()
		}, store.ErrSchema, false},
		{"newer schema", func(p string) {
			os.WriteFile(p, orig, 0o600)
			editBolt(t, p, func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte{0, 0, 0, 99})
			})
		}, store.ErrSchema, false},
		{"index broken", func(p string) {
			os.WriteFile(p, orig, 0o600)
			editBolt(t, p, func(tx *bolt.Tx) error {
				c := tx.Bucket([]byte("idx_date")).Cursor()
				k, v := c.Last()
				nk := bytes.Clone(k)
				nk[7]++
				c.Delete()
				return tx.Bucket([]byte("idx_date")).Put(nk, v)
			})
		}, store.ErrCorrupt, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "backup.db")
			tc.make(p)
			err := store.VerifyBackup(p)
			if tc.isNil && err != nil || !tc.isNil && !errors.Is(err, tc.want) {
				t.Errorf("VerifyBackup: %v, want %v", err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), p) {
				t.Errorf("message %q does not name the file", err)
			}
		})
	}
	t.Run("open for writing", func(t *testing.T) {
		db := storetest.Open(t)
		if err := store.VerifyBackup(db.Path()); !errors.Is(err, store.ErrLocked) {
			t.Errorf("VerifyBackup of a journal in use: %v, want ErrLocked", err)
		}
	})
}

// fileState is a file's content, or "" when it does not exist.
func fileState(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRestore(t *testing.T) {
	backup := sampleFile(t, 3)
	backupBytes := fileState(t, backup)
	want := recordsIn(t, backup)
	healthy := sampleFile(t, 5)
	newer := sampleFile(t, 2)
	editBolt(t, newer, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte{0, 0, 0, 99})
	})
	corrupt := filepath.Join(t.TempDir(), "corrupt.db")
	writeFile(t, corrupt, strings.Repeat("garbage!", 4096))
	for _, tc := range []struct {
		name     string
		backup   string // "" means the good backup
		target   string // copied into a fresh directory; "" means none
		force    bool
		want     error // nil: restored
		replaced bool
	}{
		{"no journal yet", "", "", false, nil, false},
		{"over a corrupt journal", "", corrupt, false, nil, true},
		{"over a healthy journal without force", "", healthy, false, store.ErrInvalid, false},
		{"over a healthy journal with force", "", healthy, true, nil, true},
		{"over a newer journal without force", "", newer, false, store.ErrInvalid, false},
		{"over a newer journal with force", "", newer, true, nil, true},
		{"from a corrupt backup", corrupt, healthy, true, store.ErrCorrupt, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "journal.db")
			if tc.target != "" {
				writeFile(t, target, fileState(t, tc.target))
			}
			before := fileState(t, target)
			from := backup
			if tc.backup != "" {
				from = tc.backup
			}
			replaced, err := store.Restore(from, target, tc.force)
			if fileState(t, backup) != backupBytes {
				t.Error("Restore changed the backup")
			}
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Errorf("Restore: %v, want %v", err, tc.want)
				}
				if fileState(t, target) != before {
					t.Error("a refused Restore changed the target")
				}
				if diff := cmp.Diff([]string{"journal.db"}, dirNames(t, dir)); diff != "" {
					t.Errorf("a refused Restore left files (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Restore: %v", err)
			}
			if diff := cmp.Diff(want, recordsIn(t, target)); diff != "" {
				t.Errorf("restored journal differs from the backup:\n%s", diff)
			}
			if (replaced != "") != tc.replaced {
				t.Fatalf("replaced = %q, want one: %v", replaced, tc.replaced)
			}
			if replaced != "" {
				if !strings.HasPrefix(replaced, target+".replaced-") {
					t.Errorf("replaced file named %s", replaced)
				}
				if fileState(t, replaced) != before {
					t.Error("the replaced file does not hold the old journal")
				}
			}
			if n := len(dirNames(t, dir)); n != 1+len(slices.DeleteFunc([]string{replaced}, func(s string) bool { return s == "" })) {
				t.Errorf("directory after Restore: %v", dirNames(t, dir))
			}
		})
	}
	t.Run("target in use", func(t *testing.T) {
		db := storetest.Open(t)
		sale(t, db, 7)
		before := listAll(t, db)
		if _, err := store.Restore(backup, db.Path(), true); !errors.Is(err, store.ErrLocked) {
			t.Errorf("Restore over a journal in use: %v, want ErrLocked", err)
		}
		if diff := cmp.Diff(before, listAll(t, db)); diff != "" {
			t.Errorf("journal in use changed:\n%s", diff)
		}
	})
	t.Run("onto itself", func(t *testing.T) {
		if _, err := store.Restore(backup, backup, true); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Restore of a file onto itself: %v, want ErrInvalid", err)
		}
	})
}

// A clock that was set back (a terminal whose RTC lost its battery, then NTP) gives new
// backups older names than existing ones: the backup just taken is kept all the same.
func TestBackupKeepsTheNewestAfterTheClockWentBack(t *testing.T) {
	db, _ := openClocked(t)
	sale(t, db, 1)
	dir := t.TempDir()
	for _, future := range []string{"journal-20301231T000000.000000000Z.db", "journal-20311231T000000.000000000Z.db"} {
		writeFile(t, filepath.Join(dir, future), "from when the clock was wrong")
	}
	for i := range 3 {
		p, err := db.Backup(dir, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.VerifyBackup(p); err != nil {
			t.Errorf("backup %d just taken: %v", i, err)
		}
		if n := len(dirNames(t, dir)); n != 2 {
			t.Errorf("backup %d: %d files in the directory, want 2: %v", i, n, dirNames(t, dir))
		}
	}
}
