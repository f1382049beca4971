package main

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"countertop/internal/keys"

	"github.com/google/go-cmp/cmp"
)

// The test TMK 0123456789ABCDEF FEDCBA9876543210 (check value 08D7B4FB) split into
// components: tmk = c1 ^ c2 = c1 ^ c3a ^ c3b.
const (
	testTMK = "0123456789ABCDEFFEDCBA9876543210"
	testKCV = "08D7B4FB"
	comp1   = "1111111111111111AAAAAAAAAAAAAAAA"
	comp2   = "1032547698BADCFE54761032DCFE98BA" // testTMK ^ comp1
	comp3a  = "0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F"
	comp3b  = "1F3D5B7997B5D3F15B791F3DD3F197B5" // comp2 ^ comp3a
)

// secretsIn fails if s shows any of the test's keys or components.
func secretsIn(t *testing.T, what, s string) {
	t.Helper()
	for _, k := range []string{testTMK, comp1, comp2, comp3a, comp3b, "00112233445566778899AABBCCDDEEFF"} {
		for _, part := range []string{k[:16], k[16:]} {
			if strings.Contains(strings.ToUpper(s), part) {
				t.Errorf("%s shows key material %s:\n%s", what, part, s)
			}
		}
	}
}

// keysRun runs posctl keys and checks that nothing it prints holds a key.
func keysRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	code, out, errOut := call(runKeys, args...)
	secretsIn(t, "stdout", out)
	secretsIn(t, "stderr", errOut)
	return code, out, errOut
}

func makeKEK(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "kek.json")
	code, out, errOut := keysRun(t, "kek", "--out", path)
	if code != 0 {
		t.Fatalf("keys kek: exit %d: %s", code, errOut)
	}
	kek, err := keys.LoadKEK(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fmt.Sprintf("%X\n", keys.KCV(kek)), out); diff != "" {
		t.Errorf("keys kek output (-want +got):\n%s", diff)
	}
	return path
}

func TestComponentsAreTheTestKey(t *testing.T) {
	x := func(a, b string) string {
		ab, _ := hex.DecodeString(a)
		bb, _ := hex.DecodeString(b)
		for i := range ab {
			ab[i] ^= bb[i]
		}
		return strings.ToUpper(hex.EncodeToString(ab))
	}
	if x(comp1, comp2) != testTMK || x(comp3a, comp3b) != comp2 {
		t.Fatal("test components do not combine to the test TMK")
	}
}

func TestKeysLoadComponents(t *testing.T) {
	for _, tc := range []struct {
		name  string
		comps string
		extra []string
	}{
		{"two components", comp1 + "," + comp2, nil},
		{"three components, lower case", strings.ToLower(comp1 + "," + comp3a + "," + comp3b), nil},
		{"with the ceremony's kcv", comp1 + "," + comp2, []string{"--kcv", testKCV}},
		{"with a 6-digit kcv", comp1 + "," + comp2, []string{"--kcv", strings.ToLower(testKCV[:6])}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			kekPath := makeKEK(t, dir)
			out := filepath.Join(dir, "keys.json")
			code, stdout, errOut := keysRun(t, append([]string{"load", "--components", tc.comps, "--kek", kekPath, "--out", out}, tc.extra...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if stdout != testKCV+"\n" {
				t.Errorf("stdout = %q, want the check value only", stdout)
			}
			kek, err := keys.LoadKEK(kekPath)
			if err != nil {
				t.Fatal(err)
			}
			kf, err := keys.LoadKeyFile(out, kek)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := keys.ParseHexKey(testTMK)
			if !kf.TMK.Equal(want) || !kf.PANHash.IsZero() {
				t.Errorf("key file holds %v, want tmk %v only", kf, want)
			}
		})
	}
}

// The full flow: KEK, TMK from components on stdin, PAN hash key from a ceremony
// file, show.
func TestKeysLoadAndShow(t *testing.T) {
	dir := t.TempDir()
	kekPath := makeKEK(t, dir)
	out := filepath.Join(dir, "keys.json")

	old := stdin
	defer func() { stdin = old }()
	stdin = strings.NewReader(comp1 + "\n\n" + comp2 + "\n")
	if code, stdout, errOut := keysRun(t, "load", "--components", "-", "--kek", kekPath, "--out", out); code != 0 || stdout != testKCV+"\n" {
		t.Fatalf("load from stdin: exit %d, %q, %q", code, stdout, errOut)
	}

	ceremony := filepath.Join(dir, "pan.txt")
	writeText(t, ceremony, "# PAN hash key, ceremony 2026-11-27\n0011 2233 4455 6677\r\n8899 AABB CCDD EEFF\n")
	panKey, _ := keys.ParseHexKey("00112233445566778899AABBCCDDEEFF")
	panKCV := fmt.Sprintf("%X", keys.KCV(panKey))
	code, stdout, errOut := keysRun(t, "load", "--slot", "pan-hash", "--file", ceremony, "--kcv", panKCV, "--kek", kekPath, "--out", out)
	if code != 0 || stdout != panKCV+"\n" {
		t.Fatalf("load pan-hash: exit %d, %q, %q", code, stdout, errOut)
	}

	code, stdout, errOut = keysRun(t, "show", "--kek", kekPath, "--keyfile", out)
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, errOut)
	}
	kek, _ := keys.LoadKEK(kekPath)
	want := fmt.Sprintf("KEY       KIND  BYTES  KCV\nkek       sm4   16     %X\ntmk       des   16     %s\npan-hash  des   16     %s\n",
		keys.KCV(kek), testKCV, panKCV)
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("show (-want +got):\n%s", diff)
	}

	// Loading the TMK again keeps the PAN hash key.
	if code, _, errOut := keysRun(t, "load", "--components", comp1+","+comp3a+","+comp3b, "--kek", kekPath, "--out", out); code != 0 {
		t.Fatalf("reload tmk: exit %d: %s", code, errOut)
	}
	kf, err := keys.LoadKeyFile(out, kek)
	if err != nil || !kf.PANHash.Equal(panKey) {
		t.Errorf("after reloading the tmk: %v, %v; want the pan hash key kept", kf, err)
	}
}

func TestKeysLoadSM4(t *testing.T) {
	dir := t.TempDir()
	kekPath := makeKEK(t, dir)
	out := filepath.Join(dir, "keys.json")
	ceremony := filepath.Join(dir, "tmk.txt")
	writeText(t, ceremony, testTMK+"\n")
	sm4Key, _ := keys.ParseHexSM4Key(testTMK)
	code, stdout, errOut := keysRun(t, "load", "--sm4", "--file", ceremony, "--kek", kekPath, "--out", out)
	if code != 0 || stdout != fmt.Sprintf("%X\n", keys.KCV(sm4Key)) {
		t.Fatalf("exit %d, %q, %q", code, stdout, errOut)
	}
	if stdout == testKCV+"\n" {
		t.Error("an SM4 key got the 3DES check value")
	}
}

func TestKeysLoadRefused(t *testing.T) {
	dir := t.TempDir()
	kekPath := makeKEK(t, dir)
	otherKEK := makeKEK(t, t.TempDir())
	existing := filepath.Join(dir, "existing.json")
	if code, _, errOut := keysRun(t, "load", "--components", comp1+","+comp2, "--kek", kekPath, "--out", existing); code != 0 {
		t.Fatalf("setup: %s", errOut)
	}
	before, _ := os.ReadFile(existing)
	ceremony := filepath.Join(dir, "empty.txt")
	writeText(t, ceremony, "# nothing here\n")
	loose := filepath.Join(dir, "loose-kek.json")
	if b, err := os.ReadFile(kekPath); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(loose, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "new.json")
	two := comp1 + "," + comp2
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"wrong kcv", []string{"--components", two, "--kcv", "08D7B4FC"}, 1, "check value 08D7B4FC expected, the key gives 08D7B4FB"},
		{"kcv too short", []string{"--components", two, "--kcv", "08"}, 1, "4 to 8 hex digits"},
		{"one component", []string{"--components", comp1}, 1, "1 components: a key is loaded from 2 or 3"},
		{"four components", []string{"--components", two + "," + two}, 1, "4 components"},
		{"same component twice", []string{"--components", comp1 + "," + comp1}, 1, "XOR to zero"},
		{"lengths differ", []string{"--components", comp1 + "," + comp2[:16]}, 1, "component 2 is 8 bytes, component 1 is 16"},
		{"component not hex", []string{"--components", comp1 + "," + comp2[:30] + "XY"}, 1, "component 2: 'X' at position 30"},
		{"12-byte key", []string{"--components", comp1[:24] + "," + comp2[:24]}, 1, "key of 12 bytes"},
		{"sm4 of 24 bytes", []string{"--sm4", "--components", comp1 + comp1[:16] + "," + comp2 + comp2[:16]}, 1, "an SM4 key is 16 bytes"},
		{"empty ceremony file", []string{"--file", ceremony}, 1, "holds no key"},
		{"missing ceremony file", []string{"--file", filepath.Join(dir, "none.txt")}, 1, "no such file"},
		{"pan-hash before tmk", []string{"--slot", "pan-hash", "--components", two}, 1, "load the tmk first"},
		{"missing kek file", []string{"--components", two, "--kek", filepath.Join(dir, "none.json")}, 1, "posctl keys kek --out"},
		{"kek readable by others", []string{"--components", two, "--kek", loose}, 1, "chmod 600"},
		{"both sources", []string{"--components", two, "--file", ceremony}, 2, "either --components or --file"},
		{"no source", nil, 2, "either --components or --file"},
		{"unknown slot", []string{"--slot", "tdk", "--components", two}, 2, `unknown slot "tdk"`},
		{"sm4 pan-hash", []string{"--slot", "pan-hash", "--sm4", "--components", two}, 2, "--sm4 is for the tmk only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"load", "--kek", kekPath, "--out", out}, tt.args...)
			code, stdout, errOut := keysRun(t, args...)
			if code != tt.code || stdout != "" {
				t.Errorf("exit %d, stdout %q; want exit %d, no output", code, stdout, tt.code)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", errOut, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a refused load wrote %s", out)
				os.Remove(out)
			}
		})
	}
	// An existing key file under another KEK is never replaced.
	code, stdout, errOut := keysRun(t, "load", "--components", comp1+","+comp3a+","+comp3b, "--kek", otherKEK, "--out", existing)
	if code != 1 || stdout != "" || !strings.Contains(errOut, "another kek") || !strings.Contains(errOut, "nothing written") {
		t.Errorf("load over a file of another kek: exit %d, %q, %q", code, stdout, errOut)
	}
	after, _ := os.ReadFile(existing)
	if string(before) != string(after) {
		t.Error("a refused load changed the existing key file")
	}
	if code, _, errOut := keysRun(t, "load", "--components", two); code != 2 || !strings.Contains(errOut, "missing --kek, --out") {
		t.Errorf("load without --kek and --out: exit %d, %q", code, errOut)
	}
}

func TestKeysKEKRefusesToReplace(t *testing.T) {
	dir := t.TempDir()
	path := makeKEK(t, dir)
	before, _ := os.ReadFile(path)
	code, stdout, errOut := keysRun(t, "kek", "--out", path)
	if code != 1 || stdout != "" || !strings.Contains(errOut, "exists") {
		t.Errorf("second keys kek: exit %d, %q, %q", code, stdout, errOut)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("keys kek replaced an existing KEK")
	}
	for _, args := range [][]string{{"kek"}, {"kek", "--out", ""}, {"kek", "--out", path, "extra"}} {
		if code, _, errOut := keysRun(t, args...); code != 2 || !strings.Contains(errOut, "usage: posctl keys kek") {
			t.Errorf("keys %v: exit %d, %q; want 2 and the usage", args[1:], code, errOut)
		}
	}
}

func TestKeysShowRefused(t *testing.T) {
	dir := t.TempDir()
	kekPath := makeKEK(t, dir)
	otherKEK := makeKEK(t, t.TempDir())
	kf := filepath.Join(dir, "keys.json")
	if code, _, errOut := keysRun(t, "load", "--components", comp1+","+comp2, "--kek", kekPath, "--out", kf); code != 0 {
		t.Fatal(errOut)
	}
	raw, _ := os.ReadFile(kf)
	altered := filepath.Join(dir, "altered.json")
	i := strings.Index(string(raw), `"wrapped": "`) + len(`"wrapped": "`)
	c := byte('0')
	if raw[i] == '0' {
		c = '1'
	}
	writeText(t, altered, string(raw[:i])+string(c)+string(raw[i+1:]))
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"other kek", []string{"--kek", otherKEK, "--keyfile", kf}, 1, "written under another kek"},
		{"altered", []string{"--kek", kekPath, "--keyfile", altered}, 1, "corrupt or altered"},
		{"no key file", []string{"--kek", kekPath, "--keyfile", filepath.Join(dir, "none.json")}, 1, "no such file"},
		{"no keyfile flag", []string{"--kek", kekPath}, 2, "missing --keyfile"},
	} {
		code, stdout, errOut := keysRun(t, append([]string{"show"}, tc.args...)...)
		if code != tc.code || stdout != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, %q, %q; want exit %d and %q", tc.name, code, stdout, errOut, tc.code, tc.want)
		}
	}
	if code, _, errOut := keysRun(t); code != 2 || !strings.Contains(errOut, "usage: posctl keys kek") {
		t.Errorf("keys without a subcommand: exit %d, %q", code, errOut)
	}
}

func writeText(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
