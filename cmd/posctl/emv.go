package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"countertop/emv"
	"countertop/emv/tlv"
	emvdata "countertop/testdata/emv"
)

const (
	emvUsage       = "usage: posctl emv replay [--aids AID:exact|partial,...] [--tag TAG=HEX ...] [--amount MINOR] [--until STEP] [--capk FILE ...] [--reveal] TRANSCRIPT.json"
	emvReplayUsage = emvUsage
	stepHelp       = "stop after STEP: candidates, select, gpo, records, oda, restrictions, cvm, trm, taa, genac1, complete (default: the end)"
)

// Exit codes of `posctl emv replay` and `posctl card`.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitMismatch = 3 // the kernel left the transcript (emv.ErrTranscriptMismatch)
)

// runEMV is `posctl emv replay`: the EMV kernel against a recorded card session
// (emvtest's transcript JSON), printing what it did as emv.ReplayResult JSON. Exit
// status 3 when the kernel's commands leave the transcript (a deviation, an extra
// command, exchanges left over), 1 on other errors, 2 on usage errors.
func runEMV(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, emvUsage)
		return exitUsage
	}
	switch args[0] {
	case "replay":
		return emvReplay(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "posctl emv: unknown subcommand %q (replay)\n%s\n", args[0], emvUsage)
	return exitUsage
}

// kernelFlags are the kernel settings `emv replay` and `card read` share.
type kernelFlags struct {
	aids   string
	tags   tagFlags
	amount int64
	until  string
	capks  stringList
	reveal bool
}

type tagFlags []string

func (t *tagFlags) String() string     { return strings.Join(*t, " ") }
func (t *tagFlags) Set(v string) error { *t = append(*t, v); return nil }

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func (k *kernelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&k.aids, "aids", "", "terminal AIDs, AID:exact|partial,... (default: the kernel's CUP, Visa and Mastercard list)")
	fs.Var(&k.tags, "tag", "terminal or transaction data TAG=HEX (9F33, 9F35, 9F1A, 5F2A, 9A, 9F21, 9F37, TACs DF8120/DF8121/DF8122), repeatable")
	fs.Func("amount", "amount in minor units (9F02)", func(s string) error {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			return fmt.Errorf("want a non-negative integer of minor units")
		}
		k.amount = v
		return nil
	})
	fs.StringVar(&k.until, "until", "", stepHelp)
	fs.Var(&k.capks, "capk", "CA public key file (JSON as in testdata/emv/capk), repeatable (default: the test CA's keys of testdata/emv/capk)")
	fs.BoolVar(&k.reveal, "reveal", false, "print PAN, track 2 and cardholder name tags in clear (default: masked)")
}

// options turns the flags into emv.ReplayOptions (Host and Time unset).
func (k *kernelFlags) options() (emv.ReplayOptions, error) {
	var o emv.ReplayOptions
	if k.aids != "" {
		aids, err := emv.ParseAIDList(k.aids)
		if err != nil {
			return o, fmt.Errorf("--aids: %w", err)
		}
		o.AIDs = aids
	}
	if len(k.tags) > 0 {
		o.Tags = tlv.Data{}
		for _, s := range k.tags {
			tag, v, err := emv.ParseTagFlag(s)
			if err != nil {
				return o, err
			}
			o.Tags[tag] = v
		}
	}
	if k.until != "" {
		st, err := emv.ParseStep(k.until)
		if err != nil {
			return o, fmt.Errorf("--until: %w", err)
		}
		o.Until = st
	}
	o.Amount = k.amount
	o.Reveal = k.reveal
	capks, err := loadCAPKs(k.capks)
	if err != nil {
		return o, err
	}
	o.CAPKs = capks
	return o, nil
}

// loadCAPKs reads the given CA public key files, or the embedded test CA's keys.
func loadCAPKs(files []string) ([]emv.CAPK, error) {
	var out []emv.CAPK
	if len(files) == 0 {
		names, err := fs.Glob(emvdata.FS, "capk/*.json")
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			b, err := fs.ReadFile(emvdata.FS, n)
			if err != nil {
				return nil, err
			}
			k, err := emv.ParseCAPK(b)
			if err != nil {
				return nil, fmt.Errorf("ca public key %s: %w", n, err)
			}
			out = append(out, k)
		}
		return out, nil
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--capk: %w", err)
		}
		k, err := emv.ParseCAPK(b)
		if err != nil {
			return nil, fmt.Errorf("--capk %s: %w", f, err)
		}
		out = append(out, k)
	}
	return out, nil
}

func emvReplay(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("emv replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, emvReplayUsage); fs.PrintDefaults() }
	var kf kernelFlags
	kf.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, emvReplayUsage)
		return exitUsage
	}
	opts, err := kf.options()
	if err != nil {
		fmt.Fprintf(stderr, "posctl emv replay: %v\n", err)
		return exitUsage
	}
	tr, err := os.ReadFile(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "posctl emv replay: %v\n", err)
		return exitError
	}
	out, err := emv.Replay(context.Background(), opts, tr)
	if len(out) > 0 {
		stdout.Write(out)
	}
	switch {
	case errors.Is(err, emv.ErrTranscriptMismatch):
		fmt.Fprintf(stderr, "posctl emv replay: %s: %v\n", pos[0], err)
		return exitMismatch
	case err != nil:
		fmt.Fprintf(stderr, "posctl emv replay: %s: %v\n", pos[0], err)
		return exitError
	}
	return exitOK
}
