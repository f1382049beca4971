package main

import (
	"crypto/des"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm4"
	"github.com/google/go-cmp/cmp"
)

// realSaleMAB is the MAC input of a real CUP POS sale (public Q&A, cnblogs
// q/128930), as internal/keys' TestMACVectors holds it: MTI through field 62, MAK
// 0723C80DB5F4CD3D, host MAC "B3A092AE".
const realSaleMAB = "02003020048000C0801500000000000000123400000203009930303030303030" +
	"3139353237313831383232313738373531353600192600000100060000000000" +
	"435F01123238343431323334353637383930313233345F03063136303033365F" +
	"04063230303832365C023031"

var helloWorld = hex.EncodeToString([]byte("Hello World !!!!"))

func TestCryptoMACVectors(t *testing.T) {
	tests := []struct {
		name, alg, key, data string
		want                 string // expected output, or its first bytes
	}{
		// The real CUP sale: F64 is the ASCII "B3A092AE".
		{"cup-ecb real sale, single-length MAK", "cup-ecb", "0723C80DB5F4CD3D", realSaleMAB, "4233413039324145"},
		{"cup-ecb real sale, equal halves", "cup-ecb", "0723C80DB5F4CD3D0723C80DB5F4CD3D", realSaleMAB, "4233413039324145"},
		{"cup-ecb lower-case hex and spaces", "CUP-ECB", "0723c80d b5f4cd3d", strings.ToLower(realSaleMAB), "4233413039324145"},
		// ISO 9797-1 algorithm 3, Bouncy Castle's ISO9797Alg3MacTest.
		{"x919", "x919", "7CA110454A1A6E570131D9619DC1376E", helloWorld, "F09B856213BAB83B"},
		// 3DES CBC-MAC, Bouncy Castle's jce MacTest ("DESede64").
		{"tdes-cbc", "tdes-cbc", "7CA110454A1A6E570131D9619DC1376E", helloWorld, "862304D33AF01096"},
		// FIPS 113 / X9.9 DAC (32 bits published).
		{"x99", "x99", "0123456789abcdef", hex.EncodeToString([]byte("7654321 Now is the time for ")), "F1D30F68"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := call(runCrypto, "mac", "--alg", tt.alg, "--key", tt.key, "--data", tt.data)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			got := strings.TrimSuffix(out, "\n")
			if len(got) != 16 || strings.ToUpper(got) != got {
				t.Errorf("output %q is not 8 bytes of upper-case hex", out)
			}
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("mac = %s, want %s", got, tt.want)
			}
		})
	}
}

// cup-sm4 against the published steps, computed here with gmsm directly: XOR of
// the 16-byte blocks, 32 upper-case hex characters, SM4(first 16) XOR last 16,
// SM4 again, first 8 bytes.
func TestCryptoMACSM4(t *testing.T) {
	key, _ := hex.DecodeString("0123456789ABCDEFFEDCBA9876543210")
	data, _ := hex.DecodeString(realSaleMAB)
	c, err := sm4.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	r := make([]byte, 16)
	for i, b := range data {
		r[i%16] ^= b
	}
	h := []byte(fmt.Sprintf("%X", r))
	x := make([]byte, 16)
	c.Encrypt(x, h[:16])
	for i := range x {
		x[i] ^= h[16+i]
	}
	c.Encrypt(x, x)
	code, out, errOut := call(runCrypto, "mac", "--alg", "cup-sm4", "--key", hex.EncodeToString(key), "--data", realSaleMAB)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if diff := cmp.Diff(fmt.Sprintf("%X\n", x[:8]), out); diff != "" {
		t.Errorf("cup-sm4 (-want +got):\n%s", diff)
	}
}

func TestCryptoMACRefused(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"x919 with a single-length key", []string{"--alg", "x919", "--key", "0123456789ABCDEF", "--data", helloWorld}, 1, "--key of 8 bytes: x919 takes a double-length DES key"},
		{"x99 with a double-length key", []string{"--alg", "x99", "--key", "0123456789ABCDEFFEDCBA9876543210", "--data", helloWorld}, 1, "x99 takes a single-length DES key"},
		{"tdes-cbc with a single-length key", []string{"--alg", "tdes-cbc", "--key", "0123456789ABCDEF", "--data", helloWorld}, 1, "tdes-cbc takes a 3DES key"},
		{"cup-ecb with 12 bytes", []string{"--alg", "cup-ecb", "--key", "0123456789ABCDEF01234567", "--data", helloWorld}, 1, "--key of 12 bytes"},
		{"cup-sm4 with a 3-key 3DES key", []string{"--alg", "cup-sm4", "--key", strings.Repeat("0123456789ABCDEF", 3), "--data", helloWorld}, 1, "cup-sm4 takes an SM4 key"},
		{"odd key", []string{"--alg", "cup-ecb", "--key", "0123456789ABCDE", "--data", helloWorld}, 1, "--key: odd number of hex digits"},
		{"odd data", []string{"--alg", "cup-ecb", "--key", "0123456789ABCDEF", "--data", "020"}, 1, "--data: odd number"},
		{"empty data", []string{"--alg", "cup-ecb", "--key", "0123456789ABCDEF", "--data", ""}, 1, "--data is empty"},
		{"unknown algorithm", []string{"--alg", "hmac", "--key", "0123456789ABCDEF", "--data", helloWorld}, 2, `unknown algorithm "hmac"`},
		{"no key", []string{"--alg", "x919", "--data", helloWorld}, 2, "missing --key"},
		{"nothing", nil, 2, "missing --alg, --key, --data"},
		{"both from stdin", []string{"--alg", "x919", "--key", "-", "--data", "-"}, 2, "only one of --key and --data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := call(runCrypto, append([]string{"mac"}, tt.args...)...)
			if code != tt.code || out != "" {
				t.Errorf("exit %d, stdout %q; want exit %d, no output", code, out, tt.code)
			}
			if !strings.Contains(errOut, tt.want) || !strings.HasPrefix(errOut, "posctl crypto mac: ") {
				t.Errorf("stderr = %q, want it to contain %q", errOut, tt.want)
			}
			for i, a := range tt.args {
				if i > 0 && tt.args[i-1] == "--key" && len(a) >= 16 && strings.Contains(strings.ToUpper(errOut), strings.ToUpper(a[:16])) {
					t.Errorf("stderr shows the key: %q", errOut)
				}
			}
		})
	}
}

// A key read from stdin gives the same MAC as one on the command line.
func TestCryptoMACKeyFromStdin(t *testing.T) {
	old := stdin
	defer func() { stdin = old }()
	stdin = strings.NewReader("7CA110454A1A6E57 0131D9619DC1376E\n")
	code, out, errOut := call(runCrypto, "mac", "--alg", "x919", "--key", "-", "--data", helloWorld)
	if code != 0 || out != "F09B856213BAB83B\n" {
		t.Errorf("exit %d, %q, %q; want F09B856213BAB83B", code, out, errOut)
	}
}

// tdesECB encrypts one block under a 2-key 3DES key with the standard library.
func tdesECB(t *testing.T, key, block []byte) []byte {
	t.Helper()
	c, err := des.NewTripleDESCipher(append(append([]byte(nil), key...), key[:8]...))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 8)
	c.Encrypt(out, block)
	return out
}

func TestCryptoPINBlock(t *testing.T) {
	// Thales payShield manual, format 01 (ISO 9564 format 0) example.
	code, out, errOut := call(runCrypto, "pinblock", "--format", "0", "--pin", "92389", "--pan", "4000001234562")
	if code != 0 || out != "0592789FFFEDCBA9\n" {
		t.Fatalf("clear block: exit %d, %q, %q; want 0592789FFFEDCBA9", code, out, errOut)
	}
	key, _ := hex.DecodeString("0123456789ABCDEFFEDCBA9876543210")
	clearBlock, _ := hex.DecodeString("0592789FFFEDCBA9")
	want := fmt.Sprintf("%X\n", tdesECB(t, key, clearBlock))
	code, out, errOut = call(runCrypto, "pinblock", "--pin", "92389", "--pan", "4000001234562", "--key", hex.EncodeToString(key))
	if code != 0 {
		t.Fatalf("encrypted block: exit %d: %s", code, errOut)
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("encrypted block (-want +got):\n%s", diff)
	}
	// The PIN from stdin.
	old := stdin
	defer func() { stdin = old }()
	stdin = strings.NewReader("92389\n")
	if code, out, errOut := call(runCrypto, "pinblock", "--pin", "-", "--pan", "4000001234562"); code != 0 || out != "0592789FFFEDCBA9\n" {
		t.Errorf("pin from stdin: exit %d, %q, %q", code, out, errOut)
	}
}

// The national-cryptography block: the published SM4 PIN pad example (PIN 123654,
// PAN 6230606601007726888), clear and under an SM4 key (checked with gmsm's SM4).
func TestCryptoPINBlockSM4(t *testing.T) {
	const wantClear = "06123654FFFFFFFFFFFF99FEFF88D977"
	code, out, errOut := call(runCrypto, "pinblock", "--sm4", "--pin", "123654", "--pan", "6230606601007726888")
	if code != 0 || out != wantClear+"\n" {
		t.Fatalf("clear sm4 block: exit %d, %q, %q; want %s", code, out, errOut, wantClear)
	}
	key, _ := hex.DecodeString("F351D490994603795C6EBEE8FAEBB481")
	c, err := sm4.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := hex.DecodeString(wantClear)
	c.Encrypt(enc, enc)
	code, out, errOut = call(runCrypto, "pinblock", "--sm4", "--pin", "123654", "--pan", "6230606601007726888", "--key", hex.EncodeToString(key))
	if code != 0 || out != fmt.Sprintf("%X\n", enc) {
		t.Errorf("sm4 block under the key: exit %d, %q, %q; want %X", code, out, errOut, enc)
	}
	// A 3DES-length key of 24 bytes is not an SM4 key.
	code, _, errOut = call(runCrypto, "pinblock", "--sm4", "--pin", "123654", "--pan", "6230606601007726888", "--key", strings.Repeat("01", 24))
	if code != 1 || !strings.Contains(errOut, "an SM4 key is 32 hex digits") {
		t.Errorf("sm4 with a 24-byte key: exit %d, %q", code, errOut)
	}
}

func TestCryptoPINBlockRefused(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"format 1", []string{"--format", "1", "--pin", "1234", "--pan", "4000001234562"}, 2, `format "1" not supported`},
		{"short pin", []string{"--pin", "123", "--pan", "4000001234562"}, 1, "--pin: pin of 3 digits"},
		{"pin with a letter", []string{"--pin", "12a4", "--pan", "4000001234562"}, 1, "--pin: pin has a non-digit"},
		{"bad check digit", []string{"--pin", "1234", "--pan", "4000001234563"}, 1, "--pan: card number check digit mismatch"},
		{"short pan", []string{"--pin", "1234", "--pan", "40000012"}, 1, "--pan: pan of 8 characters"},
		{"key of 12 bytes", []string{"--pin", "1234", "--pan", "4000001234562", "--key", "0123456789ABCDEF01234567"}, 1, "--key of 12 bytes"},
		{"no pan", []string{"--pin", "1234"}, 2, "missing --pan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := call(runCrypto, append([]string{"pinblock"}, tt.args...)...)
			if code != tt.code || out != "" {
				t.Errorf("exit %d, stdout %q; want exit %d, no output", code, out, tt.code)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", errOut, tt.want)
			}
			if strings.Contains(errOut, "4000001234562") {
				t.Errorf("stderr shows the PAN: %q", errOut)
			}
		})
	}
}

func TestCryptoKCV(t *testing.T) {
	sm4Key, _ := hex.DecodeString("0123456789ABCDEFFEDCBA9876543210")
	c, err := sm4.NewCipher(sm4Key)
	if err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, 16)
	c.Encrypt(zero, zero)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"des", []string{"--key", "0123456789ABCDEF"}, "D5D44FF7\n"},
		{"3des 2-key", []string{"--key", "0123456789ABCDEFFEDCBA9876543210"}, "08D7B4FB\n"},
		{"3des 3-key, equal thirds", []string{"--key", strings.Repeat("0123456789ABCDEF", 3)}, "D5D44FF7\n"},
		{"sm4", []string{"--key", "0123456789ABCDEFFEDCBA9876543210", "--sm4"}, fmt.Sprintf("%X\n", zero[:4])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := call(runCrypto, append([]string{"kcv"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if diff := cmp.Diff(tt.want, out); diff != "" {
				t.Errorf("kcv (-want +got):\n%s", diff)
			}
		})
	}
	for _, args := range [][]string{{"--key", "0123456789ABCDEF01"}, {"--key", "0123456789ABCDEF", "--sm4"}, {"--key", "zz"}} {
		code, out, errOut := call(runCrypto, append([]string{"kcv"}, args...)...)
		if code != 1 || out != "" || !strings.HasPrefix(errOut, "posctl crypto kcv: ") {
			t.Errorf("kcv %v: exit %d, %q, %q; want exit 1 and a message", args, code, out, errOut)
		}
	}
	if code, _, errOut := call(runCrypto, "kcv"); code != 2 || !strings.Contains(errOut, "missing --key") {
		t.Errorf("kcv without --key: exit %d, %q", code, errOut)
	}
}

func TestCryptoUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}} {
		code, out, errOut := call(runCrypto, args...)
		if code != 2 || out != "" || !strings.Contains(errOut, "usage: posctl crypto mac") {
			t.Errorf("crypto %v: exit %d, %q, %q", args, code, out, errOut)
		}
	}
}

// The EMV subcommands, chained as an issuer would, with emv/crypto's pyemv
// (HSM-checked) vectors; issuer master key 0123456789ABCDEFFEDCBA9876543210.
func TestCryptoEMVChain(t *testing.T) {
	const imk = "0123456789ABCDEFFEDCBA9876543210"
	run := func(args ...string) string {
		t.Helper()
		code, out, errOut := call(runCrypto, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return strings.TrimSuffix(out, "\n")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"icc-mk", "--imk", imk, "--pan", "12345678901234567", "--psn", "01", "--method", "A"}, "73AD54688CEF2934B0979857E3C719F1"},
		{[]string{"icc-mk", "--imk", imk, "--pan", "12345678901234567", "--psn", "01", "--method", "b"}, "AD406D7F6D7570916D75E5DCAB8CF737"},
		{[]string{"session-key", "--mk", imk, "--r", "001C000000000000"}, "E9FB384AF807B940FEDCEA613461B0C4"},
	} {
		if got := run(tc.args...); got != tc.want {
			t.Errorf("%v = %s, want %s", tc.args, got, tc.want)
		}
	}
	mk := run("icc-mk", "--imk", imk, "--pan", "9901234567890123", "--psn", "45", "--method", "A")
	sk := run("session-key", "--mk", mk, "--r", "1234567890123456")
	if got := run("kcv", "--key", sk); got[:4] != "0995" {
		t.Errorf("session key kcv = %s, want 0995…", got)
	}
	const data = "0123456789ABCDEF0123456789ABCDEF"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"arqc", "--key", sk, "--data", data, "--padding", "2"}, "4B46013359B7A58B"},
		{[]string{"arqc", "--key", sk, "--data", data, "--padding", "1"}, "922F3E83125EB46B"},
		{[]string{"arqc", "--key", sk, "--data", data + "01", "--padding", "1"}, "2E141C6BC4A20DA8"},
		{[]string{"arpc", "--method", "1", "--key", mk, "--arqc", "4B46013359B7A58B", "--arc", "0000"}, "F8C9CECAABD55AD1"},
		{[]string{"arpc", "--method", "2", "--key", sk, "--arqc", "4B46013359B7A58B", "--csu", "00000000", "--prop", "1234567890ABCDEF"}, "4962B76C"},
		{[]string{"arpc", "--method", "2", "--key", sk, "--arqc", "4B46013359B7A58B", "--csu", "00000000"}, "7DFB1188"},
	} {
		if got := run(tc.args...); got != tc.want {
			t.Errorf("%v = %s, want %s", tc.args[:3], got, tc.want)
		}
	}
}

func TestCryptoEMVRefused(t *testing.T) {
	const k = "0123456789ABCDEFFEDCBA9876543210"
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"icc-mk single-length imk", []string{"icc-mk", "--imk", k[:16], "--pan", "9901234567890123", "--method", "A"}, 1, "key of 8 bytes, want 16"},
		{"icc-mk pan with a letter", []string{"icc-mk", "--imk", k, "--pan", "99012345678901AB", "--method", "A"}, 1, "pan of 16 digits"},
		{"icc-mk method C", []string{"icc-mk", "--imk", k, "--pan", "9901234567890123", "--method", "C"}, 2, `--method "C": A or B`},
		{"icc-mk no pan", []string{"icc-mk", "--imk", k, "--method", "A"}, 2, "missing --pan"},
		{"session-key short r", []string{"session-key", "--mk", k, "--r", "001C"}, 1, "diversification value of 2 bytes"},
		{"session-key odd mk", []string{"session-key", "--mk", k[:31], "--r", "001C000000000000"}, 1, "--mk: odd number"},
		{"arqc padding 3", []string{"arqc", "--key", k, "--data", "00", "--padding", "3"}, 2, `--padding "3": 1 or 2`},
		{"arqc 24-byte key", []string{"arqc", "--key", k + k[:16], "--data", "00", "--padding", "2"}, 1, "key of 24 bytes"},
		{"arqc empty data", []string{"arqc", "--key", k, "--data", "", "--padding", "2"}, 1, "--data is empty"},
		{"arpc method 1 with csu", []string{"arpc", "--method", "1", "--key", k, "--arqc", k[:16], "--arc", "3030", "--csu", "00000000"}, 2, "for method 2"},
		{"arpc method 2 with arc", []string{"arpc", "--method", "2", "--key", k, "--arqc", k[:16], "--csu", "00000000", "--arc", "3030"}, 2, "for method 1"},
		{"arpc method 1 short arc", []string{"arpc", "--method", "1", "--key", k, "--arqc", k[:16], "--arc", "30"}, 1, "arc 1 bytes (want 2)"},
		{"arpc method 2 no csu", []string{"arpc", "--method", "2", "--key", k, "--arqc", k[:16]}, 2, "missing --csu"},
		{"arpc no method", []string{"arpc", "--key", k, "--arqc", k[:16]}, 2, `--method "": 1 or 2`},
		{"arpc two values from stdin", []string{"arpc", "--method", "1", "--key", "-", "--arqc", "-", "--arc", "3030"}, 1, "only one value can be read from stdin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := stdin
			defer func() { stdin = old }()
			stdin = strings.NewReader(k + "\n")
			code, out, errOut := call(runCrypto, tt.args...)
			if code != tt.code || out != "" {
				t.Errorf("exit %d, stdout %q; want exit %d, no output", code, out, tt.code)
			}
			if !strings.Contains(errOut, tt.want) || !strings.HasPrefix(errOut, "posctl crypto "+tt.args[0]+": ") {
				t.Errorf("stderr = %q, want it to contain %q", errOut, tt.want)
			}
			if strings.Contains(errOut, k[:16]) {
				t.Errorf("stderr shows the key: %q", errOut)
			}
		})
	}
}
