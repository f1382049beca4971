package store

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// backupStamp is the time in a backup's name: sortable as text, UTC.
const backupStamp = "20060102T150405.000000000Z"

// backupMu serialises Backup calls of this process (posd's schedule and its
// after-settlement backup may meet).
var backupMu sync.Mutex

// Backup takes a consistent hot backup of the journal into dir (created 0700 if
// missing) and keeps only the newest keep backups there. It is safe to call while
// the terminal runs: the copy is one read transaction (Tx.WriteTo), so Begin and Finish
// go on during it; only a commit that must grow the file waits for the copy to end
// (bbolt remaps the file under its mmap lock). The copy is written to a temporary
// file, synced, verified (VerifyBackup) and then renamed to
// "<journal name>-<UTC time>.db", so a backup that exists is complete. It returns the
// backup's path.
//
// Pruning removes older files named like this journal's backups (by the time in their
// names; the backup just written is always kept) and temporary files left by a crash
// during an earlier Backup; nothing else in dir is touched. If only
// the pruning fails, the new backup's path is returned with the error; otherwise the
// path is "" on error. keep must be at least 1 (ErrInvalid).
func (db *DB) Backup(dir string, keep int) (string, error) {
	if keep < 1 {
		return "", fmt.Errorf("back up journal %s: keep %d backups: %w", db.path, keep, ErrInvalid)
	}
	backupMu.Lock()
	defer backupMu.Unlock()
	path, err := db.backup(dir, keep)
	if err != nil {
		return path, fmt.Errorf("backup into %s: %w", dir, markNoSpace(err))
	}
	return path, nil
}

func (db *DB) backup(dir string, keep int) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	prefix := backupPrefix(db.path)
	name := filepath.Join(dir, prefix+db.clock().UTC().Format(backupStamp)+".db")
	for i := 2; ; i++ { // two backups within a nanosecond (a coarse clock)
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			break
		} else if err != nil {
			return "", err
		}
		name = filepath.Join(dir, fmt.Sprintf("%s%s-%d.db", prefix, db.clock().UTC().Format(backupStamp), i))
	}
	if err := db.writeFile(name, "."+prefix); err != nil {
		return "", err
	}
	if err := pruneBackups(dir, prefix, keep, filepath.Base(name)); err != nil {
		return name, err
	}
	return name, nil
}

// backupPrefix is the start of the names of a journal's backups: "journal-" for
// journal.db.
func backupPrefix(journal string) string {
	base := filepath.Base(journal)
	return strings.TrimSuffix(base, filepath.Ext(base)) + "-"
}

// isBackupName reports whether name is one of Backup's names for prefix.
func isBackupName(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || !strings.HasSuffix(rest, ".db") || len(rest) < len(backupStamp)+3 {
		return false
	}
	_, err := time.Parse(backupStamp, rest[:len(backupStamp)])
	return err == nil
}

// pruneBackups removes all but the keep backups that are newest by their names, and
// temporary files of interrupted backups. The backup just written (latest) is always
// kept, even if a clock set back gave it an older name than others.
func pruneBackups(dir, prefix string, keep int, latest string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("prune backups: %w", err)
	}
	var backups []string
	var errs []error
	for _, e := range entries {
		switch n := e.Name(); {
		case n == latest:
		case isBackupName(n, prefix):
			backups = append(backups, n)
		case strings.HasPrefix(n, "."+prefix) && strings.HasSuffix(n, ".tmp"):
			errs = append(errs, os.Remove(filepath.Join(dir, n)))
		}
	}
	n := len(prefix) + len(backupStamp)
	slices.SortFunc(backups, func(a, b string) int { // by time, then the -N of a clash
		return cmp.Or(strings.Compare(a[:n], b[:n]), cmp.Compare(len(a), len(b)), strings.Compare(a, b))
	})
	for len(backups) > keep-1 {
		errs = append(errs, os.Remove(filepath.Join(dir, backups[0])))
		backups = backups[1:]
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("prune backups: %w", err)
	}
	return nil
}

// BackupTo writes a consistent hot backup of the journal to path (mode 0600),
// replacing it if it exists: to a temporary file in the same directory first, synced,
// verified (VerifyBackup), then renamed over path. A failed BackupTo leaves path as it
// was and no temporary file behind.
func (db *DB) BackupTo(path string) error {
	if err := db.writeFile(path, "."+filepath.Base(path)+"-"); err != nil {
		return fmt.Errorf("back up journal %s to %s: %w", db.path, path, markNoSpace(err))
	}
	return nil
}

// writeFile writes the copy to a temporary file named tmpPrefix*.tmp next to path,
// syncs and verifies it and renames it to path.
func (db *DB) writeFile(path, tmpPrefix string) (err error) {
	if abs, aerr := filepath.Abs(path); aerr == nil {
		if self, serr := filepath.Abs(db.path); serr == nil && abs == self {
			return fmt.Errorf("backup would overwrite the journal itself: %w", ErrInvalid)
		}
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tmpPrefix+"*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := db.WriteTo(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := VerifyBackup(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// VerifyBackup checks that the file at path is a complete, consistent journal that
// this binary can open: it opens it read-only (ErrLocked at once if a process has it
// open for writing), refuses a truncated or damaged file (ErrCorrupt), an empty or
// foreign bbolt file or a newer schema (ErrSchema), and runs the full Check. A backup
// of an older schema version (which posd migrates when it opens it) gets bbolt's page
// check; its records are checked after the migration.
func VerifyBackup(path string) error {
	if err := verify(path); err != nil {
		return fmt.Errorf("verify backup %s: %w", path, err)
	}
	return nil
}

func verify(path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	b, err := openBolt(path, &bolt.Options{ReadOnly: true, Timeout: time.Nanosecond})
	if err != nil {
		return err
	}
	defer b.Close()
	return b.View(func(tx *bolt.Tx) error {
		if err := checkSize(tx); err != nil {
			return err
		}
		version, fresh, err := readVersion(tx)
		switch {
		case err != nil:
			return err
		case fresh:
			return fmt.Errorf("%w: empty bbolt file, not a journal", ErrSchema)
		case version > schemaVersion():
			return fmt.Errorf("%w: file has version %d, this binary knows up to %d", ErrSchema, version, schemaVersion())
		}
		return check(tx, true)
	})
}

// Restore replaces the journal at target with a copy of the backup at backup. It
// verifies the backup first (VerifyBackup) and changes nothing if that fails. It
// refuses, again changing nothing, when target is open (ErrLocked: stop posd first),
// and, unless force is set, when target exists and is not corrupt (ErrInvalid:
// restoring over a healthy journal, or one of a newer schema, loses what was written
// after the backup). The backup is copied next to target, synced and verified, the old target
// is kept as "<target>.replaced-<UTC time>" (returned as replaced; "" when there was
// none), and the copy is renamed over target. The backup file itself is not changed.
func Restore(backup, target string, force bool) (replaced string, err error) {
	replaced, err = restore(backup, target, force)
	if err != nil {
		return "", fmt.Errorf("restore %s from %s: %w", target, backup, markNoSpace(err))
	}
	return replaced, nil
}

func restore(backup, target string, force bool) (string, error) {
	if err := VerifyBackup(backup); err != nil {
		return "", err
	}
	ab, err1 := filepath.Abs(backup)
	at, err2 := filepath.Abs(target)
	if err := errors.Join(err1, err2); err != nil {
		return "", err
	}
	if ab == at {
		return "", fmt.Errorf("backup and target are the same file: %w", ErrInvalid)
	}
	_, statErr := os.Stat(target)
	exists := statErr == nil
	if statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
		return "", statErr
	}
	if exists {
		switch err := VerifyBackup(target); {
		case errors.Is(err, ErrLocked):
			return "", err
		case err == nil && !force:
			return "", fmt.Errorf("%w: %s is a healthy journal; restoring loses everything written after the backup (use force)",
				ErrInvalid, target)
		case !errors.Is(err, ErrCorrupt) && !force:
			// Not a journal this binary reads (a newer schema, another file): not
			// known to be damaged either.
			return "", fmt.Errorf("%w: %s is not known to be damaged (%v); use force to replace it", ErrInvalid, target, err)
		}
	}
	unlock := func() {}
	if exists {
		var err error
		if unlock, err = lockFile(target); err != nil {
			return "", err
		}
	}
	defer unlock()
	dir := filepath.Dir(target)
	tmp, err := copyToTemp(backup, dir, "."+filepath.Base(target)+"-restore-")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp) // after the rename, a no-op
	if err := VerifyBackup(tmp); err != nil {
		return "", err
	}
	replaced := ""
	moved := false
	if exists {
		replaced = target + ".replaced-" + time.Now().UTC().Format(backupStamp)
		// A hard link keeps target in place until the rename; file systems without
		// links (FAT on a USB stick) get two renames.
		if err := os.Link(target, replaced); err != nil {
			if err := os.Rename(target, replaced); err != nil {
				return "", err
			}
			moved = true
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		if moved {
			err = errors.Join(err, os.Rename(replaced, target)) // put it back
		} else if replaced != "" {
			os.Remove(replaced)
		}
		return "", err
	}
	return replaced, syncDir(dir)
}

// copyToTemp copies src to a synced temporary file in dir.
func copyToTemp(src, dir, prefix string) (_ string, err error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.CreateTemp(dir, prefix+"*.tmp")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(out.Name())
		}
	}()
	if err := out.Chmod(0o600); err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		return "", fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		return "", fmt.Errorf("sync %s: %w", out.Name(), err)
	}
	return out.Name(), out.Close()
}

// lockFile takes the lock bbolt takes (flock, exclusive) on path without waiting, so
// that no posd opens the file while it is replaced. ErrLocked if it is held.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
