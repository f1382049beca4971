package terminal

import (
	"bytes"
	"errors"
	"path/filepath"
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
