package scenario

import (
	"bytes"
	"context"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"countertop/internal/carddata"
	"countertop/internal/cardprofile"
	"countertop/internal/keys"
	"countertop/store"
	"countertop/testdata"
)

// TestNoCardDataAtRest runs transactions of every type — sales by stripe and chip,
// void, refund, pre-authorisation and its void and completion, balance, settlement
// (which also takes a backup) — with the journal, the logs and the chip APDU traces
// kept in files, exports the journal, and scans every file for any test card's full
// PAN, track 2, clear PIN block and identity document number (9F61, shown to the
// merchant, never kept). It fails unless there are no hits.
func TestNoCardDataAtRest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs several scenarios")
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "posd.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for i, name := range []string{"settlement", "void-sale", "refund", "preauth-and-completion", "balance",
		"chip-sale-online", "chip-online-pin", "chip-removed-fallback", "sale-no-answer-reversed", "chip-id-check",
		"sm4-national-crypto"} {
		sc, err := ParseFile(filepath.Join("../../testdata/scenarios", name+".scn"))
		if err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(dir, "journal-"+string(rune('a'+i))+".db")
		traces := "emv.trace_dir=" + strconv.Quote(filepath.Join(dir, "traces"))
		if err := Run(context.Background(), sc, Options{DBPath: db, Log: log, Set: []string{traces}}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		j, err := store.Open(db, &store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		recs, err := j.List(store.Filter{})
		j.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, format := range []string{store.FormatCSV, store.FormatJSON} {
			var buf bytes.Buffer
			if err := store.Export(&buf, recs, format); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(db+"."+format, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	logFile.Close()

	cards, err := cardprofile.Load(testdata.FS, "cards")
	if err != nil {
		t.Fatal(err)
	}
	var secrets [][]byte
	for _, c := range cards {
		secrets = append(secrets, []byte(c.PAN))
		if tr, err := c.Track2(); err == nil {
			secrets = append(secrets, []byte(tr.Reveal()), []byte(strings.ReplaceAll(tr.Reveal(), "=", "D")))
		}
		if c.Chip != nil && c.Chip.Tags["9F61"] != "" {
			id, _ := hex.DecodeString(c.Chip.Tags["9F61"])
			secrets = append(secrets, id, []byte(c.Chip.Tags["9F61"]))
		}
		pan, _ := carddata.ParsePAN(c.PAN)
		for _, clearBlock := range []func(string, carddata.PAN) ([]byte, error){keys.ClearPINBlock, keys.ClearPINBlockSM4} {
			if block, err := clearBlock(c.PIN, pan); err == nil {
				secrets = append(secrets, block, []byte(strings.ToUpper(hex.EncodeToString(block))), []byte(hex.EncodeToString(block)))
			}
		}
	}
	var files, size, hits int
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
		for _, s := range secrets {
			if bytes.Contains(b, s) {
				hits++
				t.Errorf("%s holds test card data (%d bytes of it)", filepath.Base(path), len(s))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("card data scan: %d files, %d bytes, %d hits", files, size, hits)
	if files < 20 {
		t.Errorf("only %d files scanned: journals, backups, exports and the log should all be there", files)
	}
	if traces, _ := filepath.Glob(filepath.Join(dir, "traces", "chip-*.json")); len(traces) < 3 {
		t.Errorf("%d chip traces written, want one per chip transaction", len(traces))
	}
}
