package emv_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"countertop/emv"
	"countertop/emv/card"
	"countertop/emv/emvtest"
	"countertop/emv/tlv"
	"countertop/internal/cardprofile"
	emvdata "countertop/testdata/emv"
)

var update = flag.Bool("update", false, "rewrite the transcripts and replay golden files in testdata/emv/transcripts")

type zero struct{}

func (zero) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// replayTags are the --tag values that make a replay send what the recording sent.
func replayTags() tlv.Data {
	return tlv.Data{0x9A: {0x26, 0x11, 0x27}, 0x9F21: {0x10, 0x30, 0x00}}
}

var transcriptCases = []struct {
	name, profile string
	faults        []string
	amount        int64
}{
	{"cup-debit-dda-online", "cup-chip-swiped", nil, 10000},
	{"cup-credit-cda", "cup-pboc-credit", nil, 5000},
	{"visa-sda-offline-pin", "visa-chip", nil, 2000},
	{"mc-dda-format2", "mc-chip", nil, 2500},
	{"cup-debit-blocked-app", "cup-chip-swiped", []string{card.FaultBlockedApp}, 10000},
	{"cup-debit-wrong-afl", "cup-chip-swiped", []string{card.FaultWrongAFL}, 10000},
}

func record(t *testing.T, profile string, faults []string, amount int64) emvtest.Transcript {
	t.Helper()
	c, p := virtualCard(t, profile, nil, faults...)
	k, err := emv.New(testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	rec := &emvtest.Recorder{Card: c}
	tx := k.NewTransaction(rec, emv.Params{Amount: amount, Time: saleTime, Random: zero{}, PIN: &pinPad{pins: []string{p.PIN}}})
	_ = tx.Run(context.Background(), emv.StepGenAC1)
	return rec.T
}

// TestTranscripts records the virtual card's sessions (with -update) and replays the
// committed transcripts through emv.Replay, comparing with the golden output.
func TestTranscripts(t *testing.T) {
	dir := filepath.Join("..", "testdata", "emv", "transcripts")
	for _, c := range transcriptCases {
		t.Run(c.name, func(t *testing.T) {
			if *update {
				b, err := json.MarshalIndent(record(t, c.profile, c.faults, c.amount), "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, c.name+".json"), append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			tr, err := os.ReadFile(filepath.Join(dir, c.name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			out, err := emv.Replay(context.Background(), emv.ReplayOptions{Tags: replayTags(), Amount: c.amount, CAPKs: capks(t), Time: saleTime, Until: emv.StepGenAC1}, tr)
			if err != nil {
				t.Fatalf("replay: %v\n%s", err, out)
			}
			golden := filepath.Join(dir, c.name+".replay.json")
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(out)); diff != "" {
				t.Errorf("replay output differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

func transcript(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(emvdata.FS, "transcripts/"+name+".json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReplay_DeviationIsTranscriptMismatch(t *testing.T) {
	// A different amount changes the GPO command (the PDOL asks for 9F02).
	out, err := emv.Replay(context.Background(), emv.ReplayOptions{Tags: replayTags(), Amount: 1, CAPKs: capks(t), Time: saleTime}, transcript(t, "cup-debit-dda-online"))
	me, ok := errors.AsType[*emvtest.MismatchError](err)
	if !errors.Is(err, emv.ErrTranscriptMismatch) || !ok || me.Kind != emvtest.KindDeviation {
		t.Fatalf("err = %v", err)
	}
	var res emv.ReplayResult
	if err := json.Unmarshal(out, &res); err != nil || res.SelectedAID != "A000000333010101" {
		t.Errorf("partial output %s, %v", out, err)
	}
}

func TestReplay_LeftoversAreAMismatchOnAFullRun(t *testing.T) {
	tr := transcript(t, "cup-debit-dda-online")
	var x emvtest.Transcript
	if err := json.Unmarshal(tr, &x); err != nil {
		t.Fatal(err)
	}
	x.Exchanges = append(x.Exchanges, emvtest.Exchange{C: "0084000008", R: "9000"})
	b, _ := json.Marshal(x)
	_, err := emv.Replay(context.Background(), emv.ReplayOptions{Tags: replayTags(), Amount: 10000, CAPKs: capks(t), Time: saleTime}, b)
	if me, _ := errors.AsType[*emvtest.MismatchError](err); me == nil || me.Kind != emvtest.KindLeftover {
		t.Fatalf("err = %v, want left-over mismatch", err)
	}
}

func TestReplay_UntilGPOCountsLeftovers(t *testing.T) {
	out, err := emv.Replay(context.Background(), emv.ReplayOptions{Tags: replayTags(), Amount: 10000, CAPKs: capks(t), Time: saleTime, Until: emv.StepGPO}, transcript(t, "cup-debit-dda-online"))
	if err != nil {
		t.Fatal(err)
	}
	var res emv.ReplayResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	if res.Outcome != "OK" || res.AIP != "7C00" || res.AFL != "1001010118010100" || res.LeftOver == 0 || res.ACType != "" {
		t.Errorf("until gpo: %+v", res)
	}
}

func TestReplay_MasksPANUnlessRevealed(t *testing.T) {
	opts := emv.ReplayOptions{Tags: replayTags(), Amount: 10000, CAPKs: capks(t), Time: saleTime, Until: emv.StepGenAC1}
	out, err := emv.Replay(context.Background(), opts, transcript(t, "cup-debit-dda-online"))
	if err != nil {
		t.Fatal(err)
	}
	var res emv.ReplayResult
	_ = json.Unmarshal(out, &res)
	if got := res.Tags["5A"]; got != "622848******0007" {
		t.Errorf("5A = %q, want masked", got)
	}
	opts.Reveal = true
	out, _ = emv.Replay(context.Background(), opts, transcript(t, "cup-debit-dda-online"))
	_ = json.Unmarshal(out, &res)
	if got := res.Tags["5A"]; got != "6228480000000007" {
		t.Errorf("revealed 5A = %q", got)
	}
}

func TestParseAIDList(t *testing.T) {
	got, err := emv.ParseAIDList("A000000333010101:exact,A0000000031010:partial,A0000000041010")
	if err != nil {
		t.Fatal(err)
	}
	var modes []bool
	for _, a := range got {
		modes = append(modes, a.Partial)
	}
	if diff := cmp.Diff([]bool{false, true, true}, modes); diff != "" {
		t.Error(diff)
	}
	for _, bad := range []string{"", "A0:exact", "A000000333010101:fuzzy", "ZZ00000333"} {
		if _, err := emv.ParseAIDList(bad); err == nil {
			t.Errorf("ParseAIDList(%q) accepted", bad)
		}
	}
}

var _ = cardprofile.Profile{}
