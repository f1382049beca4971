package store_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"countertop/internal/carddata"
	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/store"
	"countertop/store/storetest"
)

// pinBlock0 is the ISO 9564 format 0 PIN block of pin for pan (clear, before the PIN
// pad encrypts it: the worst thing that could leak).
func pinBlock0(pin, pan string) []byte {
	field, _ := hex.DecodeString(fmt.Sprintf("%02d%s%s", len(pin), pin, strings.Repeat("F", 14-len(pin))))
	acct, _ := hex.DecodeString("0000" + pan[len(pan)-13:len(pan)-1])
	for i := range field {
		field[i] ^= acct[i]
	}
	return field
}

// TestCardDataScan runs several transactions of every type the journal knows through
// Begin and Finish (with reversals, a dropped reversal, a void, a settlement and audit
// entries), logs them as posd would, takes backups, a compacted copy and both
// exports, and scans every file for the test card's full PAN, its track 2 and its PIN
// block (clear and encrypted stand-in, as hex and as bytes).
func TestCardDataScan(t *testing.T) {
	dir := t.TempDir()
	db := storetest.OpenPath(t, filepath.Join(dir, "journal.db"), nil)
	pan, err := carddata.ParsePAN(storetest.TestPAN)
	if err != nil {
		t.Fatal(err)
	}
	track, err := carddata.ParseTrack2(storetest.TestPAN + "=301210112345678")
	if err != nil {
		t.Fatal(err)
	}
	clearBlock := pinBlock0("123456", storetest.TestPAN)
	pinBlock := carddata.NewPINBlock([]byte{0x3d, 0x91, 0x7a, 0x0c, 0xe2, 0x45, 0x18, 0xb6})
	logFile, err := os.Create(filepath.Join(dir, "posd.log"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(logFile, nil))

	// Every way the secrets could reach the journal by mistake is refused.
	for name, s := range map[string]string{"pan": pan.Reveal(), "track 2": track.Reveal(),
		"track 2 (D)": strings.ReplaceAll(track.Reveal(), "=", "D")} {
		r := storetest.Sale(1)
		r.Slip = "CARD " + s
		if err := db.Begin(r); !errors.Is(err, store.ErrSensitive) {
			t.Errorf("Begin with the %s in the slip: %v, want ErrSensitive", name, err)
		}
	}

	var last = map[txtype.Type]*store.Record{}
	n := 0
	for range 3 {
		for ty := txtype.Sale; ty <= txtype.Echo; ty++ {
			r := storetest.Sale(int64(100 + n))
			r.Type = ty
			switch ty {
			case txtype.Void, txtype.PreAuthVoid, txtype.CompletionVoid, txtype.Refund, txtype.PreAuthCompletion,
				txtype.PreAuthCompletionAdvice:
				orig := map[txtype.Type]txtype.Type{txtype.Void: txtype.Sale, txtype.PreAuthVoid: txtype.PreAuth,
					txtype.CompletionVoid: txtype.PreAuthCompletion, txtype.Refund: txtype.Sale,
					txtype.PreAuthCompletion: txtype.PreAuth, txtype.PreAuthCompletionAdvice: txtype.PreAuth}[ty]
				if o := last[orig]; o != nil {
					r.Original = &store.OriginalRef{ID: o.ID, STAN: o.STAN, Batch: o.Batch, RRN: o.RRN}
				}
			case txtype.Balance, txtype.SignIn, txtype.SignOff, txtype.Echo, txtype.Settlement, txtype.BatchUpload:
				r.Amount = money.Amount{}
			}
			begin(t, db, r)
			// A careless caller formats the card data into what it stores and logs.
			approve(r, fmt.Sprintf("%012d", r.ID))
			r.Slip = fmt.Sprintf("CARD NO: %v %s\nTRACK: %v PIN: %v\nTYPE: %v\n", pan, r.Entry.Letter(), track, pinBlock, ty)
			r.Message = fmt.Sprintf("%v", pinBlock)
			log.Info("transaction", "id", r.ID, "type", ty, "pan", pan, "track2", track, "pin_block", pinBlock,
				"record", r.Slip)
			if ty.Financial() && n%4 == 0 {
				r.ReversalReason = "A0" // the reply failed its MAC check
				finish(t, db, r)
				if err := db.ReversalDone(r.ID); err != nil {
					t.Fatal(err)
				}
			} else {
				finish(t, db, r)
			}
			last[ty] = r
			n++
		}
	}
	dropped := begin(t, db, storetest.Sale(5))
	if err := db.DropReversal(dropped.ID, "no answer after 3 tries"); err != nil {
		t.Fatal(err)
	}
	if err := db.Audit("key-load", fmt.Sprintf("TMK loaded, pin %v", pinBlock)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordSettlement(1, store.Totals{Domestic: store.Sums{DebitCount: 9, Debit: money.New(900, money.CNY)}},
		store.Balanced); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Backup(filepath.Join(dir, "backups"), 2); err != nil {
		t.Fatal(err)
	}
	if err := db.BackupTo(filepath.Join(dir, "manual.db")); err != nil {
		t.Fatal(err)
	}
	if err := db.Compact(filepath.Join(dir, "compact.db")); err != nil {
		t.Fatal(err)
	}
	recs := listAll(t, db)
	for _, format := range []string{store.FormatCSV, store.FormatJSON} {
		var b bytes.Buffer
		if err := store.Export(&b, recs, format); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "export."+format), b.String())
	}
	if err := logFile.Close(); err != nil {
		t.Fatal(err)
	}

	needles := map[string][]byte{
		"pan":                  []byte(pan.Reveal()),
		"track 2":              []byte(track.Reveal()),
		"clear pin block hex":  []byte(hex.EncodeToString(clearBlock)),
		"clear pin block HEX":  []byte(strings.ToUpper(hex.EncodeToString(clearBlock))),
		"clear pin block":      clearBlock,
		"pin block hex":        []byte(hex.EncodeToString(pinBlock.Reveal())),
		"pin block HEX":        []byte(strings.ToUpper(hex.EncodeToString(pinBlock.Reveal()))),
		"pin block":            pinBlock.Reveal(),
		"pan, grouped":         []byte(pan.Grouped()),
		"track 2, D separator": []byte(strings.ReplaceAll(track.Reveal(), "=", "D")),
	}
	masked := []byte(pan.Masked())
	var files, size, hits int
	withMasked := map[string]bool{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		size += len(b)
		rel, _ := filepath.Rel(dir, path)
		if bytes.Contains(b, masked) {
			withMasked[filepath.Ext(rel)] = true
		}
		for name, needle := range needles {
			if i := bytes.Index(b, needle); i >= 0 {
				hits += bytes.Count(b, needle)
				t.Errorf("%s holds the %s at byte %d", rel, name, i)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("card data scan: %d files, %d bytes, %d hits", files, size, hits)
	// The scan must have read real content: the masked number is in each kind of file.
	for _, ext := range []string{".db", ".csv", ".json", ".log"} {
		if !withMasked[ext] {
			t.Errorf("no %s file holds the masked PAN %s: the scan proves nothing", ext, masked)
		}
	}
	if files < 7 {
		t.Errorf("scanned %d files, want the journal, 2 backups, the compacted copy, 2 exports and the log", files)
	}
}
