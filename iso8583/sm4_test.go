package iso8583_test

import (
	"testing"

	"countertop/internal/carddata"
	"countertop/internal/keys"
	"countertop/iso8583"
	"countertop/iso8583/frame"

	"github.com/google/go-cmp/cmp"
)

// Test SM4 keys of the national-cryptography golden file (never real keys).
const (
	testSM4PIK = "F351D490994603795C6EBEE8FAEBB481"
	testSM4MAK = "00112233445566778899AABBCCDDEEFF"
)

// TestGoldenSM4 packs a swiped sale with a PIN under the CUP SM4 dialect: the PIN
// block is the 16-byte SM4 block of PIN 123456 under testSM4PIK, the MAC is CUP SM4
// under testSM4MAK. The frame is compared with testdata/host/sm4-sale-swipe-pin.hex
// (-update rewrites it), and the host's side is checked on the golden bytes: the
// block decrypts to the PIN, field 53 names SM4, and the MAC verifies.
func TestGoldenSM4(t *testing.T) {
	pik, err := keys.ParseHexSM4Key(testSM4PIK)
	if err != nil {
		t.Fatal(err)
	}
	mak, err := keys.ParseHexSM4Key(testSM4MAK)
	if err != nil {
		t.Fatal(err)
	}
	req := goldenRequests(t)["sale-swipe-pin"]
	enc, err := keys.EncipherPIN(pik, "123456", req.Track2.PAN())
	if err != nil {
		t.Fatal(err)
	}
	req.PINBlock = carddata.NewPINBlock(enc)
	d := iso8583.CUPSM4
	msg, err := d.Build(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := d.Pack(msg, keys.MACFunc(keys.MACCUPSM4, mak))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := frame.Frame{TPDU: d.TPDU, Header: d.Header, Body: body}.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	want := goldenFrame(t, "sm4-sale-swipe-pin", raw)

	f, err := frame.Parse(unhex(t, string(want)))
	if err != nil {
		t.Fatal(err)
	}
	back, err := d.Unpack(f.Body)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := d.ParseRequest(back)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(parsed.PINBlock.Reveal()); n != 16 {
		t.Fatalf("field 52 of %d bytes, want 16", n)
	}
	pin, err := keys.DecipherPIN(pik, parsed.PINBlock.Reveal(), parsed.PAN)
	if err != nil || pin != "123456" {
		t.Errorf("host decrypts field 52 to %q, %v; want 123456", pin, err)
	}
	if f53, _ := back.GetString(53); f53 != d.SecurityControl || f53[1] != '4' {
		t.Errorf("field 53 = %q, want %q (algorithm digit 4, SM4)", f53, d.SecurityControl)
	}
	mab, gotMAC, err := iso8583.MACInput(f.Body)
	if err != nil {
		t.Fatal(err)
	}
	wantMAC, err := keys.MAC(keys.MACCUPSM4, mak, mab)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantMAC, gotMAC); diff != "" {
		t.Errorf("golden SM4 MAC does not verify (-want +got):\n%s", diff)
	}
	// The CUP (DES) dialect cannot read it: its field 52 is 8 bytes.
	if _, err := iso8583.CUP.Unpack(f.Body); err == nil {
		t.Error("the 3DES dialect unpacked a 16-byte PIN block")
	}
}

// TestPINBlockSizePerDialect: each dialect refuses a PIN block of the other's size
// when building, so a terminal with the wrong keys fails before anything is sent.
func TestPINBlockSizePerDialect(t *testing.T) {
	req := goldenRequests(t)["sale-swipe-pin"]
	for _, tc := range []struct {
		d    *iso8583.Dialect
		size int
	}{{iso8583.CUP, 16}, {iso8583.CUPSM4, 8}} {
		r := req
		r.PINBlock = carddata.NewPINBlock(make([]byte, tc.size))
		msg, err := tc.d.Build(r)
		if err == nil {
			_, err = tc.d.Pack(msg, nil)
		}
		if err == nil {
			t.Errorf("%s took a %d-byte PIN block", tc.d.Name, tc.size)
		}
	}
	if d, ok := iso8583.Dialects()["cup-sm4"]; !ok || d != iso8583.CUPSM4 {
		t.Error(`Dialects()["cup-sm4"] is not CUPSM4`)
	}
}
