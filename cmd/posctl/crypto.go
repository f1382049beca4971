package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"countertop/internal/carddata"
	"countertop/internal/keys"
)

const cryptoUsage = `usage: posctl crypto mac --alg cup-ecb|x919|x99|tdes-cbc|cup-sm4 --key HEX --data HEX
       posctl crypto pinblock --format 0 --pin DIGITS --pan PAN [--key HEX]
       posctl crypto kcv --key HEX [--sm4]
A HEX value of "-" is read from stdin (keeps a key out of the shell history and the
process list); at most one value per command can come from stdin.`

// runCrypto is `posctl crypto mac|pinblock|kcv`: the host-message cryptography of
// internal/keys for integrators checking an acquirer's MACs, PIN blocks and keys.
// Results are upper-case hex on stdout; a key is never printed.
func runCrypto(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, cryptoUsage)
		return 2
	}
	switch args[0] {
	case "mac":
		return cryptoMAC(args[1:], stdout, stderr)
	case "pinblock":
		return cryptoPINBlock(args[1:], stdout, stderr)
	case "kcv":
		return cryptoKCV(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "posctl crypto: unknown subcommand %q (mac, pinblock, kcv)\n%s\n", args[0], cryptoUsage)
	return 2
}

// macKeys is the key each MAC algorithm takes, in bytes, and how to say so.
var macKeys = map[keys.MACAlgorithm]struct {
	lens []int
	sm4  bool
	text string
}{
	keys.MACCUPECB:  {[]int{8, 16, 24}, false, "a DES or 3DES key (16, 32 or 48 hex digits)"},
	keys.MACX919:    {[]int{16}, false, "a double-length DES key (32 hex digits)"},
	keys.MACX99:     {[]int{8}, false, "a single-length DES key (16 hex digits)"},
	keys.MACTDESCBC: {[]int{16, 24}, false, "a 3DES key (32 or 48 hex digits)"},
	keys.MACCUPSM4:  {[]int{16}, true, "an SM4 key (32 hex digits)"},
}

// need reports the flags (by name) that were not given.
func need(fs *flag.FlagSet, names ...string) []string {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var missing []string
	for _, n := range names {
		if !set[n] {
			missing = append(missing, "--"+n)
		}
	}
	return missing
}

func cryptoMAC(args []string, stdout, stderr io.Writer) int {
	const usage = "usage: posctl crypto mac --alg cup-ecb|x919|x99|tdes-cbc|cup-sm4 --key HEX --data HEX"
	fs := flag.NewFlagSet("crypto mac", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	algName := fs.String("alg", "", "MAC algorithm: cup-ecb, x919, x99, tdes-cbc, cup-sm4")
	keyHex := fs.String("key", "", "the MAC key (MAK/TAK) in hex, or - for stdin")
	dataHex := fs.String("data", "", "the MAC input in hex (MTI through the field before 64), or - for stdin")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if m := need(fs, "alg", "key", "data"); len(m) > 0 || len(pos) > 0 {
		fmt.Fprintf(stderr, "posctl crypto mac: missing %s\n%s\n", strings.Join(m, ", "), usage)
		return 2
	}
	alg, err := keys.ParseMACAlgorithm(*algName)
	if err != nil {
		fmt.Fprintf(stderr, "posctl crypto mac: unknown algorithm %q (cup-ecb, x919, x99, tdes-cbc, cup-sm4)\n", *algName)
		return 2
	}
	if *keyHex == "-" && *dataHex == "-" {
		fmt.Fprintln(stderr, "posctl crypto mac: only one of --key and --data can be read from stdin")
		return 2
	}
	want := macKeys[alg]
	raw, err := hexValue("--key", *keyHex)
	if err != nil {
		fmt.Fprintln(stderr, "posctl crypto mac:", err)
		return 1
	}
	if !slices.Contains(want.lens, len(raw)) {
		fmt.Fprintf(stderr, "posctl crypto mac: --key of %d bytes: %s takes %s\n", len(raw), alg, want.text)
		return 1
	}
	var k keys.Key
	if want.sm4 {
		k, err = keys.NewSM4Key(raw)
	} else {
		k, err = keys.NewKey(raw)
	}
	clear(raw)
	if err != nil {
		fmt.Fprintln(stderr, "posctl crypto mac: --key:", err)
		return 1
	}
	data, err := hexValue("--data", *dataHex)
	if err != nil {
		fmt.Fprintln(stderr, "posctl crypto mac:", err)
		return 1
	}
	if len(data) == 0 {
		fmt.Fprintln(stderr, "posctl crypto mac: --data is empty")
		return 1
	}
	mac, err := keys.MAC(alg, k, data)
	if err != nil {
		fmt.Fprintln(stderr, "posctl crypto mac:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%X\n", mac)
	return 0
}

func cryptoPINBlock(args []string, stdout, stderr io.Writer) int {
	const usage = "usage: posctl crypto pinblock --format 0 --pin DIGITS --pan PAN [--key HEX]"
	fs := flag.NewFlagSet("crypto pinblock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	format := fs.String("format", "0", "PIN block format: 0 (ISO 9564 format 0, ANSI X9.8)")
	pin := fs.String("pin", "", "the PIN, 4 to 12 digits, or - for stdin")
	panText := fs.String("pan", "", "the card number (12 to 19 digits, check digit included)")
	keyHex := fs.String("key", "", "PIN key (PIK/TPK) in hex, DES or 3DES, or - for stdin: print the block encrypted under it")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if m := need(fs, "pin", "pan"); len(m) > 0 || len(pos) > 0 {
		fmt.Fprintf(stderr, "posctl crypto pinblock: missing %s\n%s\n", strings.Join(m, ", "), usage)
		return 2
	}
	if *format != "0" {
		fmt.Fprintf(stderr, "posctl crypto pinblock: format %q not supported: only 0 (ISO 9564 format 0, the CUP format)\n", *format)
		return 2
	}
	if *pin == "-" && *keyHex == "-" {
		fmt.Fprintln(stderr, "posctl crypto pinblock: only one of --pin and --key can be read from stdin")
		return 2
	}
	p := *pin
	if p == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			fmt.Fprintln(stderr, "posctl crypto pinblock: read stdin:", err)
			return 1
		}
		p = strings.TrimSpace(string(b))
	}
	pan, err := carddata.ParsePAN(strings.TrimSpace(*panText))
	if err != nil {
		fmt.Fprintln(stderr, "posctl crypto pinblock: --pan:", err)
		return 1
	}
	block, err := keys.ClearPINBlock(p, pan)
	if err != nil {
		fmt.Fprintf(stderr, "posctl crypto pinblock: --pin: %v (a PIN is 4 to 12 digits)\n", err)
		return 1
	}
	if *keyHex != "" {
		k, err := desKey("--key", *keyHex)
		if err != nil {
			fmt.Fprintln(stderr, "posctl crypto pinblock:", err)
			return 1
		}
		if block, err = keys.EncryptPINBlock(k, block); err != nil {
			fmt.Fprintln(stderr, "posctl crypto pinblock:", err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "%X\n", block)
	return 0
}

func cryptoKCV(args []string, stdout, stderr io.Writer) int {
	const usage = "usage: posctl crypto kcv --key HEX [--sm4]"
	fs := flag.NewFlagSet("crypto kcv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	keyHex := fs.String("key", "", "the key in hex (DES 16, 3DES 32 or 48 digits; SM4 32 with --sm4), or - for stdin")
	sm4 := fs.Bool("sm4", false, "the key is an SM4 key (check value over a 16-byte zero block)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if m := need(fs, "key"); len(m) > 0 || len(pos) > 0 {
		fmt.Fprintf(stderr, "posctl crypto kcv: missing --key\n%s\n", usage)
		return 2
	}
	var k keys.Key
	if *sm4 {
		raw, err := hexValue("--key", *keyHex)
		if err == nil {
			k, err = keys.NewSM4Key(raw)
			clear(raw)
		}
		if err != nil {
			fmt.Fprintln(stderr, "posctl crypto kcv:", err, "(an SM4 key is 32 hex digits)")
			return 1
		}
	} else if k, err = desKey("--key", *keyHex); err != nil {
		fmt.Fprintln(stderr, "posctl crypto kcv:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%X\n", keys.KCV(k))
	return 0
}

// hexValue reads a flag's hex value, from stdin when it is "-".
func hexValue(name, v string) ([]byte, error) {
	if v == "-" {
		b, err := hexInput("-")
		if err != nil {
			return nil, fmt.Errorf("%s from stdin: %w", name, err)
		}
		return b, nil
	}
	return parseHex(name, v)
}

// desKey reads a DES-family key from a flag's hex value; the error says what
// lengths are allowed and never shows the key.
func desKey(name, v string) (keys.Key, error) {
	raw, err := hexValue(name, v)
	if err != nil {
		return keys.Key{}, err
	}
	defer clear(raw)
	k, err := keys.NewKey(raw)
	if err != nil {
		return keys.Key{}, fmt.Errorf("%s of %d bytes: a DES key is 16, 32 or 48 hex digits: %w", name, len(raw), err)
	}
	return k, nil
}
