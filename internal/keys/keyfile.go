package keys

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Errors of the key and KEK files.
var (
	// ErrWrongKEK: the key file was written under another key-encryption key (the
	// KEK file does not belong to this key file).
	ErrWrongKEK = errors.New("key file was written under another kek")
	// ErrKeyFileCorrupt: a key file or KEK file is malformed, or a key in it fails
	// authentication (damaged or altered); nothing in it may be used.
	ErrKeyFileCorrupt = errors.New("key file corrupt or altered")
	// ErrKeyFileVersion: the file has a format version this program does not know
	// (written by a newer program).
	ErrKeyFileVersion = errors.New("unknown key file version")
	// ErrInsecureFile: a KEK file can be read or written by group or others; fix
	// it with chmod 600.
	ErrInsecureFile = errors.New("kek file permissions too open")
)

// KeyFile is the content of a terminal key file (keys at rest). Its keys print only
// their check values.
//
// A terminal keeps its master key (TMK) and, optionally, the key of the journal's PAN
// look-up hash in a key file: versioned JSON in which every key is encrypted under a
// key-encryption key (KEK) and carries its check value. The KEK lives in a separate
// file. SaveKeyFile writes atomically (temporary file, fsync, rename, fsync of the
// directory; mode 0600); LoadKeyFile checks the file's format and version, that it
// was written under this KEK, decrypts and authenticates each key and checks it
// against its check value before returning anything.
//
// Cipher: the KEK is a 128-bit SM4 key (GB/T 32907, the cipher UnionPay requires of
// new terminals) used in GCM mode (SM4-GCM as RFC 8998 defines it), with a random
// 96-bit nonce per key and the key's slot, kind, length and check value and the
// KEK's check value as additional data: a key cannot be altered, moved to another
// slot or another file, or paired with another check value without LoadKeyFile
// refusing it.
//
// Threat model. What this protects against:
//   - the key file alone leaking (a backup, a support bundle, a copied data
//     partition, a file shared by mistake): it reveals no key, only check values;
//   - a damaged or altered key file: refused (ErrKeyFileCorrupt), never used;
//   - a key file paired with the wrong KEK, or keys swapped between slots or files:
//     refused before any key is used (ErrWrongKEK, ErrKeyFileCorrupt);
//   - a crash or power loss while writing: the old file or the new one, never a mix.
//
// What it does not protect against, and what would:
//   - anyone who can read both files (root, the daemon's user, an image of a disk
//     that holds both) has every key. A KEK file next to the key file is access
//     control and separation, not a secure element: on a real terminal the KEK (or
//     the TMK itself) belongs in the PIN pad's or a secure element's key store,
//     where the daemon sees only handles (cup-pos-8583.md §5.3);
//   - rollback: someone who can write the key file can put back an older file
//     written under the same KEK (there is no monotonic counter);
//   - memory: clear keys sit in the process while it uses them, and Go cannot
//     promise to wipe them (the garbage collector copies; swap and core dumps can
//     hold them);
//   - a compromised daemon or posctl binary;
//   - keys typed on a command line, which the shell history and the process list
//     keep: posctl takes them from stdin ("-") or from a file instead.
type KeyFile struct {
	// TMK is the terminal master key (DES-family or SM4); the sign-in working keys
	// arrive encrypted under it. Required.
	TMK Key
	// PANHash keys the journal's PAN look-up hash (carddata.PAN.Hash); the zero Key
	// when the file has none.
	PANHash Key
}

// Slot names in the file.
const (
	slotTMK     = "tmk"
	slotPANHash = "pan-hash"
)

const (
	keyFileFormat  = "countertop-keyfile"
	kekFileFormat  = "countertop-kek"
	keyFileVersion = 1
	keyFileCipher  = "sm4-gcm"
	maxKeyFileSize = 64 << 10
)

// keyFileJSON is the file on disk:
//
//	{"format": "countertop-keyfile", "version": 1, "cipher": "sm4-gcm",
//	 "kek_kcv": "HEX", "keys": [{"slot": "tmk", "kind": "des", "len": 16,
//	 "kcv": "HEX", "nonce": "HEX", "wrapped": "HEX"}, ...]}
type keyFileJSON struct {
	Format  string        `json:"format"`
	Version int           `json:"version"`
	Cipher  string        `json:"cipher"`
	KEKKCV  string        `json:"kek_kcv"`
	Keys    []wrappedJSON `json:"keys"`
}

type wrappedJSON struct {
	Slot    string `json:"slot"`
	Kind    string `json:"kind"`
	Len     int    `json:"len"`
	KCV     string `json:"kcv"`
	Nonce   string `json:"nonce"`
	Wrapped string `json:"wrapped"`
}

// kekFileJSON is the KEK file: {"format": "countertop-kek", "version": 1,
// "kind": "sm4", "key": "HEX", "kcv": "HEX"}.
type kekFileJSON struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Kind    string `json:"kind"`
	Key     string `json:"key"`
	KCV     string `json:"kcv"`
}

// aad is the additional data that binds a wrapped key to its slot, its metadata and
// the KEK.
func (w wrappedJSON) aad(kekKCV string) []byte {
	return []byte(strings.Join([]string{keyFileFormat, strconv.Itoa(keyFileVersion), w.Slot, w.Kind,
		strconv.Itoa(w.Len), w.KCV, kekKCV}, "|"))
}

func kekAEAD(kek Key) (cipher.AEAD, error) {
	if kek.kind != KindSM4 || kek.n != 16 {
		return nil, fmt.Errorf("kek must be a 16-byte sm4 key: %w", ErrKeyKind)
	}
	b, err := kek.Block()
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func hexKCV(k Key) string { return strings.ToUpper(hex.EncodeToString(KCV(k))) }

// SaveKeyFile encrypts f's keys under kek and writes them to path atomically, mode
// 0600, replacing any file there. f.TMK is required.
func SaveKeyFile(path string, kek Key, f KeyFile) error {
	if f.TMK.IsZero() {
		return fmt.Errorf("save key file %s: no tmk", path)
	}
	aead, err := kekAEAD(kek)
	if err != nil {
		return fmt.Errorf("save key file %s: %w", path, err)
	}
	doc := keyFileJSON{Format: keyFileFormat, Version: keyFileVersion, Cipher: keyFileCipher, KEKKCV: hexKCV(kek)}
	for _, s := range []struct {
		slot string
		k    Key
	}{{slotTMK, f.TMK}, {slotPANHash, f.PANHash}} {
		if s.k.IsZero() {
			continue
		}
		w := wrappedJSON{Slot: s.slot, Kind: s.k.kind.String(), Len: s.k.Len(), KCV: hexKCV(s.k)}
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return fmt.Errorf("save key file %s: nonce: %w", path, err)
		}
		clearKey := s.k.Bytes()
		sealed := aead.Seal(nil, nonce, clearKey, w.aad(doc.KEKKCV))
		clear(clearKey)
		w.Nonce = strings.ToUpper(hex.EncodeToString(nonce))
		w.Wrapped = strings.ToUpper(hex.EncodeToString(sealed))
		doc.Keys = append(doc.Keys, w)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("save key file %s: %w", path, err)
	}
	if err := writeAtomic(path, append(b, '\n'), true); err != nil {
		return fmt.Errorf("save key file: %w", err)
	}
	return nil
}

// LoadKeyFile reads the key file at path and decrypts it with kek. Every key is
// authenticated and checked against its check value before LoadKeyFile returns:
// ErrWrongKEK when the file was written under another KEK, ErrKeyFileCorrupt when
// it is malformed or altered, ErrCheckValue when a key does not match its check
// value, ErrKeyFileVersion for a version this program does not know.
func LoadKeyFile(path string, kek Key) (KeyFile, error) {
	raw, err := readSmall(path)
	if err != nil {
		return KeyFile{}, fmt.Errorf("load key file: %w", err)
	}
	f, err := parseKeyFile(raw, kek)
	if err != nil {
		return KeyFile{}, fmt.Errorf("load key file %s: %w", path, err)
	}
	return f, nil
}

func parseKeyFile(raw []byte, kek Key) (KeyFile, error) {
	var doc keyFileJSON
	if err := strictJSON(raw, &doc); err != nil {
		return KeyFile{}, err
	}
	switch {
	case doc.Format != keyFileFormat:
		return KeyFile{}, fmt.Errorf("format %q is not a key file: %w", doc.Format, ErrKeyFileCorrupt)
	case doc.Version != keyFileVersion:
		return KeyFile{}, fmt.Errorf("version %d (this program reads %d): %w", doc.Version, keyFileVersion, ErrKeyFileVersion)
	case doc.Cipher != keyFileCipher:
		return KeyFile{}, fmt.Errorf("cipher %q: %w", doc.Cipher, ErrKeyFileCorrupt)
	}
	aead, err := kekAEAD(kek)
	if err != nil {
		return KeyFile{}, err
	}
	if got := hexKCV(kek); subtle.ConstantTimeCompare([]byte(got), []byte(doc.KEKKCV)) != 1 {
		return KeyFile{}, fmt.Errorf("written under the kek with check value %s, this kek's is %s: %w", doc.KEKKCV, got, ErrWrongKEK)
	}
	var f KeyFile
	seen := map[string]bool{}
	for i, w := range doc.Keys {
		if seen[w.Slot] {
			return KeyFile{}, fmt.Errorf("slot %q twice: %w", w.Slot, ErrKeyFileCorrupt)
		}
		seen[w.Slot] = true
		k, err := unwrap(aead, w, doc.KEKKCV)
		if err != nil {
			return KeyFile{}, fmt.Errorf("key %d (%s): %w", i, w.Slot, err)
		}
		switch w.Slot {
		case slotTMK:
			f.TMK = k
		case slotPANHash:
			f.PANHash = k
		default:
			return KeyFile{}, fmt.Errorf("unknown slot %q: %w", w.Slot, ErrKeyFileCorrupt)
		}
	}
	if f.TMK.IsZero() {
		return KeyFile{}, fmt.Errorf("no tmk: %w", ErrKeyFileCorrupt)
	}
	return f, nil
}

func unwrap(aead cipher.AEAD, w wrappedJSON, kekKCV string) (Key, error) {
	nonce, err1 := hex.DecodeString(w.Nonce)
	sealed, err2 := hex.DecodeString(w.Wrapped)
	kcv, err3 := hex.DecodeString(w.KCV)
	if err := errors.Join(err1, err2, err3); err != nil || len(nonce) != aead.NonceSize() || len(kcv) != 4 {
		return Key{}, fmt.Errorf("bad nonce, wrapped key or check value: %w", ErrKeyFileCorrupt)
	}
	clearKey, err := aead.Open(nil, nonce, sealed, w.aad(kekKCV))
	if err != nil {
		return Key{}, fmt.Errorf("authentication failed: %w", ErrKeyFileCorrupt)
	}
	defer clear(clearKey)
	if len(clearKey) != w.Len {
		return Key{}, fmt.Errorf("key of %d bytes, file says %d: %w", len(clearKey), w.Len, ErrKeyFileCorrupt)
	}
	var k Key
	switch w.Kind {
	case KindDES.String():
		k, err = NewKey(clearKey)
	case KindSM4.String():
		k, err = NewSM4Key(clearKey)
	default:
		return Key{}, fmt.Errorf("kind %q: %w", w.Kind, ErrKeyFileCorrupt)
	}
	if err != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrKeyFileCorrupt, err)
	}
	if err := CheckKCV(k, kcv); err != nil {
		return Key{}, fmt.Errorf("check value %s: %w", w.KCV, err)
	}
	return k, nil
}

// NewKEKFile makes a new random KEK and writes it to path (mode 0600). It refuses
// to replace an existing file (an error wrapping os.ErrExist): a new KEK would make
// every key file written under the old one unreadable.
func NewKEKFile(path string) (Key, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Key{}, fmt.Errorf("new kek: %w", err)
	}
	kek, err := NewSM4Key(b[:])
	clear(b[:])
	if err != nil {
		return Key{}, fmt.Errorf("new kek: %w", err)
	}
	clearKey := kek.Bytes()
	doc, err := json.MarshalIndent(kekFileJSON{Format: kekFileFormat, Version: keyFileVersion, Kind: KindSM4.String(),
		Key: strings.ToUpper(hex.EncodeToString(clearKey)), KCV: hexKCV(kek)}, "", "  ")
	clear(clearKey)
	if err != nil {
		return Key{}, fmt.Errorf("new kek: %w", err)
	}
	err = writeAtomic(path, append(doc, '\n'), false)
	clear(doc)
	if err != nil {
		return Key{}, fmt.Errorf("new kek: %w", err)
	}
	return kek, nil
}

// LoadKEK reads a KEK file NewKEKFile wrote. It refuses a file group or others can
// read or write (ErrInsecureFile) and one whose key does not match its check value.
func LoadKEK(path string) (Key, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Key{}, fmt.Errorf("load kek: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return Key{}, fmt.Errorf("load kek %s: mode %04o, chmod 600 it: %w", path, st.Mode().Perm(), ErrInsecureFile)
	}
	raw, err := readSmall(path)
	if err != nil {
		return Key{}, fmt.Errorf("load kek: %w", err)
	}
	defer clear(raw)
	var doc kekFileJSON
	if err := strictJSON(raw, &doc); err != nil {
		return Key{}, fmt.Errorf("load kek %s: %w", path, err)
	}
	switch {
	case doc.Format != kekFileFormat:
		return Key{}, fmt.Errorf("load kek %s: format %q is not a kek file: %w", path, doc.Format, ErrKeyFileCorrupt)
	case doc.Version != keyFileVersion:
		return Key{}, fmt.Errorf("load kek %s: version %d: %w", path, doc.Version, ErrKeyFileVersion)
	case doc.Kind != KindSM4.String():
		return Key{}, fmt.Errorf("load kek %s: kind %q: %w", path, doc.Kind, ErrKeyFileCorrupt)
	}
	b, err := hex.DecodeString(doc.Key)
	if err != nil {
		return Key{}, fmt.Errorf("load kek %s: key is not hex: %w", path, ErrKeyFileCorrupt)
	}
	defer clear(b)
	kek, err := NewSM4Key(b)
	if err != nil {
		return Key{}, fmt.Errorf("load kek %s: %w: %w", path, ErrKeyFileCorrupt, err)
	}
	kcv, err := hex.DecodeString(doc.KCV)
	if err != nil || len(kcv) != 4 {
		return Key{}, fmt.Errorf("load kek %s: bad check value: %w", path, ErrKeyFileCorrupt)
	}
	if err := CheckKCV(kek, kcv); err != nil {
		return Key{}, fmt.Errorf("load kek %s: %w", path, err)
	}
	return kek, nil
}

// strictJSON decodes one JSON document, refusing unknown fields and trailing data.
func strictJSON(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrKeyFileCorrupt, err)
	}
	if _, err := d.Token(); err != io.EOF {
		return fmt.Errorf("data after the document: %w", ErrKeyFileCorrupt)
	}
	return nil
}

func readSmall(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxKeyFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes: %w", path, maxKeyFileSize, ErrKeyFileCorrupt)
	}
	return b, nil
}

// writeAtomic writes data to path through a temporary file in the same directory
// (mode 0600, fsynced), then renames it over path (replace) or links it to path,
// which fails if path exists (!replace), and fsyncs the directory. A crash leaves
// either the old file or the new one; the temporary file is removed on failure.
func writeAtomic(path string, data []byte, replace bool) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if replace {
		if err := os.Rename(name, path); err != nil {
			return err
		}
	} else {
		if err := os.Link(name, path); err != nil {
			return err
		}
		if err := os.Remove(name); err != nil {
			return err
		}
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
