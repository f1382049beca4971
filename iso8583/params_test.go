package iso8583

import (
	"errors"
	"strings"
	"testing"
	"time"

	"countertop/internal/txtype"

	"github.com/google/go-cmp/cmp"
)

func TestParamsRoundTrip(t *testing.T) {
	p := Params{MerchantName: "测试商户 HOST PARAMS", SlipCopies: 1, ReversalRetries: 10}
	b, err := EncodeParams(p)
	if err != nil {
		t.Fatal(err)
	}
	// 01 + length 024 + 24 bytes of UTF-8, then 02 001 1, then 03 002 10.
	if want := "01024测试商户 HOST PARAMS020011030021" + "0"; string(b) != want {
		t.Errorf("EncodeParams = %q, want %q", b, want)
	}
	got, err := ParseParams(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("ParseParams(EncodeParams(p)) (-want +got):\n%s", diff)
	}
	// Records in another order, and one this terminal does not use.
	got, err = ParseParams([]byte("030013" + "99003abc" + "01004ABCD"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Params{MerchantName: "ABCD", ReversalRetries: 3, Unknown: []string{"99"}}); !cmp.Equal(want, got) {
		t.Errorf("ParseParams(reordered) = %+v, want %+v", got, want)
	}
}

func TestParamsRefused(t *testing.T) {
	for name, in := range map[string]string{
		"empty":              "",
		"short header":       "0100",
		"letters in id":      "A1003abc",
		"letters in length":  "0100Xabc",
		"value cut short":    "01010abc",
		"id twice":           "020011020012",
		"copies 4":           "020014",
		"copies 0":           "020010",
		"retries 11":         "0300211",
		"copies not digits":  "02001x",
		"signed number":      "03002+3",
		"empty name":         "01000",
		"name of 41 bytes":   "01041" + strings.Repeat("A", 41),
		"control in name":    "01003A\nB",
		"invalid utf-8 name": "01002\xff\xfe",
	} {
		if p, err := ParseParams([]byte(in)); !errors.Is(err, ErrParams) {
			t.Errorf("%s: ParseParams = %+v, %v; want ErrParams", name, p, err)
		}
	}
	if _, err := EncodeParams(Params{}); !errors.Is(err, ErrParams) {
		t.Errorf("EncodeParams(nothing) = %v, want ErrParams", err)
	}
	if _, err := EncodeParams(Params{SlipCopies: 9}); !errors.Is(err, ErrParams) {
		t.Errorf("EncodeParams(9 copies) = %v, want ErrParams", err)
	}
}

// A parameter download is an 0800 with 60.3 360, told apart from a sign-in whatever
// the order typeOf walks its map in, and its 0810 brings field 62 back whole.
func TestParamDownloadExchange(t *testing.T) {
	f62, err := EncodeParams(Params{MerchantName: "SHOP", SlipCopies: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []txtype.Type{txtype.ParamDownload, txtype.SignIn} {
		req := Request{Type: typ, Terminal: testTerminal, STAN: 9, Batch: 3, Operator: "01"}
		msg, err := CUP.Build(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := CUP.Pack(msg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			back, err := CUP.Unpack(body)
			if err != nil {
				t.Fatal(err)
			}
			got, err := CUP.ParseRequest(back)
			if err != nil || got.Type != typ {
				t.Fatalf("ParseRequest(%s) = %s, %v", typ, got.Type, err)
			}
		}
		rep := Reply{RespCode: "00", HostTime: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), Batch: 3, Field62: f62}
		rmsg, err := CUP.BuildReply(msg, rep)
		if err != nil {
			t.Fatal(err)
		}
		rbody, err := CUP.Pack(rmsg, nil)
		if err != nil {
			t.Fatal(err)
		}
		back, err := CUP.Unpack(rbody)
		if err != nil {
			t.Fatal(err)
		}
		got, err := CUP.ParseReply(back)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := ParseParams(got.Field62); typ == txtype.ParamDownload && (err != nil || p.MerchantName != "SHOP") {
			t.Errorf("%s reply: field 62 gives %+v, %v", typ, p, err)
		}
	}
}

// FuzzParseParams: never a panic, and what it accepts encodes to parameters that
// parse back the same (unknown records dropped).
func FuzzParseParams(f *testing.F) {
	f.Add([]byte("01024测试商户 HOST PARAMS0200110300210"))
	f.Add([]byte("030013" + "99003abc"))
	f.Add([]byte("01000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseParams(b)
		if err != nil {
			return
		}
		if p.MerchantName == "" && p.SlipCopies == 0 && p.ReversalRetries == 0 {
			return // only records this terminal does not use
		}
		enc, err := EncodeParams(p)
		if err != nil {
			t.Fatalf("accepted %+v does not encode: %v", p, err)
		}
		again, err := ParseParams(enc)
		p.Unknown = nil
		if err != nil || !cmp.Equal(p, again) {
			t.Fatalf("re-parse of %q = %+v, %v; want %+v", enc, again, err, p)
		}
	})
}
