package hostlink_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"countertop/internal/acquirer"
	"countertop/internal/cardprofile"
	"countertop/internal/hostlink"
	"countertop/internal/keys"
	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/testdata"
)

// A terminal signs in, loads the MAK and makes a sale against the simulated
// acquirer; the caller decides on the reversal from the error alone.
func ExampleClient_Do() {
	tmk, _ := keys.ParseHexKey(acquirer.TestTMK)
	cards, _ := cardprofile.Load(testdata.FS, "cards")
	host, err := acquirer.NewServer(acquirer.Config{Dialect: iso8583.CUP, TMK: tmk, Cards: cards})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer host.Close()

	c := hostlink.New(hostlink.Config{
		Addr: host.Addr(), ConnectTimeout: time.Second, ResponseTimeout: time.Second,
		Dialect:  iso8583.CUP,
		Terminal: iso8583.Terminal{TerminalID: "20000009", MerchantID: "898100012340002"},
	}, nil)
	ctx := context.Background()
	rep, err := c.Do(ctx, iso8583.Request{Type: txtype.SignIn, STAN: 1, Batch: 1}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	wk, err := keys.ParseWorkingKeys(rep.Field62, tmk)
	if err != nil {
		fmt.Println(err)
		return
	}
	c.SetMACKey(wk.MAK)

	visa, _ := cardprofile.Find(cards, "visa-credit")
	tr, _ := visa.Track2() // a sale without PIN
	rep, err = c.Do(ctx, iso8583.Request{
		Type: txtype.Sale, STAN: 2, Batch: 1, Amount: money.New(1999, money.CNY),
		Track2: tr, Entry: txtype.EntryMagstripe,
	}, nil)
	switch {
	case err == nil:
		fmt.Println("response", rep.RespCode)
	case hostlink.OutcomeUnknown(err):
		fmt.Println("reverse with", hostlink.ReversalReason(err))
	case errors.Is(err, hostlink.ErrNotSent):
		fmt.Println("not sent:", hostlink.MessageCode(err))
	}
	// Output: response 00
}
