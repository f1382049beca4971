package crypto

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// Vectors: knovichikhin/pyemv tests/test_kd_hsm.py, test_ac_hsm.py and the kd.py
// docstrings (values the project states were checked on an HSM). Issuer master key
// 0123456789ABCDEFFEDCBA9876543210 (KCV 08D7) throughout.

func h(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hx(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

const imk = "0123456789ABCDEFFEDCBA9876543210"

func TestKCV_IssuerMasterKey(t *testing.T) {
	k, err := KCV(h(t, imk), 2)
	if err != nil || hx(k) != "08D7" {
		t.Fatalf("KCV = %X, %v; want 08D7", k, err)
	}
}

func TestDeriveICCMasterKey_BookA14Vectors(t *testing.T) {
	for _, c := range []struct {
		name, pan, psn string
		opt            Option
		key, kcv       string
	}{
		{"A pan17 psn01", "12345678901234567", "01", OptionA, "73AD54688CEF2934B0979857E3C719F1", ""},
		{"B pan17 psn01", "12345678901234567", "01", OptionB, "AD406D7F6D7570916D75E5DCAB8CF737", ""},
		{"A pan17 psn45", "12345678901234567", "45", OptionA, "", "FF08"},
		{"A pan16 psn45", "9901234567890123", "45", OptionA, "", "1DA5"},
		{"B pan16 is A", "1234567890123456", "", OptionB, "", "BAB0"},
		{"B pan17 psn45", "12345678901234567", "45", OptionB, "", "0BAF"},
		{"B pan17 no psn", "12345678901234567", "", OptionB, "", "4626"},
		{"B pan18 psn00", "123456789012345679", "00", OptionB, "", "C2F3"},
		{"B decimalisation table", "000000000000000005", "23", OptionB, "", "DD73"},
	} {
		t.Run(c.name, func(t *testing.T) {
			mk, err := DeriveICCMasterKey(h(t, imk), c.pan, c.psn, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if c.key != "" && hx(mk) != c.key {
				t.Errorf("mk = %s, want %s", hx(mk), c.key)
			}
			if c.kcv != "" {
				k, _ := KCV(mk, 2)
				if hx(k) != c.kcv {
					t.Errorf("kcv = %s, want %s", hx(k), c.kcv)
				}
			}
		})
	}
}

func TestSessionKey_CommonDerivationA131(t *testing.T) {
	sk, err := SessionKey(h(t, imk), h(t, "001C000000000000"))
	if err != nil || hx(sk) != "E9FB384AF807B940FEDCEA613461B0C4" {
		t.Fatalf("sk = %s, %v", hx(sk), err)
	}
	if got := hx(ACDiversifier(0x001C)); got != "001C000000000000" {
		t.Errorf("ACDiversifier = %s", got)
	}
}

// TestChain_ARQCAndARPC runs the whole issuer chain of each vector: ICC MK, session
// key (KCV), ARQC, ARPC.
func TestChain_ARQCAndARPC(t *testing.T) {
	for _, c := range []struct {
		name, pan, psn string
		opt            Option
		r, skKCV, data string
		padding        Padding
		arqc           string
		arpc1MK        string // method 1 under the ICC master key, ARC 0000
		arpc1SK        string // method 1 under the session key
		csu, prop      string
		arpc2          string
	}{
		{name: "A psn45 pan16 emv padding", pan: "9901234567890123", psn: "45", opt: OptionA, r: "1234567890123456", skKCV: "0995",
			data: "0123456789ABCDEF0123456789ABCDEF", padding: Padding2, arqc: "4B46013359B7A58B", arpc1MK: "F8C9CECAABD55AD1",
			csu: "00000000", prop: "1234567890ABCDEF", arpc2: "4962B76C"},
		{name: "A pan16 method2 no prop", pan: "9901234567890123", psn: "45", opt: OptionA, r: "1234567890123456", skKCV: "0995",
			data: "0123456789ABCDEF0123456789ABCDEF", padding: Padding2, arqc: "4B46013359B7A58B", csu: "00000000", arpc2: "7DFB1188"},
		{name: "A pan16 padding1 partial block", pan: "9901234567890123", psn: "45", opt: OptionA, r: "1234567890123456", skKCV: "0995",
			data: "0123456789ABCDEF0123456789ABCDEF01", padding: Padding1, arqc: "2E141C6BC4A20DA8", arpc1MK: "16A49AAB314B9262"},
		{name: "A pan16 padding1 whole blocks", pan: "9901234567890123", psn: "45", opt: OptionA, r: "1234567890123456", skKCV: "0995",
			data: "0123456789ABCDEF0123456789ABCDEF", padding: Padding1, arqc: "922F3E83125EB46B", arpc1MK: "8AE6E836084B0E80"},
		{name: "A pan17 psn45", pan: "12345678901234567", psn: "45", opt: OptionA, r: "1234567890123456", skKCV: "DF82",
			data: "0123456789ABCDEF0123456789ABCDEF", padding: Padding2, arqc: "19C1FBC83EBDC0D5", arpc1MK: "78A372523FA35A03", arpc1SK: "C3620580668E5B65"},
		{name: "A pan17 no psn", pan: "12345678901234567", opt: OptionA, r: "1234567890123456", skKCV: "3F4F",
			data: "0123456789ABCDEF0123456789ABCDEF", padding: Padding2, arqc: "8698A7319324FD93", arpc1MK: "BEA11C8F4A47EF6F"},
		{name: "B pan16", pan: "1234567890123456", opt: OptionB, r: "1234567890123456", skKCV: "BC19",
			data: "0123456789ABCDEF0123456789ABCDEF", padding: Padding2, arqc: "0CE77D211CB5459A", csu: "00000000", arpc2: "8CD9AA5D"},
		{name: "B pan17 psn45", pan: "12345678901234567", psn: "45", opt: OptionB, r: "1234567890123456", skKCV: "4262",
			data: "0123456789ABCDEF0123456789ABCDEF", padding: Padding2, arqc: "5760EE07B4FA65D1", csu: "00000000", arpc2: "106B81D9"},
		{name: "B pan18", pan: "123456789012345679", psn: "00", opt: OptionB, r: "1234567890123456", skKCV: "7C35",
			data: "0123456789ABCDEF0123456789ABCDEF", padding: Padding2, arqc: "DC95BCE3EBBE0296", csu: "00000000", arpc2: "ECCA0C4B"},
		{name: "B decimalised ATC 001C", pan: "000000000000000005", psn: "23", opt: OptionB, r: "001C000000000000", skKCV: "04F8",
			data: "0000000040000000000000000124800004800001241911050152BF45851800001C06011203A0B800", padding: Padding2,
			arqc: "8CAD6F2489C640B1", csu: "00000000", prop: "12345678", arpc2: "E39F1876"},
	} {
		t.Run(c.name, func(t *testing.T) {
			mk, err := DeriveICCMasterKey(h(t, imk), c.pan, c.psn, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			sk, err := SessionKey(mk, h(t, c.r))
			if err != nil {
				t.Fatal(err)
			}
			if k, _ := KCV(sk, 2); hx(k) != c.skKCV {
				t.Errorf("session key kcv = %s, want %s", hx(k), c.skKCV)
			}
			arqc, err := AC(sk, h(t, c.data), c.padding)
			if err != nil || hx(arqc) != c.arqc {
				t.Fatalf("arqc = %s, %v; want %s", hx(arqc), err, c.arqc)
			}
			if c.arpc1MK != "" {
				a, err := ARPC1(mk, arqc, h(t, "0000"))
				if err != nil || hx(a) != c.arpc1MK {
					t.Errorf("arpc1(mk) = %s, %v; want %s", hx(a), err, c.arpc1MK)
				}
			}
			if c.arpc1SK != "" {
				a, err := ARPC1(sk, arqc, h(t, "0000"))
				if err != nil || hx(a) != c.arpc1SK {
					t.Errorf("arpc1(sk) = %s, %v; want %s", hx(a), err, c.arpc1SK)
				}
			}
			if c.arpc2 != "" {
				a, err := ARPC2(sk, arqc, h(t, c.csu), h(t, c.prop))
				if err != nil || hx(a) != c.arpc2 {
					t.Errorf("arpc2 = %s, %v; want %s", hx(a), err, c.arpc2)
				}
			}
		})
	}
}

func TestBadInputs_WrapSentinels(t *testing.T) {
	if _, err := SessionKey(make([]byte, 8), make([]byte, 8)); !errors.Is(err, ErrKeyLength) {
		t.Errorf("8-byte key: %v", err)
	}
	if _, err := DeriveICCMasterKey(make([]byte, 16), "12AB", "00", OptionA); !errors.Is(err, ErrInput) {
		t.Errorf("non-digit pan: %v", err)
	}
	if _, err := MAC(make([]byte, 16), nil, 3); !errors.Is(err, ErrInput) {
		t.Errorf("padding 3: %v", err)
	}
	if _, err := ParseOption("C"); !errors.Is(err, ErrInput) {
		t.Errorf("option C: %v", err)
	}
	if _, err := ARPC1(make([]byte, 16), make([]byte, 7), make([]byte, 2)); !errors.Is(err, ErrKeyLength) {
		t.Errorf("short arqc: %v", err)
	}
}

// Issuer script MACs against pyemv's published secure-messaging examples (sm.py):
// the command header alone, and header || ATC || ARQC.
func TestScriptMAC(t *testing.T) {
	sk := h(t, "0123456789ABCDEFFEDCBA9876543210")
	header := h(t, "8424000008")
	got, err := MAC(sk, header, Padding2)
	if err != nil || hx(got) != "0BFFF5DF3FAA24E1" {
		t.Errorf("MAC(header) = %X, %v; want 0BFFF5DF3FAA24E1", got, err)
	}
	got, err = ScriptMAC(sk, header, h(t, "FFFF"), h(t, "1234567890123456"), nil)
	if err != nil || hx(got) != "E07B8DF1B4184282" {
		t.Errorf("ScriptMAC = %X, %v; want E07B8DF1B4184282", got, err)
	}
	if _, err := ScriptMAC(sk, header[:4], h(t, "FFFF"), h(t, "1234567890123456"), nil); !errors.Is(err, ErrInput) {
		t.Errorf("ScriptMAC with a 4-byte header = %v, want ErrInput", err)
	}
}
