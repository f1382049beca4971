package txn

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"countertop/hal"
	"countertop/hal/sim"
	"countertop/internal/carddata"
	"countertop/internal/hostlink"
	"countertop/internal/keys"
	"countertop/internal/money"
	"countertop/internal/msgs"
	"countertop/internal/receipt"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/store"
	"countertop/store/storetest"
)

const testPAN = "6222021234567890128"

var tmk = mustKey("0123456789ABCDEFFEDCBA9876543210")

func mustKey(h string) keys.Key {
	k, err := keys.ParseHexKey(h)
	if err != nil {
		panic(err)
	}
	return k
}

// fakeHost answers sign-ins with working keys and everything else through answer.
type fakeHost struct {
	t      *testing.T
	keys   []byte
	answer func(req iso8583.Request) (iso8583.Reply, error)
	sent   []iso8583.Request
}

func newFakeHost(t *testing.T) *fakeHost {
	f62, err := keys.EncodeWorkingKeys(tmk, mustKey("1111111111111111FFFFFFFFFFFFFFFF"), mustKey("2222222222222222"), nil, 40)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeHost{t: t, keys: f62}
}

func (h *fakeHost) Do(ctx context.Context, req iso8583.Request, _ func(hostlink.Stage)) (iso8583.Reply, error) {
	h.sent = append(h.sent, req)
	if req.Type == txtype.SignIn {
		return iso8583.Reply{RespCode: "00", Field62: h.keys, Batch: 7}, nil
	}
	return h.answer(req)
}

func (h *fakeHost) SetMACKey(keys.Key) {}

func (h *fakeHost) count(t txtype.Type) int {
	n := 0
	for _, r := range h.sent {
		if r.Type == t {
			n++
		}
	}
	return n
}

// prompter confirms every card and never waits.
type prompter struct{ shown []msgs.Code }

func (p *prompter) Progress(_ context.Context, c msgs.Code)                    { p.shown = append(p.shown, c) }
func (p *prompter) ConfirmID(context.Context, msgs.Code, string) (bool, error) { return true, nil }
func (p *prompter) ConfirmCard(context.Context, string, string, money.Amount) (bool, error) {
	return true, nil
}
func (p *prompter) TearOff(context.Context, time.Duration) error  { return nil }
func (p *prompter) Choose(context.Context, []string) (int, error) { return 0, nil }
func (p *prompter) Alert(context.Context, string, []string)       {}
func (p *prompter) PaperOut(context.Context) bool                 { return false }

// brokenJournal fails Finish for approved records, as a full or failing flash would.
type brokenJournal struct{ *store.DB }

func (j brokenJournal) Finish(r *store.Record) error {
	if r.State == store.Approved {
		return errors.New("disk full")
	}
	return j.DB.Finish(r)
}

type rig struct {
	eng     *Engine
	host    *fakeHost
	db      *store.DB
	printer *sim.Printer
	pinpad  *sim.PINPad
}

func newRig(t *testing.T, wrap func(*store.DB) Journal) *rig {
	db := storetest.Open(t)
	var j Journal = db
	if wrap != nil {
		j = wrap(db)
	}
	r := &rig{host: newFakeHost(t), db: db, printer: sim.NewPrinter(), pinpad: sim.NewPINPad(nil, tmk)}
	r.eng = New(Settings{Terminal: iso8583.Terminal{TerminalID: "10000001", MerchantID: "898100012340001"},
		Operator: "01", TMK: tmk, PANHashKey: []byte("0123456789abcdef"), ReversalRetries: 3,
		Layout: receipt.Layout{Width: 32}, Copies: 2}, r.host, j,
		Devices{PINPad: r.pinpad, Printer: r.printer}, &prompter{}, nil)
	return r
}

func swipe(t *testing.T, serviceCode string) hal.CardEvent {
	tr, err := carddata.ParseTrack2(testPAN + "=3012" + serviceCode + "0000000000")
	if err != nil {
		t.Fatal(err)
	}
	return hal.CardEvent{Kind: hal.CardSwiped, Tracks: hal.Tracks{Track2: tr}}
}

func approve(req iso8583.Request) (iso8583.Reply, error) {
	return iso8583.Reply{RespCode: "00", AuthCode: "123456", RRN: "000000000001"}, nil
}

func TestSaleApprovedIsJournaledBeforeItIsPrinted(t *testing.T) {
	r := newRig(t, nil)
	r.host.answer = approve
	r.pinpad.Enter("123456")
	res, err := r.eng.Sale(context.Background(), money.New(1234, money.CNY), swipe(t, "101"))
	if err != nil || !res.Approved {
		t.Fatalf("Sale = %+v, %v", res, err)
	}
	rec, err := r.db.Last()
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != store.Approved || rec.Batch != 7 || !rec.Printed || rec.Slip == "" || rec.MaskedPAN != "***************0128" {
		t.Errorf("record = %+v", rec)
	}
	if n := len(r.printer.Printed()); n != 2 {
		t.Errorf("%d copies printed, want 2", n)
	}
	if _, pending, _ := r.db.PendingReversal(); pending {
		t.Error("a reversal is pending after a clean approval")
	}
}

// The merchant is never told "approved" without a durable result: when the result
// cannot be written the sale fails, nothing is printed, and the intent's pending
// reversal stands.
func TestApprovalThatCannotBeJournaledIsNotApproved(t *testing.T) {
	r := newRig(t, func(db *store.DB) Journal { return brokenJournal{db} })
	r.host.answer = approve
	r.pinpad.Enter("123456")
	_, err := r.eng.Sale(context.Background(), money.New(1234, money.CNY), swipe(t, "101"))
	if CodeOf(err) != msgs.JournalFailed {
		t.Fatalf("Sale error = %v, want %s", err, msgs.JournalFailed)
	}
	if n := len(r.printer.Printed()); n != 0 {
		t.Errorf("%d slips printed for an unjournaled approval", n)
	}
	if _, pending, _ := r.db.PendingReversal(); !pending {
		t.Error("no reversal pending for a sale whose result was not journaled")
	}
}

// A request that never left the terminal needs no reversal.
func TestNotSentNeedsNoReversal(t *testing.T) {
	r := newRig(t, nil)
	r.host.answer = func(iso8583.Request) (iso8583.Reply, error) {
		return iso8583.Reply{}, fmt.Errorf("dial: connection refused: %w", hostlink.ErrNotSent)
	}
	r.pinpad.Enter("123456")
	_, err := r.eng.Sale(context.Background(), money.New(500, money.CNY), swipe(t, "101"))
	if err == nil {
		t.Fatal("Sale succeeded without a host")
	}
	rec, _ := r.db.Last()
	if rec.State != store.Failed || rec.ReversalReason != "" {
		t.Errorf("record state %s reversal %q, want failed and none", rec.State, rec.ReversalReason)
	}
	if _, pending, _ := r.db.PendingReversal(); pending || r.host.count(txtype.Reversal) != 0 {
		t.Errorf("reversal pending %v, reversals sent %d; want none", pending, r.host.count(txtype.Reversal))
	}
}

// A reversal the host never acknowledges stays pending and blocks the next sale,
// which is not sent.
func TestUnacknowledgedReversalBlocksTheNextSale(t *testing.T) {
	r := newRig(t, nil)
	r.host.answer = func(iso8583.Request) (iso8583.Reply, error) {
		return iso8583.Reply{}, fmt.Errorf("read: %w", hostlink.ErrNoAnswer)
	}
	r.pinpad.Enter("123456")
	if _, err := r.eng.Sale(context.Background(), money.New(700, money.CNY), swipe(t, "101")); CodeOf(err) != msgs.ReceiveFailed {
		t.Fatalf("Sale error = %v, want %s", err, msgs.ReceiveFailed)
	}
	if got := r.host.count(txtype.Reversal); got != 3 {
		t.Errorf("%d reversal attempts, want the configured 3", got)
	}
	r.pinpad.Enter("123456")
	_, err := r.eng.Sale(context.Background(), money.New(800, money.CNY), swipe(t, "101"))
	if CodeOf(err) != msgs.ReversalFailed {
		t.Fatalf("second Sale error = %v, want %s", err, msgs.ReversalFailed)
	}
	if got := r.host.count(txtype.Sale); got != 1 {
		t.Errorf("%d sales sent, want 1: nothing financial goes out while a reversal is pending", got)
	}
}

func TestSignInRefusesKeysThatFailTheirCheckValue(t *testing.T) {
	r := newRig(t, nil)
	r.host.keys[13] ^= 0xFF // the PIK's check value
	err := r.eng.SignIn(context.Background())
	if CodeOf(err) != msgs.KeyCheckFailed || !errors.Is(err, keys.ErrCheckValue) {
		t.Fatalf("SignIn error = %v, want %s wrapping ErrCheckValue", err, msgs.KeyCheckFailed)
	}
	if r.eng.SignedIn() {
		t.Error("signed in with keys that failed their check value")
	}
}

func TestChipCardSwipedIsToldToUseTheChip(t *testing.T) {
	r := newRig(t, nil)
	_, err := r.eng.Sale(context.Background(), money.New(100, money.CNY), swipe(t, "201"))
	if CodeOf(err) != msgs.UseChip || len(r.host.sent) != 0 {
		t.Fatalf("Sale error = %v after %d requests, want %s before any", err, len(r.host.sent), msgs.UseChip)
	}
}

func TestCardOrg(t *testing.T) {
	for pan, want := range map[string]string{"6222021234567890128": "CUP", "4761739001010010": "VIS",
		"5413330089010434": "MCC", "3530111333300000": "JCB", "378282246310005": "AMX"} {
		p, err := carddata.ParsePAN(pan)
		if err != nil {
			t.Fatal(err)
		}
		if got := CardOrg(p); got != want {
			t.Errorf("CardOrg(%s) = %s, want %s", p, got, want)
		}
	}
}

// After a restart the reversal of an unanswered sale still carries field 2: the PAN
// comes back from its encrypted copy in the journal (never a clear one).
func TestReversalAfterRestartCarriesThePAN(t *testing.T) {
	r := newRig(t, nil)
	r.host.answer = func(iso8583.Request) (iso8583.Reply, error) {
		return iso8583.Reply{}, fmt.Errorf("read: %w", hostlink.ErrNoAnswer)
	}
	r.pinpad.Enter("123456")
	if _, err := r.eng.Sale(context.Background(), money.New(900, money.CNY), swipe(t, "101")); err == nil {
		t.Fatal("sale with no answer succeeded")
	}
	rec, pending, _ := r.db.PendingReversal()
	if !pending || rec.PANSealed == "" || strings.Contains(rec.PANSealed, testPAN) {
		t.Fatalf("pending %v, sealed %q", pending, rec.PANSealed)
	}
	// A new engine on the same journal: nothing of the first one's memory survives.
	host := newFakeHost(t)
	var got iso8583.Request
	host.answer = func(req iso8583.Request) (iso8583.Reply, error) {
		got = req
		return iso8583.Reply{RespCode: "00"}, nil
	}
	eng := New(r.eng.set, host, r.db, Devices{PINPad: sim.NewPINPad(nil, tmk), Printer: r.printer}, &prompter{}, nil)
	if err := eng.DrainReversal(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got.Type != txtype.Reversal || got.PAN.Reveal() != testPAN {
		t.Errorf("reversal %v with PAN %v, want the sale's card", got.Type, got.PAN)
	}
}

// An advice the host does not acknowledge stays due and goes out at the next chance;
// an acknowledged one is cleared.
func TestAdvicesAreForwardedUntilAcknowledged(t *testing.T) {
	r := newRig(t, nil)
	pan, _ := carddata.ParsePAN(testPAN)
	rec := r.eng.record(txtype.Sale, money.New(2500, money.CNY), cardData{pan: pan, entry: txtype.EntryChip}, carddata.PINBlock{})
	if err := r.db.Begin(&rec); err != nil {
		t.Fatal(err)
	}
	rec.State, rec.RespCode, rec.ReversalReason = store.Approved, "Y1", ""
	rec.ICC, rec.Advice = "9F2608AABBCCDDEEFF0011", txtype.TCUpload
	if err := r.db.Finish(&rec); err != nil {
		t.Fatal(err)
	}
	r.host.answer = func(iso8583.Request) (iso8583.Reply, error) {
		return iso8583.Reply{}, fmt.Errorf("dial: %w", hostlink.ErrNotSent)
	}
	if n := r.eng.ForwardAdvices(context.Background()); n != 0 {
		t.Fatalf("%d advices sent to a host that is down", n)
	}
	if got, _ := r.db.Get(rec.ID); got.Advice != txtype.TCUpload {
		t.Fatal("a failed advice is no longer due")
	}
	var sent iso8583.Request
	r.host.answer = func(req iso8583.Request) (iso8583.Reply, error) {
		sent = req
		return iso8583.Reply{RespCode: "00"}, nil
	}
	if n := r.eng.ForwardAdvices(context.Background()); n != 1 {
		t.Fatalf("%d advices sent, want 1", n)
	}
	if got, _ := r.db.Get(rec.ID); got.Advice != txtype.Unknown {
		t.Error("an acknowledged advice is still due")
	}
	if sent.Type != txtype.TCUpload || len(sent.ICC) != 11 || sent.PAN.Reveal() != testPAN || sent.Original.STAN != rec.STAN {
		t.Errorf("advice = %v icc %X pan %v original %+v", sent.Type, sent.ICC, sent.PAN, sent.Original)
	}
}
