package keys

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"countertop/internal/carddata"

	"github.com/google/go-cmp/cmp"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustKey(t testing.TB, s string) Key {
	t.Helper()
	k, err := ParseHexKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKCV(t *testing.T) {
	sm4k, err := ParseHexSM4Key("0123456789ABCDEFFEDCBA9876543210")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		key  Key
		want string
	}{
		// DES of the zero block under the classic test key (FIPS 81 key).
		{"des", mustKey(t, "0123456789ABCDEF"), "D5D44FF7"},
		// Widely published KCV of the 2-key 3DES test key.
		{"3des-2key", mustKey(t, "0123456789ABCDEF FEDCBA9876543210"), "08D7B4FB"},
		// K1=K2 degenerates to single DES.
		{"3des-equal-halves", mustKey(t, "0123456789ABCDEF0123456789ABCDEF"), "D5D44FF7"},
		{"3des-3key-equal", mustKey(t, "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"), "D5D44FF7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmt.Sprintf("%X", KCV(tt.key)); got != tt.want {
				t.Errorf("KCV = %s, want %s", got, tt.want)
			}
		})
	}
	// SM4: GB/T 32907-2016 appendix A example 1 (key = plaintext).
	ct, err := EncryptECB(sm4k, unhex(t, "0123456789ABCDEFFEDCBA9876543210"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(unhex(t, "681EDF34D206965E86B3E94F536E4246"), ct); diff != "" {
		t.Errorf("SM4 ECB (-want +got):\n%s", diff)
	}
	zero, _ := EncryptECB(sm4k, make([]byte, 16))
	if diff := cmp.Diff(zero[:4], KCV(sm4k)); diff != "" {
		t.Errorf("SM4 KCV (-want +got):\n%s", diff)
	}
	if err := CheckKCV(mustKey(t, "0123456789ABCDEF"), unhex(t, "D5D44FF8")); !errors.Is(err, ErrCheckValue) {
		t.Errorf("CheckKCV with a wrong value = %v, want ErrCheckValue", err)
	}
}

func TestKeyLength(t *testing.T) {
	for _, n := range []int{0, 7, 9, 15, 17, 23, 25, 32} {
		if _, err := NewKey(make([]byte, n)); !errors.Is(err, ErrKeyLength) {
			t.Errorf("NewKey(%d bytes) = %v, want ErrKeyLength", n, err)
		}
	}
	for _, n := range []int{8, 24} {
		if _, err := NewSM4Key(make([]byte, n)); !errors.Is(err, ErrKeyLength) {
			t.Errorf("NewSM4Key(%d bytes) = %v, want ErrKeyLength", n, err)
		}
	}
	if _, err := ParseHexKey("0123456789ABCDEG"); !errors.Is(err, ErrKeyLength) {
		t.Errorf("ParseHexKey(non-hex) = %v, want ErrKeyLength", err)
	}
	if _, err := EncryptECB(mustKey(t, "0123456789ABCDEF"), make([]byte, 12)); !errors.Is(err, ErrKeyLength) {
		t.Errorf("EncryptECB(12 bytes) = %v, want ErrKeyLength", err)
	}
}

// TestKeyNeverPrints checks every print path shows the check value, never the key.
func TestKeyNeverPrints(t *testing.T) {
	const clear = "0123456789ABCDEFFEDCBA9876543210"
	k := mustKey(t, clear)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("loaded", "mak", k)
	outs := []string{
		k.String(), fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %x %X %q", k, k, k, k, k, k, k),
		fmt.Sprintf("%v", struct{ K Key }{k}), fmt.Sprintf("%+v", &struct{ K Key }{k}), logged.String(),
	}
	for _, o := range outs {
		low := strings.ToLower(o)
		if strings.Contains(low, "0123456789abcdef") || strings.Contains(low, "fedcba9876543210") ||
			strings.Contains(o, "[1 35 69") {
			t.Errorf("key printed in clear: %s", o)
		}
		if !strings.Contains(o, "key(kcv=08D7B4FB)") {
			t.Errorf("print path lacks the check value: %s", o)
		}
	}
	if got := hex.EncodeToString(k.Bytes()); !strings.EqualFold(got, clear) {
		t.Errorf("Bytes = %s, want the clear key", got)
	}
}

func TestMACVectors(t *testing.T) {
	sm4k, err := ParseHexSM4Key("0123456789ABCDEFFEDCBA9876543210")
	if err != nil {
		t.Fatal(err)
	}
	_ = sm4k
	tests := []struct {
		name string
		alg  MACAlgorithm
		key  Key
		data []byte
		want string // hex of the expected prefix of the MAC
	}{
		// FIPS 113 / ANSI X9.9 DAC, as in Bouncy Castle's MacTest (zero IV, 32 bits).
		{"x99-fips113", MACX99, mustKey(t, "0123456789abcdef"),
			[]byte("7654321 Now is the time for "), "F1D30F68"},
		// ISO 9797-1 algorithm 3 (X9.19), Bouncy Castle's ISO9797Alg3MacTest.
		{"x919-retail", MACX919, mustKey(t, "7CA110454A1A6E570131D9619DC1376E"),
			[]byte("Hello World !!!!"), "F09B856213BAB83B"},
		// 3DES CBC-MAC 64 bits ("DESede64"), Bouncy Castle's jce MacTest.
		{"tdes-cbc", MACTDESCBC, mustKey(t, "7CA110454A1A6E570131D9619DC1376E"),
			[]byte("Hello World !!!!"), "862304D33AF01096"},
		// A real CUP POS sale (public Q&A, cnblogs q/128930): MAB = MTI..field 62,
		// MAK 0723C80DB5F4CD3D double length with equal halves, host MAC "B3A092AE".
		{"cup-ecb-real", MACCUPECB, mustKey(t, "0723C80DB5F4CD3D0723C80DB5F4CD3D"),
			unhex(t, realSaleMAB), hex.EncodeToString([]byte("B3A092AE"))},
		{"cup-ecb-real-single", MACCUPECB, mustKey(t, "0723C80DB5F4CD3D"),
			unhex(t, realSaleMAB), hex.EncodeToString([]byte("B3A092AE"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MAC(tt.alg, tt.key, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 8 {
				t.Fatalf("MAC is %d bytes, want 8", len(got))
			}
			want := unhex(t, tt.want)
			if diff := cmp.Diff(want, got[:len(want)]); diff != "" {
				t.Errorf("MAC (-want +got):\n%s", diff)
			}
		})
	}
}

// realSaleMAB is the MAC input of the real sale in TestMACVectors: the body from the
// MTI through field 62.
const realSaleMAB = "02003020048000C0801500000000000000123400000203009930303030303030" +
	"3139353237313831383232313738373531353600192600000100060000000000" +
	"435F01123238343431323334353637383930313233345F03063136303033365F" +
	"04063230303832365C023031"

// TestCUPECBSteps recomputes the CUP ECB MAC from its published description with
// independent code (per-step, through EncryptECB), for DES and SM4.
func TestCUPECBSteps(t *testing.T) {
	data := []byte("0200 any MAB that is not a multiple of the block size, 53 bytes")
	for _, tc := range []struct {
		alg MACAlgorithm
		key Key
		bs  int
	}{
		{MACCUPECB, mustKey(t, "0123456789ABCDEFFEDCBA9876543210"), 8},
		{MACCUPSM4, func() Key { k, _ := ParseHexSM4Key("00112233445566778899AABBCCDDEEFF"); return k }(), 16},
	} {
		padded := append(append([]byte(nil), data...), make([]byte, (tc.bs-len(data)%tc.bs)%tc.bs)...)
		r := make([]byte, tc.bs)
		for i := 0; i < len(padded); i += tc.bs {
			for j := 0; j < tc.bs; j++ {
				r[j] ^= padded[i+j]
			}
		}
		h := []byte(fmt.Sprintf("%X", r))
		e1, _ := EncryptECB(tc.key, h[:tc.bs])
		for j := range e1 {
			e1[j] ^= h[tc.bs+j]
		}
		e2, _ := EncryptECB(tc.key, e1)
		want := []byte(fmt.Sprintf("%X", e2)[:8])
		if tc.bs == 16 {
			want = e2[:8]
		}
		got, err := MAC(tc.alg, tc.key, data)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.alg, diff)
		}
	}
}

func TestMACErrors(t *testing.T) {
	des := mustKey(t, "0123456789ABCDEF")
	tdes := mustKey(t, "0123456789ABCDEFFEDCBA9876543210")
	sm4k, _ := NewSM4Key(make([]byte, 16))
	for _, tc := range []struct {
		alg  MACAlgorithm
		key  Key
		want error
	}{
		{MACX919, des, ErrKeyLength},
		{MACX99, tdes, ErrKeyLength},
		{MACTDESCBC, des, ErrKeyLength},
		{MACCUPECB, sm4k, ErrKeyKind},
		{MACCUPSM4, tdes, ErrKeyKind},
		{"hmac", tdes, ErrUnknownMAC},
	} {
		if _, err := MAC(tc.alg, tc.key, []byte("x")); !errors.Is(err, tc.want) {
			t.Errorf("MAC(%s, %d-byte key) = %v, want %v", tc.alg, tc.key.Len(), err, tc.want)
		}
	}
	for _, a := range MACAlgorithms {
		got, err := ParseMACAlgorithm(strings.ToUpper(string(a)))
		if err != nil || got != a {
			t.Errorf("ParseMACAlgorithm(%q) = %q, %v", a, got, err)
		}
	}
	if _, err := ParseMACAlgorithm("ecb"); !errors.Is(err, ErrUnknownMAC) {
		t.Errorf("ParseMACAlgorithm(ecb) = %v, want ErrUnknownMAC", err)
	}
}

func mustPAN(t testing.TB, s string) carddata.PAN {
	t.Helper()
	p, err := carddata.ParsePAN(s)
	if err != nil {
		t.Fatalf("pan: %v", err)
	}
	return p
}

func TestPINBlockVectors(t *testing.T) {
	tests := []struct{ pin, pan, want string }{
		// Thales payShield manual, format 01 example.
		{"92389", "4000001234562", "0592789FFFEDCBA9"},
	}
	for _, tt := range tests {
		pan := mustPAN(t, tt.pan)
		got, err := ClearPINBlock(tt.pin, pan)
		if err != nil {
			t.Fatal(err)
		}
		if g := fmt.Sprintf("%X", got); g != tt.want {
			t.Errorf("ClearPINBlock(%s) = %s, want %s", tt.pin, g, tt.want)
		}
		pin, err := PINFromBlock(got, pan)
		if err != nil || pin != tt.pin {
			t.Errorf("PINFromBlock = %q, %v; want %q", pin, err, tt.pin)
		}
		k := mustKey(t, "0123456789ABCDEFFEDCBA9876543210")
		enc, err := EncryptPINBlock(k, got)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(enc, got) {
			t.Error("EncryptPINBlock returned the clear block")
		}
		dec, err := DecryptPINBlock(k, enc)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, dec); diff != "" {
			t.Errorf("decrypt(encrypt) (-want +got):\n%s", diff)
		}
	}
}

func TestPINBlockErrors(t *testing.T) {
	pan := mustPAN(t, "6222021234567890128")
	for _, pin := range []string{"123", "1234567890123", "12a4", ""} {
		if _, err := ClearPINBlock(pin, pan); !errors.Is(err, ErrPINBlock) {
			t.Errorf("ClearPINBlock(%q) = %v, want ErrPINBlock", pin, err)
		}
	}
	good, err := ClearPINBlock("123456", pan)
	if err != nil {
		t.Fatal(err)
	}
	other := mustPAN(t, "6222021234567890003")
	for name, blk := range map[string][]byte{
		"short":       good[:7],
		"format 1":    xorByte(good, 0, 0x10),
		"length 3":    xorByte(good, 0, 0x05), // 6 -> 3
		"bad padding": xorByte(good, 7, 0x01),
	} {
		if _, err := PINFromBlock(blk, pan); !errors.Is(err, ErrPINBlock) {
			t.Errorf("PINFromBlock(%s) = %v, want ErrPINBlock", name, err)
		}
	}
	if pin, err := PINFromBlock(good, other); err == nil && pin == "123456" {
		t.Error("PINFromBlock with another PAN recovered the PIN")
	}
}

func xorByte(b []byte, i int, x byte) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= x
	return c
}

func TestWorkingKeys(t *testing.T) {
	tmk := mustKey(t, "70F2A84CCBC2AE8625CBB0F2C22AB923")
	pik16 := mustKey(t, "1111111111111111 2222222222222222")
	mak16 := mustKey(t, "3333333333333333 4444444444444444")
	tdk16 := mustKey(t, "5555555555555555 6666666666666666")
	pik8 := mustKey(t, "1313131313131313")
	mak8 := mustKey(t, "C24A8FB57AA20123")
	tests := []struct {
		name     string
		layout   int
		pik, mak Key
		tdk      *Key
	}{
		{"24", Layout24, pik8, mak8, nil},
		{"40", Layout40, pik16, mak16, nil},
		{"40-single-mak", Layout40, pik16, mak8, nil},
		{"60", Layout60, pik16, mak16, &tdk16},
		{"48", Layout48, pik16, mak16, nil},
		{"48-single-mak", Layout48, pik16, mak8, nil},
		{"72", Layout72, pik16, mak16, &tdk16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f62, err := EncodeWorkingKeys(tmk, tt.pik, tt.mak, tt.tdk, tt.layout)
			if err != nil {
				t.Fatal(err)
			}
			if len(f62) != tt.layout {
				t.Fatalf("field 62 is %d bytes, want %d", len(f62), tt.layout)
			}
			wk, err := ParseWorkingKeys(f62, tmk)
			if err != nil {
				t.Fatal(err)
			}
			if !wk.PIK.Equal(tt.pik) || !wk.MAK.Equal(tt.mak) {
				t.Errorf("keys = %v %v, want %v %v", wk.PIK, wk.MAK, tt.pik, tt.mak)
			}
			if wk.HasTDK != (tt.tdk != nil) || (tt.tdk != nil && !wk.TDK.Equal(*tt.tdk)) {
				t.Errorf("tdk = %v (%t)", wk.TDK, wk.HasTDK)
			}
			encPIK, _ := EncryptECB(tmk, tt.pik.Bytes())
			if diff := cmp.Diff(encPIK, wk.PIKEncrypted); diff != "" {
				t.Errorf("PIKEncrypted (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(zeroBlockCipher(tt.pik)[:len(wk.PIKCheck)], wk.PIKCheck); diff != "" || len(wk.PIKCheck) != layouts[tt.layout].kcv {
				t.Errorf("PIKCheck (-want +got):\n%s", diff)
			}
			// Any flipped check-value byte is refused.
			for _, off := range kcvOffsets(tt.layout) {
				bad := xorByte(f62, off, 0x01)
				if _, err := ParseWorkingKeys(bad, tmk); !errors.Is(err, ErrCheckValue) {
					t.Errorf("kcv byte %d flipped: %v, want ErrCheckValue", off, err)
				}
			}
			// Another TMK fails the check values.
			if _, err := ParseWorkingKeys(f62, mak16); !errors.Is(err, ErrCheckValue) {
				t.Errorf("wrong tmk: %v, want ErrCheckValue", err)
			}
		})
	}
	// Layout 40 with a single-length MAK whose zero half was encrypted with it.
	encPIK, _ := EncryptECB(tmk, pik16.Bytes())
	encMAK, _ := EncryptECB(tmk, append(mak8.Bytes(), make([]byte, 8)...))
	f62 := append(append(append(append([]byte(nil), encPIK...), KCV(pik16)...), encMAK...), KCV(mak8)...)
	if wk, err := ParseWorkingKeys(f62, tmk); err != nil || !wk.MAK.Equal(mak8) {
		t.Errorf("layout 40, encrypted zero half: mak %v, %v; want %v", wk.MAK, err, mak8)
	}
	if _, err := ParseWorkingKeys(make([]byte, 56), tmk); !errors.Is(err, ErrKeyLength) {
		t.Errorf("56-byte field 62: %v, want ErrKeyLength", err)
	}
	if _, err := EncodeWorkingKeys(tmk, pik16, mak16, nil, Layout24); !errors.Is(err, ErrKeyLength) {
		t.Errorf("double-length keys in layout 24: %v, want ErrKeyLength", err)
	}
}

// kcvOffsets are the first and last byte of each check value in a layout, worked
// out by hand.
func kcvOffsets(layout int) []int {
	switch layout {
	case Layout24:
		return []int{8, 11, 20, 23}
	case Layout40:
		return []int{16, 19, 36, 39}
	case Layout48:
		return []int{16, 23, 40, 47}
	case Layout72:
		return []int{16, 23, 40, 47, 64, 71}
	}
	return []int{16, 19, 36, 39, 56, 59}
}

// BenchmarkMACCUPECB is the CUP ECB MAC over a 415-byte body with a 3DES MAK.
func BenchmarkMACCUPECB(b *testing.B) {
	k := mustKey(b, "0123456789ABCDEFFEDCBA9876543210")
	data := bytes.Repeat([]byte{0x5A}, 415)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MAC(MACCUPECB, k, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMACCUPSM4 is the CUP SM4 MAC over the same 415 bytes.
func BenchmarkMACCUPSM4(b *testing.B) {
	k, err := ParseHexSM4Key(sm4VectorTMK)
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat([]byte{0x5A}, 415)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MAC(MACCUPSM4, k, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncipherPIN is a PIN pad's work per PIN: build the block and encrypt it,
// 8 bytes under 3DES, 16 under SM4.
func BenchmarkEncipherPIN(b *testing.B) {
	pan := mustPAN(b, "6230606601007726888")
	sm4k, err := ParseHexSM4Key(sm4VectorTMK)
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range []Key{mustKey(b, "0123456789ABCDEFFEDCBA9876543210"), sm4k} {
		b.Run(k.Kind().String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := EncipherPIN(k, "123654", pan); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestMACFunc(t *testing.T) {
	k := mustKey(t, "0723C80DB5F4CD3D0723C80DB5F4CD3D")
	got, err := MACFunc(MACCUPECB, k)(unhex(t, realSaleMAB))
	if err != nil || string(got) != "B3A092AE" {
		t.Errorf("MACFunc = %q, %v; want B3A092AE", got, err)
	}
	if _, err := MACFunc(MACX99, k)(nil); !errors.Is(err, ErrKeyLength) {
		t.Errorf("MACFunc(x99, 16-byte key) = %v, want ErrKeyLength", err)
	}
}

// FuzzParseWorkingKeys feeds arbitrary field 62 values: never a panic, and any
// accepted value gives keys that match their check values.
func FuzzParseWorkingKeys(f *testing.F) {
	tmk := mustKey(f, "70F2A84CCBC2AE8625CBB0F2C22AB923")
	pik := mustKey(f, "1111111111111111 2222222222222222")
	mak := mustKey(f, "3333333333333333")
	for _, layout := range []int{Layout40, Layout60, Layout48, Layout72} {
		var tdk *Key
		if layouts[layout].keys == 3 {
			tdk = &pik
		}
		f62, err := EncodeWorkingKeys(tmk, pik, mak, tdk, layout)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(f62)
	}
	f.Add(make([]byte, 24))
	sm4TMK, err := ParseHexSM4Key(sm4VectorTMK)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, f62 []byte) {
		for _, k := range []Key{tmk, sm4TMK} {
			wk, err := ParseWorkingKeys(f62, k)
			if err != nil {
				continue
			}
			if CheckKCV(wk.PIK, wk.PIKCheck) != nil || wk.MAK.IsZero() {
				t.Fatalf("accepted keys do not check: %v %v", wk.PIK, wk.MAK)
			}
			if wk.PIK.Kind() != k.Kind() || wk.MAK.Kind() != k.Kind() {
				t.Fatalf("working keys of kind %s/%s under a %s tmk", wk.PIK.Kind(), wk.MAK.Kind(), k.Kind())
			}
		}
	})
}

// FuzzPINFromBlock feeds arbitrary clear blocks: never a panic, and a block it
// accepts is exactly the block of the PIN it recovered (8 or 16 bytes).
func FuzzPINFromBlock(f *testing.F) {
	pan := mustPAN(f, "6230606601007726888")
	for _, size := range []int{PINBlockLen, PINBlockLenSM4} {
		b, err := clearPINBlock("123654", pan, size)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, blk []byte) {
		pin, err := PINFromBlock(blk, pan)
		if err != nil {
			return
		}
		again, err := clearPINBlock(pin, pan, len(blk))
		if err != nil || !bytes.Equal(again, blk) {
			t.Fatalf("PINFromBlock(%X) = %q, whose block is %X (%v)", blk, pin, again, err)
		}
	})
}

// The SM4 vectors below are from a published walk-through of an SM4 PIN pad
// (blog.csdn.net/M_Kerry/article/details/104625499): a TMK, a PIN key as a sign-in
// reply carries it with its 8-byte check value, and the clear 16-byte PIN block.
const (
	sm4VectorTMK      = "1234567890ABCDEFABCDEF0987654321"
	sm4VectorPIKUnder = "3D66234C49E4296FF9C78D8BACBD6A76"
	sm4VectorPIKCheck = "861E83E31FAEBF10"
)

func TestPINBlockSM4Vector(t *testing.T) {
	pan := mustPAN(t, "6230606601007726888")
	got, err := ClearPINBlockSM4("123654", pan)
	if err != nil {
		t.Fatal(err)
	}
	if g := fmt.Sprintf("%X", got); g != "06123654FFFFFFFFFFFF99FEFF88D977" {
		t.Errorf("ClearPINBlockSM4 = %s, want 06123654FFFFFFFFFFFF99FEFF88D977", g)
	}
	if pin, err := PINFromBlock(got, pan); err != nil || pin != "123654" {
		t.Errorf("PINFromBlock(16 bytes) = %q, %v; want 123654", pin, err)
	}
	// The 8-byte block of the same PIN is the first half of the PIN field, with
	// the PAN digits in its last 6 bytes instead.
	short, err := ClearPINBlock("123654", pan)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(short, got[:8]) {
		t.Error("the 8- and 16-byte blocks share their first half; the PAN field is misplaced")
	}
}

func TestEncipherPIN(t *testing.T) {
	pan := mustPAN(t, "6230606601007726888")
	tmk, err := ParseHexSM4Key(sm4VectorTMK)
	if err != nil {
		t.Fatal(err)
	}
	under, _ := hex.DecodeString(sm4VectorPIKUnder)
	clear, err := DecryptECB(tmk, under)
	if err != nil {
		t.Fatal(err)
	}
	sm4PIK, err := NewSM4Key(clear)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		pik  Key
		size int
	}{
		{"3des", mustKey(t, "0123456789ABCDEFFEDCBA9876543210"), 8},
		{"sm4", sm4PIK, 16},
	} {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := EncipherPIN(tt.pik, "123654", pan)
			if err != nil {
				t.Fatal(err)
			}
			if len(enc) != tt.size || PINBlockLenFor(tt.pik) != tt.size {
				t.Fatalf("block of %d bytes (PINBlockLenFor %d), want %d", len(enc), PINBlockLenFor(tt.pik), tt.size)
			}
			dec, err := DecryptPINBlock(tt.pik, enc)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := clearPINBlock("123654", pan, tt.size)
			if !bytes.Equal(dec, want) {
				t.Errorf("decrypted block %X, want %X", dec, want)
			}
			pin, err := DecipherPIN(tt.pik, enc, pan)
			if err != nil || pin != "123654" {
				t.Errorf("DecipherPIN = %q, %v; want 123654", pin, err)
			}
			if pin, err := DecipherPIN(tt.pik, enc, mustPAN(t, "6230606601007726003")); err == nil && pin == "123654" {
				t.Error("DecipherPIN with another PAN recovered the PIN")
			}
		})
	}
	if _, err := DecipherPIN(sm4PIK, make([]byte, 8), pan); !errors.Is(err, ErrPINBlock) {
		t.Errorf("DecipherPIN of 8 bytes under an sm4 key = %v, want ErrPINBlock", err)
	}
	if _, err := DecipherPIN(mustKey(t, "0123456789ABCDEFFEDCBA9876543210"), make([]byte, 16), pan); !errors.Is(err, ErrPINBlock) {
		t.Errorf("DecipherPIN of 16 bytes under a 3des key = %v, want ErrPINBlock", err)
	}
}

func TestWorkingKeysSM4(t *testing.T) {
	tmk, err := ParseHexSM4Key(sm4VectorTMK)
	if err != nil {
		t.Fatal(err)
	}
	// The published PIK with its whole 8-byte check value, twice (as PIK and as
	// MAK): layout 48, as that host sends it.
	whole, _ := hex.DecodeString(sm4VectorPIKUnder + sm4VectorPIKCheck)
	if wk, err := ParseWorkingKeys(append(append([]byte(nil), whole...), whole...), tmk); err != nil || fmt.Sprintf("%X", wk.PIKCheck) != sm4VectorPIKCheck {
		t.Errorf("ParseWorkingKeys(published vector, layout 48) = %v (check %X)", err, wk.PIKCheck)
	}
	// The same with the first 4 bytes of the check value (layout 40).
	part, _ := hex.DecodeString(sm4VectorPIKUnder + sm4VectorPIKCheck[:8])
	wk, err := ParseWorkingKeys(append(append([]byte(nil), part...), part...), tmk)
	if err != nil {
		t.Fatalf("ParseWorkingKeys(published vector): %v", err)
	}
	if wk.PIK.Kind() != KindSM4 || wk.MAK.Kind() != KindSM4 {
		t.Errorf("kinds %s, %s; want sm4", wk.PIK.Kind(), wk.MAK.Kind())
	}
	if got := fmt.Sprintf("%X", wk.PIK.Bytes()); got != "F351D490994603795C6EBEE8FAEBB481" {
		t.Errorf("PIK = %s", got)
	}
	full, _ := hex.DecodeString(sm4VectorPIKCheck)
	if err := CheckKCV(wk.PIK, full); err != nil {
		t.Errorf("CheckKCV(8-byte published check value) = %v", err)
	}
	bad := append([]byte(nil), part...)
	bad[len(bad)-1] ^= 1
	if _, err := ParseWorkingKeys(append(bad, part...), tmk); !errors.Is(err, ErrCheckValue) {
		t.Errorf("ParseWorkingKeys(bad check value) = %v, want ErrCheckValue", err)
	}

	pik, _ := ParseHexSM4Key("00112233445566778899AABBCCDDEEFF")
	mak, _ := ParseHexSM4Key("FFEEDDCCBBAA99887766554433221100")
	tdk, _ := ParseHexSM4Key("0F1E2D3C4B5A69788796A5B4C3D2E1F0")
	for _, layout := range []int{Layout40, Layout60, Layout48, Layout72} {
		var tp *Key
		if layout == Layout60 || layout == Layout72 {
			tp = &tdk
		}
		f62, err := EncodeWorkingKeys(tmk, pik, mak, tp, layout)
		if err != nil {
			t.Fatalf("EncodeWorkingKeys(%d): %v", layout, err)
		}
		wk, err := ParseWorkingKeys(f62, tmk)
		if err != nil {
			t.Fatalf("ParseWorkingKeys(%d): %v", layout, err)
		}
		if !wk.PIK.Equal(pik) || !wk.MAK.Equal(mak) || wk.HasTDK != (tp != nil) || (tp != nil && !wk.TDK.Equal(tdk)) {
			t.Errorf("layout %d: keys do not round-trip", layout)
		}
		// The same bytes under a 3DES TMK of the same bits are wrong keys.
		des, _ := ParseHexKey(sm4VectorTMK)
		if _, err := ParseWorkingKeys(f62, des); !errors.Is(err, ErrCheckValue) {
			t.Errorf("layout %d under a 3des tmk: %v, want ErrCheckValue", layout, err)
		}
	}
	if _, err := EncodeWorkingKeys(tmk, mustKey(t, "0123456789ABCDEFFEDCBA9876543210"), mak, nil, Layout40); !errors.Is(err, ErrKeyKind) {
		t.Errorf("a 3des pik under an sm4 tmk: %v, want ErrKeyKind", err)
	}
	if _, err := ParseWorkingKeys(make([]byte, Layout24), tmk); !errors.Is(err, ErrKeyLength) {
		t.Errorf("layout 24 under an sm4 tmk: %v, want ErrKeyLength", err)
	}
}
