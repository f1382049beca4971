package iso8583

import (
	"bytes"
	"encoding/hex"
	"errors"
	"github.com/moov-io/iso8583/field"
	"strconv"
	"strings"
	"testing"
	"time"

	"countertop/internal/carddata"
	"countertop/internal/money"
	"countertop/internal/txtype"

	"github.com/google/go-cmp/cmp"
	moov "github.com/moov-io/iso8583"
)

func TestSpecValid(t *testing.T) {
	for _, spec := range []*moov.MessageSpec{CUP.Spec, cupSpec("stock", stockEncoders, 8)} {
		if err := spec.Validate(); err != nil {
			t.Fatalf("%s: %v", spec.Name, err)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("NewMessage(%s) panicked: %v", spec.Name, r)
				}
			}()
			moov.NewMessage(spec)
		}()
	}
	if _, err := NewDialect(Dialect{Name: "empty"}); err == nil {
		t.Error("NewDialect without a spec succeeded")
	}
}

// packField packs one field value with the CUP spec and returns its bytes.
func packField(t *testing.T, id int, v string) []byte {
	t.Helper()
	f := CUP.Spec.Fields[id]
	inst := field.NewInstanceOf(f)
	if err := inst.SetBytes([]byte(v)); err != nil {
		t.Fatal(err)
	}
	b, err := inst.Pack()
	if err != nil {
		t.Fatalf("pack field %d: %v", id, err)
	}
	return b
}

// TestFieldTraps pins the packings the doc warns about.
func TestFieldTraps(t *testing.T) {
	tests := []struct {
		name string
		id   int
		v    string
		want string
	}{
		{"F22 left-aligned", 22, "071", "0710"},
		{"F22 swipe with PIN", 22, "021", "0210"},
		{"F23 right-aligned", 23, "001", "0001"},
		{"F2 odd length 19", 2, testPAN, "19" + "62220212345678901280"},
		{"F2 even length 16", 2, "6222021234567890", "16" + "6222021234567890"},
		{"F35 track with D", 35, "6222021234567890128D30121010123456789", "37" + "6222021234567890128D301210101234567890"},
		{"F35 '=' packs as D", 35, "6222021234567890128=30121010123456789", "37" + "6222021234567890128D301210101234567890"},
		{"F60 LLLVAR odd", 60, "2200000700050", "0013" + "22000007000500"},
		{"F60 LLLVAR even", 60, "22000024000600", "0014" + "22000024000600"},
		{"F3 fixed", 3, "000000", "000000"},
		{"F4 amount", 4, "000000012345", "000000012345"},
		{"F63 LLLVAR text", 63, "01 ", "0003" + "303120"},
		{"F32 odd", 32, "12345678901", "11" + "123456789010"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.ToUpper(hex.EncodeToString(packField(t, tt.id, tt.v)))
			if got != strings.ToUpper(tt.want) {
				t.Errorf("field %d %q packs as %s, want %s", tt.id, tt.v, got, strings.ToUpper(tt.want))
			}
			// and back
			f := field.NewInstanceOf(CUP.Spec.Fields[tt.id])
			n, err := f.Unpack(unhex(t, tt.want))
			if err != nil {
				t.Fatal(err)
			}
			s, _ := f.String()
			want := strings.ReplaceAll(tt.v, "=", "D")
			if s != want || n != len(tt.want)/2 {
				t.Errorf("unpack = %q (%d bytes), want %q (%d)", s, n, want, len(tt.want)/2)
			}
		})
	}
}

func TestEncoderStrict(t *testing.T) {
	bad := []struct {
		name string
		enc  interface {
			Decode([]byte, int) ([]byte, int, error)
		}
		in []byte
		n  int
	}{
		{"lbcd pad not 0", LBCD, []byte{0x07, 0x1F}, 3},
		{"bcd pad not 0", BCD, []byte{0x10, 0x01}, 3},
		{"bcd nibble A", BCD, []byte{0x1A}, 2},
		{"bcd short", BCD, []byte{0x12}, 4},
		{"track pad not 0", Track, []byte{0x12, 0x3F}, 3},
		{"track short", Track, []byte{0x12}, 3},
		{"negative", BCD, []byte{0x12}, -1},
	}
	for _, tt := range bad {
		if _, _, err := tt.enc.Decode(tt.in, tt.n); err == nil {
			t.Errorf("%s: decoded", tt.name)
		}
	}
	if _, err := BCD.Encode([]byte("12a")); err == nil {
		t.Error("BCD encoded a letter")
	}
	if _, err := Track.Encode([]byte("12?")); err == nil {
		t.Error("Track encoded '?'")
	}
	if _, _, err := BCDLen.LLL.DecodeLength(999, []byte{0x10, 0x11}); err == nil {
		t.Error("LLL prefix with a non-zero pad nibble decoded")
	}
	if _, _, err := BCDLen.LL.DecodeLength(19, []byte{0x20}); err == nil {
		t.Error("LL prefix above the maximum decoded")
	}
	// Ours and moov's stock encoders agree on every digit string they both accept.
	for _, s := range []string{"", "0", "7", "071", "001", "123456", "6222021234567890128"} {
		for _, pair := range [][2]interface{ Encode([]byte) ([]byte, error) }{{BCD, stockEncoders.bcd}, {LBCD, stockEncoders.lbcd}} {
			a, _ := pair[0].Encode([]byte(s))
			b, _ := pair[1].Encode([]byte(s))
			if !bytes.Equal(a, b) {
				t.Errorf("%q: ours %X, moov %X", s, a, b)
			}
		}
	}
}

// TestRoundTrip builds, packs and unpacks every test request, then recovers it with
// ParseRequest.
func TestRoundTrip(t *testing.T) {
	for name, req := range testRequests(t) {
		t.Run(name, func(t *testing.T) {
			msg, err := CUP.Build(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := CUP.Pack(msg, func([]byte) ([]byte, error) { return []byte("ABCDEF12"), nil })
			if err != nil {
				t.Fatal(err)
			}
			back, err := CUP.Unpack(body)
			if err != nil {
				t.Fatal(err)
			}
			got, err := CUP.ParseRequest(back)
			if err != nil {
				t.Fatal(err)
			}
			want := expectedParse(req)
			if diff := cmp.Diff(want, got, cardCmp); diff != "" {
				t.Errorf("ParseRequest(Build(x)) (-want +got):\n%s", diff)
			}
		})
	}
}

// expectedParse is what ParseRequest can recover of req: what the message carries.
func expectedParse(req Request) Request {
	w := req
	if w.Operator == "" {
		w.Operator = "01"
	}
	if w.Type == txtype.Echo {
		w.Operator = ""
	}
	if w.Type == txtype.SignIn && w.KeyScheme == "" {
		w.KeyScheme = CUP.KeyScheme
	}
	if w.Expiry == "" && !w.Track2.IsZero() {
		w.Expiry = w.Track2.Expiry()
	}
	if w.PAN.IsZero() && !w.Track2.IsZero() {
		w.PAN = w.Track2.PAN()
	}
	if w.Original != nil {
		o := *w.Original
		switch w.Type {
		case txtype.Void, txtype.CompletionVoid:
			o.Type, o.Date, o.AuthCode = txtype.Unknown, "", ""
		case txtype.Refund:
			o.Type, o.AuthCode = txtype.Unknown, ""
		case txtype.PreAuthVoid, txtype.PreAuthCompletion:
			o.Type, o.RRN = txtype.Unknown, ""
		case txtype.Reversal:
			w.Batch = o.Batch
			w.STAN = o.STAN
			w.Operator = ""
		}
		w.Original = &o
	}
	if w.Type == txtype.Balance {
		w.Amount = money.Amount{}
	}
	if w.Type == txtype.Reversal {
		w.PINBlock = carddata.PINBlock{}
		w.Track2 = carddata.Track2{}
	}
	return w
}

func TestBuildErrors(t *testing.T) {
	reqs := testRequests(t)
	cases := map[string]struct {
		req  Request
		want error
	}{
		"settlement no totals":     {Request{Type: txtype.Settlement, Terminal: testTerminal}, ErrMissing},
		"batch upload no original": {Request{Type: txtype.BatchUpload, Terminal: testTerminal}, ErrMissing},
		"short tid":                {func() Request { r := reqs["sale-swipe-pin"]; r.Terminal.TerminalID = "123"; return r }(), ErrMissing},
		"no card":                  {func() Request { r := reqs["sale-swipe-pin"]; r.Track2 = carddata.Track2{}; return r }(), ErrMissing},
		"void no original":         {func() Request { r := reqs["void"]; r.Original = nil; return r }(), ErrMissing},
		"reversal no orig":         {func() Request { r := reqs["reversal-sale"]; r.Original = nil; return r }(), ErrMissing},
		"reversal of echo": {func() Request {
			r := reqs["reversal-sale"]
			o := *r.Original
			o.Type = txtype.Echo
			r.Original = &o
			return r
		}(), ErrUnsupported},
		"reversal no reason": {func() Request { r := reqs["reversal-sale"]; r.Reason = ""; return r }(), ErrMissing},
		"bad key scheme":     {func() Request { r := reqs["sign-in"]; r.KeyScheme = "3"; return r }(), ErrMissing},
	}
	for name, tc := range cases {
		if _, err := CUP.Build(tc.req); !errors.Is(err, tc.want) {
			t.Errorf("%s: Build = %v, want %v", name, err, tc.want)
		}
	}
}

func TestUnpackStrict(t *testing.T) {
	msg, err := CUP.Build(testRequests(t)["sale-chip-pin"])
	if err != nil {
		t.Fatal(err)
	}
	body, err := CUP.Pack(msg, func([]byte) ([]byte, error) { return make([]byte, 8), nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CUP.Unpack(body); err != nil {
		t.Fatalf("good body: %v", err)
	}
	if _, err := CUP.Unpack(append(append([]byte(nil), body...), 0x00)); !errors.Is(err, ErrTrailing) {
		t.Errorf("trailing byte: %v, want ErrTrailing", err)
	}
	for n := 0; n < len(body); n++ {
		if _, err := CUP.Unpack(body[:n]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("body cut to %d of %d bytes: %v, want ErrMalformed", n, len(body), err)
		}
	}
	b1 := append([]byte(nil), body...)
	b1[2] |= 0x80
	if _, err := CUP.Unpack(b1); !errors.Is(err, ErrMalformed) {
		t.Errorf("bitmap bit 1: %v, want ErrMalformed", err)
	}
	b5 := append([]byte(nil), body...)
	b5[2] |= 0x08 // field 5: not in the spec
	_, err = CUP.Unpack(b5)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "field 5") {
		t.Errorf("field 5: %v, want ErrMalformed naming field 5", err)
	}
	// A truncated field is named and the error never quotes the PAN.
	_, err = CUP.Unpack(body[:15])
	if err == nil || !strings.Contains(err.Error(), "field 2") || strings.Contains(err.Error(), "622202") {
		t.Errorf("truncated PAN: %v", err)
	}
}

func TestMACInput(t *testing.T) {
	msg, err := CUP.Build(testRequests(t)["sale-swipe-pin"])
	if err != nil {
		t.Fatal(err)
	}
	var seen []byte
	body, err := CUP.Pack(msg, func(mab []byte) ([]byte, error) {
		seen = append([]byte(nil), mab...)
		return []byte("0123ABCD"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mab, mac, err := MACInput(body)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(seen, mab); diff != "" {
		t.Errorf("MACInput MAB differs from what Pack MACed (-pack +input):\n%s", diff)
	}
	if string(mac) != "0123ABCD" {
		t.Errorf("mac = %q", mac)
	}
	if !bytes.Equal(append(append([]byte(nil), mab...), mac...), body) {
		t.Error("MAB + MAC is not the body")
	}
	got, _ := msg.GetBytes(64)
	if string(got) != "0123ABCD" {
		t.Errorf("message field 64 = %q", got)
	}
	noMAC, _ := CUP.Pack(must(CUP.Build(testRequests(t)["echo"])), nil)
	if _, _, err := MACInput(noMAC); !errors.Is(err, ErrNoMAC) {
		t.Errorf("MACInput without field 64: %v, want ErrNoMAC", err)
	}
	if _, err := CUP.Pack(must(CUP.Build(testRequests(t)["echo"])), func([]byte) ([]byte, error) { return []byte{1}, nil }); err == nil {
		t.Error("Pack accepted a 1-byte MAC")
	}
}

func must(m *moov.Message, err error) *moov.Message {
	if err != nil {
		panic(err)
	}
	return m
}

func TestResponseMTI(t *testing.T) {
	for in, want := range map[string]string{"0200": "0210", "0800": "0810", "0400": "0410", "0220": "0230", "0820": "0830", "0210": "", "020": "", "0500": "0510"} {
		if got := ResponseMTI(in); got != want {
			t.Errorf("ResponseMTI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReplyRoundTrip(t *testing.T) {
	d := *CUP
	d.Now = func() time.Time { return fixedNow }
	d.Location = time.UTC
	bal := money.New(-150, money.CNY)
	cases := map[string]Reply{
		"sale-chip-pin": {RespCode: "00", AuthCode: "123456", RRN: "261127000123", HostTime: fixedNow.Add(-time.Minute),
			SettleDate: "1127", Issuer: "01020000", Acquirer: "48020000", ICC: unhex(t, "910A1122334455667788303072008A023030")},
		"sign-in":    {RespCode: "00", HostTime: time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), Batch: 8, Field62: bytes.Repeat([]byte{0xAB}, 24), RRN: "000000000001"},
		"balance":    {RespCode: "00", RRN: "261127000124", Balance: &bal},
		"void":       {RespCode: "51", RRN: "261127000125"},
		"settlement": {RespCode: "00", RRN: "261127000126", SettleResult: "12"},
	}
	for name, rep := range cases {
		t.Run(name, func(t *testing.T) {
			req, err := d.Build(testRequests(t)[name])
			if err != nil {
				t.Fatal(err)
			}
			rmsg, err := d.BuildReply(req, rep)
			if err != nil {
				t.Fatal(err)
			}
			body, err := d.Pack(rmsg, nil)
			if err != nil {
				t.Fatal(err)
			}
			back, err := d.Unpack(body)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.ParseReply(back)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(rep, got); diff != "" {
				t.Errorf("ParseReply(BuildReply(x)) (-want +got):\n%s", diff)
			}
			for _, id := range []int{2, 3, 4, 11, 41, 42} {
				if getString(req, id) != getString(back, id) {
					t.Errorf("field %d not echoed", id)
				}
			}
			mti, _ := back.GetMTI()
			rq, _ := req.GetMTI()
			if mti != ResponseMTI(rq) {
				t.Errorf("reply MTI %s to %s", mti, rq)
			}
		})
	}
	// A request is not a reply.
	req, _ := d.Build(testRequests(t)["echo"])
	if _, err := d.ParseReply(req); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseReply(request) = %v, want ErrMalformed", err)
	}
}

func TestDecodeJSON(t *testing.T) {
	msg, err := CUP.Build(testRequests(t)["sale-chip-pin"])
	if err != nil {
		t.Fatal(err)
	}
	body, err := CUP.Pack(msg, func([]byte) ([]byte, error) { return []byte("B3A092AE"), nil })
	if err != nil {
		t.Fatal(err)
	}
	got, err := CUP.DecodeJSON(body, false)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"mti":"0200","fields":{"2":"6222021234567890128","3":"000000","4":"000000012345","11":"000042",` +
		`"14":"3012","22":"051","23":"001","25":"00","26":"06","35":"6222021234567890128D30121010123456789",` +
		`"41":"12345678","42":"123456789012345","49":"156","52":"A1B2C3D4E5F60718","53":"2600000000000000",` +
		`"55":"` + strings.ToUpper(hex.EncodeToString(testRequests(t)["sale-chip-pin"].ICC)) + `",` +
		`"60":"22000007000500","63":"01 ","64":"4233413039324145"},"icc":[`
	if !strings.HasPrefix(string(got), want) {
		t.Errorf("DecodeJSON =\n%s\nwant prefix\n%s", got, want)
	}
	if !strings.Contains(string(got), `{"tag":"9F26","len":8,"value":"A1B2C3D4E5F60718"}`) ||
		!strings.HasSuffix(string(got), `{"tag":"9F74","len":0,"value":""}]}`) {
		t.Errorf("icc list wrong: %s", got)
	}
	framed := append([]byte{byte((len(body) + 11) >> 8), byte(len(body) + 11)}, unhex(t, "6000030000603100310000")...)
	framed = append(framed, body...)
	fj, err := CUP.DecodeJSON(framed, true)
	if err != nil {
		t.Fatal(err)
	}
	wantHead := `{"length":` + strconv.Itoa(len(body)+11) + `,"tpdu":"6000030000","header":"603100310000","mti":"0200"`
	if !strings.HasPrefix(string(fj), wantHead) {
		t.Errorf("framed DecodeJSON = %s", fj[:80])
	}
	for name, in := range map[string][]byte{
		"length too big": append([]byte{framed[0], framed[1] + 1}, framed[2:]...),
		"trailing":       append(append([]byte(nil), framed...), 0),
		"truncated":      framed[:len(framed)-3],
	} {
		if _, err := CUP.DecodeJSON(in, true); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	if _, err := CUP.DecodeJSON(append(append([]byte(nil), body...), 0), false); !errors.Is(err, ErrTrailing) {
		t.Errorf("body with a trailing byte: %v, want ErrTrailing", err)
	}
}

func TestDescribeMasks(t *testing.T) {
	req := testRequests(t)["sale-chip-pin"]
	msg, err := CUP.Build(req)
	if err != nil {
		t.Fatal(err)
	}
	out := CUP.Describe(msg)
	for _, secret := range []string{testPAN, "622202123456", "D3012", "A1B2C3D4", strings.ToUpper(hex.EncodeToString(req.ICC[:8])), "3012"} {
		if strings.Contains(strings.ToUpper(out), strings.ToUpper(secret)) {
			t.Errorf("Describe shows %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"***************0128", "[PIN block]", "[track, 37 nibbles]", "F4   000000012345", "MTI 0200"} {
		if !strings.Contains(out, want) {
			t.Errorf("Describe lacks %q:\n%s", want, out)
		}
	}
}

func TestParseTLVs(t *testing.T) {
	tlvs, err := ParseTLVs(unhex(t, "9F260811223344556677889F7400710072039F1800"))
	if err != nil {
		t.Fatal(err)
	}
	want := []TLV{{"9F26", 8, "1122334455667788"}, {"9F74", 0, ""}, {"71", 0, ""}, {"72", 3, "9F1800"}}
	if diff := cmp.Diff(want, tlvs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"9F", "9F26", "9F2608112233", "9F2682", "9F2684000000000000"} {
		if _, err := ParseTLVs(unhex(t, bad)); err == nil {
			t.Errorf("ParseTLVs(%s) accepted", bad)
		}
	}
}

func TestSplitField60(t *testing.T) {
	for in, want := range map[string]Field60{
		"2200000700050":       {Type: "22", Batch: "000007", Net: "000", ReadCapability: "5", ICCondition: "0"},
		"0000000700003":       {Type: "00", Batch: "000007", Net: "000", ReadCapability: "0", ICCondition: "3"},
		"00000007003":         {Type: "00", Batch: "000007", Net: "003"},
		"2600000100060000000": {Type: "26", Batch: "000001", Net: "000", ReadCapability: "6", ICCondition: "0", Rest: "000000"},
		"2":                   {Type: "2"},
	} {
		got := SplitField60(in)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("SplitField60(%q) (-want +got):\n%s", in, diff)
		}
		if got.String() != in {
			t.Errorf("String() = %q, want %q", got.String(), in)
		}
	}
}

func TestHostTimeYear(t *testing.T) {
	d := *CUP
	d.Location = time.UTC
	d.Now = func() time.Time { return time.Date(2027, 1, 1, 0, 0, 30, 0, time.UTC) }
	got, ok := d.hostTime("1231", "235959")
	if want := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC); !ok || !got.Equal(want) {
		t.Errorf("hostTime across new year = %v, want %v", got, want)
	}
	d.Now = func() time.Time { return time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC) }
	if got, ok := d.hostTime("0229", "120000"); !ok || got.Year() != 2028 {
		t.Errorf("hostTime 29 Feb = %v %t, want the next leap year", got, ok)
	}
	if _, ok := d.hostTime("1332", "120000"); ok {
		t.Error("hostTime accepted month 13")
	}
}

func TestCardSeqPadded(t *testing.T) {
	req := testRequests(t)["sale-chip-pin"]
	req.CardSeq = "01" // as read from tag 5F34
	msg, err := CUP.Build(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := getString(msg, 23); got != "001" {
		t.Errorf("field 23 = %q, want 001", got)
	}
}

// TestConcurrentUse runs the shared CUP dialect from several goroutines (the
// terminal link and the acquirer simulator share it); run with -race.
func TestConcurrentUse(t *testing.T) {
	reqs := testRequests(t)
	done := make(chan error)
	for _, name := range []string{"sale-chip-pin", "void", "sign-in", "reversal-sale"} {
		go func() {
			var err error
			for i := 0; i < 50 && err == nil; i++ {
				var msg *moov.Message
				msg, err = CUP.Build(reqs[name])
				if err != nil {
					break
				}
				var body []byte
				body, err = CUP.Pack(msg, nil)
				if err != nil {
					break
				}
				_, err = CUP.Unpack(body)
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// After a restart the journal holds no clear PAN: the reversal must still go out,
// identified by terminal, STAN, batch and amount, while a sale without a card number
// is refused.
func TestReversalWithoutCardNumber(t *testing.T) {
	reqs := testRequests(t)
	rev := reqs["reversal-sale"]
	rev.PAN, rev.ICC, rev.CardSeq = carddata.PAN{}, nil, ""
	msg, err := CUP.Build(rev)
	if err != nil {
		t.Fatalf("Build(reversal without PAN): %v", err)
	}
	body, err := CUP.Pack(msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	back, err := CUP.Unpack(body)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := back.GetString(2); f != "" {
		t.Errorf("field 2 = %q, want absent", f)
	}
	if f, _ := back.GetString(39); f != "98" {
		t.Errorf("field 39 = %q, want 98", f)
	}
	if f, _ := back.GetString(11); f != rev.Original.STAN.String() {
		t.Errorf("field 11 = %q, want the original STAN %s", f, rev.Original.STAN)
	}
	sale := reqs["sale-swipe-pin"]
	sale.PAN, sale.Track2 = carddata.PAN{}, carddata.Track2{}
	if _, err := CUP.Build(sale); !errors.Is(err, ErrMissing) {
		t.Errorf("Build(sale without PAN) error = %v, want ErrMissing", err)
	}
}

// Batch upload: one 0320 per transaction (60.3 201) with the original's card,
// amount, RRN, auth code and batch/trace, then the batch end (60.3 202) with the
// count in field 48; both round-trip and parse back to their types.
func TestBatchUploadMessages(t *testing.T) {
	reqs := testRequests(t)
	sale := reqs["sale-swipe-pin"]
	up := Request{Type: txtype.BatchUpload, Terminal: sale.Terminal, STAN: 77, Batch: 3, Operator: "01",
		Amount: sale.Amount, PAN: sale.Track2.PAN(), Entry: txtype.EntryMagstripe,
		Original: &Original{Type: txtype.Sale, Batch: 3, STAN: 12, RRN: "123456789012", AuthCode: "654321"}}
	end := Request{Type: txtype.BatchEnd, Terminal: sale.Terminal, STAN: 78, Batch: 3, Operator: "01", Count: 5}
	for name, req := range map[string]Request{"upload": up, "end": end} {
		msg, err := CUP.Build(req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		body, err := CUP.Pack(msg, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		back, err := CUP.Unpack(body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if mti, _ := back.GetMTI(); mti != "0320" {
			t.Errorf("%s: MTI %s", name, mti)
		}
		got, err := CUP.ParseRequest(back)
		if err != nil || got.Type != req.Type {
			t.Fatalf("%s: ParseRequest = %v, %v", name, got.Type, err)
		}
		f60, _ := back.GetString(60)
		f48, _ := back.GetString(48)
		switch name {
		case "upload":
			f61, _ := back.GetString(61)
			f37, _ := back.GetString(37)
			if got.PAN.Reveal() != sale.Track2.PAN().Reveal() || f61 != "000003000012" || f37 != "123456789012" || f60[8:11] != "201" ||
				got.Original == nil || got.Original.Type != txtype.Sale || got.Original.STAN != 12 {
				t.Errorf("upload: pan %v f61 %s f37 %s f60 %s", got.PAN, f61, f37, f60)
			}
		case "end":
			if f48 != "0005" || f60[8:11] != "202" {
				t.Errorf("end: f48 %q f60 %q", f48, f60)
			}
		}
	}
}
