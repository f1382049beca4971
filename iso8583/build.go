package iso8583

import (
	"fmt"
	"strconv"
	"strings"

	"countertop/internal/txtype"

	moov "github.com/moov-io/iso8583"
)

// entryCodes is field 22.1 per entry mode (doc §4.2); 22.2 is 1 with PIN, 2 without.
var entryCodes = map[txtype.EntryMode]string{
	txtype.EntryManual:      "01",
	txtype.EntryMagstripe:   "02",
	txtype.EntryChip:        "05",
	txtype.EntryContactless: "07",
	txtype.EntryFallback:    "80", // [unconfirmed] fallback code
}

// Build turns a request into an unpacked message of the dialect (field 64 is set
// by Pack). Supported: sign-in, sign-off, echo, settlement, balance, sale, void,
// refund, pre-auth, pre-auth void, pre-auth completion (and its advice), completion
// void and the reversal of any financial type (ErrUnsupported otherwise; batch
// upload is not built yet). Missing request data gives ErrMissing; field formats
// (lengths, characters) are checked when the message is packed.
func (d *Dialect) Build(req Request) (*moov.Message, error) {
	msg := moov.NewMessage(d.Spec)
	b := builder{msg: msg}
	t := req.Type
	def, ok := d.Transactions[t]
	if t == txtype.Reversal {
		if req.Original == nil {
			return nil, fmt.Errorf("build %s: no original: %w", t, ErrMissing)
		}
		def, ok = d.Transactions[req.Original.Type]
		if !ok || !req.Original.Type.Financial() {
			return nil, fmt.Errorf("build reversal of %s: %w", req.Original.Type, ErrUnsupported)
		}
		def.MTI = "0400"
	}
	if !ok {
		return nil, fmt.Errorf("build %s: %w", t, ErrUnsupported)
	}
	if len(req.Terminal.TerminalID) != 8 || len(req.Terminal.MerchantID) != 15 {
		return nil, fmt.Errorf("build %s: terminal id must be 8 and merchant id 15 characters: %w", t, ErrMissing)
	}
	b.set(0, def.MTI)
	stan := req.STAN
	if t == txtype.Reversal {
		stan = req.Original.STAN // the reversal repeats the original's trace
	}
	b.set(11, stan.String())
	b.set(41, req.Terminal.TerminalID)
	b.set(42, req.Terminal.MerchantID)

	if def.Net60 != "" { // network management
		net := def.Net60
		if t == txtype.SignIn {
			net = req.KeyScheme
			if net == "" {
				net = d.KeyScheme
			}
		}
		if len(net) != 3 {
			return nil, fmt.Errorf("build %s: 60.3 %q is not 3 digits: %w", t, net, ErrMissing)
		}
		b.set(60, def.Type60+req.Batch.String()+net)
		if t == txtype.Settlement {
			f48, err := totals48(req.Totals)
			if err != nil {
				return nil, fmt.Errorf("build %s: %w", t, err)
			}
			b.set(48, f48)
			b.set(49, "156") // [unconfirmed] settlement currency
		}
		switch t {
		case txtype.BatchUpload, txtype.TCUpload, txtype.ScriptAdvice:
			if err := d.uploadFields(&b, req); err != nil {
				return nil, fmt.Errorf("build %s: %w", t, err)
			}
			if t != txtype.BatchUpload {
				if len(req.ICC) == 0 {
					return nil, fmt.Errorf("build %s: no field 55: %w", t, ErrMissing)
				}
				b.setBytes(55, req.ICC)
				if req.CardSeq != "" {
					b.set(23, fmt.Sprintf("%03s", req.CardSeq))
				}
			}
		case txtype.BatchEnd:
			if req.Count < 0 || req.Count > 9999 {
				return nil, fmt.Errorf("build %s: count %d: %w", t, req.Count, ErrMissing)
			}
			b.set(48, fmt.Sprintf("%04d", req.Count))
		}
		if t != txtype.Echo {
			op, err := operator(req.Operator)
			if err != nil {
				return nil, fmt.Errorf("build %s: %w", t, err)
			}
			b.set(63, op)
		}
		return msg, b.err
	}

	// Financial and inquiry messages.
	b.set(3, def.Proc)
	b.set(25, def.Cond)
	if t != txtype.Balance {
		amt, err := digits(req.Amount.Minor, 12)
		if err != nil {
			return nil, fmt.Errorf("build %s: amount: %w", t, err)
		}
		b.set(4, amt)
	}
	cur := req.Amount.Currency.Numeric
	if cur == "" {
		cur = "156" // [unconfirmed] default CNY when the amount carries no currency
	}
	b.set(49, cur)
	if err := d.cardFields(&b, req, t == txtype.Reversal); err != nil {
		return nil, fmt.Errorf("build %s: %w", t, err)
	}

	batch := req.Batch
	orig := req.Original
	if t == txtype.Reversal {
		batch = orig.Batch
		b.set(39, req.Reason)
		if len(req.Reason) != 2 {
			return nil, fmt.Errorf("build reversal: reason %q is not 2 characters: %w", req.Reason, ErrMissing)
		}
		if orig.AuthCode != "" {
			b.set(38, orig.AuthCode)
		}
	}
	ic := "0"
	if req.Entry == txtype.EntryFallback {
		ic = "2" // [unconfirmed] 60.5: fallback after a failed chip read
	}
	// 60.1 type, 60.2 batch, 60.3 000, 60.4 read capability, 60.5 IC condition,
	// 60.6 partial-amount flag 0 (as in a real contactless sale).
	b.set(60, def.Type60+batch.String()+"000"+d.ReadCapability+ic+"0")

	// References to the original transaction (table §4.3).
	switch t {
	case txtype.Void, txtype.CompletionVoid, txtype.Refund, txtype.PreAuthVoid,
		txtype.PreAuthCompletion, txtype.PreAuthCompletionAdvice:
		if orig == nil {
			return nil, fmt.Errorf("build %s: no original: %w", t, ErrMissing)
		}
		f61 := orig.Batch.String() + orig.STAN.String()
		switch t {
		case txtype.Void, txtype.CompletionVoid, txtype.Refund:
			if orig.RRN == "" {
				return nil, fmt.Errorf("build %s: original rrn: %w", t, ErrMissing)
			}
			b.set(37, orig.RRN)
		}
		switch t {
		case txtype.PreAuthVoid, txtype.PreAuthCompletion, txtype.PreAuthCompletionAdvice:
			if orig.AuthCode == "" {
				return nil, fmt.Errorf("build %s: original auth code: %w", t, ErrMissing)
			}
			b.set(38, orig.AuthCode)
		}
		switch t {
		case txtype.Refund, txtype.PreAuthVoid, txtype.PreAuthCompletion, txtype.PreAuthCompletionAdvice:
			if len(orig.Date) != 4 {
				return nil, fmt.Errorf("build %s: original date %q: %w", t, orig.Date, ErrMissing)
			}
			f61 += orig.Date // 61.3 [unconfirmed] for the pre-auth family
		}
		b.set(61, f61)
	}
	if req.Operator != "" && t != txtype.Reversal {
		op, err := operator(req.Operator)
		if err != nil {
			return nil, fmt.Errorf("build %s: %w", t, err)
		}
		b.set(63, op) // 63.1 operator [unconfirmed] in financial requests
	}
	return msg, b.err
}

// uploadFields sets what a batch-upload 0320 says of one transaction: the card
// (field 2, when the terminal has it), processing code and amount of the original,
// the entry mode, and the original's RRN, authorisation code and batch/trace in 61
// [unconfirmed: the field set of CUP batch upload records varies by acquirer].
func (d *Dialect) uploadFields(b *builder, req Request) error {
	o := req.Original
	if o == nil {
		return fmt.Errorf("no original: %w", ErrMissing)
	}
	def, ok := d.Transactions[o.Type]
	if !ok || def.Proc == "" {
		return fmt.Errorf("upload of %s: %w", o.Type, ErrUnsupported)
	}
	if !req.PAN.IsZero() {
		b.set(2, req.PAN.Reveal())
	}
	b.set(3, def.Proc)
	amt, err := digits(req.Amount.Minor, 12)
	if err != nil {
		return err
	}
	b.set(4, amt)
	if code, ok := entryCodes[req.Entry]; ok {
		b.set(22, code+"2")
	}
	b.set(25, def.Cond)
	if o.RRN != "" {
		b.set(37, o.RRN)
	}
	if o.AuthCode != "" {
		b.set(38, o.AuthCode)
	}
	cur := req.Amount.Currency.Numeric
	if cur == "" {
		cur = "156"
	}
	b.set(49, cur)
	b.set(61, o.Batch.String()+o.STAN.String())
	return nil
}

// cardFields sets fields 2, 14, 22, 23, 26, 35, 52, 53 and 55. A reversal carries no
// track or PIN (CUP reversals omit 26/35/36/52/53) [unconfirmed], and may carry no
// card number either: a terminal keeps no clear PAN at rest, so a reversal sent after
// a restart identifies the original by terminal, STAN, batch and amount only.
func (d *Dialect) cardFields(b *builder, req Request, reversal bool) error {
	pan := req.PAN
	if pan.IsZero() {
		pan = req.Track2.PAN()
	}
	if pan.IsZero() && !reversal {
		return fmt.Errorf("no card number: %w", ErrMissing)
	}
	code, ok := entryCodes[req.Entry]
	if !ok {
		return fmt.Errorf("entry mode %s: %w", req.Entry, ErrMissing)
	}
	pin := !req.PINBlock.IsZero()
	if pin {
		code += "1"
	} else {
		code += "2"
	}
	if !pan.IsZero() {
		b.set(2, pan.Reveal())
	}
	exp := req.Expiry
	if exp == "" && !req.Track2.IsZero() {
		exp = req.Track2.Expiry()
	}
	if exp != "" {
		b.set(14, string(exp))
	}
	b.set(22, code)
	if req.CardSeq != "" && (req.Entry == txtype.EntryChip || req.Entry == txtype.EntryContactless) {
		seq := req.CardSeq
		if len(seq) < 3 {
			seq = strings.Repeat("0", 3-len(seq)) + seq // tag 5F34 "01" → "001"
		}
		b.set(23, seq)
	}
	if len(req.ICC) > 0 {
		b.setBytes(55, req.ICC)
	}
	if reversal {
		return nil
	}
	if !req.Track2.IsZero() {
		b.set(35, strings.ReplaceAll(req.Track2.Reveal(), "=", "D"))
	}
	if pin {
		if n, want := len(req.PINBlock.Reveal()), d.PINBlockLen(); n != want {
			return fmt.Errorf("pin block of %d bytes, the dialect takes %d: %w", n, want, ErrMissing)
		}
		b.set(26, d.PINCapture)
		b.setBytes(52, req.PINBlock.Reveal())
		b.set(53, d.SecurityControl)
	}
	return nil
}

// operator is 63.1: the operator code left-justified in 3 characters ("01 ").
func operator(op string) (string, error) {
	if op == "" {
		op = "01"
	}
	if len(op) > 3 {
		return "", fmt.Errorf("operator %q longer than 3: %w", op, ErrMissing)
	}
	return op + strings.Repeat(" ", 3-len(op)), nil
}

// builder sets fields and keeps the first error, which names the field but never
// its value.
type builder struct {
	msg *moov.Message
	err error
}

func (b *builder) set(id int, v string) {
	if b.err != nil {
		return
	}
	if id == 0 {
		b.msg.MTI(v)
		return
	}
	if err := b.msg.Field(id, v); err != nil {
		b.err = fmt.Errorf("field %d: %w", id, err)
	}
}

func (b *builder) setBytes(id int, v []byte) {
	if b.err != nil {
		return
	}
	if err := b.msg.BinaryField(id, v); err != nil {
		b.err = fmt.Errorf("field %d: %w", id, err)
	}
}

// totals48 is settlement field 48: per card group (domestic, foreign) debit amount
// n12, debit count n3, credit amount n12, credit count n3, result n1 ("0").
func totals48(t *Totals) (string, error) {
	if t == nil {
		return "", fmt.Errorf("no totals: %w", ErrMissing)
	}
	var sb strings.Builder
	for _, g := range [][4]int64{
		{t.DebitAmount, int64(t.DebitCount), t.CreditAmount, int64(t.CreditCount)},
		{t.ForeignDebitAmount, int64(t.ForeignDebitCount), t.ForeignCreditAmount, int64(t.ForeignCreditCount)},
	} {
		for i, v := range g {
			w := 12
			if i%2 == 1 {
				w = 3
			}
			s, err := digits(v, w)
			if err != nil {
				return "", fmt.Errorf("totals: %w: %w", ErrMissing, err)
			}
			sb.WriteString(s)
		}
		sb.WriteString("0")
	}
	return sb.String(), nil
}

// parseTotals reads settlement field 48 back (62 digits) and the two result digits.
func parseTotals(s string) (*Totals, string, bool) {
	if len(s) < 62 {
		return nil, "", false
	}
	n := func(from, w int) int64 {
		v, _ := strconv.ParseInt(s[from:from+w], 10, 64)
		return v
	}
	t := &Totals{
		DebitAmount: n(0, 12), DebitCount: int(n(12, 3)), CreditAmount: n(15, 12), CreditCount: int(n(27, 3)),
		ForeignDebitAmount: n(31, 12), ForeignDebitCount: int(n(43, 3)),
		ForeignCreditAmount: n(46, 12), ForeignCreditCount: int(n(58, 3)),
	}
	return t, s[30:31] + s[61:62], true
}
