package risk_test

import (
	"fmt"
	"time"

	"countertop/internal/money"
	"countertop/internal/msgs"
	"countertop/internal/risk"
	"countertop/internal/txtype"
	"countertop/store"
)

// noHistory is an empty journal.
type noHistory struct{}

func (noHistory) List(store.Filter) ([]store.Record, error) { return nil, nil }

// The transaction engine asks before going online and refuses on a block.
func ExampleEngine_Check() {
	cfg := risk.DefaultConfig()
	cfg.Amount.Action = risk.ActBlock
	cfg.Amount.MaxMinor = 500000 // RMB 5,000.00
	e, err := risk.New(cfg, noHistory{}, risk.Options{})
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 11, 27, 22, 30, 0, 0, time.UTC) // 06:30 in Shanghai
	alarms, err := e.Check(risk.Candidate{Type: txtype.Sale, Amount: money.New(600000, money.CNY), Time: at})
	if err != nil {
		panic(err)
	}
	for _, a := range alarms {
		fmt.Printf("%s block=%v %s / %s\n", a.Rule, a.Block, a.Message(msgs.ZH), a.Message(msgs.EN))
	}
	if a, blocked := risk.Blocked(alarms); blocked {
		fmt.Println("refused:", a.Detail)
	}
	// Output:
	// amount block=true 单笔金额超限 / AMOUNT OVER SINGLE LIMIT
	// business_hours block=false 非营业时间交易 / OUTSIDE BUSINESS HOURS
	// refused: sale: amount RMB 6000.00 over limit RMB 5000.00
}
