package acquirer

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"

	"countertop/internal/carddata"
	"countertop/internal/cardprofile"
	"countertop/internal/keys"
	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/iso8583/frame"

	moov "github.com/moov-io/iso8583"
)

// answer decodes one request frame and builds the reply frame with the fault to
// apply. An error means the frame was not a request message the dialect can read:
// the connection is closed. A readable message the simulator cannot take as a
// request (a type the dialect does not map, a bad card number …) is answered with
// a response code: "40" unsupported, "14" bad card number, "30" format error.
func (s *Server) answer(f frame.Frame, log *slog.Logger) (outgoing, error) {
	d := s.cfg.Dialect
	msg, err := d.Unpack(f.Body)
	if err != nil {
		return outgoing{}, fmt.Errorf("unpack request: %w", err)
	}
	mti, err := msg.GetMTI()
	if err != nil || iso8583.ResponseMTI(mti) == "" {
		return outgoing{}, fmt.Errorf("mti %q is not a request", mti)
	}
	var (
		reply iso8583.Reply
		mak   *keys.Key
	)
	req, err := d.ParseRequest(msg)
	if err != nil {
		reply, mak = s.refuse(msg, f.Body, err)
		log.Warn("acquirer cannot take the request", "mti", mti, "err", err, "rc", reply.RespCode)
	} else {
		log = log.With("tid", req.Terminal.TerminalID, "stan", req.STAN.String(), "type", req.Type.String())
		log.Debug("acquirer request", "msg", described{d, msg})
		reply, mak = s.process(req, f.Body, log)
		log.Info("acquirer reply", "rc", reply.RespCode, "rrn", reply.RRN)
	}

	out := outgoing{}
	s.mu.Lock()
	out.fault, _ = s.takeFault(req.Type, req.Terminal.TerminalID)
	s.mu.Unlock()

	var macFn func([]byte) ([]byte, error)
	if mak != nil {
		k := *mak
		macFn = func(mab []byte) ([]byte, error) { return keys.MAC(s.cfg.MACAlgorithm, k, mab) }
	}
	build := func(reqMsg *moov.Message) (frame.Frame, error) {
		rmsg, err := d.BuildReply(reqMsg, reply)
		if err != nil {
			return frame.Frame{}, fmt.Errorf("build reply: %w", err)
		}
		body, err := d.Pack(rmsg, macFn)
		if err != nil {
			return frame.Frame{}, fmt.Errorf("pack reply: %w", err)
		}
		rf := frame.Frame{TPDU: f.TPDU, PreHeader: f.PreHeader, Header: f.Header, Body: body}
		return rf.SwapTPDU().WithProcessingRequirement(s.processingRequirement(req.Terminal.TerminalID, reply.RespCode)), nil
	}
	if out.reply, err = build(msg); err != nil {
		return outgoing{}, err
	}
	if out.fault.Kind == FaultStale {
		old, err := msg.Clone()
		if err != nil {
			return outgoing{}, fmt.Errorf("stale reply: %w", err)
		}
		if err := old.Field(11, prevSTAN(req.STAN).String()); err != nil {
			return outgoing{}, fmt.Errorf("stale reply: %w", err)
		}
		sf, err := build(old)
		if err != nil {
			return outgoing{}, fmt.Errorf("stale reply: %w", err)
		}
		out.stale = &sf
	}
	return out, nil
}

// refuse answers a message ParseRequest rejected, MACed when it was MACed by a
// terminal the host knows.
func (s *Server) refuse(msg *moov.Message, raw []byte, cause error) (iso8583.Reply, *keys.Key) {
	now := s.now()
	reply := iso8583.Reply{RespCode: "30", HostTime: now, SettleDate: now.Format("0102"), Acquirer: s.cfg.AcquirerID}
	switch {
	case errors.Is(cause, iso8583.ErrUnsupported):
		reply.RespCode = "40"
	case errors.Is(cause, carddata.ErrBadPAN), errors.Is(cause, carddata.ErrLuhn):
		reply.RespCode = "14"
	}
	tid := ""
	if msg.GetField(41) != nil {
		tid, _ = msg.GetString(41)
	}
	s.mu.Lock()
	t, ok := s.terms[tid]
	s.mu.Unlock()
	if _, _, err := iso8583.MACInput(raw); err != nil || !ok {
		return reply, nil
	}
	mak := t.keys.MAK
	return reply, &mak
}

// process decides the reply to req. mak is the key to MAC the reply with (nil: no
// MAC).
func (s *Server) process(req iso8583.Request, raw []byte, log *slog.Logger) (reply iso8583.Reply, mac *keys.Key) {
	now := s.now()
	reply = iso8583.Reply{
		HostTime:   now,
		SettleDate: now.Format("0102"),
		Acquirer:   s.cfg.AcquirerID,
	}
	tid := req.Terminal.TerminalID
	switch req.Type {
	case txtype.SignIn:
		return s.signIn(req, reply, log), nil
	case txtype.Echo, txtype.SignOff:
		reply.RespCode = "00"
		return reply, nil
	}

	s.mu.Lock()
	term, ok := s.terms[tid]
	var tk TerminalKeys
	if ok {
		tk = term.keys
	}
	s.mu.Unlock()
	if !ok {
		// The host has no key for this terminal (never signed in, or the
		// simulator restarted): it cannot check nor make a MAC. "A0" without MAC;
		// the terminal must sign in again.
		log.Warn("acquirer request from a terminal that has not signed in")
		reply.RespCode = "A0"
		return reply, nil
	}
	mak := tk.MAK
	if err := s.verifyMAC(tk.MAK, raw); err != nil {
		log.Warn("acquirer request mac", "err", err)
		reply.RespCode = "A0"
		return reply, &mak
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	reply.RRN = s.nextRRN()
	switch req.Type {
	case txtype.Reversal:
		if !s.ledger.reverse(tid, req.STAN, req.Reason) {
			log.Info("acquirer reversal of an unknown original, answered 00")
		}
		reply.RespCode = "00"
		return reply, &mak
	case txtype.Settlement:
		reply.RespCode = "00"
		reply.SettleResult = settleResult(s.ledger.totals(tid, req.Batch), req.Totals)
		log.Info("acquirer settlement", "batch", req.Batch.String(), "result", reply.SettleResult)
		if next := req.Batch + 1; next > term.batch && next <= 999999 {
			term.batch = next // the next sign-in confirms the new batch
		}
		return reply, &mak
	case txtype.BatchUpload, txtype.TCUpload:
		// The terminal tells the host of a transaction in the batch: one the host
		// lacks (its record was lost) is added to the ledger as the terminal has it.
		reply.RespCode = "00"
		if o := req.Original; o != nil && s.ledger.find(tid, o.STAN) == nil {
			prof, known := cardprofile.FindPAN(s.cfg.Cards, req.PAN.Reveal())
			s.ledger.add(&record{
				Entry: Entry{TerminalID: tid, STAN: o.STAN, Batch: o.Batch, Type: o.Type, Amount: req.Amount,
					MaskedPAN: req.PAN.Masked(), RRN: o.RRN, AuthCode: o.AuthCode, Time: now},
				pan: req.PAN.Reveal(), foreign: foreign(req.PAN.Reveal(), prof, known),
			})
			log.Info("acquirer batch upload added a transaction", "stan", o.STAN.String())
		}
		return reply, &mak
	case txtype.ScriptAdvice:
		reply.RespCode = "00"
		if o := req.Original; o != nil {
			if r := s.ledger.find(tid, o.STAN); r != nil {
				r.ScriptResults = scriptResults(req.ICC)
			}
		}
		return reply, &mak
	case txtype.BatchEnd:
		reply.RespCode = "00"
		return reply, &mak
	case txtype.ParamDownload:
		f62, err := iso8583.EncodeParams(*s.cfg.Params)
		if err != nil {
			log.Error("acquirer params", "err", err)
			reply.RespCode = "96"
			return reply, &mak
		}
		reply.RespCode, reply.Field62 = "00", f62
		delete(s.params, tid)
		s.downloads++
		log.Info("acquirer parameter download")
		return reply, &mak
	}

	pan := req.PAN
	if pan.IsZero() && !req.Track2.IsZero() {
		pan = req.Track2.PAN()
	}
	expiry := string(req.Expiry)
	if expiry == "" && !req.Track2.IsZero() {
		expiry = string(req.Track2.Expiry())
	}
	if pan.IsZero() {
		reply.RespCode = "14"
		return reply, &mak
	}
	prof, known := cardprofile.FindPAN(s.cfg.Cards, pan.Reveal())
	if known {
		reply.Issuer = prof.Issuer
	}
	if code := s.checkPIN(tk.PIK, req.PINBlock, pan, prof, known); code != "" {
		reply.RespCode = code
		return reply, &mak
	}
	// A chip request of a test card: the issuer verifies the ARQC and answers with
	// an ARPC for whatever it decides (deferred below).
	var chip *chipAuth
	if len(req.ICC) > 0 && known && prof.Chip != nil {
		var err error
		if chip, err = verifyARQC(prof, pan.Reveal(), req.ICC); err != nil {
			log.Warn("acquirer arqc check", "err", err)
			reply.RespCode = "05"
			return reply, &mak
		}
		defer func() { // reply is the named result: the ARPC answers the final code
			if f55, err := chip.issuerData(reply.RespCode); err == nil {
				if reply.RespCode == "00" && contains(s.cfg.Rules.ScriptPANs, pan.Reveal()) {
					if script, err := chip.issuerScript(); err == nil {
						f55 = append(f55, script...)
					} else {
						log.Error("acquirer issuer script", "err", err)
					}
				}
				reply.ICC = f55
			} else {
				log.Error("acquirer arpc", "err", err)
			}
		}()
	}
	var orig *record
	switch req.Type {
	case txtype.Void, txtype.PreAuthVoid, txtype.CompletionVoid:
		if req.Original != nil {
			orig = s.ledger.find(tid, req.Original.STAN)
			if orig == nil && req.Original.RRN != "" {
				orig = s.ledger.findRRN(req.Original.RRN)
			}
		}
		if orig == nil || orig.Reversed || orig.Voided {
			reply.RespCode = "25"
			return reply, &mak
		}
	}
	available := int64(0)
	if known {
		available = prof.BalanceMinor - s.ledger.spent(pan.Reveal())
	}
	switch req.Type {
	case txtype.Balance:
		reply.RespCode = s.cfg.Rules.Decide(Authorization{Type: req.Type, PAN: pan.Reveal(), Expiry: expiry, Known: known, Now: now})
		if reply.RespCode == "00" && known {
			b := money.New(available, money.CNY)
			reply.Balance = &b
		}
		return reply, &mak
	case txtype.Sale, txtype.PreAuth, txtype.PreAuthCompletion, txtype.PreAuthCompletionAdvice, txtype.Refund,
		txtype.Void, txtype.PreAuthVoid, txtype.CompletionVoid:
	default:
		reply.RespCode = "40"
		return reply, &mak
	}
	reply.RespCode = s.cfg.Rules.Decide(Authorization{
		Type: req.Type, PAN: pan.Reveal(), Expiry: expiry, Amount: req.Amount.Minor,
		Known: known, Available: available, Now: now,
	})
	if reply.RespCode != "00" {
		return reply, &mak
	}
	reply.AuthCode = s.nextAuthCode()
	if orig != nil {
		s.ledger.void(orig)
	}
	s.ledger.add(&record{
		Entry: Entry{
			TerminalID: tid, STAN: req.STAN, Batch: req.Batch, Type: req.Type,
			Amount: req.Amount, MaskedPAN: pan.Masked(), RRN: reply.RRN,
			AuthCode: reply.AuthCode, Time: now,
		},
		pan:     pan.Reveal(),
		orig:    orig,
		foreign: foreign(pan.Reveal(), prof, known),
	})
	return reply, &mak
}

// signIn generates (or takes from the config) the terminal's working keys and puts
// them, under the TMK, in field 62.
func (s *Server) signIn(req iso8583.Request, reply iso8583.Reply, log *slog.Logger) iso8583.Reply {
	layout := s.cfg.KeyLayout
	if layout == 0 {
		layout = keys.Layout40
		if req.KeyScheme == "004" {
			layout = keys.Layout60
		}
	}
	n := 16
	if layout == keys.Layout24 {
		n = 8 // single-length keys
	}
	tmk := s.cfg.TMK
	tk := TerminalKeys{PIK: randomKey(tmk, n), MAK: randomKey(tmk, n), TDK: randomKey(tmk, 16)}
	if s.cfg.Keys != nil {
		tk = *s.cfg.Keys
	}
	var tdk *keys.Key
	if layout == keys.Layout60 || layout == keys.Layout72 {
		tdk = &tk.TDK
	}
	f62, err := keys.EncodeWorkingKeys(s.cfg.TMK, tk.PIK, tk.MAK, tdk, layout)
	if err != nil {
		log.Error("acquirer sign-in keys", "err", err)
		reply.RespCode = "96"
		return reply
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.terms[req.Terminal.TerminalID]
	if t == nil {
		t = &terminal{batch: 1}
		s.terms[req.Terminal.TerminalID] = t
	}
	// The host's batch is the later of its own and the terminal's: a terminal
	// that settled (or restored a journal) is never sent back to an old batch.
	if req.Batch > t.batch {
		t.batch = req.Batch
	}
	t.keys, t.hasTDK = tk, tdk != nil
	reply.RespCode = "00"
	reply.RRN = s.nextRRN()
	reply.Field62 = f62
	reply.Batch = t.batch
	log.Info("acquirer sign-in", "layout", layout, "pik", tk.PIK, "mak", tk.MAK)
	return reply
}

// verifyMAC checks field 64 of the raw request body against the MAC computed with mak.
func (s *Server) verifyMAC(mak keys.Key, raw []byte) error {
	mab, mac, err := iso8583.MACInput(raw)
	if err != nil {
		return fmt.Errorf("mac input: %w", err)
	}
	if len(mac) == 0 {
		return fmt.Errorf("request carries no mac")
	}
	want, err := keys.MAC(s.cfg.MACAlgorithm, mak, mab)
	if err != nil {
		return fmt.Errorf("compute mac: %w", err)
	}
	if subtle.ConstantTimeCompare(want, mac) != 1 {
		return fmt.Errorf("mac mismatch")
	}
	return nil
}

// checkPIN returns "" when the PIN block (if any) is right, "55" for a wrong PIN of
// a known card, "99" for a block that does not decrypt to a format-0 block (8 bytes
// under a DES-family PIN key, 16 under an SM4 one).
func (s *Server) checkPIN(pik keys.Key, pb carddata.PINBlock, pan carddata.PAN, prof cardprofile.Profile, known bool) string {
	if pb.IsZero() {
		return ""
	}
	pin, err := keys.DecipherPIN(pik, pb.Reveal(), pan)
	if err != nil {
		return "99"
	}
	if known && prof.PIN != "" && subtle.ConstantTimeCompare([]byte(pin), []byte(prof.PIN)) != 1 {
		return "55"
	}
	return ""
}

// nextRRN returns a fresh 12-digit retrieval reference number. Called with s.mu held.
func (s *Server) nextRRN() string {
	s.seq++
	return fmt.Sprintf("%012d", (s.seqRRN+s.seq)%1_000_000_000_000)
}

// nextAuthCode returns a fresh 6-digit authorisation code. Called with s.mu held
// (after nextRRN for the same reply).
func (s *Server) nextAuthCode() string {
	return fmt.Sprintf("%06d", s.seq%1_000_000)
}

// prevSTAN is the STAN before s, wrapping from 000001 to 999999.
func prevSTAN(s txtype.STAN) txtype.STAN {
	if s <= 1 {
		return 999999
	}
	return s - 1
}

// foreign reports whether a card settles in the foreign card group: a test card by
// its organisation, another card unless its BIN starts with 62 (UnionPay).
func foreign(pan string, p cardprofile.Profile, known bool) bool {
	if known {
		return p.Org != "CUP"
	}
	return len(pan) < 2 || pan[:2] != "62"
}

// settleResult compares the terminal's totals with the host's, per card group: '1'
// balanced, '2' not balanced ('3' error when the terminal sent none).
func settleResult(host iso8583.Totals, term *iso8583.Totals) string {
	if term == nil {
		return "33"
	}
	res := []byte("11")
	if host.DebitAmount != term.DebitAmount || host.DebitCount != term.DebitCount ||
		host.CreditAmount != term.CreditAmount || host.CreditCount != term.CreditCount {
		res[0] = '2'
	}
	if host.ForeignDebitAmount != term.ForeignDebitAmount || host.ForeignDebitCount != term.ForeignDebitCount ||
		host.ForeignCreditAmount != term.ForeignCreditAmount || host.ForeignCreditCount != term.ForeignCreditCount {
		res[1] = '2'
	}
	return string(res)
}

// ReSignIn is the reply header's processing requirement asking the terminal to sign
// in again [unconfirmed code, doc §4.1]; the simulator sets it on every "A0" reply.
const ReSignIn = iso8583.HostRequestSignIn

// processingRequirement is the reply header's request to terminal tid: sign in
// again after an "A0", else download parameters while RequestParams stands.
func (s *Server) processingRequirement(tid, rc string) int {
	if rc == "A0" {
		return ReSignIn
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.params[tid] {
		return iso8583.HostRequestParams
	}
	return 0
}

// described logs a message through the dialect's masked Describe, computed only
// when the record is actually written (debug level).
type described struct {
	d   *iso8583.Dialect
	msg *moov.Message
}

func (v described) LogValue() slog.Value { return slog.StringValue(v.d.Describe(v.msg)) }
