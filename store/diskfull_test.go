package store_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"countertop/store"
	"countertop/store/storetest"
)

// TestDiskFull puts the journal and its backup directory on a 3 MiB tmpfs (the test
// runs as root and mounts it) two thirds taken by another file, runs sales until a commit
// fails, and checks that the failure is reported as the disk being full, that the
// failed call changed nothing, that the journal stays consistent open and reopened
// with every acknowledged transaction, that a backup into the full file system fails
// without leaving a partial file, and that the terminal carries on once space is
// freed.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs; see TestDiskFullFileSizeLimit for the unprivileged variant")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=3M,mode=0700"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	fillUp(t, dir, syscall.ENOSPC, true, func() { os.Remove(filler) })
}

// fillUp is the disk-full test on the file system at dir; free makes room again. A
// full file system (backupFails) has no room for a backup either; a file size limit
// has.
func fillUp(t *testing.T, dir string, want syscall.Errno, backupFails bool, free func()) {
	path := filepath.Join(dir, "journal.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	acked := map[uint64]store.Record{}
	var failed error
	var unfinished uint64 // begun, but its Finish failed
	for i := range 100000 {
		r := storetest.Sale(int64(i + 1))
		before := *r
		if err := db.Begin(r); err != nil {
			failed = err
			if diff := cmp.Diff(before, *r); diff != "" {
				t.Errorf("failed Begin changed the record:\n%s", diff)
			}
			break
		}
		approve(r, fmt.Sprintf("%012d", r.ID))
		r.Slip = strings.Repeat("MERCHANT COPY  商户存根  RMB 1.00\n", 40)
		before = *r
		if err := db.Finish(r); err != nil {
			failed, unfinished = err, r.ID
			if diff := cmp.Diff(before, *r); diff != "" {
				t.Errorf("failed Finish changed the record:\n%s", diff)
			}
			break
		}
		acked[r.ID] = *r
	}
	if failed == nil {
		t.Fatal("the file system never filled up")
	}
	t.Logf("full after %d acknowledged sales: %v", len(acked), failed)
	if !errors.Is(failed, store.ErrNoSpace) || !strings.Contains(failed.Error(), want.Error()) {
		t.Errorf("error %v: want ErrNoSpace naming %q", failed, want)
	}
	if !strings.Contains(failed.Error(), "begin sale") && !strings.Contains(failed.Error(), "finish record") {
		t.Errorf("error %q does not say what failed", failed)
	}
	if err := db.Check(); err != nil {
		t.Errorf("Check after the failed commit: %v", err)
	}
	if backupFails {
		if p, err := db.Backup(filepath.Join(dir, "backups"), 3); !errors.Is(err, store.ErrNoSpace) {
			t.Errorf("Backup into a full file system: %q, %v; want ErrNoSpace", p, err)
		}
		if names, err := os.ReadDir(filepath.Join(dir, "backups")); err == nil && len(names) > 0 {
			t.Errorf("failed Backup left %v", names)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = storetest.OpenPath(t, path, nil)
	for id, want := range acked {
		got, err := db.Get(id)
		if err != nil {
			t.Fatalf("acknowledged record %d: %v", id, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("acknowledged record %d changed:\n%s", id, diff)
		}
	}
	xs, err := db.Interrupted()
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case unfinished != 0 && (len(xs) != 1 || xs[0].Record.ID != unfinished || xs[0].Action != store.SendReversal):
		t.Errorf("Interrupted = %+v, want record %d with its reversal", xs, unfinished)
	case unfinished == 0 && len(xs) != 0:
		t.Errorf("Interrupted = %+v after a failed Begin, want none", xs)
	}

	free()
	if unfinished != 0 {
		if err := db.ReversalDone(unfinished); err != nil {
			t.Fatalf("ReversalDone after freeing space: %v", err)
		}
	}
	r := begin(t, db, storetest.Sale(1))
	approve(r, "999999999999")
	finish(t, db, r)
	if _, err := db.Backup(filepath.Join(dir, "backups"), 3); err != nil {
		t.Errorf("Backup after freeing space: %v", err)
	}
}

// fsizeEnv makes a re-executed test binary run the file-size-limit variant.
const fsizeEnv = "COUNTERTOP_STORE_FSIZE_CHILD"

// TestDiskFullFileSizeLimit is the unprivileged variant of TestDiskFull: a child
// process limits the size of the files it writes to 1 MiB (RLIMIT_FSIZE, SIGXFSZ
// ignored), so a commit that grows the journal past it fails with EFBIG, as a full
// disk would fail it with ENOSPC; raising the limit frees the space.
func TestDiskFullFileSizeLimit(t *testing.T) {
	if os.Getenv(fsizeEnv) != "" {
		var old syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Fatal(err)
		}
		signal.Ignore(syscall.SIGXFSZ)
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 1 << 20, Max: old.Max}); err != nil {
			t.Fatal(err)
		}
		fillUp(t, t.TempDir(), syscall.EFBIG, false, func() {
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
				t.Fatal(err)
			}
		})
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiskFullFileSizeLimit$", "-test.v")
	cmd.Env = append(os.Environ(), fsizeEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("child:\n%s", out)
	if err != nil {
		t.Errorf("child: %v", err)
	}
	if !strings.Contains(string(out), "file too large") {
		t.Error("the child never hit its file size limit")
	}
}
