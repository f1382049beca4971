package receipt

import (
	"fmt"
	"strings"
	"time"

	"countertop/hal"
	"countertop/internal/money"
	"countertop/internal/msgs"
	"countertop/internal/txtype"
)

// Merchant is who the slip is for, from the terminal's parameters.
type Merchant struct {
	Name       string // Chinese name as registered with the acquirer
	ID         string // merchant number, 15 digits
	TerminalID string // terminal number, 8
	Acquirer   string // acquiring bank: its name, or its 8-digit CUP institution code
}

// Copy is which copy of the slip is printed.
type Copy int

// Copies, in NL's printing order with three copies: merchant, bank, cardholder.
const (
	MerchantCopy   Copy = iota // 商户存根: signed, kept by the merchant
	CardholderCopy             // 持卡人存根: handed to the cardholder, no signature line
	BankCopy                   // 银行存根: the third copy
)

func (c Copy) String() string {
	switch c {
	case MerchantCopy:
		return "merchant"
	case CardholderCopy:
		return "cardholder"
	case BankCopy:
		return "bank"
	}
	return fmt.Sprintf("Copy(%d)", int(c))
}

// Chip is the chip data printed in the remarks of a chip transaction (hex strings as
// the kernel reports them).
type Chip struct {
	AID            string // 9F06 / 4F
	Label          string // application label, 50
	CryptogramType string // "ARQC", "TC" or "AAC": the type the card actually returned
	Cryptogram     string // 9F26
	TVR            string // 95
	TSI            string // 9B
	ATC            string // 9F36
}

// Original is the transaction a void, refund or completion refers to. Empty fields
// are not printed; the engine fills those its type needs (merchant-ux.md §1.3).
type Original struct {
	Voucher  txtype.STAN // 原凭证号 (voids)
	RRN      string      // 原参考号 (refunds)
	Date     string      // 原交易日期, MMDD as the host gives it (refunds)
	AuthCode string      // 原授权码 (completions, pre-auth voids, completion voids)
}

// Slip is what a slip shows about one transaction.
type Slip struct {
	Merchant Merchant
	Operator string // 2 digits
	Type     txtype.Type

	CardOrg   string // card organisation (CUP, VIS, MCC, JCB, AMX); others than CUP are printed
	Issuer    string // issuing bank: its 8-digit CUP institution code, or a name
	MaskedPAN string // already masked, e.g. "622202*********0128"; see Build
	Entry     txtype.EntryMode
	Expiry    string // YYMM; empty: not printed

	Batch    txtype.Batch
	Voucher  txtype.STAN
	AuthCode string // blank when none
	RRN      string // blank on offline items
	Time     time.Time
	Amount   money.Amount // as authorised, positive; see Build for the sign of voids

	Chip      *Chip     // chip data for the remarks, nil for stripe and manual entry
	Original  *Original // what a void, refund or completion refers to
	Signature bool      // print the signature line and statement (merchant copy only)

	Reprint bool // a reprint from the journal: marked ****重打印/DUPLICATED****
	Test    bool // printed in test mode: marked at top and bottom as not valid
}

// Layout is how slips are printed on this terminal.
type Layout struct {
	Width   int       // columns of the normal font: 32 on 58 mm paper (0 means 32)
	Lang    msgs.Lang // ZH: Chinese labels; EN: English labels only
	English bool      // with ZH, bilingual labels "商户名称(MERCHANT NAME)"
}

// DefaultWidth is the normal-font width of 58 mm paper.
const DefaultWidth = 32

// Build lays out copy c of slip s (merchant-ux.md §1). Every line fits l.Width
// (wide characters count two; big-font lines count double): a value that does not fit
// beside its label goes on the next line, and long text wraps.
//
// The card number, transaction type and amount use the big font when they fit half
// the width, else a bold line in the normal font (on 58 mm paper the grouped card
// number never fits big).
//
// Card number: Build prints MaskedPAN in groups of four with the entry-mode letter.
// Should MaskedPAN carry more than ten digits (a caller passed a clear number),
// Build keeps the first six and the last four and masks the rest, so a slip can never
// carry a full card number.
//
// Sign of voids: 消费撤销, 预授权撤销 and 预授权完成撤销 print the amount negative
// ("RMB -12.34") as SD does, so that a void cannot be read as a second sale; refunds
// and everything else print it positive. The sign of s.Amount is ignored.
//
// Document.QR carries the reference to find the transaction again:
// "tid=<terminal>&batch=<batch>&voucher=<voucher>&rrn=<rrn>" (rrn empty offline).
func Build(s Slip, c Copy, l Layout) hal.Document {
	if l.Width <= 0 {
		l.Width = DefaultWidth
	}
	b := &builder{l: l, doc: hal.Document{Width: l.Width}}
	en := l.Lang == msgs.EN

	if s.Test {
		b.testMark()
	}
	// 1 title, 2 copy line.
	if en {
		b.big(txtTitle.en, hal.AlignCenter)
	} else {
		b.big(txtTitle.zh, hal.AlignCenter)
		if l.English {
			b.line(hal.Line{Text: txtTitle.en, Align: hal.AlignCenter})
		}
	}
	if cn, ok := copyNames[c]; ok {
		b.text(b.join(cn, " "), hal.AlignLeft)
	}
	b.rule()

	// 3–7 merchant, terminal, operator, banks.
	b.labelOwnLine(lblMerchantName)
	b.text(s.Merchant.Name, hal.AlignLeft)
	b.field(lblMerchantNo, s.Merchant.ID)
	b.field(lblTerminalNo, s.Merchant.TerminalID)
	b.field(lblOperator, s.Operator)
	b.field(lblIssuer, BankName(s.Issuer, en))
	b.field(lblAcquirer, BankName(s.Merchant.Acquirer, en))
	// The card organisation is printed on every slip: 卡组织 for UnionPay cards,
	// 外卡组织 (as NL prints it) for foreign ones.
	switch org := strings.ToUpper(s.CardOrg); org {
	case "":
	case "CUP":
		b.field(lblCardOrgCUP, org)
	default:
		b.field(lblCardOrg, org)
	}

	// 8–10 card, expiry, type.
	b.labelOwnLine(lblCardNo)
	card := groupPAN(maskPAN(s.MaskedPAN))
	if letter := entryLetter(s.Entry); letter != "" {
		card += " " + letter
	}
	b.big(card, hal.AlignLeft)
	if s.Expiry != "" {
		b.field(lblExpiry, expiry(s.Expiry))
	}
	b.labelOwnLine(lblTxnType)
	b.big(b.join(typeName(s.Type), ""), hal.AlignLeft)

	// 11–15 batch, voucher, auth, date/time, reference.
	b.field(lblBatch, s.Batch.String())
	b.field(lblVoucher, s.Voucher.String())
	b.field(lblAuth, s.AuthCode)
	b.field(lblDateTime, s.Time.Format("2006/01/02 15:04:05"))
	b.field(lblRef, s.RRN)

	// 16 amount.
	b.labelOwnLine(lblAmount)
	b.big(amountText(s.Type, s.Amount), hal.AlignLeft)

	// 17 remarks.
	b.rule()
	b.labelOwnLine(lblRemarks)
	if o := s.Original; o != nil {
		if o.Voucher != 0 {
			b.field(lblOrigVoucher, o.Voucher.String())
		}
		if o.AuthCode != "" {
			b.field(lblOrigAuth, o.AuthCode)
		}
		if o.RRN != "" {
			b.field(lblOrigRef, o.RRN)
		}
		if o.Date != "" {
			b.field(lblOrigDate, o.Date)
		}
	}
	if ch := s.Chip; ch != nil {
		b.tag("AID", ch.AID)
		b.tag("APP LABEL", ch.Label)
		crypto := strings.ToUpper(ch.CryptogramType)
		if crypto == "" {
			crypto = "AC"
		}
		b.tag(crypto, ch.Cryptogram)
		b.tag("TVR", ch.TVR)
		b.tag("TSI", ch.TSI)
		b.tag("ATC", ch.ATC)
	}

	// 18 marks.
	if s.Reprint {
		b.text("****"+b.join(txtReprint, "/")+"****", hal.AlignCenter)
	}

	// 19–20 signature and statement, merchant copy only.
	if c == MerchantCopy && s.Signature {
		b.blank()
		b.text(b.join(lblSignature, ""), hal.AlignLeft)
		for range 3 {
			b.blank()
		}
		b.rule()
		if en {
			b.text(txtStatement.en, hal.AlignLeft)
		} else {
			b.text(txtStatement.zh, hal.AlignLeft)
			if l.English {
				b.text(txtStatement.en, hal.AlignLeft)
			}
		}
	}
	if s.Test {
		b.testMark()
	}
	b.doc.QR = fmt.Sprintf("tid=%s&batch=%s&voucher=%s&rrn=%s", s.Merchant.TerminalID, s.Batch, s.Voucher, s.RRN)
	return b.doc
}

// amountText is "RMB 12.34", negative for voids.
func amountText(t txtype.Type, a money.Amount) string {
	if a.Minor < 0 {
		a.Minor = -a.Minor
	}
	switch t {
	case txtype.Void, txtype.PreAuthVoid, txtype.CompletionVoid:
		a.Minor = -a.Minor
	}
	sym := a.Currency.Symbol
	if sym == "" {
		sym = a.Currency.Code
	}
	return sym + " " + a.Decimal()
}

// expiry turns YYMM into YYYY/MM; anything else is printed as given.
func expiry(yymm string) string {
	if len(yymm) != 4 || !allDigits(yymm) {
		return yymm
	}
	return "20" + yymm[:2] + "/" + yymm[2:]
}

func entryLetter(m txtype.EntryMode) string {
	if m < txtype.EntryNone || m > txtype.EntryFallback {
		return ""
	}
	return m.Letter()
}

// maskPAN returns masked unchanged when it shows at most ten digits; otherwise it
// keeps the first six and the last four digits and masks the others.
func maskPAN(masked string) string {
	digits := 0
	for i := 0; i < len(masked); i++ {
		if masked[i] >= '0' && masked[i] <= '9' {
			digits++
		}
	}
	if digits <= 10 {
		return masked
	}
	out := []byte(masked)
	seen := 0
	for i := range out {
		if out[i] >= '0' && out[i] <= '9' {
			seen++
			if seen > 6 && seen <= digits-4 {
				out[i] = '*'
			}
		}
	}
	return string(out)
}

// groupPAN writes the number in groups of four.
func groupPAN(p string) string {
	p = strings.ReplaceAll(p, " ", "")
	var b strings.Builder
	for i, r := range p {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
