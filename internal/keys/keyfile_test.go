package keys

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// newKEK makes a KEK file in a fresh directory.
func newKEK(t *testing.T) (Key, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kek.json")
	kek, err := NewKEKFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return kek, path
}

// checkDir fails if dir holds files other than want (a temporary file left behind).
func checkDir(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files in %s (-want +got):\n%s", dir, diff)
	}
}

func TestKeyFileRoundTrip(t *testing.T) {
	sm4TMK, err := ParseHexSM4Key("0123456789ABCDEFFEDCBA9876543210")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    KeyFile
	}{
		{"tmk 2-key 3des", KeyFile{TMK: mustKey(t, "0123456789ABCDEFFEDCBA9876543210")}},
		{"tmk 3-key 3des and pan hash key", KeyFile{TMK: mustKey(t, strings.Repeat("0123456789ABCDEF", 3)),
			PANHash: mustKey(t, "00112233445566778899AABBCCDDEEFF")}},
		{"tmk single des", KeyFile{TMK: mustKey(t, "0123456789ABCDEF")}},
		{"tmk sm4", KeyFile{TMK: sm4TMK}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kek, _ := newKEK(t)
			dir := t.TempDir()
			path := filepath.Join(dir, "keys.json")
			if err := SaveKeyFile(path, kek, tt.f); err != nil {
				t.Fatal(err)
			}
			got, err := LoadKeyFile(path, kek)
			if err != nil {
				t.Fatal(err)
			}
			if !got.TMK.Equal(tt.f.TMK) || !got.PANHash.Equal(tt.f.PANHash) {
				t.Errorf("loaded %v, want %v", got, tt.f)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("key file mode %04o, want 0600", st.Mode().Perm())
			}
			checkDir(t, dir, "keys.json")
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []Key{tt.f.TMK, tt.f.PANHash, kek} {
				if k.IsZero() {
					continue
				}
				clearHex := hex.EncodeToString(k.Bytes())
				if strings.Contains(strings.ToLower(string(raw)), clearHex[:16]) || strings.Contains(string(raw), string(k.Bytes()[:8])) {
					t.Errorf("key file holds a clear key:\n%s", raw)
				}
			}
			var doc keyFileJSON
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Version != 1 || doc.Format != "countertop-keyfile" || doc.Keys[0].KCV != hexKCV(tt.f.TMK) || doc.KEKKCV != hexKCV(kek) {
				t.Errorf("file = %+v", doc)
			}
		})
	}
}

// Two saves of the same keys differ (fresh nonces), and a save replaces the file.
func TestKeyFileReplace(t *testing.T) {
	kek, _ := newKEK(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	first := KeyFile{TMK: mustKey(t, "0123456789ABCDEFFEDCBA9876543210")}
	if err := SaveKeyFile(path, kek, first); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(path)
	second := KeyFile{TMK: mustKey(t, "70F2A84CCBC2AE8625CBB0F2C22AB923"), PANHash: mustKey(t, "1111111111111111")}
	if err := SaveKeyFile(path, kek, second); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(a) == string(b) {
		t.Error("second save left the file unchanged")
	}
	got, err := LoadKeyFile(path, kek)
	if err != nil || !got.TMK.Equal(second.TMK) || !got.PANHash.Equal(second.PANHash) {
		t.Errorf("after replace: %v, %v; want %v", got, err, second)
	}
	checkDir(t, dir, "keys.json")
	// A save that cannot rename (a directory in the way) fails and leaves no
	// temporary file.
	blocked := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := SaveKeyFile(blocked, kek, first); err == nil {
		t.Error("save over a non-empty directory succeeded")
	}
	checkDir(t, dir, "keys.json", "sub")
}

func TestKeyFileRefused(t *testing.T) {
	kek, _ := newKEK(t)
	other, _ := newKEK(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	f := KeyFile{TMK: mustKey(t, "0123456789ABCDEFFEDCBA9876543210"), PANHash: mustKey(t, "00112233445566778899AABBCCDDEEFF")}
	if err := SaveKeyFile(path, kek, f); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyFile(path, other); !errors.Is(err, ErrWrongKEK) {
		t.Errorf("load with another kek: %v, want ErrWrongKEK", err)
	}
	if _, err := LoadKeyFile(path, mustKey(t, "0123456789ABCDEFFEDCBA9876543210")); !errors.Is(err, ErrKeyKind) {
		t.Errorf("load with a des kek: %v, want ErrKeyKind", err)
	}
	// edit changes the file's JSON document.
	edit := func(fn func(d *keyFileJSON)) []byte {
		var d keyFileJSON
		if err := json.Unmarshal(good, &d); err != nil {
			t.Fatal(err)
		}
		fn(&d)
		b, _ := json.Marshal(d)
		return b
	}
	flip := func(s string) string { // change the last hex digit
		c := "0"
		if s[len(s)-1] == '0' {
			c = "1"
		}
		return s[:len(s)-1] + c
	}
	tests := []struct {
		name string
		raw  []byte
		want error
	}{
		{"wrapped key altered", edit(func(d *keyFileJSON) { d.Keys[0].Wrapped = flip(d.Keys[0].Wrapped) }), ErrKeyFileCorrupt},
		{"nonce altered", edit(func(d *keyFileJSON) { d.Keys[0].Nonce = flip(d.Keys[0].Nonce) }), ErrKeyFileCorrupt},
		{"check value altered", edit(func(d *keyFileJSON) { d.Keys[0].KCV = flip(d.Keys[0].KCV) }), ErrKeyFileCorrupt},
		{"slots swapped", edit(func(d *keyFileJSON) { d.Keys[0].Slot, d.Keys[1].Slot = d.Keys[1].Slot, d.Keys[0].Slot }), ErrKeyFileCorrupt},
		{"length altered", edit(func(d *keyFileJSON) { d.Keys[0].Len = 24 }), ErrKeyFileCorrupt},
		{"kind altered", edit(func(d *keyFileJSON) { d.Keys[0].Kind = "sm4" }), ErrKeyFileCorrupt},
		{"kek check value altered", edit(func(d *keyFileJSON) { d.KEKKCV = flip(d.KEKKCV) }), ErrWrongKEK},
		{"tmk removed", edit(func(d *keyFileJSON) { d.Keys = d.Keys[1:] }), ErrKeyFileCorrupt},
		{"slot twice", edit(func(d *keyFileJSON) { d.Keys[1] = d.Keys[0] }), ErrKeyFileCorrupt},
		{"newer version", edit(func(d *keyFileJSON) { d.Version = 2 }), ErrKeyFileVersion},
		{"other format", edit(func(d *keyFileJSON) { d.Format = "countertop-kek" }), ErrKeyFileCorrupt},
		{"other cipher", edit(func(d *keyFileJSON) { d.Cipher = "aes-gcm" }), ErrKeyFileCorrupt},
		{"unknown field", []byte(strings.Replace(string(good), `"cipher"`, `"comment": "x", "cipher"`, 1)), ErrKeyFileCorrupt},
		{"trailing data", append(append([]byte(nil), good...), "{}"...), ErrKeyFileCorrupt},
		{"truncated", good[:len(good)/2], ErrKeyFileCorrupt},
		{"empty", nil, ErrKeyFileCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "keys.json")
			if err := os.WriteFile(p, tt.raw, 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := LoadKeyFile(p, kek)
			if !errors.Is(err, tt.want) {
				t.Errorf("LoadKeyFile = %v, want %v", err, tt.want)
			}
			if !got.TMK.IsZero() || !got.PANHash.IsZero() {
				t.Errorf("a refused file returned keys %v", got)
			}
		})
	}
	// A key that authenticates but does not match its check value: written by
	// hand with the same AEAD, as a buggy or hostile writer would.
	t.Run("key does not match its check value", func(t *testing.T) {
		aead, err := kekAEAD(kek)
		if err != nil {
			t.Fatal(err)
		}
		w := wrappedJSON{Slot: slotTMK, Kind: "des", Len: 16, KCV: "00000000", Nonce: strings.Repeat("00", 12)}
		w.Wrapped = hex.EncodeToString(aead.Seal(nil, make([]byte, 12), f.TMK.Bytes(), w.aad(hexKCV(kek))))
		b, _ := json.Marshal(keyFileJSON{Format: keyFileFormat, Version: 1, Cipher: keyFileCipher, KEKKCV: hexKCV(kek), Keys: []wrappedJSON{w}})
		p := filepath.Join(t.TempDir(), "keys.json")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKeyFile(p, kek); !errors.Is(err, ErrCheckValue) {
			t.Errorf("LoadKeyFile = %v, want ErrCheckValue", err)
		}
	})
	if _, err := LoadKeyFile(filepath.Join(t.TempDir(), "none.json"), kek); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
	if err := SaveKeyFile(filepath.Join(t.TempDir(), "k.json"), kek, KeyFile{PANHash: f.PANHash}); err == nil {
		t.Error("SaveKeyFile without a tmk succeeded")
	}
}

func TestKEKFile(t *testing.T) {
	kek, path := newKEK(t)
	if kek.Kind() != KindSM4 || kek.Len() != 16 {
		t.Errorf("kek is %s of %d bytes, want sm4 of 16", kek.Kind(), kek.Len())
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("kek file mode %04o, want 0600", st.Mode().Perm())
	}
	got, err := LoadKEK(path)
	if err != nil || !got.Equal(kek) {
		t.Errorf("LoadKEK = %v, %v; want %v", got, err, kek)
	}
	before, _ := os.ReadFile(path)
	if _, err := NewKEKFile(path); !errors.Is(err, os.ErrExist) {
		t.Errorf("NewKEKFile over an existing file: %v, want os.ErrExist", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("NewKEKFile changed an existing kek file")
	}
	checkDir(t, filepath.Dir(path), "kek.json")
	if other, _ := newKEK(t); other.Equal(kek) {
		t.Error("two new keks are equal")
	}

	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKEK(path); !errors.Is(err, ErrInsecureFile) || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("LoadKEK of a 0640 file: %v, want ErrInsecureFile naming chmod 600", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	var doc kekFileJSON
	if err := json.Unmarshal(before, &doc); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		fn   func(d *kekFileJSON)
		want error
	}{
		"key altered":    {func(d *kekFileJSON) { d.Key = "00" + d.Key[2:] }, ErrCheckValue},
		"short key":      {func(d *kekFileJSON) { d.Key = d.Key[:30] }, ErrKeyFileCorrupt},
		"not hex":        {func(d *kekFileJSON) { d.Key = "zz" + d.Key[2:] }, ErrKeyFileCorrupt},
		"des kind":       {func(d *kekFileJSON) { d.Kind = "des" }, ErrKeyFileCorrupt},
		"newer version":  {func(d *kekFileJSON) { d.Version = 2 }, ErrKeyFileVersion},
		"a key file":     {func(d *kekFileJSON) { d.Format = keyFileFormat }, ErrKeyFileCorrupt},
		"no check value": {func(d *kekFileJSON) { d.KCV = "" }, ErrKeyFileCorrupt},
	} {
		d := doc
		tc.fn(&d)
		b, _ := json.Marshal(d)
		p := filepath.Join(t.TempDir(), "kek.json")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKEK(p); !errors.Is(err, tc.want) {
			t.Errorf("%s: LoadKEK = %v, want %v", name, err, tc.want)
		}
	}
}

// A KeyFile prints only check values.
func TestKeyFileNeverPrints(t *testing.T) {
	f := KeyFile{TMK: mustKey(t, "0123456789ABCDEFFEDCBA9876543210")}
	for _, s := range []string{fmtV(f), fmtV(&f)} {
		if strings.Contains(strings.ToUpper(s), "0123456789ABCDEF") || !strings.Contains(s, "08D7B4FB") {
			t.Errorf("KeyFile printed as %s", s)
		}
	}
}

func fmtV(v any) string { return fmt.Sprintf("%v %+v %#v", v, v, v) }

// The integrator's flow: a KEK file, a TMK combined from ceremony components,
// saved under the KEK and loaded back, checked by its check value.
func ExampleSaveKeyFile() {
	dir, err := os.MkdirTemp("", "keys")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	kek, err := NewKEKFile(filepath.Join(dir, "kek.json"))
	if err != nil {
		fmt.Println(err)
		return
	}
	tmk, _ := ParseHexKey("0123456789ABCDEF FEDCBA9876543210")
	path := filepath.Join(dir, "keys.json")
	if err := SaveKeyFile(path, kek, KeyFile{TMK: tmk}); err != nil {
		fmt.Println(err)
		return
	}
	kek, err = LoadKEK(filepath.Join(dir, "kek.json"))
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := LoadKeyFile(path, kek)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.TMK) // a Key prints its check value, never its bytes
	// Output: key(kcv=08D7B4FB)
}
