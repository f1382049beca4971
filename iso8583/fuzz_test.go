package iso8583

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzUnpack feeds arbitrary bodies to both dialects (cup and cup-sm4): Unpack must never panic, and
// whatever it accepts must re-pack to the same bytes and survive every reader of a
// message (DecodeJSON, Describe, ParseRequest, ParseReply, MACInput).
func FuzzUnpack(f *testing.F) {
	files, _ := filepath.Glob("../testdata/host/*.hex")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		raw := unhex(f, strings.TrimSpace(string(b)))
		if len(raw) > 13 {
			f.Add(raw[13:]) // body without length, TPDU and header
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, d := range []*Dialect{CUP, CUPSM4} {
			msg, err := d.Unpack(body)
			if err != nil {
				continue
			}
			re, err := msg.Pack()
			if err != nil {
				t.Fatalf("%s: accepted body does not re-pack: %v", d.Name, err)
			}
			if !bytes.Equal(re, body) {
				t.Fatalf("%s: accepted body re-packs differently:\n in %X\nout %X", d.Name, body, re)
			}
			if _, err := d.DecodeJSON(body, false); err != nil && !strings.Contains(err.Error(), "field 55") {
				t.Fatalf("%s: DecodeJSON of an accepted body: %v", d.Name, err)
			}
			_ = d.Describe(msg)
			_, _ = d.ParseRequest(msg)
			_, _ = d.ParseReply(msg)
			_, _, _ = MACInput(body)
		}
	})
}

// FuzzParseTLVs feeds arbitrary field 55 values to the TLV lister: never a panic,
// and what it accepts accounts for every byte.
func FuzzParseTLVs(f *testing.F) {
	f.Add([]byte{0x9F, 0x26, 0x02, 0x01, 0x02, 0x9F, 0x74, 0x00})
	f.Add([]byte{0x72, 0x81, 0x01, 0x00})
	f.Add([]byte{0x9F, 0x9F, 0x9F})
	f.Fuzz(func(t *testing.T, b []byte) {
		tlvs, err := ParseTLVs(b)
		if err != nil {
			return
		}
		n := 0
		for _, tv := range tlvs {
			if len(tv.Value) != 2*tv.Len {
				t.Fatalf("tlv %s: len %d, value of %d hex digits", tv.Tag, tv.Len, len(tv.Value))
			}
			n += len(tv.Tag)/2 + tv.Len + 1
		}
		if n > len(b) {
			t.Fatalf("tlvs account for %d bytes of %d", n, len(b))
		}
	})
}
