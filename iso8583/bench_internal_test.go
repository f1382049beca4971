package iso8583

import (
	"testing"

	moov "github.com/moov-io/iso8583"
)

func saleBody(b *testing.B) []byte {
	msg, err := CUP.Build(testRequests(b)["sale-chip-pin"])
	if err != nil {
		b.Fatal(err)
	}
	body, err := CUP.Pack(msg, func([]byte) ([]byte, error) { return make([]byte, 8), nil })
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkUnpackSale is the dialect's strict Unpack (moov unpack + re-pack check).
func BenchmarkUnpackSale(b *testing.B) {
	body := saleBody(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CUP.Unpack(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMoovUnpackSale{Ours,StockBCD} compare moov's bare Unpack with the
// table-free BCD encoders against moov's stock BCD/LBCD and prefixers.
func BenchmarkMoovUnpackSaleOurs(b *testing.B) { benchMoovUnpack(b, CUP.Spec) }

func BenchmarkMoovUnpackSaleStockBCD(b *testing.B) {
	benchMoovUnpack(b, cupSpec("stock", stockEncoders, 8))
}

func benchMoovUnpack(b *testing.B, spec *moov.MessageSpec) {
	body := saleBody(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := moov.NewMessage(spec).Unpack(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMoovPackSaleStockBCD is moov's Pack with the stock BCD encoders.
func BenchmarkMoovPackSaleStockBCD(b *testing.B) {
	msg := moov.NewMessage(cupSpec("stock", stockEncoders, 8))
	if err := msg.Unpack(saleBody(b)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := msg.Pack(); err != nil {
			b.Fatal(err)
		}
	}
}
