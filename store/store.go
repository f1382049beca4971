package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Options configure Open. The zero value (or nil) is what posd uses.
type Options struct {
	// Timeout is how long Open waits for another process to release the file lock
	// before failing with ErrLocked. Zero means one second; a negative value means one
	// attempt only. Open never waits forever.
	Timeout time.Duration

	// ReadOnly opens the file with a shared lock for reading (posctl journal). It is
	// never created or migrated; writes fail with ErrReadOnly.
	ReadOnly bool

	// NoSync skips fsync on every commit. DANGEROUS: a power cut loses acknowledged
	// transactions and may corrupt the file. For benchmarks and test fixtures only;
	// never set it in posd.
	NoSync bool

	// Now is the clock for CreatedAt, UpdatedAt and audit times; nil means time.Now.
	// For tests.
	Now func() time.Time
}

// DB is an open journal. Its methods are safe for concurrent use.
type DB struct {
	bolt    *bolt.DB
	path    string
	now     func() time.Time
	commits atomic.Uint64
}

// Stats are counters for tests and the self-check.
type Stats struct {
	// Commits is the number of write transactions committed through this DB since
	// Open returned (migrations and bucket creation during Open are not counted).
	Commits uint64
}

// Bucket names: the file format.
var (
	bucketMeta     = []byte("meta")
	bucketTxns     = []byte("txns")
	bucketVoucher  = []byte("idx_voucher")
	bucketRRN      = []byte("idx_rrn")
	bucketDate     = []byte("idx_date")
	bucketReversal = []byte("reversal")
	bucketAudit    = []byte("audit")
	bucketPending  = []byte("idx_pending") // schema 2: id of every record in state Pending
	bucketSettle   = []byte("settlements") // schema 2: settlement history by sequence

	allBuckets = [][]byte{bucketMeta, bucketTxns, bucketVoucher, bucketRRN, bucketDate,
		bucketReversal, bucketAudit, bucketPending, bucketSettle}

	pendingMark = []byte{1} // the value of an idx_pending entry

	keySchema = []byte("schema") // uint32: schema version
	keySTAN   = []byte("stan")   // uint32: last STAN handed out
	keyBatch  = []byte("batch")  // uint32: current batch
)

// Open opens the journal at path, creating it (mode 0600) if it does not exist. It
// waits at most Options.Timeout for the file lock (ErrLocked), refuses a file that is
// not a readable journal (ErrCorrupt) or whose schema is newer than this binary
// (ErrSchema), checks its integrity before anything is written to it, and then
// creates missing buckets and migrates an older schema in one commit. A file that
// fails any check is left untouched.
//
// The check at Open is bbolt's page check (Tx.Check), the file size against the meta
// page, the counters, the index sizes against the record count and the pending
// reversal; it does not read every record (see BenchmarkOpenCheck100k). Check does.
func Open(path string, o *Options) (*DB, error) {
	var opt Options
	if o != nil {
		opt = *o
	}
	bo := &bolt.Options{
		Timeout:  opt.Timeout,
		ReadOnly: opt.ReadOnly,
		NoSync:   opt.NoSync,
	}
	switch {
	case bo.Timeout == 0:
		bo.Timeout = time.Second
	case bo.Timeout < 0:
		bo.Timeout = time.Nanosecond // bbolt tries once, then gives up
	}
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, fs.ErrNotExist)
	if opt.ReadOnly && statErr != nil {
		// bbolt would report a missing file only after taking the lock; say it plainly.
		return nil, fmt.Errorf("open journal %s: %w", path, statErr)
	}
	if !opt.ReadOnly {
		if err := precheck(path, bo.Timeout); err != nil {
			return nil, fmt.Errorf("open journal %s: %w", path, err)
		}
	}
	bdb, err := openBolt(path, bo)
	if err != nil {
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	db := &DB{bolt: bdb, path: path, now: opt.Now}
	if db.now == nil {
		db.now = time.Now
	}
	if err := db.bolt.View(func(tx *bolt.Tx) error { return checkOpen(tx) }); err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	if err := db.prepare(opt.ReadOnly); err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	if created && !opt.NoSync {
		// The file's own contents are synced by bbolt; its name is in the directory.
		if err := syncDir(filepath.Dir(path)); err != nil {
			_ = bdb.Close()
			return nil, fmt.Errorf("open journal %s: %w", path, err)
		}
	}
	return db, nil
}

// precheck opens an existing file read-only, which maps it without reading more than
// its meta pages, to refuse a truncated file before a writable open reads its
// freelist: reading past the end of the file would kill the process (SIGBUS), not
// return an error.
func precheck(path string, timeout time.Duration) error {
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		return nil // a new file; errors are reported by the real open
	}
	bdb, err := openBolt(path, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return err
	}
	defer bdb.Close()
	return bdb.View(checkSize)
}

// openBolt opens the bbolt file and maps its errors (and panics and memory faults on
// mangled pages) to ours.
func openBolt(path string, bo *bolt.Options) (bdb *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			bdb, err = nil, fmt.Errorf("%w: bbolt: %v", ErrCorrupt, p)
		}
	}()
	bdb, err = bolt.Open(path, 0o600, bo)
	switch {
	case err == nil:
		return bdb, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("%w (waited %v): %w", ErrLocked, bo.Timeout, err)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
		errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrInvalidMapping),
		// bbolt has no sentinel for a file shorter than its two meta pages.
		strings.Contains(err.Error(), "file size too small"):
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return nil, err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// Path is the journal's file name.
func (db *DB) Path() string { return db.path }

// Close releases the file and its lock. Using the DB afterwards gives ErrClosed.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close journal %s: %w", db.path, err)
	}
	return nil
}

// Stats returns the DB's counters.
func (db *DB) Stats() Stats { return Stats{Commits: db.commits.Load()} }

// update runs fn in one durable write transaction and counts the commit.
func (db *DB) update(fn func(tx *bolt.Tx) error) error {
	err := db.bolt.Update(fn)
	if err != nil {
		return mapErr(err)
	}
	db.commits.Add(1)
	return nil
}

func (db *DB) view(fn func(tx *bolt.Tx) error) error {
	return mapErr(db.bolt.View(fn))
}

func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return fmt.Errorf("%w: %w", ErrClosed, err)
	case errors.Is(err, berrors.ErrDatabaseReadOnly), errors.Is(err, berrors.ErrTxNotWritable):
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	case isNoSpace(err):
		return fmt.Errorf("%w: %w", ErrNoSpace, err)
	}
	return err
}

// markNoSpace wraps err with ErrNoSpace if it is a full file system (file writes
// outside bbolt: backups, restores, compaction).
func markNoSpace(err error) error {
	if err != nil && !errors.Is(err, ErrNoSpace) && isNoSpace(err) {
		return fmt.Errorf("%w: %w", ErrNoSpace, err)
	}
	return err
}

// isNoSpace reports a full file system, quota or file size limit. bbolt formats the
// cause of a failed file resize with %s, so the text is checked too.
func isNoSpace(err error) bool {
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG} {
		if errors.Is(err, errno) || strings.Contains(err.Error(), errno.Error()) {
			return true
		}
	}
	return false
}
