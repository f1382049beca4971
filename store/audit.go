package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

type diskAudit struct {
	Seq    uint64    `json:"seq"`
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`
	Detail string    `json:"detail,omitempty"`
}

// Audit appends an entry to the audit log in one durable commit: sign-in, key load,
// supervisor actions, alarms. Entries are never changed or deleted. kind must not be
// empty; neither may carry a clear PAN (ErrSensitive).
func (db *DB) Audit(kind, detail string) error {
	if kind == "" {
		return fmt.Errorf("audit: empty kind: %w", ErrInvalid)
	}
	if err := checkText(kind + " " + detail); err != nil {
		return fmt.Errorf("audit %s: %w", kind, err)
	}
	err := db.update(func(tx *bolt.Tx) error { return db.putAudit(tx, kind, detail) })
	if err != nil {
		return fmt.Errorf("audit %s: %w", kind, err)
	}
	return nil
}

func (db *DB) putAudit(tx *bolt.Tx, kind, detail string) error {
	b := tx.Bucket(bucketAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("next audit sequence: %w", err)
	}
	v, err := json.Marshal(diskAudit{Seq: seq, Time: db.clock(), Kind: kind, Detail: detail})
	if err != nil {
		return fmt.Errorf("encode audit entry: %w", err)
	}
	if err := b.Put(idKey(seq), v); err != nil {
		return fmt.Errorf("put audit entry %d: %w", seq, err)
	}
	return nil
}

// AuditLog returns the newest limit entries of the audit log, newest first; limit 0
// returns them all.
func (db *DB) AuditLog(limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			e, err := decodeAudit(v)
			if err != nil {
				return fmt.Errorf("audit entry %d: %w: %w", keyID(k), ErrCorrupt, err)
			}
			out = append(out, e)
			if limit > 0 && len(out) == limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}

func decodeAudit(v []byte) (AuditEntry, error) {
	var d diskAudit
	if err := json.Unmarshal(v, &d); err != nil {
		return AuditEntry{}, err
	}
	return AuditEntry(d), nil
}
