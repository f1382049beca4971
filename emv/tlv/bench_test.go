package tlv

import (
	"encoding/hex"
	"testing"
)

// readRecord is a typical READ RECORD response of a CUP debit application: a 70
// template of 132 bytes holding 15 primitives (dates, PAN, AUC, CVM list, IACs,
// CDOL1/CDOL2, version).
const readRecord = "7081815F24032912315F25031901015A0862123456789012345F3401019F0702FF008E0E00000000" +
	"0000000042031E031F009F0D05D86004A8009F0E0500109800009F0F05D86804F8005F280201569F4202" +
	"01568C1B9F02069F03069F1A0295055F2A029A039C019F37049F21039F4E148D0C910A8A0295059F3704" +
	"9F4C089F08020030"

func BenchmarkParse_ReadRecord(b *testing.B) {
	in, err := hex.DecodeString(readRecord)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAndFlatten_ReadRecord(b *testing.B) {
	in, _ := hex.DecodeString(readRecord)
	b.ReportAllocs()
	for b.Loop() {
		tree, err := Parse(in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Flatten(tree); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode_ReadRecord(b *testing.B) {
	in, _ := hex.DecodeString(readRecord)
	tree, err := Parse(in)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = Encode(tree...)
	}
}
