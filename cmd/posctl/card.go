package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"countertop/emv"
	"countertop/emv/apdu"
	"countertop/emv/tlv"
	"countertop/hal"
)

const (
	cardUsage     = "usage: posctl card apdu [--reader NAME] [--raw] [--wait DUR] HEX...\n       posctl card read [--reader NAME] [--aids AID:exact|partial,...] [--tag TAG=HEX ...] [--amount MINOR] [--until STEP] [--wait DUR] [--reveal]"
	cardAPDUUsage = "usage: posctl card apdu [--reader NAME] [--raw] [--wait DUR] HEX..."
	cardReadUsage = "usage: posctl card read [--reader NAME] [--aids AID:exact|partial,...] [--tag TAG=HEX ...] [--amount MINOR] [--until STEP] [--capk FILE ...] [--wait DUR] [--reveal]"
	readerHelp    = "PC/SC reader: its name, or a part of it (default: the first reader)"
	waitHelp      = "how long to wait for a card in the reader"
)

// runCard is `posctl card apdu|read`: APDUs to the card in a PC/SC reader, one answer
// per line in upper-case hex (data + SW1SW2), through the EMV transport rules unless
// --raw; or the EMV kernel against that card, printing the JSON of `posctl emv
// replay`. Needs a build with the pcsc tag (make build-pcsc).
func runCard(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, cardUsage)
		return exitUsage
	}
	switch args[0] {
	case "apdu":
		return cardAPDU(args[1:], stdout, stderr)
	case "read":
		return cardRead(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "posctl card: unknown subcommand %q (apdu, read)\n%s\n", args[0], cardUsage)
	return exitUsage
}

func cardAPDU(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("card apdu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, cardAPDUUsage); fs.PrintDefaults() }
	reader := fs.String("reader", "", readerHelp)
	raw := fs.Bool("raw", false, "print each answer exactly as the card gave it (no GET RESPONSE for 61xx, no re-send for 6Cxx)")
	wait := fs.Duration("wait", 5*time.Second, waitHelp)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) == 0 {
		fmt.Fprintln(stderr, cardAPDUUsage)
		return exitUsage
	}
	var cmds [][]byte
	for _, a := range pos {
		b, err := hexInput(a)
		if err == nil {
			_, err = parseCommand(b)
		}
		if err != nil {
			fmt.Fprintf(stderr, "posctl card apdu: %q: %v\n", a, err)
			return exitUsage
		}
		cmds = append(cmds, b)
	}
	ctx := context.Background()
	c, closeCard, err := openCard(ctx, *reader, *wait)
	if err != nil {
		fmt.Fprintf(stderr, "posctl card apdu: %v\n", err)
		return exitError
	}
	defer closeCard()
	if err := exchangeAll(ctx, c, *raw, cmds, stdout); err != nil {
		fmt.Fprintf(stderr, "posctl card apdu: %v\n", err)
		return exitError
	}
	return exitOK
}

// exchangeAll sends each command and prints each answer as one line of upper-case
// hex: as the card answered with raw, else after the EMV transport rules (61xx GET
// RESPONSE, 6Cxx re-send with the right Le, a 62xx/63xx warning kept with the data).
func exchangeAll(ctx context.Context, c emv.Card, raw bool, cmds [][]byte, w io.Writer) error {
	t := &emv.Transport{Card: c}
	for i, b := range cmds {
		var out []byte
		if raw {
			r, err := c.Transmit(ctx, b)
			if err != nil {
				return fmt.Errorf("apdu %d: %w", i+1, err)
			}
			out = r
		} else {
			cmd, err := parseCommand(b)
			if err != nil {
				return fmt.Errorf("apdu %d: %w", i+1, err)
			}
			r, err := t.Exchange(ctx, cmd)
			if err != nil {
				return fmt.Errorf("apdu %d: %w", i+1, err)
			}
			out = append(append(out, r.Data...), r.SW1, r.SW2)
		}
		if _, err := fmt.Fprintln(w, strings.ToUpper(hex.EncodeToString(out))); err != nil {
			return err
		}
	}
	return nil
}

// parseCommand reads a short command APDU (ISO/IEC 7816-3 cases 1 to 4; EMV contact
// cards take no extended lengths).
func parseCommand(b []byte) (apdu.Command, error) {
	if len(b) < 4 {
		return apdu.Command{}, fmt.Errorf("%d bytes: a command APDU has at least CLA INS P1 P2", len(b))
	}
	c := apdu.Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3]}
	switch rest := b[4:]; {
	case len(rest) == 0: // case 1
	case len(rest) == 1: // case 2
		c.Le = apdu.Le(int(rest[0]))
	case rest[0] == 0:
		return apdu.Command{}, errors.New("extended lengths (Lc 00) are not supported")
	case len(rest) == 1+int(rest[0]): // case 3
		c.Data = rest[1:]
	case len(rest) == 2+int(rest[0]): // case 4
		c.Data = rest[1 : 1+int(rest[0])]
		c.Le = apdu.Le(int(rest[len(rest)-1]))
	default:
		return apdu.Command{}, fmt.Errorf("length byte Lc %d does not match the %d bytes after it", rest[0], len(rest)-1)
	}
	return c, nil
}

func cardRead(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("card read", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, cardReadUsage); fs.PrintDefaults() }
	reader := fs.String("reader", "", readerHelp)
	wait := fs.Duration("wait", 5*time.Second, waitHelp)
	var kf kernelFlags
	kf.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 0 {
		fmt.Fprintln(stderr, cardReadUsage)
		return exitUsage
	}
	opts, err := kf.options()
	if err != nil {
		fmt.Fprintf(stderr, "posctl card read: %v\n", err)
		return exitUsage
	}
	ctx := context.Background()
	c, closeCard, err := openCard(ctx, *reader, *wait)
	if err != nil {
		fmt.Fprintf(stderr, "posctl card read: %v\n", err)
		return exitError
	}
	defer closeCard()
	out, err := readCard(ctx, c, opts)
	stdout.Write(out)
	if err != nil {
		fmt.Fprintf(stderr, "posctl card read: %v\n", err)
		return exitError
	}
	return exitOK
}

// readCard runs the kernel against a live card with the settings of `emv replay` and
// returns the same JSON. There is no PIN pad: a PIN CVM finds it not working (TVR B3
// 10), and an online cardholder's card stops at the first GENERATE AC (no host).
// A card or reader failure (removed, reader gone) is returned as an error after the
// JSON of what was done; a kernel outcome (CARD_ERROR, NOT_ACCEPTED…) is not.
func readCard(ctx context.Context, c emv.Card, opts emv.ReplayOptions) ([]byte, error) {
	cfg := emv.DefaultConfig()
	if opts.AIDs != nil {
		cfg.AIDs = opts.AIDs
	}
	cfg.CAPKs = opts.CAPKs
	over := tlv.Data{}
	for tag, v := range opts.Tags {
		switch tag {
		case emv.TagTACDefault, emv.TagTACDenial, emv.TagTACOnline:
			if len(v) != 5 {
				return nil, fmt.Errorf("tag %s: %d bytes, want 5", tag, len(v))
			}
			for i := range cfg.AIDs {
				switch tag {
				case emv.TagTACDefault:
					cfg.AIDs[i].TACDefault = v
				case emv.TagTACDenial:
					cfg.AIDs[i].TACDenial = v
				default:
					cfg.AIDs[i].TACOnline = v
				}
			}
		default:
			over[tag] = v
			cfg.Terminal[tag] = v
		}
	}
	k, err := emv.New(cfg)
	if err != nil {
		return nil, err
	}
	tx := k.NewTransaction(c, emv.Params{Amount: opts.Amount, Time: opts.Time, Overrides: over, PIN: emv.PINFuncs{}})
	until := opts.Until
	if until == 0 {
		until = emv.StepComplete
	}
	runErr := tx.Run(ctx, min(until, emv.StepGenAC1))
	out, err := json.MarshalIndent(emv.ResultOf(tx, runErr, opts.Reveal), "", "  ")
	if err != nil {
		return nil, err
	}
	out = append(out, '\n')
	if _, ok := errors.AsType[*hal.DeviceError](runErr); ok {
		return out, fmt.Errorf("card: %w", runErr)
	}
	return out, nil
}
