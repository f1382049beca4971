package hostlink_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"countertop/internal/hostlink"
	"countertop/internal/keys"
	"countertop/internal/txtype"
	"countertop/iso8583"
)

// BenchmarkAcquirer50Terminals measures the simulated acquirer with 50 terminals
// making sales concurrently over loopback, each exchange on its own TCP connection
// as a terminal does (sign-in first, then MACed sales with PIN blocks). b.N sales in
// all; run it with a bounded count, e.g. -benchtime=5000x (every exchange uses an
// ephemeral port). Reports throughput (sales/s) and the p50/p99 exchange latency.
func BenchmarkAcquirer50Terminals(b *testing.B) {
	const terminals = 50
	host := newHost(b)
	type termState struct {
		c   *hostlink.Client
		pik keys.Key
	}
	ts := make([]termState, terminals)
	for i := range ts {
		c := hostlink.New(hostlink.Config{
			Addr: host.Addr(), ConnectTimeout: 5 * time.Second, ResponseTimeout: 10 * time.Second,
			Dialect: iso8583.CUP, MACAlgorithm: keys.MACCUPECB,
			Terminal: iso8583.Terminal{TerminalID: fmt.Sprintf("3%07d", i), MerchantID: term.MerchantID},
		}, nil)
		wk := signIn(b, c)
		ts[i] = termState{c: c, pik: wk.PIK}
	}
	// Pre-build the requests: the benchmark measures the link and the host.
	reqs := make([]iso8583.Request, b.N)
	for i := range reqs {
		reqs[i] = sale(b, "cup-credit", 10, txtype.STAN(i%999999+1), ts[i%terminals].pik)
	}
	lat := make([]time.Duration, b.N)
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range ts {
		wg.Add(1)
		go func(tm termState, i int) {
			defer wg.Done()
			// Terminal i makes sales i, i+50, i+100 … (built with its PIK).
			for n := i; n < b.N; n += terminals {
				t0 := time.Now()
				rep, err := tm.c.Do(context.Background(), reqs[n], nil)
				lat[n] = time.Since(t0)
				if err != nil || rep.RespCode != "00" {
					failed.Add(1)
				}
			}
		}(ts[i], i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d sales failed", f, b.N)
	}
	var got []time.Duration
	for _, d := range lat {
		if d > 0 {
			got = append(got, d)
		}
	}
	slices.Sort(got)
	pct := func(p float64) float64 {
		if len(got) == 0 {
			return 0
		}
		return float64(got[int(float64(len(got)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(got))/elapsed.Seconds(), "sales/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
