package iso8583_test

import (
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"countertop/internal/carddata"
	"countertop/internal/keys"
	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/iso8583/frame"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/host")

const goldenDir = "../testdata/host"

// testMAK is the MAC key of the golden files (a test key, never a real one).
const testMAK = "0123456789ABCDEFFEDCBA9876543210"

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func macFunc(t testing.TB, alg, key string) func([]byte) ([]byte, error) {
	t.Helper()
	k, err := keys.ParseHexKey(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := keys.ParseMACAlgorithm(alg)
	if err != nil {
		t.Fatal(err)
	}
	return func(mab []byte) ([]byte, error) { return keys.MAC(a, k, mab) }
}

// goldenRequests mirror the internal test requests: one per transaction type.
func goldenRequests(t testing.TB) map[string]iso8583.Request {
	t.Helper()
	pan, err := carddata.ParsePAN("6222021234567890128")
	if err != nil {
		t.Fatal(err)
	}
	track, err := carddata.ParseTrack2("6222021234567890128=30121010123456789")
	if err != nil {
		t.Fatal(err)
	}
	pin := carddata.NewPINBlock(unhex(t, "A1B2C3D4E5F60718"))
	amt := money.New(12345, money.CNY)
	icc := unhex(t, "9F2608A1B2C3D4E5F60718 9F270180 9F3704 12345678 9F3602001E 950500000000 00 9A03261127 9C0100 9F0206000000012345 5F2A020156 82027C00 9F1A020156 9F7400")
	term := iso8583.Terminal{TerminalID: "12345678", MerchantID: "123456789012345"}
	base := iso8583.Request{Terminal: term, STAN: 42, Batch: 7, Operator: "01"}
	orig := iso8583.Original{Type: txtype.Sale, Batch: 7, STAN: 41, Date: "1127", RRN: "123456789012", AuthCode: "A1B2C3"}
	pre := orig
	pre.Type = txtype.PreAuth
	r := func(f func(r *iso8583.Request)) iso8583.Request { x := base; f(&x); return x }
	return map[string]iso8583.Request{
		"sign-in":        r(func(x *iso8583.Request) { x.Type = txtype.SignIn }),
		"sign-off":       r(func(x *iso8583.Request) { x.Type = txtype.SignOff }),
		"echo":           r(func(x *iso8583.Request) { x.Type = txtype.Echo }),
		"param-download": r(func(x *iso8583.Request) { x.Type = txtype.ParamDownload }),
		"settlement": r(func(x *iso8583.Request) {
			x.Type = txtype.Settlement
			x.Totals = &iso8583.Totals{DebitAmount: 1234567, DebitCount: 12, CreditAmount: 500, CreditCount: 1}
		}),
		"sale-swipe-pin": r(func(x *iso8583.Request) {
			x.Type, x.Amount, x.Track2, x.Entry, x.PINBlock = txtype.Sale, amt, track, txtype.EntryMagstripe, pin
		}),
		"sale-swipe-nopin": r(func(x *iso8583.Request) {
			x.Type, x.Amount, x.Track2, x.Entry = txtype.Sale, amt, track, txtype.EntryMagstripe
		}),
		"sale-chip-pin": r(func(x *iso8583.Request) {
			x.Type, x.Amount, x.PAN, x.Track2, x.Expiry, x.Entry, x.PINBlock, x.CardSeq, x.ICC =
				txtype.Sale, amt, pan, track, "3012", txtype.EntryChip, pin, "001", icc
		}),
		"sale-contactless-pin": r(func(x *iso8583.Request) {
			x.Type, x.Amount, x.PAN, x.Expiry, x.Entry, x.PINBlock, x.CardSeq, x.ICC =
				txtype.Sale, amt, pan, "3012", txtype.EntryContactless, pin, "001", icc
		}),
		"sale-fallback": r(func(x *iso8583.Request) {
			x.Type, x.Amount, x.Track2, x.Entry, x.PINBlock = txtype.Sale, amt, track, txtype.EntryFallback, pin
		}),
		"balance": r(func(x *iso8583.Request) {
			x.Type, x.Amount, x.Track2, x.Entry, x.PINBlock = txtype.Balance, money.Amount{Currency: money.CNY}, track, txtype.EntryMagstripe, pin
		}),
		"void": r(func(x *iso8583.Request) {
			x.Type, x.Amount, x.Track2, x.Entry, x.Original = txtype.Void, amt, track, txtype.EntryMagstripe, &orig
		}),
		"refund": r(func(x *iso8583.Request) {
			x.Type, x.Amount, x.Track2, x.Entry, x.Original = txtype.Refund, amt, track, txtype.EntryMagstripe, &orig
		}),
		"preauth": r(func(x *iso8583.Request) {
			x.Type, x.Amount, x.Track2, x.Entry, x.PINBlock = txtype.PreAuth, amt, track, txtype.EntryMagstripe, pin
		}),
		"preauth-void": r(func(x *iso8583.Request) {
			x.Type, x.Amount, x.Track2, x.Entry, x.Original = txtype.PreAuthVoid, amt, track, txtype.EntryMagstripe, &pre
		}),
		"preauth-completion": r(func(x *iso8583.Request) {
			x.Type, x.Amount, x.Track2, x.Entry, x.Original = txtype.PreAuthCompletion, amt, track, txtype.EntryMagstripe, &pre
		}),
		"reversal-sale": r(func(x *iso8583.Request) {
			o := orig
			o.STAN, o.Date, o.RRN = 42, "", ""
			x.Type, x.STAN, x.Amount, x.PAN, x.Expiry, x.Entry, x.CardSeq, x.ICC, x.Original, x.Reason =
				txtype.Reversal, 43, amt, pan, "3012", txtype.EntryChip, "001", icc, &o, "98"
		}),
	}
}

// goldenFrame compares a frame with testdata/host/<name>.hex (-update rewrites it)
// and returns the golden text, for the checks made on the golden bytes themselves.
func goldenFrame(t *testing.T, name string, raw []byte) []byte {
	t.Helper()
	got := strings.ToUpper(hex.EncodeToString(raw)) + "\n"
	path := filepath.Join(goldenDir, name+".hex")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-golden +got):\n%s", path, diff)
	}
	return want
}

// TestGolden packs every request (CUP ECB MAC under testMAK) into a frame and
// compares it byte for byte with testdata/host/<name>.hex; -update rewrites them.
func TestGolden(t *testing.T) {
	mac := macFunc(t, "cup-ecb", testMAK)
	reqs := goldenRequests(t)
	names := make([]string, 0, len(reqs))
	for n := range reqs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			msg, err := iso8583.CUP.Build(reqs[name])
			if err != nil {
				t.Fatal(err)
			}
			m := mac
			if ty := reqs[name].Type; ty == txtype.SignIn || ty == txtype.Echo || ty == txtype.SignOff {
				m = nil // sign-in, sign-off and echo carry no MAC (no MAK before sign-in); the parameter download does [unconfirmed]
			}
			body, err := iso8583.CUP.Pack(msg, m)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := frame.Frame{TPDU: iso8583.CUP.TPDU, Header: iso8583.CUP.Header, Body: body}.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			want := goldenFrame(t, name, raw)
			// The golden frame decodes, and its MAC verifies over the raw bytes.
			f, err := frame.Parse(unhex(t, string(want)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := iso8583.CUP.Unpack(f.Body); err != nil {
				t.Fatal(err)
			}
			if m != nil {
				mab, gotMAC, err := iso8583.MACInput(f.Body)
				if err != nil {
					t.Fatal(err)
				}
				wantMAC, _ := m(mab)
				if diff := cmp.Diff(wantMAC, gotMAC); diff != "" {
					t.Errorf("golden MAC does not verify (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// realSale is a real CUP POS request frame published with its MAK (cnblogs
// q/128930): scanned-code sale, F22 030, F25 99, 19-digit F60, TLVs in F62.
const realSale = `007F 6000030000 603210320072
0200 3020048000C08015 000000 000000001234 000002 0300 99
3030303030303031 393532373138313832323137383735 313536
0019 26000001000600000000
0043 5F0112323834343132333435363738393031323334 5F0306313630303336 5F0406323030383236 5C023031
4233413039324145`

func TestRealMessage(t *testing.T) {
	raw := unhex(t, realSale)
	f, err := frame.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := iso8583.CUP.Unpack(f.Body)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int]string{3: "000000", 4: "000000001234", 11: "000002", 22: "030", 25: "99",
		41: "00000001", 42: "952718182217875", 49: "156", 60: "2600000100060000000"} {
		if got, _ := msg.GetString(id); got != want {
			t.Errorf("field %d = %q, want %q", id, got, want)
		}
	}
	mab, got, err := iso8583.MACInput(f.Body)
	if err != nil {
		t.Fatal(err)
	}
	want, err := macFunc(t, "cup-ecb", "0723C80DB5F4CD3D0723C80DB5F4CD3D")(mab)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "B3A092AE" || string(want) != string(got) {
		t.Errorf("real MAC: received %q, computed %q", got, want)
	}
	verify := macFunc(t, "cup-ecb", "0723C80DB5F4CD3D0723C80DB5F4CD3D")
	if err := iso8583.VerifyMAC(f.Body, verify); err != nil {
		t.Errorf("VerifyMAC(real message) = %v", err)
	}
	for _, i := range []int{0, 20, len(f.Body) - 9, len(f.Body) - 1} {
		bad := append([]byte(nil), f.Body...)
		bad[i] ^= 0x01
		if err := iso8583.VerifyMAC(bad, verify); !errors.Is(err, iso8583.ErrBadMAC) {
			t.Errorf("VerifyMAC with byte %d flipped = %v, want ErrBadMAC", i, err)
		}
	}
	j, err := iso8583.CUP.DecodeJSON(raw, true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(j), `{"length":127,"tpdu":"6000030000","header":"603210320072","mti":"0200","fields":{"3":"000000"`) ||
		!strings.Contains(string(j), `"62":"5F01123238`) || !strings.HasSuffix(string(j), `"64":"4233413039324145"}}`) {
		t.Errorf("DecodeJSON = %s", j)
	}
}

// TestRealContactlessSale decodes a real CUP contactless sale request (public
// blog post, MAK unknown): F22 071, F23 000, F26 12, 14-digit F60 with 60.4 = 6,
// F59 terminal info, 19 ICC tags. The JSON is golden (real-contactless-sale.json).
func TestRealContactlessSale(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(goldenDir, "real-contactless-sale.hex"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := iso8583.CUP.DecodeJSON(unhex(t, string(raw)), true)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(goldenDir, "real-contactless-sale.json")
	if *update {
		if err := os.WriteFile(path, append(j, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.TrimSpace(string(want)), string(j)); diff != "" {
		t.Errorf("%s (-golden +got):\n%s", path, diff)
	}
	f, err := frame.Parse(unhex(t, string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := iso8583.CUP.Unpack(f.Body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := iso8583.CUP.ParseRequest(msg)
	if err != nil {
		t.Fatal(err)
	}
	if req.Type != txtype.Sale || req.Entry != txtype.EntryContactless || req.PINBlock.IsZero() ||
		req.Amount.Minor != 1 || req.STAN != 403 || req.Batch != 24 || req.PAN.Last4() != "0113" {
		t.Errorf("ParseRequest = %+v", req)
	}
	if got := iso8583.SplitField60(mustString(t, msg, 60)); got.ReadCapability != "6" || got.Rest != "0" {
		t.Errorf("field 60 = %+v", got)
	}
}

func mustString(t *testing.T, msg interface{ GetString(int) (string, error) }, id int) string {
	t.Helper()
	s, err := msg.GetString(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
