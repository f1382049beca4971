package receipt

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"countertop/hal"
	"countertop/internal/money"
	"countertop/internal/txtype"
)

// GroupTotals are one card group's totals in a settlement: debits (sales and
// completions) and credits (refunds).
type GroupTotals struct {
	DebitCount   int
	DebitAmount  int64
	CreditCount  int
	CreditAmount int64
	// Result is the host's verdict for the group: '1' balanced, '2' not balanced,
	// '3' error, 0 when the host gave none.
	Result byte
}

// Settlement is what the settlement slip (结算总计单) shows.
type Settlement struct {
	Merchant Merchant
	Operator string
	Batch    txtype.Batch
	Time     time.Time
	Currency money.Currency
	Domestic GroupTotals // 内卡: UnionPay cards
	Foreign  GroupTotals // 外卡: foreign cards
	Fees     *FeeSummary // estimated merchant fees; nil: not printed
	Uploaded int         // transactions uploaded after an unbalanced settlement
	Reprint  bool
}

// FeeSummary is the batch's gross, estimated merchant discount fees and net.
type FeeSummary struct {
	Gross, Fees, Net money.Amount
	Understated      bool // some card organisation has no configured rate
}

var (
	txtSettleTitle = label{"结算总计单", "SETTLEMENT"}
	txtDomestic    = label{"内卡", "DOMESTIC CARDS"}
	txtForeign     = label{"外卡", "FOREIGN CARDS"}
	txtBalanced    = label{"对账平", "BALANCED"}
	txtUnbalanced  = label{"对账不平", "NOT BALANCED"}
	txtSettleError = label{"对账出错", "SETTLEMENT ERROR"}
	lblTypeColumn  = label{"类型", "TYPE"}
	lblSumColumn   = label{"笔数", "SUM"}
	lblAmtColumn   = label{"金额", "AMOUNT"}
	lblSaleRow     = label{"消费", "SALE"}
	lblRefundRow   = label{"退货", "REFUND"}
	lblGross       = label{"交易总额", "GROSS"}
	lblUploaded    = label{"批上送笔数", "UPLOADED"}
	lblFees        = label{"预估手续费", "EST. FEES"}
	lblNet         = label{"预估净额", "EST. NET"}
)

// BuildSettlement lays out the settlement slip (merchant-ux.md §1.7): header, then
// per card group the host's verdict and one row per non-zero type.
func BuildSettlement(s Settlement, l Layout) hal.Document {
	if l.Width <= 0 {
		l.Width = DefaultWidth
	}
	b := &builder{l: l, doc: hal.Document{Width: l.Width}}
	b.big(b.join(txtSettleTitle, "/"), hal.AlignCenter)
	b.rule()
	b.labelOwnLine(lblMerchantName)
	b.text(s.Merchant.Name, hal.AlignLeft)
	b.field(lblMerchantNo, s.Merchant.ID)
	b.field(lblTerminalNo, s.Merchant.TerminalID)
	b.field(lblOperator, s.Operator)
	b.field(lblBatch, s.Batch.String())
	b.field(lblDateTime, s.Time.Format("2006/01/02 15:04:05"))
	b.rule()
	b.columns(b.join(lblTypeColumn, "/"), b.join(lblSumColumn, "/"), b.join(lblAmtColumn, "/"))
	for _, g := range []struct {
		name label
		t    GroupTotals
	}{{txtDomestic, s.Domestic}, {txtForeign, s.Foreign}} {
		if g.t.DebitCount == 0 && g.t.CreditCount == 0 && g.t.Result != '2' && g.t.Result != '3' {
			continue
		}
		verdict := ""
		switch g.t.Result {
		case '1':
			verdict = b.join(txtBalanced, "/")
		case '2':
			verdict = b.join(txtUnbalanced, "/")
		case '3':
			verdict = b.join(txtSettleError, "/")
		}
		b.text(strings.TrimSpace(b.join(g.name, "/")+" "+verdict), hal.AlignLeft)
		if g.t.DebitCount > 0 {
			b.columns(b.join(lblSaleRow, "/"), strconv.Itoa(g.t.DebitCount), money.New(g.t.DebitAmount, s.Currency).Decimal())
		}
		if g.t.CreditCount > 0 {
			b.columns(b.join(lblRefundRow, "/"), strconv.Itoa(g.t.CreditCount), money.New(g.t.CreditAmount, s.Currency).Decimal())
		}
	}
	b.rule()
	if s.Uploaded > 0 {
		b.field(lblUploaded, strconv.Itoa(s.Uploaded))
		b.rule()
	}
	if f := s.Fees; f != nil {
		b.field(lblGross, f.Gross.Decimal())
		fee := f.Fees.Decimal()
		if f.Understated {
			fee += "+"
		}
		b.field(lblFees, fee)
		b.field(lblNet, f.Net.Decimal())
		b.rule()
	}
	if s.Reprint {
		b.text("****"+b.join(txtReprint, "/")+"****", hal.AlignCenter)
	}
	b.doc.QR = fmt.Sprintf("tid=%s&batch=%s&settlement=1", s.Merchant.TerminalID, s.Batch)
	return b.doc
}

// columns lays out a three-column row: name left, count in the middle, amount right.
func (b *builder) columns(name, count, amount string) {
	w := b.l.Width
	mid := w / 2
	left := name + strings.Repeat(" ", max(1, mid-hal.TextWidth(name)-hal.TextWidth(count)/2))
	row := left + count
	if pad := w - hal.TextWidth(row) - hal.TextWidth(amount); pad >= 1 {
		b.line(hal.Line{Text: row + strings.Repeat(" ", pad) + amount})
		return
	}
	b.text(name, hal.AlignLeft)
	b.line(hal.Line{Text: count + strings.Repeat(" ", max(1, w-hal.TextWidth(count)-hal.TextWidth(amount))) + amount})
}
