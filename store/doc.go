// Package store owns the terminal's journal: every transaction's record from the intent
// written before a request is sent to the result written before the merchant is told,
// the trace-number (STAN) and batch counters, the (at most one) pending reversal, the
// look-up indexes (voucher, RRN, date) and the append-only audit log. It keeps them in
// one bbolt file, checks the file's integrity and schema version when it is opened, and
// makes every state change one durable commit.
//
// It also keeps the journal small and safe over the years: the settlement history
// (RecordSettlement), retention (Purge of settled batches, Compact and Swap), hot
// backups (Backup into a directory keeping the last N, BackupTo, VerifyBackup,
// Restore), the list of transactions a crash left unresolved (Interrupted) and the
// merchant's export (Export, CSV or JSON, masked card numbers only).
//
// A Record never holds a clear PAN, track data, a PIN block or a CVV: only the masked
// number and a keyed hash. Begin and Finish refuse a record that looks otherwise
// (ErrSensitive).
//
// store sits at layer L1. It must not import hal (devices), net or internal/hostlink
// (the network), iso8583 (the host dialect) or internal/txn (its only writer, which
// declares the journal interface it needs); store_test.go enforces it.
package store
