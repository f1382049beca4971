package acquirer_test

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"countertop/internal/acquirer"
	"countertop/internal/carddata"
	"countertop/internal/cardprofile"
	"countertop/internal/keys"
	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/iso8583/frame"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestSignInKeys(t *testing.T) {
	for _, tc := range []struct {
		name, scheme string
		layout       int
		wantTDK      bool
	}{
		{"double-length keys", "003", 0, false},
		{"with track key", "004", 0, true},
		{"layout 60 forced", "003", keys.Layout60, true},
		{"single-length keys", "001", keys.Layout24, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, func(c *acquirer.Config) { c.KeyLayout = tc.layout })
			wk, rep := signIn(t, s.Addr(), term, tc.scheme)
			got, ok := s.TerminalKeys(term.TerminalID)
			if !ok {
				t.Fatal("server does not remember the terminal's keys")
			}
			if !wk.PIK.Equal(got.PIK) || !wk.MAK.Equal(got.MAK) {
				t.Errorf("terminal decrypted PIK %v MAK %v, host has %v %v", wk.PIK, wk.MAK, got.PIK, got.MAK)
			}
			if wk.HasTDK != tc.wantTDK {
				t.Errorf("HasTDK = %t, want %t", wk.HasTDK, tc.wantTDK)
			}
			if rep.Batch == 0 {
				t.Error("sign-in reply carries no batch number in 60.2")
			}
			if !isDigits(rep.RRN, 12) {
				t.Errorf("RRN %q is not 12 digits", rep.RRN)
			}
		})
	}
}

func TestSignInFreshKeysPerTerminal(t *testing.T) {
	s := newServer(t, nil)
	a, _ := signIn(t, s.Addr(), term, "003")
	other := iso8583.Terminal{TerminalID: "10000002", MerchantID: term.MerchantID}
	b, _ := signIn(t, s.Addr(), other, "003")
	if a.MAK.Equal(b.MAK) || a.PIK.Equal(b.PIK) {
		t.Error("two terminals got the same working keys")
	}
	c, _ := signIn(t, s.Addr(), term, "003")
	if c.MAK.Equal(a.MAK) {
		t.Error("a second sign-in did not renew the MAK")
	}
}

func TestSaleApproved(t *testing.T) {
	s := newServer(t, nil)
	wk, _ := signIn(t, s.Addr(), term, "003")
	p := card(t, "cup-debit")
	req := saleReq(t, p, 12345, 7, p.PIN, wk.PIK)
	rep := exchange(t, s.Addr(), req, &wk.MAK) // exchange verifies the reply MAC
	if rep.RespCode != "00" {
		t.Fatalf("response %q, want 00", rep.RespCode)
	}
	if !isDigits(rep.RRN, 12) || !isDigits(rep.AuthCode, 6) {
		t.Errorf("RRN %q / auth code %q: want 12 and 6 digits", rep.RRN, rep.AuthCode)
	}
	if rep.Issuer != p.Issuer || rep.Acquirer != acquirer.DefaultAcquirerID {
		t.Errorf("field 44: issuer %q acquirer %q, want %q %q", rep.Issuer, rep.Acquirer, p.Issuer, acquirer.DefaultAcquirerID)
	}
	if rep.SettleDate != "1127" || rep.HostTime.Format("0102150405") != "1127103000" {
		t.Errorf("settlement date %q host time %v, want the configured clock", rep.SettleDate, rep.HostTime)
	}
	want := []acquirer.Entry{{
		TerminalID: term.TerminalID, STAN: 7, Batch: 1, Type: txtype.Sale,
		Amount: money.New(12345, money.CNY), MaskedPAN: req.PAN.Masked(),
		RRN: rep.RRN, AuthCode: rep.AuthCode,
	}}
	if diff := cmp.Diff(want, s.Ledger(), cmpopts.IgnoreFields(acquirer.Entry{}, "Time")); diff != "" {
		t.Errorf("ledger (-want +got):\n%s", diff)
	}
}

func TestDecisions(t *testing.T) {
	debit := card(t, "cup-debit")
	credit := card(t, "cup-credit")
	unknown := debit
	unknown.PAN = withLuhn("621234000000000000") // not a test card
	unknown.PIN = ""
	for _, tc := range []struct {
		name   string
		rules  acquirer.Rules
		now    time.Time
		amount int64
		card   func() (pan, pin string)
		want   string
	}{
		{name: "fen 51 declines whatever the balance", amount: 151, want: "51"},
		{name: "amount over the balance", amount: debit.BalanceMinor + 1, want: "51"},
		{name: "wrong PIN", amount: 100, card: func() (string, string) { return debit.PAN, "000000" }, want: "55"},
		{name: "lost card", rules: acquirer.Rules{LostPANs: []string{credit.PAN}}, amount: 100,
			card: func() (string, string) { return credit.PAN, credit.PIN }, want: "41"},
		{name: "amount limit", rules: acquirer.Rules{AmountLimitMinor: 1000}, amount: 1001, want: "61"},
		{name: "at the amount limit", rules: acquirer.Rules{AmountLimitMinor: 1000}, amount: 1000, want: "00"},
		{name: "expired card", now: time.Date(2031, 1, 1, 0, 0, 0, 0, time.Local), amount: 100, want: "54"},
		{name: "expired card allowed", rules: acquirer.Rules{AllowExpired: true}, now: time.Date(2031, 1, 1, 0, 0, 0, 0, time.Local), amount: 100, want: "00"},
		{name: "fen code rule", rules: acquirer.Rules{FenCodes: map[string]string{"96": "96"}}, amount: 296, want: "96"},
		{name: "unknown card approved", amount: 100, card: func() (string, string) { return unknown.PAN, "" }, want: "00"},
		{name: "unknown card declined by rule", rules: acquirer.Rules{DeclineUnknownCards: true}, amount: 100,
			card: func() (string, string) { return unknown.PAN, "" }, want: "14"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, func(c *acquirer.Config) {
				c.Rules = tc.rules
				if !tc.now.IsZero() {
					c.Now = func() time.Time { return tc.now }
				}
			})
			wk, _ := signIn(t, s.Addr(), term, "003")
			p := debit
			if tc.card != nil {
				p.PAN, p.PIN = tc.card()
			}
			req := saleReq(t, p, tc.amount, 9, p.PIN, wk.PIK)
			rep := exchange(t, s.Addr(), req, &wk.MAK)
			if rep.RespCode != tc.want {
				t.Fatalf("response %q, want %q", rep.RespCode, tc.want)
			}
			if n := len(s.Ledger()); (n == 1) != (tc.want == "00") {
				t.Errorf("ledger has %d entries after response %s", n, rep.RespCode)
			}
			if tc.want != "00" && rep.AuthCode != "" {
				t.Errorf("declined reply carries auth code %q", rep.AuthCode)
			}
		})
	}
}

func TestRequestMAC(t *testing.T) {
	s := newServer(t, nil)
	p := card(t, "cup-debit")

	t.Run("not signed in", func(t *testing.T) {
		wrong := testTMK(t)
		c, _ := send(t, s.Addr(), saleReq(t, p, 100, 3, "", keys.Key{}), &wrong)
		f, err := readFrame(t, c)
		if err != nil {
			t.Fatal(err)
		}
		_, rep := decode(t, f, nil)
		if rep.RespCode != "A0" {
			t.Errorf("response %q, want A0", rep.RespCode)
		}
	})

	wk, _ := signIn(t, s.Addr(), term, "003")
	for _, tc := range []struct {
		name string
		mak  *keys.Key
	}{
		{"wrong key", &wk.PIK},
		{"no mac", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := send(t, s.Addr(), saleReq(t, p, 100, 4, "", keys.Key{}), tc.mak)
			f, err := readFrame(t, c)
			if err != nil {
				t.Fatal(err)
			}
			_, rep := decode(t, f, &wk.MAK) // the host MACs its A0 with the real MAK
			if rep.RespCode != "A0" {
				t.Errorf("response %q, want A0", rep.RespCode)
			}
			if pr := f.ProcessingRequirement(); pr != acquirer.ReSignIn {
				t.Errorf("processing requirement %d, want %d (sign in again)", pr, acquirer.ReSignIn)
			}
		})
	}
	if n := len(s.Ledger()); n != 0 {
		t.Errorf("ledger has %d entries after MAC failures", n)
	}
}

func TestReversal(t *testing.T) {
	s := newServer(t, nil)
	wk, _ := signIn(t, s.Addr(), term, "003")
	p := card(t, "cup-debit")
	sale := saleReq(t, p, 5000, 21, p.PIN, wk.PIK)
	if rep := exchange(t, s.Addr(), sale, &wk.MAK); rep.RespCode != "00" {
		t.Fatalf("sale: %q", rep.RespCode)
	}
	rev := iso8583.Request{
		Type: txtype.Reversal, Terminal: term, STAN: 22, Amount: sale.Amount, PAN: sale.PAN,
		Entry: sale.Entry, Reason: "98",
		Original: &iso8583.Original{Type: txtype.Sale, Batch: 1, STAN: 21},
	}
	for i := range 2 { // idempotent: a repeated reversal is answered the same
		rep := exchange(t, s.Addr(), rev, &wk.MAK)
		if rep.RespCode != "00" {
			t.Fatalf("reversal %d: response %q, want 00", i, rep.RespCode)
		}
	}
	rev.Reason = "A0"
	exchange(t, s.Addr(), rev, &wk.MAK)
	l := s.Ledger()
	if len(l) != 1 || !l[0].Reversed || l[0].ReversalReason != "98" {
		t.Errorf("ledger after reversals: %+v, want the sale reversed with the first reason 98", l)
	}
	if n := s.OrphanReversals(); n != 0 {
		t.Errorf("orphan reversals = %d, want 0", n)
	}

	// A reversal of something the host never approved is answered 00 too.
	rev.Original.STAN = 99
	if rep := exchange(t, s.Addr(), rev, &wk.MAK); rep.RespCode != "00" {
		t.Errorf("reversal of an unknown original: %q, want 00", rep.RespCode)
	}
	if n := s.OrphanReversals(); n != 1 {
		t.Errorf("orphan reversals = %d, want 1", n)
	}
}

func TestBalanceFollowsLedger(t *testing.T) {
	s := newServer(t, nil)
	wk, _ := signIn(t, s.Addr(), term, "003")
	p := card(t, "cup-credit")
	tr, _ := p.Track2()
	inquiry := func(stan txtype.STAN) int64 {
		t.Helper()
		rep := exchange(t, s.Addr(), iso8583.Request{
			Type: txtype.Balance, Terminal: term, STAN: stan, Batch: 1, Track2: tr,
			Entry: txtype.EntryMagstripe, PINBlock: pinBlock(t, p.PIN, tr.PAN(), wk.PIK),
		}, &wk.MAK)
		if rep.RespCode != "00" || rep.Balance == nil {
			t.Fatalf("balance inquiry: %q, balance %v", rep.RespCode, rep.Balance)
		}
		return rep.Balance.Minor
	}
	before := inquiry(1)
	if before != p.BalanceMinor {
		t.Errorf("balance %d, want the profile's %d", before, p.BalanceMinor)
	}
	if rep := exchange(t, s.Addr(), saleReq(t, p, 30000, 2, p.PIN, wk.PIK), &wk.MAK); rep.RespCode != "00" {
		t.Fatalf("sale: %q", rep.RespCode)
	}
	if after := inquiry(3); after != before-30000 {
		t.Errorf("balance after a 300.00 sale: %d, want %d", after, before-30000)
	}
	// Spend what is left plus one fen: insufficient funds.
	if rep := exchange(t, s.Addr(), saleReq(t, p, before-30000+1, 4, p.PIN, wk.PIK), &wk.MAK); rep.RespCode != "51" {
		t.Errorf("sale over the remaining balance: %q, want 51", rep.RespCode)
	}
}

func TestUniqueReferences(t *testing.T) {
	s := newServer(t, nil)
	wk, _ := signIn(t, s.Addr(), term, "003")
	p := card(t, "cup-debit")
	rrns, auths := map[string]bool{}, map[string]bool{}
	for i := range 30 {
		rep := exchange(t, s.Addr(), saleReq(t, p, 100, txtype.STAN(100+i), "", keys.Key{}), &wk.MAK)
		if rrns[rep.RRN] || auths[rep.AuthCode] {
			t.Fatalf("sale %d: RRN %s or auth code %s repeated", i, rep.RRN, rep.AuthCode)
		}
		rrns[rep.RRN], auths[rep.AuthCode] = true, true
	}
}

func TestEcho(t *testing.T) {
	s := newServer(t, nil)
	rep := exchange(t, s.Addr(), iso8583.Request{Type: txtype.Echo, Terminal: term, STAN: 5, Batch: 1}, nil)
	if rep.RespCode != "00" {
		t.Errorf("echo: %q", rep.RespCode)
	}
}

func TestFaults(t *testing.T) {
	p := card(t, "cup-debit")
	for _, tc := range []struct {
		kind  acquirer.FaultKind
		check func(t *testing.T, c net.Conn, reqFrame frame.Frame, mak keys.Key)
	}{
		{acquirer.FaultDrop, func(t *testing.T, c net.Conn, _ frame.Frame, _ keys.Key) {
			if _, err := readFrame(t, c); err != io.EOF {
				t.Errorf("read after drop: %v, want io.EOF", err)
			}
		}},
		{acquirer.FaultGarble, func(t *testing.T, c net.Conn, _ frame.Frame, _ keys.Key) {
			f, err := readFrame(t, c)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := iso8583.CUP.Unpack(f.Body); !errors.Is(err, iso8583.ErrMalformed) {
				t.Errorf("garbled body unpacks: %v", err)
			}
		}},
		{acquirer.FaultTruncate, func(t *testing.T, c net.Conn, _ frame.Frame, _ keys.Key) {
			if _, err := readFrame(t, c); !errors.Is(err, frame.ErrTruncated) {
				t.Errorf("read truncated reply: %v, want ErrTruncated", err)
			}
		}},
		{acquirer.FaultBadMAC, func(t *testing.T, c net.Conn, _ frame.Frame, mak keys.Key) {
			f, err := readFrame(t, c)
			if err != nil {
				t.Fatal(err)
			}
			decode(t, f, nil)
			if err := checkMAC(f.Body, mak); !errors.Is(err, errMAC) {
				t.Errorf("reply MAC check: %v, want a mismatch", err)
			}
		}},
		{acquirer.FaultDuplicate, func(t *testing.T, c net.Conn, _ frame.Frame, mak keys.Key) {
			a, err := readFrame(t, c)
			if err != nil {
				t.Fatal(err)
			}
			b, err := readFrame(t, c)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("duplicate differs (-first +second):\n%s", diff)
			}
			decode(t, a, &mak)
		}},
		{acquirer.FaultStale, func(t *testing.T, c net.Conn, _ frame.Frame, mak keys.Key) {
			a, err := readFrame(t, c)
			if err != nil {
				t.Fatal(err)
			}
			b, err := readFrame(t, c)
			if err != nil {
				t.Fatal(err)
			}
			am, _ := decode(t, a, &mak)
			bm, _ := decode(t, b, &mak)
			as, _ := am.GetString(11)
			bs, _ := bm.GetString(11)
			if as != "000041" || bs != "000042" {
				t.Errorf("STANs of the replies: %s then %s, want 000041 then 000042", as, bs)
			}
		}},
		{acquirer.FaultDelay, func(t *testing.T, c net.Conn, _ frame.Frame, mak keys.Key) {
			start := time.Now()
			f, err := readFrame(t, c)
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d < 50*time.Millisecond {
				t.Errorf("delayed reply arrived after %v, want >= 50ms", d)
			}
			decode(t, f, &mak)
		}},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			s := newServer(t, nil)
			wk, _ := signIn(t, s.Addr(), term, "003")
			s.InjectFault(acquirer.Fault{Kind: tc.kind, Type: txtype.Sale, Delay: 50 * time.Millisecond})
			c, rf := send(t, s.Addr(), saleReq(t, p, 100, 42, p.PIN, wk.PIK), &wk.MAK)
			tc.check(t, c, rf, wk.MAK)
			if pf := s.PendingFaults(); len(pf) != 0 {
				t.Errorf("faults left: %+v", pf)
			}
			// The host processed the sale: it is in the ledger, to be reversed.
			if l := s.Ledger(); len(l) != 1 {
				t.Errorf("ledger has %d entries, want the processed sale", len(l))
			}
			// The next request is answered normally.
			rep := exchange(t, s.Addr(), saleReq(t, p, 100, 43, p.PIN, wk.PIK), &wk.MAK)
			if rep.RespCode != "00" {
				t.Errorf("next sale: %q", rep.RespCode)
			}
		})
	}
}

func TestFaultMatching(t *testing.T) {
	s := newServer(t, nil)
	s.InjectFault(acquirer.Fault{Kind: acquirer.FaultDrop, Type: txtype.Sale, TerminalID: "99999999", Times: 2})
	s.InjectFault(acquirer.Fault{Kind: acquirer.FaultDrop, Type: txtype.Echo})
	// Sign-in matches neither fault.
	signIn(t, s.Addr(), term, "003")
	c, _ := send(t, s.Addr(), iso8583.Request{Type: txtype.Echo, Terminal: term, STAN: 2, Batch: 1}, nil)
	if _, err := readFrame(t, c); err != io.EOF {
		t.Errorf("echo with a drop fault: %v, want io.EOF", err)
	}
	want := []acquirer.Fault{{Kind: acquirer.FaultDrop, Type: txtype.Sale, TerminalID: "99999999", Times: 2}}
	if diff := cmp.Diff(want, s.PendingFaults()); diff != "" {
		t.Errorf("pending faults (-want +got):\n%s", diff)
	}
}

func TestMalformedInputClosesConnection(t *testing.T) {
	s := newServer(t, nil)
	for _, tc := range []struct {
		name string
		raw  []byte
	}{
		{"short frame", []byte{0x00, 0x03, 1, 2, 3}},
		{"garbage body", append([]byte{0x00, 0x10}, make([]byte, 16)...)},
		{"oversized length", []byte{0xFF, 0xFF, 0x60}},
		{"truncated then closed", []byte{0x00, 0x40, 0x60, 0x00}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write(tc.raw)
			if tc.name == "truncated then closed" {
				c.(*net.TCPConn).CloseWrite()
			}
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			// Closed with our bytes unread, the kernel may answer with a reset.
			if n, err := c.Read(make([]byte, 64)); err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("read after bad input: %d bytes, %v; want the connection closed", n, err)
			}
		})
	}
	// The server still works.
	if rep := exchange(t, s.Addr(), iso8583.Request{Type: txtype.Echo, Terminal: term, STAN: 5, Batch: 1}, nil); rep.RespCode != "00" {
		t.Errorf("echo after bad input: %q", rep.RespCode)
	}
}

func TestCloseAbandonsDelayedReply(t *testing.T) {
	cfg := func(c *acquirer.Config) {}
	s := newServer(t, cfg)
	s.InjectFault(acquirer.Fault{Kind: acquirer.FaultDelay, Delay: time.Hour})
	c, _ := send(t, s.Addr(), iso8583.Request{Type: txtype.Echo, Terminal: term, STAN: 5, Batch: 1}, nil)
	// Wait until the server has read the request (the fault is used up).
	for deadline := time.Now().Add(2 * time.Second); len(s.PendingFaults()) != 0; {
		if time.Now().After(deadline) {
			t.Fatal("the server never took the request")
		}
		time.Sleep(time.Millisecond)
	}
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close blocked on a delayed reply")
	}
	if _, err := readFrame(t, c); err != io.EOF {
		t.Errorf("read after Close: %v, want io.EOF", err)
	}
}

// withLuhn appends the Luhn check digit to digits.
func withLuhn(digits string) string {
	for d := '0'; d <= '9'; d++ {
		if s := digits + string(d); carddata.Luhn(s) {
			return s
		}
	}
	panic("unreachable")
}

func TestVoid(t *testing.T) {
	s := newServer(t, nil)
	wk, _ := signIn(t, s.Addr(), term, "003")
	p := card(t, "cup-debit")
	sale := saleReq(t, p, 7000, 31, p.PIN, wk.PIK)
	srep := exchange(t, s.Addr(), sale, &wk.MAK)
	if srep.RespCode != "00" {
		t.Fatalf("sale: %q", srep.RespCode)
	}
	void := sale
	void.Type, void.STAN = txtype.Void, 32
	void.Original = &iso8583.Original{Type: txtype.Sale, Batch: 1, STAN: 31, RRN: srep.RRN, AuthCode: srep.AuthCode}
	if rep := exchange(t, s.Addr(), void, &wk.MAK); rep.RespCode != "00" {
		t.Fatalf("void: %q", rep.RespCode)
	}
	if l := s.Ledger(); len(l) != 2 || !l[0].Voided || l[1].Type != txtype.Void {
		t.Fatalf("ledger after void: %+v", l)
	}
	// A second void of the same sale finds no standing original.
	void.STAN = 33
	if rep := exchange(t, s.Addr(), void, &wk.MAK); rep.RespCode != "25" {
		t.Errorf("second void: %q, want 25", rep.RespCode)
	}
	// Reversing the first void makes the sale stand again.
	rev := iso8583.Request{
		Type: txtype.Reversal, Terminal: term, Amount: void.Amount, PAN: void.PAN, Entry: void.Entry,
		Reason: "98", Original: &iso8583.Original{Type: txtype.Void, Batch: 1, STAN: 32},
	}
	if rep := exchange(t, s.Addr(), rev, &wk.MAK); rep.RespCode != "00" {
		t.Fatalf("reversal of the void: %q", rep.RespCode)
	}
	l := s.Ledger()
	if l[0].Voided || l[0].Reversed || !l[1].Reversed {
		t.Errorf("ledger after reversing the void: %+v", l)
	}
}

// TestRefusedRequests: messages that decode but are not requests the simulator can
// take are answered with a response code (MACed for a known terminal), not dropped.
func TestRefusedRequests(t *testing.T) {
	s := newServer(t, nil)
	wk, _ := signIn(t, s.Addr(), term, "003")
	p := card(t, "cup-debit")
	for _, tc := range []struct {
		name string
		mod  func(t *testing.T) []byte
		want string
	}{
		{"unsupported message", func(t *testing.T) []byte {
			m := iso8583.CUP.NewMessage()
			m.MTI("0620") // administrative advice: not in the dialect's table
			for id, v := range map[int]string{11: "000077", 41: term.TerminalID, 42: term.MerchantID, 60: "00000001201"} {
				if err := m.Field(id, v); err != nil {
					t.Fatal(err)
				}
			}
			b, err := iso8583.CUP.Pack(m, func(mab []byte) ([]byte, error) { return keys.MAC(keys.MACCUPECB, wk.MAK, mab) })
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, "40"},
		{"bad card number", func(t *testing.T) []byte {
			m, err := iso8583.CUP.Build(saleReq(t, p, 100, 78, "", keys.Key{}))
			if err != nil {
				t.Fatal(err)
			}
			m.UnsetField(35)
			bad := p.PAN[:len(p.PAN)-1] + string('0'+(p.PAN[len(p.PAN)-1]-'0'+1)%10)
			if err := m.Field(2, bad); err != nil {
				t.Fatal(err)
			}
			b, err := iso8583.CUP.Pack(m, func(mab []byte) ([]byte, error) { return keys.MAC(keys.MACCUPECB, wk.MAK, mab) })
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, "14"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := frame.Write(c, frame.Frame{TPDU: iso8583.CUP.TPDU, Header: iso8583.CUP.Header, Body: tc.mod(t)}); err != nil {
				t.Fatal(err)
			}
			f, err := readFrame(t, c)
			if err != nil {
				t.Fatalf("no reply: %v", err)
			}
			_, rep := decode(t, f, &wk.MAK)
			if rep.RespCode != tc.want {
				t.Errorf("response %q, want %q", rep.RespCode, tc.want)
			}
		})
	}
	if len(s.Ledger()) != 0 {
		t.Error("a refused request reached the ledger")
	}
}

func TestSettlement(t *testing.T) {
	s := newServer(t, nil)
	wk, _ := signIn(t, s.Addr(), term, "003")
	debit, visa := card(t, "cup-debit"), card(t, "visa-credit")
	var stan txtype.STAN
	saleOf := func(p cardprofile.Profile, amount int64) iso8583.Reply {
		t.Helper()
		stan++
		rep := exchange(t, s.Addr(), saleReq(t, p, amount, stan, p.PIN, wk.PIK), &wk.MAK)
		if rep.RespCode != "00" {
			t.Fatalf("sale: %q", rep.RespCode)
		}
		return rep
	}
	saleOf(debit, 1000)
	saleOf(debit, 2000)
	saleOf(visa, 700)
	// A reversed sale is not counted.
	saleOf(debit, 9900)
	exchange(t, s.Addr(), iso8583.Request{Type: txtype.Reversal, Terminal: term, Amount: money.New(9900, money.CNY),
		PAN: saleReq(t, debit, 1, 1, "", keys.Key{}).PAN, Entry: txtype.EntryMagstripe, Reason: "98",
		Original: &iso8583.Original{Type: txtype.Sale, Batch: 1, STAN: stan}}, &wk.MAK)

	settle := func(tot *iso8583.Totals) string {
		t.Helper()
		stan++
		rep := exchange(t, s.Addr(), iso8583.Request{Type: txtype.Settlement, Terminal: term, STAN: stan, Batch: 1, Operator: "01", Totals: tot}, &wk.MAK)
		if rep.RespCode != "00" {
			t.Fatalf("settlement: %q", rep.RespCode)
		}
		return rep.SettleResult
	}
	right := &iso8583.Totals{DebitAmount: 3000, DebitCount: 2, ForeignDebitAmount: 700, ForeignDebitCount: 1}
	if got := settle(right); got != "11" {
		t.Errorf("balanced totals: result %q, want 11", got)
	}
	wrong := *right
	wrong.DebitCount = 3
	if got := settle(&wrong); got != "21" {
		t.Errorf("domestic count off: result %q, want 21", got)
	}
	// After settling batch 1, a sign-in gives batch 2.
	if _, rep := signIn(t, s.Addr(), term, "003"); rep.Batch != 2 {
		t.Errorf("batch after settlement: %d, want 2", rep.Batch)
	}
}
