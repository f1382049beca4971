package receipt

import (
	"strings"
	"testing"
	"time"

	"countertop/hal"
	"countertop/internal/money"
	"countertop/internal/msgs"
)

func TestSettlementSlip(t *testing.T) {
	s := Settlement{Merchant: Merchant{Name: "测试商户", ID: "898100012340001", TerminalID: "10000001"},
		Operator: "01", Batch: 7, Time: time.Date(2026, 11, 27, 18, 30, 0, 0, time.UTC), Currency: money.CNY,
		Domestic: GroupTotals{DebitCount: 3, DebitAmount: 123456, CreditCount: 1, CreditAmount: 5000, Result: '1'},
		Foreign:  GroupTotals{Result: '2'},
		Fees:     &FeeSummary{Gross: money.New(118456, money.CNY), Fees: money.New(591, money.CNY), Net: money.New(117865, money.CNY)}}
	for _, l := range []Layout{{Width: 32, Lang: msgs.ZH, English: true}, {Width: 32, Lang: msgs.EN}, {Width: 48, Lang: msgs.ZH}} {
		d := BuildSettlement(s, l)
		text := d.Text()
		for _, want := range []string{"000007", "1234.56", "50.00", "1184.56", "5.91", "1178.65"} {
			if !strings.Contains(text, want) {
				t.Errorf("lang %v width %d: %q missing:\n%s", l.Lang, l.Width, want, text)
			}
		}
		balanced, unbalanced := "对账平", "对账不平"
		if l.Lang == msgs.EN {
			balanced, unbalanced = "BALANCED", "NOT BALANCED"
		}
		if !strings.Contains(text, balanced) || !strings.Contains(text, unbalanced) {
			t.Errorf("verdicts missing:\n%s", text)
		}
		for i, line := range d.Lines {
			w := l.Width
			if line.Large {
				w /= 2
			}
			if hal.TextWidth(line.Text) > w {
				t.Errorf("line %d %q wider than %d", i, line.Text, w)
			}
		}
	}
}

// An empty foreign group with no verdict is left out.
func TestSettlementSlipSkipsEmptyGroups(t *testing.T) {
	s := Settlement{Batch: 1, Currency: money.CNY, Domestic: GroupTotals{DebitCount: 1, DebitAmount: 100, Result: '1'}}
	if text := BuildSettlement(s, Layout{Width: 32, Lang: msgs.ZH}).Text(); strings.Contains(text, "外卡") {
		t.Errorf("empty foreign group printed:\n%s", text)
	}
}
