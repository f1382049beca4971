package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"countertop/emv"
	"countertop/emv/emvtest"
	"countertop/emv/tlv"
)

func runEMVArgs(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := runEMV(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

const transcripts = "../../testdata/emv/transcripts"

// The recorded transcripts, with the amounts they were recorded with; the recording
// date and time go in as --tag 9A and 9F21.
var replayCases = []struct {
	name   string
	amount string
}{
	{"cup-debit-dda-online", "10000"},
	{"cup-credit-cda", "5000"},
	{"visa-sda-offline-pin", "2000"},
	{"mc-dda-format2", "2500"},
	{"cup-debit-blocked-app", "10000"},
	{"cup-debit-wrong-afl", "10000"},
}

// TestEMVReplayGolden replays every committed transcript through the command and
// compares the output with the golden files emv's own test keeps.
func TestEMVReplayGolden(t *testing.T) {
	for _, c := range replayCases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runEMVArgs("replay", "--tag", "9A=261127", "--tag", "9F21=103000",
				"--amount", c.amount, "--until", "genac1", filepath.Join(transcripts, c.name+".json"))
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			want, err := os.ReadFile(filepath.Join(transcripts, c.name+".replay.json"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), out); diff != "" {
				t.Errorf("output differs from %s.replay.json (-want +got):\n%s", c.name, diff)
			}
			if strings.Contains(out, "6225880000000019") || strings.Contains(out, "6222021234567890128") {
				t.Errorf("output holds a full PAN without --reveal")
			}
		})
	}
}

func TestEMVReplayExitCodes(t *testing.T) {
	tr := filepath.Join(transcripts, "cup-debit-dda-online.json")
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		// A different amount changes GET PROCESSING OPTIONS (the PDOL asks for 9F02).
		{"deviation", []string{"replay", "--tag", "9A=261127", "--tag", "9F21=103000", "--amount", "1", tr}, exitMismatch, "exchange"},
		// A full run leaves no exchange unused; stopping at select leaves them counted.
		{"usage: no transcript", []string{"replay", "--amount", "1"}, exitUsage, "usage"},
		{"usage: bad step", []string{"replay", "--until", "nowhere", tr}, exitUsage, "unknown step"},
		{"usage: bad tag", []string{"replay", "--tag", "9A", tr}, exitUsage, "TAG=HEX"},
		{"usage: bad aids", []string{"replay", "--aids", "A0:exact", tr}, exitUsage, "--aids"},
		{"usage: bad amount", []string{"replay", "--amount", "-5", tr}, exitUsage, "amount"},
		{"usage: subcommand", []string{"record", tr}, exitUsage, "unknown subcommand"},
		{"missing file", []string{"replay", filepath.Join(t.TempDir(), "none.json")}, exitError, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runEMVArgs(tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.err) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, tc.code, tc.err)
			}
		})
	}
}

// A replay that stops early counts the exchanges left and succeeds; the flags may
// follow the file.
func TestEMVReplayUntil(t *testing.T) {
	code, out, errOut := runEMVArgs("replay", filepath.Join(transcripts, "cup-credit-cda.json"), "--until", "select")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res emv.ReplayResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.SelectedAID != "A000000333010102" || res.LeftOver == 0 || res.ACType != "" {
		t.Errorf("result = %+v", res)
	}
}

// emv.ResultOf of a kernel run on a card, as `card read` prints it, must give the
// same JSON as emv.Replay for the same session.
func TestResultOfMatchesReplay(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(transcripts, "cup-credit-cda.json"))
	if err != nil {
		t.Fatal(err)
	}
	kf := kernelFlags{}
	opts, err := kf.options()
	if err != nil {
		t.Fatal(err)
	}
	tags := tlv.Data{0x9A: {0x26, 0x11, 0x27}, 0x9F21: {0x10, 0x30, 0x00}}
	opts.Tags, opts.Amount, opts.Until = tags, 5000, emv.StepGenAC1
	want, err := emv.Replay(context.Background(), opts, b)
	if err != nil {
		t.Fatal(err)
	}

	tr, err := emvtest.ParseTranscript(b)
	if err != nil {
		t.Fatal(err)
	}
	cfg := emv.DefaultConfig()
	cfg.CAPKs = opts.CAPKs
	for tag, v := range tags {
		cfg.Terminal[tag] = v
	}
	k, err := emv.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pb := emvtest.New(tr)
	tx := k.NewTransaction(pb, emv.Params{Amount: 5000, Random: zeroReader{}, Overrides: tags})
	runErr := tx.Run(context.Background(), emv.StepGenAC1)
	got, err := json.MarshalIndent(emv.ResultOf(tx, runErr, false), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)+"\n"); diff != "" {
		t.Errorf("ResultOf differs from emv.Replay (-replay +ResultOf):\n%s", diff)
	}
	if err := pb.Close(); err != nil {
		t.Errorf("playback: %v", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) { clear(b); return len(b), nil }
