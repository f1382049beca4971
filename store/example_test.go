package store_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/store"
)

// A sale as internal/txn drives the journal: the intent (and its pending reversal) is
// durable before the request goes out; a clean reply clears ReversalReason so Finish
// drops the reversal; an unknown outcome leaves it for the reversal driver.
func Example() {
	dir, _ := os.MkdirTemp("", "journal")
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "journal.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	sale := &store.Record{Type: txtype.Sale, Amount: money.New(1234, money.CNY),
		MaskedPAN: "***************0128", Entry: txtype.EntryChip, Operator: "01"}
	if err := db.Begin(sale); err != nil { // before sending
		log.Fatal(err)
	}
	fmt.Println("voucher", sale.Batch, sale.STAN, sale.State, "reversal", sale.ReversalReason)

	// ... the host answers 00 ...
	sale.State, sale.RRN, sale.AuthCode, sale.RespCode = store.Approved, "123456789012", "A1B2C3", "00"
	sale.ReversalReason = ""                // clean reply: no reversal
	if err := db.Finish(sale); err != nil { // before telling the merchant
		log.Fatal(err)
	}
	_, pending, _ := db.PendingReversal()
	fmt.Println(sale.State, "pending reversal:", pending, "commits:", db.Stats().Commits)

	// Output:
	// voucher 000001 000001 pending reversal 98
	// approved pending reversal: false commits: 2
}
