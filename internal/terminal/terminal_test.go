package terminal

import (
	"bytes"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"countertop/internal/config"
	"countertop/internal/keys"
)

// A terminal configured with a key file takes its TMK and PAN hash key from it, and
// refuses a key-encryption key that is not the file's.
func TestKeysFromKeyFile(t *testing.T) {
	dir := t.TempDir()
	kekPath, filePath := filepath.Join(dir, "kek.json"), filepath.Join(dir, "keys.json")
	kek, err := keys.NewKEKFile(kekPath)
	if err != nil {
		t.Fatal(err)
	}
	tmk, _ := keys.ParseHexKey("1111222233334444AAAABBBBCCCCDDDD")
	hashKey, _ := keys.ParseHexKey("0011223344556677FFEEDDCCBBAA9988")
	if err := keys.SaveKeyFile(filePath, kek, keys.KeyFile{TMK: tmk, PANHash: hashKey}); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Keys.File, cfg.Keys.KEKFile, cfg.Keys.TMK, cfg.Keys.PANHashKey = filePath, kekPath, "", ""
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config with a key file: %v", err)
	}
	gotTMK, gotHash, err := Keys(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !gotTMK.Equal(tmk) || !bytes.Equal(gotHash, hashKey.Bytes()) {
		t.Errorf("keys from the file: tmk %v hash key %x", gotTMK, gotHash)
	}
	otherKEK := filepath.Join(dir, "other.json")
	if _, err := keys.NewKEKFile(otherKEK); err != nil {
		t.Fatal(err)
	}
	cfg.Keys.KEKFile = otherKEK
	if _, _, err := Keys(cfg); !errors.Is(err, keys.ErrWrongKEK) {
		t.Errorf("wrong KEK: error = %v, want ErrWrongKEK", err)
	}
	cfg.Keys.KEKFile = ""
	if err := cfg.Validate(); err == nil {
		t.Error("a key file without a kek_file validated")
	}
}

// The TMK's cipher follows host.dialect: the hex TMK is read as SM4 under cup-sm4,
// and a key file whose TMK is of the other kind is refused with the way out.
func TestKeysFollowDialect(t *testing.T) {
	cfg := config.Default()
	for _, s := range []string{"host.dialect=cup-sm4", "host.mac=cup-sm4"} {
		if err := cfg.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	tmk, _, err := Keys(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if tmk.Kind() != keys.KindSM4 {
		t.Errorf("hex tmk under cup-sm4 is a %s key", tmk.Kind())
	}
	dir := t.TempDir()
	kekPath, filePath := filepath.Join(dir, "kek.json"), filepath.Join(dir, "keys.json")
	kek, err := keys.NewKEKFile(kekPath)
	if err != nil {
		t.Fatal(err)
	}
	des, _ := keys.ParseHexKey("1111222233334444AAAABBBBCCCCDDDD")
	if err := keys.SaveKeyFile(filePath, kek, keys.KeyFile{TMK: des, PANHash: des}); err != nil {
		t.Fatal(err)
	}
	cfg.Keys.File, cfg.Keys.KEKFile = filePath, kekPath
	if _, _, err := Keys(cfg); err == nil || !strings.Contains(err.Error(), "posctl keys load --sm4") {
		t.Errorf("a 3des key file under cup-sm4: %v, want refused with the way out", err)
	}
	cfg.Host.Dialect, cfg.Host.MAC = "cup", "cup-ecb"
	if got, _, err := Keys(cfg); err != nil || !got.Equal(des) {
		t.Errorf("the same key file under cup: %v, %v", got, err)
	}
	// A configuration that skipped Validate gets an error, never a guessed dialect.
	cfg.Host.Dialect = "visa"
	if _, _, err := Keys(cfg); err == nil || !strings.Contains(err.Error(), "host.dialect") {
		t.Errorf("unknown dialect: %v, want an error naming host.dialect", err)
	}
}

// A purge leaves the compaction flag; the next open compacts the journal, keeps
// every record and clears the flag.
func TestCompactionAtOpen(t *testing.T) {
	cfg := config.Default()
	cfg.Journal.Path = filepath.Join(t.TempDir(), "j.db")
	db, err := openJournal(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if _, err := db.NextSTAN(); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetSetting(compactSetting, []byte("1")); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = openJournal(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.Setting(compactSetting); string(v) != "0" {
		t.Errorf("compaction flag = %q after compacting", v)
	}
	if stan, err := db.NextSTAN(); err != nil || stan != 51 {
		t.Errorf("NextSTAN after compaction = %v, %v; want 51", stan, err)
	}
	if err := db.Check(); err != nil {
		t.Errorf("Check after compaction: %v", err)
	}
}
