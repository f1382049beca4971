package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	emvcrypto "countertop/emv/crypto"
	"countertop/internal/carddata"
	"countertop/internal/keys"
)

const cryptoUsage = `usage: posctl crypto mac --alg cup-ecb|x919|x99|tdes-cbc|cup-sm4 --key HEX --data HEX
       posctl crypto pinblock --format 0 --pin DIGITS --pan PAN [--key HEX] [--sm4]
       posctl crypto kcv --key HEX [--sm4]
       posctl crypto icc-mk --imk HEX --pan PAN [--psn NN] --method A|B
       posctl crypto session-key --mk HEX --r HEX
       posctl crypto arqc --key HEX --data HEX --padding 1|2
       posctl crypto arpc --method 1 --key HEX --arqc HEX --arc HEX
       posctl crypto arpc --method 2 --key HEX --arqc HEX --csu HEX [--prop HEX]
A HEX value of "-" is read from stdin (keeps a key out of the shell history and the
process list); at most one value per command can come from stdin.`

// runCrypto is `posctl crypto mac|pinblock|kcv|icc-mk|session-key|arqc|arpc`: the
// host-message cryptography of internal/keys and the EMV cryptography of emv/crypto,
// for integrators checking an acquirer's MACs, PIN blocks and keys and a card's or
// an issuer's cryptograms. Results are upper-case hex on stdout. Input keys are
// never printed; icc-mk and session-key print the test key they derive, which is
// their purpose.
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
	case "icc-mk":
		return cryptoICCMK(args[1:], stdout, stderr)
	case "session-key":
		return cryptoSessionKey(args[1:], stdout, stderr)
	case "arqc":
		return cryptoARQC(args[1:], stdout, stderr)
	case "arpc":
		return cryptoARPC(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "posctl crypto: unknown subcommand %q (mac, pinblock, kcv, icc-mk, session-key, arqc, arpc)\n%s\n", args[0], cryptoUsage)
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

// need says what is wrong with a command line whose flags parsed: required flags
// not given, or positional arguments where none are taken ("" when nothing).
func need(fs *flag.FlagSet, pos []string, names ...string) string {
	if m := unset(fs, names...); len(m) > 0 {
		return "missing " + strings.Join(m, ", ")
	}
	if len(pos) > 0 {
		return fmt.Sprintf("unexpected argument %q", pos[0])
	}
	return ""
}

// unset lists the named flags that were not given.
func unset(fs *flag.FlagSet, names ...string) []string {
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
	if p := need(fs, pos, "alg", "key", "data"); p != "" {
		fmt.Fprintf(stderr, "posctl crypto mac: %s\n%s\n", p, usage)
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
	const usage = "usage: posctl crypto pinblock --format 0 --pin DIGITS --pan PAN [--key HEX] [--sm4]"
	fs := flag.NewFlagSet("crypto pinblock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	format := fs.String("format", "0", "PIN block format: 0 (ISO 9564 format 0, ANSI X9.8)")
	pin := fs.String("pin", "", "the PIN, 4 to 12 digits, or - for stdin")
	panText := fs.String("pan", "", "the card number (12 to 19 digits, check digit included)")
	keyHex := fs.String("key", "", "PIN key (PIK/TPK) in hex, DES or 3DES (SM4 with --sm4), or - for stdin: print the block encrypted under it")
	sm4 := fs.Bool("sm4", false, "national cryptography: the 16-byte block of format 0 widened to 32 nibbles, under an SM4 key")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if p := need(fs, pos, "pin", "pan"); p != "" {
		fmt.Fprintf(stderr, "posctl crypto pinblock: %s\n%s\n", p, usage)
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
	clearBlock := keys.ClearPINBlock
	if *sm4 {
		clearBlock = keys.ClearPINBlockSM4
	}
	block, err := clearBlock(p, pan)
	if err != nil {
		fmt.Fprintf(stderr, "posctl crypto pinblock: --pin: %v (a PIN is 4 to 12 digits)\n", err)
		return 1
	}
	if *keyHex != "" {
		k, err := keyFlag("--key", *keyHex, *sm4)
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
	if p := need(fs, pos, "key"); p != "" {
		fmt.Fprintf(stderr, "posctl crypto kcv: %s\n%s\n", p, usage)
		return 2
	}
	k, err := keyFlag("--key", *keyHex, *sm4)
	if err != nil {
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

// keyFlag reads a key from a flag's hex value (or - for stdin): an SM4 key when sm4
// is set, else a DES-family key. The error says what lengths are allowed and never
// shows the key.
func keyFlag(name, v string, sm4 bool) (keys.Key, error) {
	raw, err := hexValue(name, v)
	if err != nil {
		return keys.Key{}, err
	}
	defer clear(raw)
	newKey, lengths := keys.NewKey, "a DES key is 16, 32 or 48 hex digits"
	if sm4 {
		newKey, lengths = keys.NewSM4Key, "an SM4 key is 32 hex digits"
	}
	k, err := newKey(raw)
	if err != nil {
		return keys.Key{}, fmt.Errorf("%s of %d bytes: %s: %w", name, len(raw), lengths, err)
	}
	return k, nil
}

// emvFlags is a flag set for the EMV subcommands with the usage line.
func emvFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("crypto "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	return fs
}

// hexFlags decodes the named flags' hex values in order; at most one may be "-".
func hexFlags(fs *flag.FlagSet, names ...string) ([][]byte, error) {
	fromStdin := 0
	out := make([][]byte, len(names))
	for i, n := range names {
		v := fs.Lookup(n).Value.String()
		if v == "-" {
			if fromStdin++; fromStdin > 1 {
				return nil, fmt.Errorf("only one value can be read from stdin")
			}
		}
		b, err := hexValue("--"+n, v)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// emvResult prints an emv/crypto result or its error.
func emvResult(name string, b []byte, err error, stdout, stderr io.Writer) int {
	if err != nil {
		fmt.Fprintf(stderr, "posctl crypto %s: %v\n", name, err)
		return 1
	}
	fmt.Fprintf(stdout, "%X\n", b)
	return 0
}

func cryptoICCMK(args []string, stdout, stderr io.Writer) int {
	const usage = "usage: posctl crypto icc-mk --imk HEX --pan PAN [--psn NN] --method A|B"
	fs := emvFlags("icc-mk", usage, stderr)
	fs.String("imk", "", "issuer master key (double-length 3DES) in hex, or - for stdin")
	pan := fs.String("pan", "", "the card's PAN (tag 5A digits)")
	psn := fs.String("psn", "", "the PAN sequence number, two digits (tag 5F34); omitted: none")
	method := fs.String("method", "", "derivation option: A (Book 2 A1.4.1) or B (A1.4.2, PANs over 16 digits)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if p := need(fs, pos, "imk", "pan", "method"); p != "" {
		fmt.Fprintf(stderr, "posctl crypto icc-mk: %s\n%s\n", p, usage)
		return 2
	}
	opt, err := emvcrypto.ParseOption(*method)
	if err != nil {
		fmt.Fprintf(stderr, "posctl crypto icc-mk: --method %q: A or B\n", *method)
		return 2
	}
	v, err := hexFlags(fs, "imk")
	if err != nil {
		fmt.Fprintln(stderr, "posctl crypto icc-mk:", err)
		return 1
	}
	defer clear(v[0])
	mk, err := emvcrypto.DeriveICCMasterKey(v[0], strings.TrimSpace(*pan), *psn, opt)
	return emvResult("icc-mk", mk, err, stdout, stderr)
}

func cryptoSessionKey(args []string, stdout, stderr io.Writer) int {
	const usage = "usage: posctl crypto session-key --mk HEX --r HEX"
	fs := emvFlags("session-key", usage, stderr)
	fs.String("mk", "", "ICC master key (double-length 3DES) in hex, or - for stdin")
	fs.String("r", "", "the 8-byte diversification value (ATC || 000000000000 for cryptograms)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if p := need(fs, pos, "mk", "r"); p != "" {
		fmt.Fprintf(stderr, "posctl crypto session-key: %s\n%s\n", p, usage)
		return 2
	}
	v, err := hexFlags(fs, "mk", "r")
	if err != nil {
		fmt.Fprintln(stderr, "posctl crypto session-key:", err)
		return 1
	}
	defer clear(v[0])
	sk, err := emvcrypto.SessionKey(v[0], v[1])
	return emvResult("session-key", sk, err, stdout, stderr)
}

func cryptoARQC(args []string, stdout, stderr io.Writer) int {
	const usage = "usage: posctl crypto arqc --key HEX --data HEX --padding 1|2"
	fs := emvFlags("arqc", usage, stderr)
	fs.String("key", "", "the AC session key (double-length 3DES) in hex, or - for stdin")
	fs.String("data", "", "the cryptogram input: CDOL1 data, AIP, ATC, ... as the CVN defines")
	padding := fs.String("padding", "", "ISO/IEC 9797-1 padding method: 1 (zeros) or 2 (80 then zeros, EMV)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if p := need(fs, pos, "key", "data", "padding"); p != "" {
		fmt.Fprintf(stderr, "posctl crypto arqc: %s\n%s\n", p, usage)
		return 2
	}
	var p emvcrypto.Padding
	switch *padding {
	case "1":
		p = emvcrypto.Padding1
	case "2":
		p = emvcrypto.Padding2
	default:
		fmt.Fprintf(stderr, "posctl crypto arqc: --padding %q: 1 or 2\n", *padding)
		return 2
	}
	v, err := hexFlags(fs, "key", "data")
	if err != nil {
		fmt.Fprintln(stderr, "posctl crypto arqc:", err)
		return 1
	}
	defer clear(v[0])
	if len(v[1]) == 0 {
		fmt.Fprintln(stderr, "posctl crypto arqc: --data is empty")
		return 1
	}
	ac, err := emvcrypto.AC(v[0], v[1], p)
	return emvResult("arqc", ac, err, stdout, stderr)
}

func cryptoARPC(args []string, stdout, stderr io.Writer) int {
	const usage = "usage: posctl crypto arpc --method 1 --key HEX --arqc HEX --arc HEX\n" +
		"       posctl crypto arpc --method 2 --key HEX --arqc HEX --csu HEX [--prop HEX]"
	fs := emvFlags("arpc", usage, stderr)
	method := fs.String("method", "", "ARPC method: 1 (Book 2 A1.2.1) or 2 (A1.2.2)")
	fs.String("key", "", "method 1: the key the issuer's CVN names (ICC master key or session key); method 2: the session key; or - for stdin")
	fs.String("arqc", "", "the 8-byte ARQC")
	fs.String("arc", "", "method 1: the 2-byte authorisation response code (3030 for \"00\")")
	fs.String("csu", "", "method 2: the 4-byte card status update")
	fs.String("prop", "", "method 2: proprietary authentication data, 0 to 8 bytes")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	var required, values []string
	switch *method {
	case "1":
		required, values = []string{"key", "arqc", "arc"}, []string{"key", "arqc", "arc"}
		if len(unset(fs, "csu", "prop")) < 2 {
			fmt.Fprintln(stderr, "posctl crypto arpc: --csu and --prop are for method 2")
			return 2
		}
	case "2":
		required, values = []string{"key", "arqc", "csu"}, []string{"key", "arqc", "csu", "prop"}
		if len(unset(fs, "arc")) == 0 {
			fmt.Fprintln(stderr, "posctl crypto arpc: --arc is for method 1")
			return 2
		}
	default:
		fmt.Fprintf(stderr, "posctl crypto arpc: --method %q: 1 or 2\n%s\n", *method, usage)
		return 2
	}
	if p := need(fs, pos, required...); p != "" {
		fmt.Fprintf(stderr, "posctl crypto arpc: %s\n%s\n", p, usage)
		return 2
	}
	v, err := hexFlags(fs, values...)
	if err != nil {
		fmt.Fprintln(stderr, "posctl crypto arpc:", err)
		return 1
	}
	defer clear(v[0])
	var arpc []byte
	if *method == "1" {
		arpc, err = emvcrypto.ARPC1(v[0], v[1], v[2])
	} else {
		arpc, err = emvcrypto.ARPC2(v[0], v[1], v[2], v[3])
	}
	return emvResult("arpc", arpc, err, stdout, stderr)
}
