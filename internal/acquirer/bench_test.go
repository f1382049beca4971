package acquirer_test

import (
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"countertop/internal/keys"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/iso8583/frame"
)

// BenchmarkServer50Terminals measures the simulator alone: 50 terminals send
// pre-packed, MACed sales with PIN blocks, one TCP connection per exchange as
// terminals do, and read the raw reply frame (no client-side decoding). b.N sales in
// all; run with a bounded count, e.g. -benchtime=5000x. Reports sales/s and p50/p99.
func BenchmarkServer50Terminals(b *testing.B) {
	const terminals = 50
	s := newServer(b, nil)
	p := card(b, "cup-credit")
	wires := make([][]byte, b.N)
	perTerm := make([]keys.WorkingKeys, terminals)
	for i := range perTerm {
		tm := term
		tm.TerminalID = fmt.Sprintf("4%07d", i)
		perTerm[i], _ = signIn(b, s.Addr(), tm, "003")
	}
	for n := range wires {
		i := n % terminals
		req := saleReq(b, p, 10, txtype.STAN(n/terminals+1), p.PIN, perTerm[i].PIK)
		req.Terminal.TerminalID = fmt.Sprintf("4%07d", i)
		msg, err := iso8583.CUP.Build(req)
		if err != nil {
			b.Fatal(err)
		}
		mak := perTerm[i].MAK
		body, err := iso8583.CUP.Pack(msg, func(mab []byte) ([]byte, error) { return keys.MAC(keys.MACCUPECB, mak, mab) })
		if err != nil {
			b.Fatal(err)
		}
		if wires[n], err = (frame.Frame{TPDU: iso8583.CUP.TPDU, Header: iso8583.CUP.Header, Body: body}).Bytes(); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, b.N)
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range terminals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := i; n < b.N; n += terminals {
				t0 := time.Now()
				c, err := net.Dial("tcp", s.Addr())
				if err != nil {
					failed.Add(1)
					continue
				}
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := c.Write(wires[n]); err != nil {
					failed.Add(1)
				} else if _, err := frame.Read(c, 4096); err != nil {
					failed.Add(1)
				}
				c.Close()
				lat[n] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d exchanges failed", f, b.N)
	}
	if l := s.Ledger(); len(l) != b.N {
		b.Fatalf("ledger has %d sales, want %d", len(l), b.N)
	}
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(float64(len(lat)-1)*q)].Microseconds()) / 1000 }
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "sales/s")
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}
