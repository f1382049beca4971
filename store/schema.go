package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// A migration rewrites a journal from one schema version to the next inside the
// commit that also records the new version, so a file is never half migrated.
type migration struct {
	name string
	run  func(tx *bolt.Tx) error
}

// migrations[i] takes a file from version i+1 to version i+2. Add a migration by
// appending it here: the current version follows. Version 1 is the first release.
var migrations = []migration{
	{name: "pending index and settlement history", run: migrate1to2},
}

// migrate1to2 adds the settlement history and the index of records in state Pending
// (filled from the records).
func migrate1to2(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketSettle); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketSettle, err)
	}
	pending, err := tx.CreateBucketIfNotExists(bucketPending)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketPending, err)
	}
	return tx.Bucket(bucketTxns).ForEach(func(k, v []byte) error {
		var r struct {
			State State `json:"state"`
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("record %d: %w: %w", keyID(k), ErrCorrupt, err)
		}
		if r.State != Pending {
			return nil
		}
		if err := pending.Put(k, pendingMark); err != nil {
			return fmt.Errorf("put pending index: %w", err)
		}
		return nil
	})
}

// schemaVersion is the version this binary writes.
func schemaVersion() uint32 { return uint32(len(migrations)) + 1 }

// prepare creates a new journal, or migrates an older one, in one commit. A current
// journal is not written to. It is not counted in Stats.
func (db *DB) prepare(readOnly bool) error {
	var version uint32
	var fresh bool
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		version, fresh, err = readVersion(tx)
		return err
	})
	if err != nil {
		return err
	}
	want := schemaVersion()
	switch {
	case version > want:
		return fmt.Errorf("%w: file has version %d, this binary knows up to %d; install a newer posd",
			ErrSchema, version, want)
	case version == want && !fresh:
		return nil
	case readOnly && fresh:
		return fmt.Errorf("%w: empty file, not a journal", ErrSchema)
	case readOnly:
		return fmt.Errorf("%w: file has version %d and needs migrating to %d; open it read-write once",
			ErrSchema, version, want)
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		if fresh {
			for _, name := range allBuckets {
				if _, err := tx.CreateBucket(name); err != nil {
					return fmt.Errorf("create bucket %s: %w", name, err)
				}
			}
			if err := putUint32(tx.Bucket(bucketMeta), keyBatch, 1); err != nil {
				return err
			}
			return putUint32(tx.Bucket(bucketMeta), keySchema, want)
		}
		for v := version; v < want; v++ {
			m := migrations[v-1]
			if err := m.run(tx); err != nil {
				return fmt.Errorf("migrate schema %d to %d (%s): %w", v, v+1, m.name, err)
			}
			if err := putUint32(tx.Bucket(bucketMeta), keySchema, v+1); err != nil {
				return err
			}
		}
		return checkIndexes(tx, true) // a migration that breaks the journal is rolled back
	})
}

// readVersion reports the file's schema version, or fresh for a file with no buckets
// at all (just created). A bbolt file with buckets but no journal meta is refused.
func readVersion(tx *bolt.Tx) (version uint32, fresh bool, err error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if empty {
			return 0, true, nil
		}
		return 0, false, fmt.Errorf("%w: bbolt file without a journal meta bucket", ErrSchema)
	}
	b := meta.Get(keySchema)
	if len(b) != 4 {
		return 0, false, fmt.Errorf("%w: schema version of %d bytes", ErrSchema, len(b))
	}
	v := binary.BigEndian.Uint32(b)
	if v == 0 {
		return 0, false, fmt.Errorf("%w: schema version 0", ErrSchema)
	}
	return v, false, nil
}

func putUint32(b *bolt.Bucket, key []byte, v uint32) error {
	var buf [4]byte
	binary.BigEndian.PutUint32(buf[:], v)
	if err := b.Put(key, buf[:]); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

func getUint32(b *bolt.Bucket, key []byte) uint32 {
	v := b.Get(key)
	if len(v) != 4 {
		return 0
	}
	return binary.BigEndian.Uint32(v)
}
