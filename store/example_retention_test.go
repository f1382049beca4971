package store_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/store"
)

// What posd does with the journal around its transactions: at start, resolve what a
// crash left behind; after each settlement, record it, open the next batch, take a
// backup, purge settled batches past the retention period and compact the file.
func Example_maintenance() {
	dir, _ := os.MkdirTemp("", "journal")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "journal.db")
	db, err := store.Open(path, nil)
	if err != nil {
		log.Fatal(err)
	}

	// At start, before taking a payment.
	xs, err := db.Interrupted()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("unresolved at start:", len(xs))

	sale := &store.Record{Type: txtype.Sale, Amount: money.New(1234, money.CNY), Operator: "01"}
	if err := db.Begin(sale); err != nil {
		log.Fatal(err)
	}
	sale.State, sale.RespCode, sale.ReversalReason = store.Approved, "00", ""
	if err := db.Finish(sale); err != nil {
		log.Fatal(err)
	}

	// After the settlement of batch 000001.
	b, _ := db.Batch()
	totals := store.Totals{Domestic: store.Sums{DebitCount: 1, Debit: sale.Amount}}
	if _, err := db.RecordSettlement(b, totals, store.Balanced); err != nil {
		log.Fatal(err)
	}
	if err := db.SetBatch(b + 1); err != nil {
		log.Fatal(err)
	}
	if _, err := db.Backup(filepath.Join(dir, "backups"), 7); err != nil {
		log.Fatal(err) // posd raises an alarm and goes on
	}
	// Retention: here everything settled until now; posd uses now minus its retention days.
	n, err := db.Purge(time.Now().Add(time.Second))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("purged:", n)
	compacted := path + ".compact"
	if err := db.Compact(compacted); err != nil {
		log.Fatal(err)
	}
	db.Close()
	if err := store.Swap(compacted, path); err != nil {
		log.Fatal(err) // the old file is still there and still good
	}
	if db, err = store.Open(path, nil); err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	recs, _ := db.List(store.Filter{})
	fmt.Println("records left:", len(recs))

	// Output:
	// unresolved at start: 0
	// purged: 1
	// records left: 0
}
