package emv_test

import (
	"context"
	"encoding/json"
	"testing"

	"countertop/emv"
)

// fuzzCard answers every command with the next slice of the fuzz input (a length
// byte, then that many bytes; 9000 appended when the slice is short).
type fuzzCard struct{ b []byte }

func (f *fuzzCard) Transmit(ctx context.Context, c []byte) ([]byte, error) {
	if len(f.b) == 0 {
		return []byte{0x6A, 0x82}, nil
	}
	n := int(f.b[0])
	f.b = f.b[1:]
	n = min(n, len(f.b))
	r := append([]byte(nil), f.b[:n]...)
	f.b = f.b[n:]
	if len(r) < 2 {
		r = append(r, 0x90, 0x00)
	}
	return r, nil
}

// FuzzKernel_CardAnswers runs a whole sale against a card answering anything: the
// kernel must end with an outcome, never panic or loop.
func FuzzKernel_CardAnswers(f *testing.F) {
	f.Add([]byte{2, 0x6A, 0x82})
	f.Add([]byte{4, 0x6F, 0x00, 0x90, 0x00, 2, 0x61, 0x10})
	f.Add([]byte{3, 0x6A, 0x81, 0x00})
	k, err := emv.New(testConfig(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tx := k.NewTransaction(&fuzzCard{b: b}, emv.Params{Amount: 100, Time: saleTime, Random: fixedRand(0), PIN: &pinPad{pins: []string{"1234"}}})
		_ = tx.Run(context.Background(), emv.StepGenAC1)
		if tx.Outcome() == emv.Online {
			_ = tx.CompleteOnline(context.Background(), emv.HostResponse{Approved: true, ICCData: b})
		}
	})
}

// FuzzReplay feeds arbitrary transcripts to Replay: errors, never panics.
func FuzzReplay(f *testing.F) {
	f.Add([]byte(`{"exchanges":[{"c":"00A404000E315041592E5359532E444446303100","r":"6A81"}]}`))
	f.Add([]byte(`{"exchanges":[]}`))
	caps := capks(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := emv.Replay(context.Background(), emv.ReplayOptions{CAPKs: caps, Time: saleTime}, b)
		if err == nil && !json.Valid(out) {
			t.Fatalf("invalid JSON %s", out)
		}
	})
}
