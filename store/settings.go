package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// settingPrefix keeps settings apart from the counters in the meta bucket.
const settingPrefix = "setting:"

// Setting returns the value stored under name by SetSetting, or ErrNotFound. Settings
// are small documents other packages own (the operator table, for one); the journal
// only keeps them durable and in its backups.
func (db *DB) Setting(name string) ([]byte, error) {
	var out []byte
	err := db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get([]byte(settingPrefix + name))
		if v == nil {
			return ErrNotFound
		}
		out = append([]byte(nil), v...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("setting %q: %w", name, err)
	}
	return out, nil
}

// SetSetting stores value under name in one durable commit, with an audit entry of
// kind "setting" naming it (never the value) in the same commit. A value holding
// what looks like a card number is refused with ErrSensitive.
func (db *DB) SetSetting(name string, value []byte) error {
	if name == "" {
		return fmt.Errorf("set setting: empty name: %w", ErrInvalid)
	}
	if err := checkText(string(value)); err != nil {
		return fmt.Errorf("set setting %q: %w", name, err)
	}
	err := db.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketMeta).Put([]byte(settingPrefix+name), value); err != nil {
			return err
		}
		return db.putAudit(tx, "setting", "changed "+name)
	})
	if err != nil {
		return fmt.Errorf("set setting %q: %w", name, err)
	}
	return nil
}
