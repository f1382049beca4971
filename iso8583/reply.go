package iso8583

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"countertop/internal/carddata"
	"countertop/internal/money"
	"countertop/internal/txtype"

	moov "github.com/moov-io/iso8583"
)

// ParseReply reads the host's answer. HostRequest is not in the body: the caller
// copies frame.ProcessingRequirement() into it.
func (d *Dialect) ParseReply(msg *moov.Message) (Reply, error) {
	mti, err := msg.GetMTI()
	if err != nil || !IsResponseMTI(mti) {
		return Reply{}, fmt.Errorf("parse reply: mti %q is not a response: %w", mti, ErrMalformed)
	}
	rep := Reply{
		RespCode:   getString(msg, 39),
		AuthCode:   strings.TrimSpace(getString(msg, 38)),
		RRN:        getString(msg, 37),
		SettleDate: getString(msg, 15),
		ICC:        getBytes(msg, 55),
		Acquirer:   getString(msg, 32),
	}
	rep.Field62 = getBytes(msg, 62)
	if rep.RespCode == "" {
		return Reply{}, fmt.Errorf("parse reply %s: field 39: %w", mti, ErrMissing)
	}
	if f44 := getString(msg, 44); f44 != "" {
		rep.Issuer = strings.TrimSpace(f44[:min(11, len(f44))])
		if len(f44) > 11 {
			rep.Acquirer = strings.TrimSpace(f44[11:min(22, len(f44))])
		}
	}
	if t, ok := d.hostTime(getString(msg, 13), getString(msg, 12)); ok {
		rep.HostTime = t
	}
	if f60 := getString(msg, 60); mti == "0810" && len(f60) >= 8 {
		n, _ := strconv.Atoi(f60[2:8])
		rep.Batch = txtype.Batch(n)
	}
	if mti == "0510" {
		if _, res, ok := parseTotals(getString(msg, 48)); ok {
			rep.SettleResult = res
		}
	}
	if f54 := getString(msg, 54); f54 != "" {
		bal, err := parseBalance(f54)
		if err != nil {
			return Reply{}, fmt.Errorf("parse reply %s: field 54: %w", mti, err)
		}
		rep.Balance = &bal
	}
	return rep, nil
}

// hostTime joins MMDD and hhmmss in the dialect's zone, choosing the year that puts
// the date nearest to now (a reply just after new year carries December).
func (d *Dialect) hostTime(mmdd, hhmmss string) (time.Time, bool) {
	if len(mmdd) != 4 || len(hhmmss) != 6 {
		return time.Time{}, false
	}
	loc := d.Location
	if loc == nil {
		loc = time.Local
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	n := now().In(loc)
	var best time.Time
	for _, y := range []int{n.Year() - 1, n.Year(), n.Year() + 1} {
		t, err := time.ParseInLocation("2006"+"0102150405", strconv.Itoa(y)+mmdd+hhmmss, loc)
		if err != nil {
			continue // 29 February outside a leap year, or not a date at all
		}
		if best.IsZero() || absDur(t.Sub(n)) < absDur(best.Sub(n)) {
			best = t
		}
	}
	return best, !best.IsZero()
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// parseBalance reads the first balance of field 54: account type 2, amount type 2,
// currency 3, C/D 1, amount 12 [unconfirmed layout].
func parseBalance(s string) (money.Amount, error) {
	if len(s) < 20 {
		return money.Amount{}, fmt.Errorf("balance of %d characters: %w", len(s), ErrMalformed)
	}
	cur, err := money.LookupCurrency(s[4:7])
	if err != nil {
		return money.Amount{}, err
	}
	v, err := strconv.ParseInt(s[8:20], 10, 64)
	if err != nil || v < 0 {
		return money.Amount{}, fmt.Errorf("balance amount: %w", ErrMalformed)
	}
	switch s[7] {
	case 'D':
		v = -v
	case 'C':
	default:
		return money.Amount{}, fmt.Errorf("balance sign %q: %w", s[7], ErrMalformed)
	}
	return money.New(v, cur), nil
}

// typeOf recovers a transaction type from MTI, processing code, condition code and
// 60.1/60.3 (the reverse of the dialect's table).
func (d *Dialect) typeOf(mti, proc, cond, f60 string) (txtype.Type, error) {
	t60, net := "", ""
	if len(f60) >= 2 {
		t60 = f60[:2]
	}
	if len(f60) >= 11 {
		net = f60[8:11]
	}
	if mti == "0400" {
		mti = "" // matched on the other keys below
	}
	for t, def := range d.Transactions {
		if mti != "" && def.MTI != mti {
			continue
		}
		if mti == "" && def.Net60 != "" {
			continue
		}
		if def.Net60 != "" {
			if t != txtype.SignIn && net == def.Net60 && t60 == def.Type60 {
				return t, nil
			}
			continue
		}
		if def.Proc == proc && def.Cond == cond && def.Type60 == t60 {
			return t, nil
		}
	}
	// A sign-in's 60.3 is its key scheme (003, 004 …): any other 0800 is one.
	if def, ok := d.Transactions[txtype.SignIn]; ok && mti == def.MTI && t60 == def.Type60 {
		return txtype.SignIn, nil
	}
	return txtype.Unknown, fmt.Errorf("mti %s proc %s cond %s 60.1 %s: %w", mti, proc, cond, t60, ErrUnsupported)
}

var entryModes = func() map[string]txtype.EntryMode {
	m := map[string]txtype.EntryMode{}
	for k, v := range entryCodes {
		m[v] = k
	}
	return m
}()

// ParseRequest recovers the Request from a terminal's message, for the acquirer
// simulator: type from MTI+F3+F25+60.1 (a 0400 gives Type Reversal and the
// reversed type in Original.Type), card data, PIN block, amounts, references.
func (d *Dialect) ParseRequest(msg *moov.Message) (Request, error) {
	mti, err := msg.GetMTI()
	if err != nil {
		return Request{}, fmt.Errorf("parse request: %w: %w", ErrMalformed, err)
	}
	f60 := getString(msg, 60)
	t, err := d.typeOf(mti, getString(msg, 3), getString(msg, 25), f60)
	if err != nil {
		return Request{}, fmt.Errorf("parse request: %w", err)
	}
	req := Request{
		Type:     t,
		Terminal: Terminal{TerminalID: getString(msg, 41), MerchantID: getString(msg, 42)},
		Operator: strings.TrimSpace(getString(msg, 63)),
		CardSeq:  getString(msg, 23),
		ICC:      getBytes(msg, 55),
	}
	stan, _ := strconv.Atoi(getString(msg, 11))
	req.STAN = txtype.STAN(stan)
	if len(f60) >= 8 {
		n, _ := strconv.Atoi(f60[2:8])
		req.Batch = txtype.Batch(n)
	}
	if d.Transactions[t].Net60 != "" {
		if t == txtype.SignIn && len(f60) >= 11 {
			req.KeyScheme = f60[8:11]
		}
		if t == txtype.Settlement {
			tot, _, ok := parseTotals(getString(msg, 48))
			if !ok {
				return Request{}, fmt.Errorf("parse request: settlement field 48: %w", ErrMalformed)
			}
			req.Totals = tot
		}
		if t == txtype.BatchEnd {
			req.Count, _ = strconv.Atoi(getString(msg, 48))
		}
		if t != txtype.BatchUpload && t != txtype.TCUpload && t != txtype.ScriptAdvice { // advices carry card fields too
			return req, nil
		}
	}
	if f4 := getString(msg, 4); f4 != "" {
		v, _ := strconv.ParseInt(f4, 10, 64)
		cur, err := money.LookupCurrency(getString(msg, 49))
		if err != nil {
			return Request{}, fmt.Errorf("parse request: field 49: %w", err)
		}
		req.Amount = money.New(v, cur)
	}
	if f35 := getString(msg, 35); f35 != "" {
		tr, err := carddata.ParseTrack2(f35)
		if err != nil {
			return Request{}, fmt.Errorf("parse request: field 35: %w", err)
		}
		req.Track2 = tr
	}
	if f2 := getString(msg, 2); f2 != "" {
		pan, err := carddata.ParsePAN(f2)
		if err != nil {
			return Request{}, fmt.Errorf("parse request: field 2: %w", err)
		}
		req.PAN = pan
	}
	req.Expiry = carddata.Expiry(getString(msg, 14))
	if f22 := getString(msg, 22); len(f22) == 3 {
		req.Entry = entryModes[f22[:2]]
	}
	if pb := getBytes(msg, 52); pb != nil {
		req.PINBlock = carddata.NewPINBlock(pb)
	}
	orig := &Original{RRN: getString(msg, 37), AuthCode: strings.TrimSpace(getString(msg, 38))}
	if f61 := getString(msg, 61); len(f61) >= 12 {
		b, _ := strconv.Atoi(f61[:6])
		s, _ := strconv.Atoi(f61[6:12])
		orig.Batch, orig.STAN = txtype.Batch(b), txtype.STAN(s)
		if len(f61) >= 16 {
			orig.Date = f61[12:16]
		}
	}
	if t == txtype.BatchUpload || t == txtype.TCUpload || t == txtype.ScriptAdvice {
		// Only sales, completions and refunds are uploaded: processing and condition
		// codes tell them apart.
		switch getString(msg, 3) + "/" + getString(msg, 25) {
		case "000000/00":
			orig.Type = txtype.Sale
		case "000000/06":
			orig.Type = txtype.PreAuthCompletion
		case "200000/00":
			orig.Type = txtype.Refund
		}
	}
	if mti == "0400" {
		orig.Type = t
		orig.STAN = req.STAN
		orig.Batch = req.Batch
		req.Type = txtype.Reversal
		req.Reason = getString(msg, 39)
	}
	if *orig != (Original{}) {
		req.Original = orig
	}
	return req, nil
}

// echoed are the request fields a CUP host returns in its reply.
var echoed = []int{2, 3, 4, 11, 14, 22, 23, 25, 41, 42, 49, 60, 61}

// BuildReply builds the host's reply to req (for the acquirer simulator): MTI+10,
// the request's identifying fields echoed, then fields 12/13 (rep.HostTime), 15,
// 32, 37, 38, 39, 44, 54, 55 and, for sign-in, 62 and the new batch in 60.2.
func (d *Dialect) BuildReply(req *moov.Message, rep Reply) (*moov.Message, error) {
	mti, err := req.GetMTI()
	if err != nil {
		return nil, fmt.Errorf("build reply: %w: %w", ErrMalformed, err)
	}
	rmti := ResponseMTI(mti)
	if rmti == "" {
		return nil, fmt.Errorf("build reply to %s: %w", mti, ErrUnsupported)
	}
	if len(rep.RespCode) != 2 {
		return nil, fmt.Errorf("build reply: response code %q: %w", rep.RespCode, ErrMissing)
	}
	msg := moov.NewMessage(d.Spec)
	b := builder{msg: msg}
	b.set(0, rmti)
	for _, id := range echoed {
		if id == 2 && mti == "0800" {
			continue
		}
		if f := req.GetField(id); f != nil {
			if kind, _ := kindOf(id); kind == kindBinary {
				v, _ := f.Bytes()
				b.setBytes(id, v)
			} else {
				v, _ := f.String()
				b.set(id, v)
			}
		}
	}
	if !rep.HostTime.IsZero() {
		loc := d.Location
		if loc == nil {
			loc = time.Local
		}
		ht := rep.HostTime.In(loc)
		b.set(12, ht.Format("150405"))
		b.set(13, ht.Format("0102"))
	}
	opt := func(id int, v string) {
		if v != "" {
			b.set(id, v)
		}
	}
	opt(15, rep.SettleDate)
	opt(32, rep.Acquirer)
	opt(37, rep.RRN)
	opt(38, rep.AuthCode)
	b.set(39, rep.RespCode)
	if rep.Issuer != "" {
		b.set(44, fmt.Sprintf("%-11s%-11s", rep.Issuer, rep.Acquirer))
	}
	if rep.Balance != nil {
		sign, v := "C", rep.Balance.Minor
		if v < 0 {
			sign, v = "D", -v
		}
		amt, err := digits(v, 12)
		if err != nil {
			return nil, fmt.Errorf("build reply: balance: %w", err)
		}
		b.set(54, "1002"+rep.Balance.Currency.Numeric+sign+amt)
	}
	if len(rep.ICC) > 0 {
		b.setBytes(55, rep.ICC)
	}
	if mti == "0500" {
		f48 := getString(req, 48)
		if len(rep.SettleResult) != 2 || len(f48) < 62 {
			return nil, fmt.Errorf("build reply to 0500: settle result %q: %w", rep.SettleResult, ErrMissing)
		}
		b.set(48, f48[:30]+rep.SettleResult[:1]+f48[31:61]+rep.SettleResult[1:]+f48[62:])
	}
	if mti == "0800" {
		f60 := getString(req, 60)
		if rep.Batch != 0 && len(f60) >= 8 {
			b.set(60, f60[:2]+rep.Batch.String()+f60[8:])
		}
		if len(rep.Field62) > 0 {
			b.setBytes(62, rep.Field62)
		}
	}
	return msg, b.err
}

// Field60 is field 60 split into its subfields (doc §4.2); absent trailing
// subfields are "".
type Field60 struct {
	Type           string // 60.1 n2
	Batch          string // 60.2 n6
	Net            string // 60.3 n3, network management / service code
	ReadCapability string // 60.4 n1
	ICCondition    string // 60.5 n1
	Rest           string // 60.6 onwards, as received
}

// SplitField60 splits the digit string of field 60.
func SplitField60(s string) Field60 {
	cut := func(from, n int) string {
		if len(s) <= from {
			return ""
		}
		return s[from:min(from+n, len(s))]
	}
	return Field60{Type: cut(0, 2), Batch: cut(2, 6), Net: cut(8, 3), ReadCapability: cut(11, 1),
		ICCondition: cut(12, 1), Rest: cut(13, len(s))}
}

// String joins the subfields back into field 60.
func (f Field60) String() string {
	return f.Type + f.Batch + f.Net + f.ReadCapability + f.ICCondition + f.Rest
}
