package selfcheck_test

import (
	"context"
	"fmt"
	"time"

	"countertop/hal"
	"countertop/internal/msgs"
	"countertop/internal/selfcheck"
	"countertop/internal/txtype"
)

type paperOut struct{}

func (paperOut) Print(context.Context, hal.Document) error { return hal.ErrPaperOut }
func (paperOut) Status(context.Context) (hal.PrinterStatus, error) {
	return hal.PrinterPaperOut, nil
}

type link struct{}

func (link) Echo(context.Context) error { return nil }

// posd runs the checks at start-up, shows the summary and keeps the report to ask
// before each transaction. A device that is not there is passed as nil.
func ExampleRun() {
	cfg := selfcheck.DefaultConfig()
	build := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC) }
	rep := selfcheck.Run(context.Background(), cfg,
		selfcheck.Printer(paperOut{}),
		selfcheck.PINPad(nil),
		selfcheck.Host(link{}, cfg.EchoTimeout),
		selfcheck.Clock(now, build, nil, cfg.ClockTolerance),
	)
	title, lines := rep.Summary(msgs.EN)
	fmt.Println(title)
	for _, l := range lines {
		fmt.Println(l)
	}
	for _, t := range []txtype.Type{txtype.Sale, txtype.Balance, txtype.Settlement} {
		ok, why := rep.Allows(t)
		fmt.Println(t, ok, msgs.Text(why, msgs.ZH))
	}
	// Output:
	// SELF-CHECK
	// SELF-CHECK FOUND PROBLEMS
	// X PRINTER OUT OF PAPER
	// X NO PIN PAD
	// sale false 打印机故障 暂停交易
	// balance false 密码键盘故障 不能输密码
	// settlement true
}
