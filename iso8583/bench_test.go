package iso8583_test

import (
	"testing"

	"countertop/internal/carddata"
	"countertop/internal/keys"
	"countertop/iso8583"
)

// BenchmarkSaleBuildPackMAC is the terminal's cost per sale: Build, Pack and the
// CUP ECB MAC (3DES).
func BenchmarkSaleBuildPackMAC(b *testing.B) {
	req := goldenRequests(b)["sale-chip-pin"]
	mac := macFunc(b, "cup-ecb", testMAK)
	b.ReportAllocs()
	for b.Loop() {
		msg, err := iso8583.CUP.Build(req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := iso8583.CUP.Pack(msg, mac); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaleBuildPackMACSM4 is the same sale on national cryptography: a 16-byte
// PIN block and the CUP SM4 MAC.
func BenchmarkSaleBuildPackMACSM4(b *testing.B) {
	req := goldenRequests(b)["sale-chip-pin"]
	req.PINBlock = carddata.NewPINBlock(make([]byte, keys.PINBlockLenSM4))
	mak, err := keys.ParseHexSM4Key(testSM4MAK)
	if err != nil {
		b.Fatal(err)
	}
	mac := keys.MACFunc(keys.MACCUPSM4, mak)
	b.ReportAllocs()
	for b.Loop() {
		msg, err := iso8583.CUPSM4.Build(req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := iso8583.CUPSM4.Pack(msg, mac); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSaleMoovPack is moov's bare Pack of the same, already built message.
func BenchmarkSaleMoovPack(b *testing.B) {
	msg, err := iso8583.CUP.Build(goldenRequests(b)["sale-chip-pin"])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := msg.Pack(); err != nil {
			b.Fatal(err)
		}
	}
}
