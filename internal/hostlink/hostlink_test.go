package hostlink_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"countertop/internal/acquirer"
	"countertop/internal/carddata"
	"countertop/internal/cardprofile"
	"countertop/internal/hostlink"
	"countertop/internal/keys"
	"countertop/internal/money"
	"countertop/internal/msgs"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/iso8583/frame"
	"countertop/testdata"

	"github.com/google/go-cmp/cmp"
)

var term = iso8583.Terminal{TerminalID: "20000001", MerchantID: "898100012340002"}

// Real timeouts. Exchanges expected to succeed get a generous one (a loaded CI
// machine must not turn them into "no answer"); only the exchange meant to time out
// uses the short one, so no test waits more than a few hundred milliseconds.
const (
	responseTimeout = 5 * time.Second
	shortTimeout    = 100 * time.Millisecond
	pastTimeout     = 10 * time.Second // a delayed reply; Close abandons it
)

func tmk(t testing.TB) keys.Key {
	t.Helper()
	k, err := keys.ParseHexKey(acquirer.TestTMK)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var loadCards = sync.OnceValues(func() ([]cardprofile.Profile, error) { return cardprofile.Load(testdata.FS, "cards") })

func cards(t testing.TB) []cardprofile.Profile {
	t.Helper()
	cs, err := loadCards()
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func newHost(t testing.TB) *acquirer.Server {
	t.Helper()
	s, err := acquirer.NewServer(acquirer.Config{
		Dialect: iso8583.CUP, TMK: tmk(t), MACAlgorithm: keys.MACCUPECB, Cards: cards(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// logBuffer collects log output so tests can check that no secret leaks into it.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newClient(t testing.TB, addr string, logs io.Writer) *hostlink.Client {
	t.Helper()
	return newClientTimeout(t, addr, logs, responseTimeout)
}

func newClientTimeout(t testing.TB, addr string, logs io.Writer, timeout time.Duration) *hostlink.Client {
	t.Helper()
	var log *slog.Logger
	if logs != nil {
		log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return hostlink.New(hostlink.Config{
		Addr: addr, ConnectTimeout: 5 * time.Second, ResponseTimeout: timeout,
		Dialect: iso8583.CUP, Terminal: term, MACAlgorithm: keys.MACCUPECB,
	}, log)
}

// signIn signs the client in and returns the working keys.
func signIn(t testing.TB, c *hostlink.Client) keys.WorkingKeys {
	t.Helper()
	rep, err := c.Do(context.Background(), iso8583.Request{Type: txtype.SignIn, STAN: 1, Batch: 1, Operator: "01"}, nil)
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	if rep.RespCode != "00" {
		t.Fatalf("sign-in: response %q", rep.RespCode)
	}
	wk, err := keys.ParseWorkingKeys(rep.Field62, tmk(t))
	if err != nil {
		t.Fatalf("sign-in keys: %v", err)
	}
	c.SetMACKey(wk.MAK)
	return wk
}

func sale(t testing.TB, name string, amount int64, stan txtype.STAN, pik keys.Key) iso8583.Request {
	t.Helper()
	p, err := cardprofile.Find(cards(t), name)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := p.Track2()
	if err != nil {
		t.Fatal(err)
	}
	clear, err := keys.ClearPINBlock(p.PIN, tr.PAN())
	if err != nil {
		t.Fatal(err)
	}
	enc, err := keys.EncryptPINBlock(pik, clear)
	if err != nil {
		t.Fatal(err)
	}
	return iso8583.Request{
		Type: txtype.Sale, STAN: stan, Batch: 1, Operator: "01",
		Amount: money.New(amount, money.CNY), PAN: tr.PAN(), Track2: tr,
		Entry: txtype.EntryMagstripe, PINBlock: carddata.NewPINBlock(enc),
	}
}

func TestSignInAndSale(t *testing.T) {
	host := newHost(t)
	var logs logBuffer
	c := newClient(t, host.Addr(), &logs)
	if c.HasMACKey() {
		t.Fatal("HasMACKey before sign-in")
	}
	wk := signIn(t, c)
	if !c.HasMACKey() {
		t.Fatal("no MAC key after SetMACKey")
	}
	hk, _ := host.TerminalKeys(term.TerminalID)
	if !hk.MAK.Equal(wk.MAK) {
		t.Fatal("client and host disagree on the MAK")
	}

	var stages []hostlink.Stage
	req := sale(t, "cup-debit", 8800, 2, wk.PIK)
	rep, err := c.Do(context.Background(), req, func(s hostlink.Stage) { stages = append(stages, s) })
	if err != nil {
		t.Fatalf("sale: %v", err)
	}
	if rep.HostRequest != 0 {
		t.Errorf("host request %d on a normal reply", rep.HostRequest)
	}
	if rep.RespCode != "00" || len(rep.AuthCode) != 6 || len(rep.RRN) != 12 {
		t.Errorf("sale reply: rc %q auth %q rrn %q; want 00 with 6-digit auth code and 12-digit RRN", rep.RespCode, rep.AuthCode, rep.RRN)
	}
	if diff := cmp.Diff([]hostlink.Stage{hostlink.Connecting, hostlink.Sending, hostlink.Receiving}, stages); diff != "" {
		t.Errorf("stages (-want +got):\n%s", diff)
	}
	l := host.Ledger()
	if len(l) != 1 || l[0].RRN != rep.RRN || l[0].AuthCode != rep.AuthCode {
		t.Errorf("host ledger %+v does not hold the approved sale %s/%s", l, rep.RRN, rep.AuthCode)
	}

	// Nothing secret reached the log, but the exchange was described.
	out := logs.String()
	for name, secret := range map[string]string{
		"PAN": req.PAN.Reveal(), "track": req.Track2.Reveal(), "track (D)": strings.ReplaceAll(req.Track2.Reveal(), "=", "D"),
		"MAK": strings.ToUpper(hexs(wk.MAK.Bytes())), "PIK": strings.ToUpper(hexs(wk.PIK.Bytes())),
		"pin block": strings.ToUpper(hexs(req.PINBlock.Reveal())),
	} {
		if strings.Contains(strings.ToUpper(out), secret) {
			t.Errorf("the log contains the %s", name)
		}
	}
	if !strings.Contains(out, "MTI 0210") || !strings.Contains(out, req.PAN.Masked()) {
		t.Errorf("debug log lacks the masked reply description:\n%s", out)
	}
}

func hexs(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestSaleDeclined51(t *testing.T) {
	host := newHost(t)
	c := newClient(t, host.Addr(), nil)
	wk := signIn(t, c)
	rep, err := c.Do(context.Background(), sale(t, "cup-debit", 12351, 2, wk.PIK), nil)
	if err != nil {
		t.Fatalf("sale: %v", err)
	}
	if rep.RespCode != "51" || rep.AuthCode != "" {
		t.Errorf("rc %q auth %q, want 51 without auth code", rep.RespCode, rep.AuthCode)
	}
	if len(host.Ledger()) != 0 {
		t.Error("declined sale in the host ledger")
	}
}

func TestNotSignedIn(t *testing.T) {
	host := newHost(t)
	c := newClient(t, host.Addr(), nil)
	called := false
	_, err := c.Do(context.Background(), sale(t, "cup-debit", 100, 2, tmk(t)), func(hostlink.Stage) { called = true })
	if !errors.Is(err, hostlink.ErrNotSignedIn) {
		t.Fatalf("err = %v, want ErrNotSignedIn", err)
	}
	if called || hostlink.OutcomeUnknown(err) || hostlink.ReversalReason(err) != "" {
		t.Errorf("not signed in: stage reported %t, outcome unknown %t, reversal %q", called, hostlink.OutcomeUnknown(err), hostlink.ReversalReason(err))
	}
	if got := hostlink.MessageCode(err); got != msgs.SignInNeeded {
		t.Errorf("MessageCode = %q, want %q", got, msgs.SignInNeeded)
	}
	// Echo needs no MAC key.
	if _, err := c.Do(context.Background(), iso8583.Request{Type: txtype.Echo, STAN: 3, Batch: 1}, nil); err != nil {
		t.Errorf("echo without a MAC key: %v", err)
	}
}

// TestFaults plays every fault the acquirer can inject against the client and
// checks the error class, the reversal the caller must make and the merchant
// message.
func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		kind     acquirer.FaultKind
		outcome  error // nil: the exchange succeeds
		reversal string
		code     msgs.Code
	}{
		{acquirer.FaultDelay, hostlink.ErrNoAnswer, "98", msgs.ReceiveFailed},
		{acquirer.FaultDrop, hostlink.ErrNoAnswer, "98", msgs.ReceiveFailed},
		{acquirer.FaultGarble, hostlink.ErrBadReply, "98", msgs.HostUnknownReply},
		{acquirer.FaultTruncate, hostlink.ErrBadReply, "98", msgs.HostUnknownReply},
		{acquirer.FaultBadMAC, hostlink.ErrBadMAC, "A0", msgs.MACFailed},
		{acquirer.FaultDuplicate, nil, "", ""},
		{acquirer.FaultStale, nil, "", ""}, // the late reply is skipped
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			host := newHost(t)
			var logs logBuffer
			c := newClient(t, host.Addr(), &logs)
			wk := signIn(t, c)
			host.InjectFault(acquirer.Fault{Kind: tc.kind, Type: txtype.Sale, Delay: pastTimeout})
			faulty := c
			if tc.kind == acquirer.FaultDelay {
				faulty = newClientTimeout(t, host.Addr(), &logs, shortTimeout)
				faulty.SetMACKey(wk.MAK)
			}
			start := time.Now()
			rep, err := faulty.Do(context.Background(), sale(t, "cup-debit", 4200, 7, wk.PIK), nil)
			if elapsed := time.Since(start); elapsed > pastTimeout/2 {
				t.Errorf("exchange took %v: it waited for the delayed reply", elapsed)
			}
			if tc.outcome == nil {
				if err != nil || rep.RespCode != "00" {
					t.Fatalf("Do = %q, %v; want an approval", rep.RespCode, err)
				}
				if tc.kind == acquirer.FaultStale && !strings.Contains(logs.String(), "skipping unmatched reply") {
					t.Error("the stale reply was not logged as skipped")
				}
				return
			}
			if !errors.Is(err, tc.outcome) {
				t.Fatalf("err = %v, want %v", err, tc.outcome)
			}
			if !hostlink.OutcomeUnknown(err) {
				t.Error("OutcomeUnknown = false after sending")
			}
			if got := hostlink.ReversalReason(err); got != tc.reversal {
				t.Errorf("ReversalReason = %q, want %q", got, tc.reversal)
			}
			if got := hostlink.MessageCode(err); got != tc.code {
				t.Errorf("MessageCode = %q, want %q", got, tc.code)
			}
			if e, ok := errors.AsType[*hostlink.Error](err); !ok || e.Stage != hostlink.Receiving {
				t.Errorf("error %v is not an *Error at the receiving stage", err)
			}
			// The host approved it: the reversal the caller sends clears it.
			rev := iso8583.Request{
				Type: txtype.Reversal, STAN: 8, Amount: money.New(4200, money.CNY),
				PAN: sale(t, "cup-debit", 4200, 7, wk.PIK).PAN, Entry: txtype.EntryMagstripe,
				Reason: hostlink.ReversalReason(err), Original: &iso8583.Original{Type: txtype.Sale, Batch: 1, STAN: 7},
			}
			rrep, err := c.Do(context.Background(), rev, nil)
			if err != nil || rrep.RespCode != "00" {
				t.Fatalf("reversal: %q, %v", rrep.RespCode, err)
			}
			l := host.Ledger()
			if len(l) != 1 || !l[0].Reversed || l[0].ReversalReason != tc.reversal {
				t.Errorf("host ledger after reversal: %+v", l)
			}
		})
	}
}

func TestNotSent(t *testing.T) {
	// A port nobody listens on: take one and close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	c := newClient(t, addr, nil)
	c.SetMACKey(tmk(t))
	_, err = c.Do(context.Background(), sale(t, "cup-debit", 100, 2, tmk(t)), nil)
	if !errors.Is(err, hostlink.ErrNotSent) || hostlink.OutcomeUnknown(err) || hostlink.ReversalReason(err) != "" {
		t.Fatalf("connection refused: %v (outcome unknown %t)", err, hostlink.OutcomeUnknown(err))
	}
	if got := hostlink.MessageCode(err); got != msgs.ConnectFailed {
		t.Errorf("MessageCode = %q, want %q", got, msgs.ConnectFailed)
	}

	// ctx already cancelled: nothing sent.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Do(ctx, sale(t, "cup-debit", 100, 2, tmk(t)), nil)
	if !errors.Is(err, hostlink.ErrNotSent) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before sending: %v", err)
	}
	if got := hostlink.MessageCode(err); got != msgs.Cancelled {
		t.Errorf("MessageCode = %q, want %q", got, msgs.Cancelled)
	}
}

func TestCancelWhileWaiting(t *testing.T) {
	host := newHost(t)
	c := hostlink.New(hostlink.Config{
		Addr: host.Addr(), ConnectTimeout: time.Second, ResponseTimeout: time.Minute,
		Dialect: iso8583.CUP, Terminal: term,
	}, nil)
	wk := signIn(t, c)
	host.InjectFault(acquirer.Fault{Kind: acquirer.FaultDelay, Type: txtype.Sale, Delay: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	var cancelledAt time.Time
	_, err := c.Do(ctx, sale(t, "cup-debit", 100, 2, wk.PIK), func(s hostlink.Stage) {
		if s == hostlink.Receiving {
			go func() {
				time.Sleep(20 * time.Millisecond)
				cancelledAt = time.Now()
				cancel()
			}()
		}
	})
	if d := time.Since(cancelledAt); d > time.Second {
		t.Errorf("Do returned %v after the cancel", d)
	}
	if !errors.Is(err, hostlink.ErrNoAnswer) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while waiting: %v, want ErrNoAnswer and context.Canceled", err)
	}
	if hostlink.ReversalReason(err) != "98" {
		t.Errorf("ReversalReason = %q, want 98", hostlink.ReversalReason(err))
	}
}

// TestUnmatchedReplies feeds the client hand-made replies from a fake host: each
// unmatched one is skipped, the matching one accepted.
func TestUnmatchedReplies(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	mak := tmk(t)
	d := iso8583.CUP
	done := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		f, err := frame.Read(conn, 4096)
		if err != nil {
			done <- err
			return
		}
		reqMsg, err := d.Unpack(f.Body)
		if err != nil {
			done <- err
			return
		}
		n := 0
		reply := func(mod func(m interface{ Field(int, string) error }) error) error {
			n++
			rrn := fmt.Sprintf("%012d", n)
			m, err := d.BuildReply(reqMsg, iso8583.Reply{RespCode: "00", RRN: rrn, AuthCode: "123456"})
			if err != nil {
				return err
			}
			if err := mod(m); err != nil {
				return err
			}
			body, err := d.Pack(m, func(mab []byte) ([]byte, error) { return keys.MAC(keys.MACCUPECB, mak, mab) })
			if err != nil {
				return err
			}
			return frame.Write(conn, frame.Frame{TPDU: f.TPDU, Header: f.Header, Body: body}.SwapTPDU())
		}
		for _, mod := range []func(m interface{ Field(int, string) error }) error{
			func(m interface{ Field(int, string) error }) error { return m.Field(11, "000001") },          // earlier STAN
			func(m interface{ Field(int, string) error }) error { return m.Field(4, "000000000001") },     // other amount
			func(m interface{ Field(int, string) error }) error { return m.Field(41, "99999999") },        // other terminal
			func(m interface{ Field(int, string) error }) error { return m.Field(42, "999999999999999") }, // other merchant
			func(m interface{ Field(int, string) error }) error { return nil },                            // ours
		} {
			if err := reply(mod); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	c := newClient(t, ln.Addr().String(), nil)
	c.SetMACKey(mak)
	rep, err := c.Do(context.Background(), sale(t, "cup-debit", 100, 5, mak), nil)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if rep.RRN != "000000000005" {
		t.Errorf("accepted the reply with RRN %q, want the fifth (the only matching one)", rep.RRN)
	}
	if err := <-done; err != nil {
		t.Fatalf("fake host: %v", err)
	}
}

func TestBadTPDU(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		f, err := frame.Read(conn, 4096)
		if err != nil {
			return
		}
		frame.Write(conn, f) // echoed unswapped
	}()
	c := newClient(t, ln.Addr().String(), nil)
	_, err = c.Do(context.Background(), iso8583.Request{Type: txtype.Echo, STAN: 3, Batch: 1}, nil)
	if !errors.Is(err, hostlink.ErrBadReply) {
		t.Fatalf("unswapped TPDU: %v, want ErrBadReply", err)
	}
}

func TestErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		err     error
		unknown bool
		reason  string
		code    msgs.Code
	}{
		{nil, false, "", ""},
		{errors.New("other"), false, "", ""},
		{&hostlink.Error{Stage: hostlink.Connecting, Outcome: hostlink.ErrNotSent}, false, "", msgs.ConnectFailed},
		{&hostlink.Error{Stage: hostlink.Sending, Outcome: hostlink.ErrNotSent}, false, "", msgs.SendFailed},
		{&hostlink.Error{Stage: hostlink.Sending, Outcome: hostlink.ErrNotSignedIn}, false, "", msgs.SignInNeeded},
		{&hostlink.Error{Stage: hostlink.Receiving, Outcome: hostlink.ErrNoAnswer}, true, "98", msgs.ReceiveFailed},
		{&hostlink.Error{Stage: hostlink.Receiving, Outcome: hostlink.ErrBadReply}, true, "98", msgs.HostUnknownReply},
		{&hostlink.Error{Stage: hostlink.Receiving, Outcome: hostlink.ErrBadMAC}, true, "A0", msgs.MACFailed},
	} {
		if got := hostlink.OutcomeUnknown(tc.err); got != tc.unknown {
			t.Errorf("OutcomeUnknown(%v) = %t", tc.err, got)
		}
		if got := hostlink.ReversalReason(tc.err); got != tc.reason {
			t.Errorf("ReversalReason(%v) = %q, want %q", tc.err, got, tc.reason)
		}
		if got := hostlink.MessageCode(tc.err); got != tc.code {
			t.Errorf("MessageCode(%v) = %q, want %q", tc.err, got, tc.code)
		}
		if tc.code != "" && !msgs.Known(tc.code) {
			t.Errorf("code %q is not in the catalogue", tc.code)
		}
	}
	for s, want := range map[hostlink.Stage]msgs.Code{hostlink.Connecting: msgs.Connecting, hostlink.Sending: msgs.Sending, hostlink.Receiving: msgs.Receiving, 7: msgs.Processing} {
		if got := s.MessageCode(); got != want {
			t.Errorf("Stage(%d).MessageCode() = %q, want %q", int(s), got, want)
		}
	}
	for ty, want := range map[txtype.Type]bool{txtype.SignIn: false, txtype.Echo: false, txtype.SignOff: false,
		txtype.Sale: true, txtype.Reversal: true, txtype.Balance: true, txtype.Refund: true, txtype.Settlement: true} {
		if got := hostlink.Macked(ty); got != want {
			t.Errorf("Macked(%s) = %t, want %t", ty, got, want)
		}
	}
	for s, want := range map[hostlink.Stage]string{hostlink.Connecting: "connecting", hostlink.Sending: "sending", hostlink.Receiving: "receiving", 7: "stage(7)"} {
		if s.String() != want {
			t.Errorf("Stage(%d).String() = %q, want %q", int(s), s.String(), want)
		}
	}
}

// TestHostLostKeys: the host has no keys for the terminal (it restarted): it answers
// A0 without a MAC, which the client cannot trust: ErrBadMAC, reversal A0, and the
// unverified reply shows why (sign in again).
func TestHostLostKeys(t *testing.T) {
	host := newHost(t)
	c := newClient(t, host.Addr(), nil)
	c.SetMACKey(tmk(t)) // a key from a sign-in the host no longer remembers
	rep, err := c.Do(context.Background(), sale(t, "cup-debit", 100, 2, tmk(t)), nil)
	if !errors.Is(err, hostlink.ErrBadMAC) || hostlink.ReversalReason(err) != "A0" {
		t.Fatalf("err = %v, want ErrBadMAC", err)
	}
	if rep.RespCode != "A0" || rep.HostRequest != acquirer.ReSignIn {
		t.Errorf("unverified reply: code %q, host request %d; want A0 and %d", rep.RespCode, rep.HostRequest, acquirer.ReSignIn)
	}
}

// TestCancelAtStage cancels ctx from the stage callback, just before the write or
// just before the wait: before the write nothing is sent; after it the outcome is
// unknown. Either way Do returns at once (the response timeout is a minute).
func TestCancelAtStage(t *testing.T) {
	for _, tc := range []struct {
		stage   hostlink.Stage
		outcome error
		code    msgs.Code
	}{
		{hostlink.Connecting, hostlink.ErrNotSent, msgs.Cancelled},
		{hostlink.Sending, hostlink.ErrNotSent, msgs.Cancelled},
		{hostlink.Receiving, hostlink.ErrNoAnswer, msgs.ReceiveFailed},
	} {
		t.Run(tc.stage.String(), func(t *testing.T) {
			host := newHost(t)
			c := newClientTimeout(t, host.Addr(), nil, time.Minute)
			wk := signIn(t, c)
			host.InjectFault(acquirer.Fault{Kind: acquirer.FaultDelay, Type: txtype.Sale, Delay: time.Minute})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			start := time.Now()
			_, err := c.Do(ctx, sale(t, "cup-debit", 100, 2, wk.PIK), func(s hostlink.Stage) {
				if s == tc.stage {
					cancel()
				}
			})
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Do returned after %v", d)
			}
			if !errors.Is(err, tc.outcome) || !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want %v and context.Canceled", err, tc.outcome)
			}
			if got := hostlink.MessageCode(err); got != tc.code {
				t.Errorf("MessageCode = %q, want %q", got, tc.code)
			}
			// Whether the host got the sale: it used up the fault.
			if tc.outcome == hostlink.ErrNoAnswer {
				for deadline := time.Now().Add(2 * time.Second); len(host.PendingFaults()) != 0; time.Sleep(time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatal("outcome unknown, but the host never received the request")
					}
				}
			} else if len(host.PendingFaults()) == 0 {
				t.Error("not sent, but the host received the request")
			}
		})
	}
}
