package txn

import (
	"strings"
	"testing"

	"countertop/emv/emvtest"
	"countertop/emv/tlv"
)

func TestTranscriptMasksPINAndCardData(t *testing.T) {
	record := tlv.TLV{Tag: 0x70, Children: []tlv.TLV{
		{Tag: 0x5A, Value: []byte{0x62, 0x22, 0x02, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x8F}},
		{Tag: 0x5F20, Value: []byte("ZHANG/SAN")},
		{Tag: 0x5F24, Value: []byte{0x30, 0x12, 0x31}},
		{Tag: 0x9F08, Value: []byte{0x00, 0x30}},
	}}.Bytes()
	in := emvtest.Transcript{Exchanges: []emvtest.Exchange{
		{C: "00B2010C00", R: strings.ToUpper(hexs(record)) + "9000"},
		{C: "0020008008241234FFFFFFFFFF", R: "9000"},
		{C: "00B2020C00", R: "0102039000"}, // not TLV: only the status word is kept
	}}
	out := maskTranscript(in)
	all := out.Exchanges[0].R + out.Exchanges[1].C + out.Exchanges[2].R
	for _, secret := range []string{"6222021234567890128", "622202123456789012", hexs([]byte("ZHANG/SAN")), "241234"} {
		if strings.Contains(strings.ToUpper(all), strings.ToUpper(secret)) {
			t.Errorf("masked transcript still holds %s:\n%+v", secret, out)
		}
	}
	if !strings.Contains(out.Exchanges[0].R, "9F08020030") || strings.Contains(out.Exchanges[0].R, "5F2403301231") {
		t.Errorf("the application version should stay and the expiry go: %s", out.Exchanges[0].R)
	}
	if out.Exchanges[1].C != "0020008008FFFFFFFFFFFFFFFF" || out.Exchanges[2].R != "9000" {
		t.Errorf("VERIFY %s, non-TLV response %s", out.Exchanges[1].C, out.Exchanges[2].R)
	}
}

func hexs(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}
