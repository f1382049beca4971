package txn

import (
	"context"
	"errors"
	"testing"

	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/iso8583"
)

// hostAsking answers financial requests with approve and processing requirement
// 1, and parameter downloads with f62.
func hostAsking(f62 []byte) func(req iso8583.Request) (iso8583.Reply, error) {
	return func(req iso8583.Request) (iso8583.Reply, error) {
		if req.Type == txtype.ParamDownload {
			return iso8583.Reply{RespCode: "00", Params: f62}, nil
		}
		rep, err := approve(req)
		rep.HostRequest = iso8583.HostRequestParams
		return rep, err
	}
}

// A reply asking for parameters makes the engine download them before the next
// transaction (not in the middle of this one), keep them in the journal and apply
// them; a new engine on the same journal applies them at LoadParams.
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
	printed := len(r.printer.Printed())
	r.pinpad.Enter("123456")
	if _, err := r.eng.Sale(ctx, money.New(200, money.CNY), swipe(t, "101")); err != nil {
		t.Fatal(err)
	}
	if n := r.host.count(txtype.ParamDownload); n != 1 {
		t.Fatalf("%d parameter downloads, want 1", n)
	}
	if got := len(r.printer.Printed()) - printed; got != 1 {
		t.Errorf("%d slips for the second sale, want the 1 copy the host set", got)
	}
	if r.eng.MerchantName() != "HOST SHOP" || r.eng.set.ReversalRetries != 7 {
		t.Errorf("merchant %q, retries %d; want the host's", r.eng.MerchantName(), r.eng.set.ReversalRetries)
	}
	// A new engine on the same journal (a restart) applies the kept parameters.
	other := New(Settings{Merchant: r.eng.set.Merchant, Copies: 2, ReversalRetries: 3}, r.host, r.db, Devices{}, &prompter{}, nil)
	other.set.Merchant.Name = "CONFIG SHOP"
	if err := other.LoadParams(); err != nil {
		t.Fatal(err)
	}
	if other.MerchantName() != "HOST SHOP" || other.set.Copies != 1 || other.set.ReversalRetries != 7 {
		t.Errorf("after LoadParams: merchant %q, copies %d, retries %d", other.MerchantName(), other.set.Copies, other.set.ReversalRetries)
	}
}

// Malformed parameters are refused whole: nothing applied, nothing kept, the
// download stays due, and the sale goes on.
func TestParamDownloadMalformed(t *testing.T) {
	r := newRig(t, nil)
	r.host.answer = hostAsking([]byte("01004SHOP020019")) // 9 copies
	ctx := context.Background()
	r.pinpad.Enter("123456")
	if _, err := r.eng.Sale(ctx, money.New(100, money.CNY), swipe(t, "101")); err != nil {
		t.Fatal(err)
	}
	r.pinpad.Enter("123456")
	res, err := r.eng.Sale(ctx, money.New(200, money.CNY), swipe(t, "101"))
	if err != nil || !res.Approved {
		t.Fatalf("the sale after a bad download: %v, approved %t", err, res.Approved)
	}
	if !r.eng.ParamsDue() || r.eng.MerchantName() == "SHOP" || r.eng.set.Copies != 2 {
		t.Errorf("after bad parameters: due %t, merchant %q, copies %d", r.eng.ParamsDue(), r.eng.MerchantName(), r.eng.set.Copies)
	}
	if err := r.eng.DownloadParams(ctx); !errors.Is(err, iso8583.ErrParams) {
		t.Errorf("DownloadParams = %v, want ErrParams", err)
	}
	if _, err := r.db.Setting(ParamsSetting); err == nil {
		t.Error("malformed parameters were kept in the journal")
	}
}
