package store

import (
	"encoding/binary"
	"time"

	"countertop/internal/txtype"
)

func idKey(id uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], id)
	return k[:]
}

func keyID(k []byte) uint64 {
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}

// voucherKey is batch then STAN, both big-endian, so a batch is one key range.
func voucherKey(b txtype.Batch, s txtype.STAN) []byte {
	var k [8]byte
	binary.BigEndian.PutUint32(k[:4], uint32(b))
	binary.BigEndian.PutUint32(k[4:], uint32(s))
	return k[:]
}

func batchPrefix(b txtype.Batch) []byte { return voucherKey(b, 0)[:4] }

// rrnKey is the RRN, a zero byte and the ID: RRNs may repeat across days, the key not.
func rrnKey(rrn string, id uint64) []byte {
	k := make([]byte, 0, len(rrn)+9)
	k = append(k, rrn...)
	k = append(k, 0)
	return append(k, idKey(id)...)
}

func rrnPrefix(rrn string) []byte { return append([]byte(rrn), 0) }

// timeKey orders times as bytes: Unix nanoseconds with the sign bit flipped.
func timeKey(t time.Time) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(t.UnixNano())^(1<<63))
	return k[:]
}

// dateKey is the creation time then the ID.
func dateKey(t time.Time, id uint64) []byte {
	return append(timeKey(t), idKey(id)...)
}
