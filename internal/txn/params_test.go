package txn

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"countertop/internal/hostlink"
	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/iso8583"
)

// hostAsking answers financial requests with approve and processing requirement
// 1, and parameter downloads with f62.
func hostAsking(f62 []byte) func(req iso8583.Request) (iso8583.Reply, error) {
	return func(req iso8583.Request) (iso8583.Reply, error) {
		if req.Type == txtype.ParamDownload {
			return iso8583.Reply{RespCode: "00", Field62: f62}, nil
		}
		rep, err := approve(req)
		rep.HostRequest = iso8583.HostRequestParams
		return rep, err
	}
}

// A reply asking for parameters makes ParamsDue true without a download in the
// middle of the transaction; DownloadParams (the application calls it back at idle)
// keeps them in the journal and applies them, and a new engine on the same journal
// applies them at LoadParams.
func TestParamDownloadAskedByTheHost(t *testing.T) {
	r := newRig(t, nil)
	f62, err := iso8583.EncodeParams(iso8583.Params{MerchantName: "HOST SHOP", SlipCopies: 1, ReversalRetries: 7})
	if err != nil {
		t.Fatal(err)
	}
	r.host.answer = hostAsking(f62)
	ctx := context.Background()
	r.pinpad.Enter("123456")
	if _, err := r.eng.Sale(ctx, money.New(100, money.CNY), swipe(t, "101")); err != nil {
		t.Fatal(err)
	}
	if !r.eng.ParamsDue() || r.host.count(txtype.ParamDownload) != 0 {
		t.Fatalf("after the asking reply: due %t, downloads %d; want due and none yet", r.eng.ParamsDue(), r.host.count(txtype.ParamDownload))
	}
	if err := r.eng.DownloadParams(ctx); err != nil {
		t.Fatal(err)
	}
	if r.eng.ParamsDue() {
		t.Error("still due after the download")
	}
	printed := len(r.printer.Printed())
	r.pinpad.Enter("123456")
	if _, err := r.eng.Sale(ctx, money.New(200, money.CNY), swipe(t, "101")); err != nil {
		t.Fatal(err)
	}
	if got := len(r.printer.Printed()) - printed; got != 1 {
		t.Errorf("%d slips for the second sale, want the 1 copy the host set", got)
	}
	if r.eng.MerchantName() != "HOST SHOP" || r.eng.set.ReversalRetries != 7 {
		t.Errorf("merchant %q, retries %d; want the host's", r.eng.MerchantName(), r.eng.set.ReversalRetries)
	}
	// A new engine on the same journal (a restart) applies the kept parameters;
	// one of another terminal ignores them.
	restart := func(tid string) *Engine {
		e := New(Settings{Terminal: iso8583.Terminal{TerminalID: tid, MerchantID: "898100012340001"},
			Copies: 2, ReversalRetries: 3}, r.host, r.db, Devices{}, &prompter{}, nil)
		e.set.Merchant.Name = "CONFIG SHOP"
		if err := e.LoadParams(); err != nil {
			t.Fatal(err)
		}
		return e
	}
	if e := restart("10000001"); e.MerchantName() != "HOST SHOP" || e.set.Copies != 1 || e.set.ReversalRetries != 7 {
		t.Errorf("after LoadParams: merchant %q, copies %d, retries %d", e.MerchantName(), e.set.Copies, e.set.ReversalRetries)
	}
	if e := restart("10000099"); e.MerchantName() != "CONFIG SHOP" || e.set.Copies != 2 {
		t.Errorf("another terminal's parameters applied: merchant %q, copies %d", e.MerchantName(), e.set.Copies)
	}
}

// Malformed parameters are refused whole: nothing applied, nothing kept, the sale
// goes on, and the download waits ParamsRetryAfter before it is due again.
func TestParamDownloadMalformed(t *testing.T) {
	r := newRig(t, nil)
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	r.eng.now = func() time.Time { return now }
	r.host.answer = hostAsking([]byte("01004SHOP020019")) // 9 copies
	ctx := context.Background()
	r.pinpad.Enter("123456")
	if _, err := r.eng.Sale(ctx, money.New(100, money.CNY), swipe(t, "101")); err != nil {
		t.Fatal(err)
	}
	if err := r.eng.DownloadParams(ctx); !errors.Is(err, iso8583.ErrParams) {
		t.Errorf("DownloadParams = %v, want ErrParams", err)
	}
	if r.eng.ParamsDue() || r.eng.MerchantName() == "SHOP" || r.eng.set.Copies != 2 {
		t.Errorf("after bad parameters: due %t, merchant %q, copies %d", r.eng.ParamsDue(), r.eng.MerchantName(), r.eng.set.Copies)
	}
	if _, err := r.db.Setting(ParamsSetting); err == nil {
		t.Error("malformed parameters were kept in the journal")
	}
	r.pinpad.Enter("123456")
	if res, err := r.eng.Sale(ctx, money.New(200, money.CNY), swipe(t, "101")); err != nil || !res.Approved {
		t.Fatalf("the sale after a bad download: %v", err)
	}
	now = now.Add(ParamsRetryAfter)
	if !r.eng.ParamsDue() {
		t.Error("not due again after ParamsRetryAfter")
	}
}

// A reply on the way to a transaction (the pending reversal drained first) that
// asks for a new sign-in makes the engine sign in before the transaction goes out.
func TestSignInAskedDuringReady(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	hostUp := false
	r.host.answer = func(req iso8583.Request) (iso8583.Reply, error) {
		if !hostUp {
			return iso8583.Reply{}, fmt.Errorf("read: %w", hostlink.ErrNoAnswer)
		}
		rep, err := approve(req)
		if req.Type == txtype.Reversal {
			rep.HostRequest = iso8583.HostRequestSignIn
		}
		return rep, err
	}
	r.pinpad.Enter("123456")
	if _, err := r.eng.Sale(ctx, money.New(100, money.CNY), swipe(t, "101")); err == nil {
		t.Fatal("a sale without an answer succeeded")
	}
	if _, pending, _ := r.db.PendingReversal(); !pending {
		t.Fatal("no reversal pending after an unanswered sale")
	}
	hostUp = true
	before := r.host.count(txtype.SignIn)
	r.pinpad.Enter("123456")
	if _, err := r.eng.Sale(ctx, money.New(200, money.CNY), swipe(t, "101")); err != nil {
		t.Fatal(err)
	}
	if got := r.host.count(txtype.SignIn) - before; got != 1 {
		t.Errorf("%d sign-ins between the reversal and the sale, want 1", got)
	}
	last := r.host.sent[len(r.host.sent)-1]
	prev := r.host.sent[len(r.host.sent)-2]
	if last.Type != txtype.Sale || prev.Type != txtype.SignIn {
		t.Errorf("the sale went out after %s, want after the sign-in", prev.Type)
	}
}
