package store

import "errors"

// Errors returned when opening a journal. Each is wrapped with the file's path and the
// underlying cause; test for them with errors.Is.
var (
	// ErrLocked means another process (normally a second posd) holds the journal open
	// for writing. Open waits Options.Timeout for the lock, never forever.
	ErrLocked = errors.New("journal is locked by another process; stop the other posd or posctl first")

	// ErrCorrupt means the file is not a readable bbolt file or fails the integrity
	// check (bbolt page check, or indexes and counters that disagree with the records).
	// Open leaves such a file untouched; restore it from a backup.
	ErrCorrupt = errors.New("journal is corrupt; restore it from a backup")

	// ErrSchema means the file's schema version is newer than this binary knows, the
	// file is a bbolt file that is not a journal, or (read-only) it needs a migration.
	ErrSchema = errors.New("journal schema not supported by this binary")
)

// Errors returned by the journal's operations.
var (
	// ErrNotFound means no record matches the ID, voucher or RRN asked for.
	ErrNotFound = errors.New("not found")

	// ErrReversalPending means Begin (or Finish asking for a reversal) was called for a
	// financial transaction while another transaction's reversal is still pending. The
	// pending reversal must be sent (ReversalDone) or dropped (DropReversal) first, so
	// that there is never more than one.
	ErrReversalPending = errors.New("another transaction's reversal is pending")

	// ErrInvalid means a record or argument was refused: an unknown type, a Begin with
	// an ID already set, a Finish that changes the ID, STAN, batch, type or creation time
	// of a stored record, a batch number out of range.
	ErrInvalid = errors.New("invalid journal record")

	// ErrSensitive means a record or audit entry carried what looks like a clear PAN
	// (or a hash that is not one). Nothing was written.
	ErrSensitive = errors.New("record holds sensitive card data")

	// ErrReadOnly means a write was attempted on a journal opened with ReadOnly.
	ErrReadOnly = errors.New("journal opened read-only")

	// ErrNoSpace means a commit (or a backup) could not be written because the file
	// system is full, a quota is exhausted or the file reached its size limit. The
	// commit did not happen; what was committed before is intact. Stop taking
	// payments until space is freed (Purge and Compact, or remove old backups).
	ErrNoSpace = errors.New("no space left for the journal; free space on its file system or purge settled batches")

	// ErrClosed means the journal was used after Close.
	ErrClosed = errors.New("journal closed")
)
