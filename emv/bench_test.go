package emv_test

import (
	"context"
	"testing"

	"countertop/emv"
	"countertop/emv/emvtest"
)

// sliceCard answers the n-th command with the n-th recorded response without looking
// at it: card I/O reduced to a slice index, so the benchmark measures the kernel.
type sliceCard struct {
	r [][]byte
	n int
}

func (s *sliceCard) Transmit(ctx context.Context, c []byte) ([]byte, error) {
	r := s.r[s.n]
	s.n++
	return r, nil
}

func aflRecords(afl []byte) int {
	n := 0
	for i := 0; i+3 < len(afl); i += 4 {
		n += int(afl[i+2]) - int(afl[i+1]) + 1
	}
	return n
}

// BenchmarkChipSale_KernelOnly runs a whole chip sale (selection to first GENERATE AC)
// per profile against recorded card answers and reports the APDUs sent and the minimum
// the AFL allows (final SELECT, GPO, one READ RECORD per AFL record, GENERATE AC).
func BenchmarkChipSale_KernelOnly(b *testing.B) {
	for _, c := range []struct{ name, profile string }{
		{"cup-debit-dda-onlinepin", "cup-chip-swiped"},
		{"cup-credit-cda", "cup-pboc-credit"},
		{"visa-sda-offlinepin", "visa-chip"},
	} {
		b.Run(c.name, func(b *testing.B) {
			vc, p := virtualCard(b, c.profile, nil)
			k, err := emv.New(testConfig(b))
			if err != nil {
				b.Fatal(err)
			}
			rec := &emvtest.Recorder{Card: vc}
			params := emv.Params{Amount: 10000, Time: saleTime, Random: zero{}, PIN: &pinPad{pins: []string{p.PIN}}}
			tx := k.NewTransaction(rec, params)
			if err := tx.Run(context.Background(), emv.StepGenAC1); err != nil {
				b.Fatal(err)
			}
			var resp [][]byte
			for _, e := range rec.T.Exchanges {
				resp = append(resp, h(b, e.R))
			}
			apdus, min := tx.Transport().Count(), aflRecords(tx.AFL())+3
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sc := &sliceCard{r: resp}
				tx := k.NewTransaction(sc, params)
				if err := tx.Run(context.Background(), emv.StepGenAC1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(apdus), "apdus/sale")
			b.ReportMetric(float64(min), "min-apdus/sale")
		})
	}
}
