package iso8583_test

import (
	"testing"
	"time"

	"countertop/internal/keys"
	"countertop/iso8583"
	"countertop/iso8583/frame"

	"github.com/google/go-cmp/cmp"
)

// testTMK is the terminal master key of the golden sign-in reply (a test key).
const testTMK = "70F2A84CCBC2AE8625CBB0F2C22AB923"

// TestGoldenReplies packs host replies as the acquirer simulator would (TPDU
// swapped, processing requirement in the header) into testdata/host/reply-*.hex.
func TestGoldenReplies(t *testing.T) {
	d := *iso8583.CUP
	d.Location = time.FixedZone("CST", 8*3600)
	hostTime := time.Date(2026, 11, 27, 15, 4, 5, 0, d.Location)
	tmk, _ := keys.ParseHexKey(testTMK)
	pik, _ := keys.ParseHexKey("1111111111111111 2222222222222222")
	mak, _ := keys.ParseHexKey(testMAK)
	tdk, _ := keys.ParseHexKey("5555555555555555 6666666666666666")
	f62, err := keys.EncodeWorkingKeys(tmk, pik, mak, &tdk, keys.Layout60)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, req string
		rep       iso8583.Reply
		mac       bool
		hostReq   int
	}{
		{"reply-sign-in", "sign-in", iso8583.Reply{RespCode: "00", HostTime: hostTime, RRN: "261127000001",
			Acquirer: "48020000", Batch: 8, Field62: f62}, false, 0},
		{"reply-sale-chip-pin", "sale-chip-pin", iso8583.Reply{RespCode: "00", AuthCode: "654321", RRN: "261127000002",
			HostTime: hostTime, SettleDate: "1127", Issuer: "01020000", Acquirer: "48020000",
			ICC: unhex(t, "910A1122334455667788303072008A023030")}, true, 0},
		{"reply-sale-declined-resign", "sale-swipe-pin", iso8583.Reply{RespCode: "A0", RRN: "261127000003",
			HostTime: hostTime}, true, 3},
	}
	reqs := goldenRequests(t)
	mac := macFunc(t, "cup-ecb", testMAK)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := d.Build(reqs[tc.req])
			if err != nil {
				t.Fatal(err)
			}
			rmsg, err := d.BuildReply(req, tc.rep)
			if err != nil {
				t.Fatal(err)
			}
			var m func([]byte) ([]byte, error)
			if tc.mac {
				m = mac
			}
			body, err := d.Pack(rmsg, m)
			if err != nil {
				t.Fatal(err)
			}
			fr := frame.Frame{TPDU: d.TPDU, Header: d.Header, Body: body}.SwapTPDU().WithProcessingRequirement(tc.hostReq)
			raw, err := fr.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			want := goldenFrame(t, tc.name, raw)
			// The terminal's side: read, verify, parse, load keys.
			f, err := frame.Parse(unhex(t, string(want)))
			if err != nil {
				t.Fatal(err)
			}
			back, err := d.Unpack(f.Body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.mac {
				if err := iso8583.VerifyMAC(f.Body, mac); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := d.ParseReply(back)
			if err != nil {
				t.Fatal(err)
			}
			rep.HostRequest = f.ProcessingRequirement()
			want2 := tc.rep
			want2.HostRequest = tc.hostReq
			if diff := cmp.Diff(want2, rep, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("parsed reply (-want +got):\n%s", diff)
			}
			if len(rep.Field62) > 0 {
				wk, err := keys.ParseWorkingKeys(rep.Field62, tmk)
				if err != nil {
					t.Fatal(err)
				}
				if !wk.MAK.Equal(mak) || !wk.PIK.Equal(pik) || !wk.HasTDK || !wk.TDK.Equal(tdk) {
					t.Errorf("working keys = %v %v %v", wk.PIK, wk.MAK, wk.TDK)
				}
			}
		})
	}
}
