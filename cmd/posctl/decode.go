package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"countertop/emv/tlv"
	"countertop/iso8583"
)

// stdin is where "-" arguments are read from (swapped by tests).
var stdin io.Reader = os.Stdin

// dialects are the host dialects decode iso knows, by the name --dialect takes.
var dialects = map[string]*iso8583.Dialect{
	"cup": iso8583.CUP,
}

const (
	decodeUsage    = "usage: posctl decode iso [--dialect cup] [--framing cup|none] HEX|-\n       posctl decode tlv HEX|-"
	decodeISOUsage = "usage: posctl decode iso [--dialect cup] [--framing cup|none] HEX|-"
	decodeTLVUsage = "usage: posctl decode tlv HEX|-"
)

// runDecode is `posctl decode iso|tlv`: a host message or BER-TLV data, given as hex
// on the command line or on stdin ("-"), printed as indented JSON.
func runDecode(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, decodeUsage)
		return 2
	}
	switch args[0] {
	case "iso":
		return decodeISO(args[1:], stdout, stderr)
	case "tlv":
		return decodeTLV(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "posctl decode: unknown subcommand %q (iso, tlv)\n%s\n", args[0], decodeUsage)
	return 2
}

func decodeISO(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode iso", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, decodeISOUsage); fs.PrintDefaults() }
	dialect := fs.String("dialect", "cup", "host dialect: "+strings.Join(dialectNames(), ", "))
	framing := fs.String("framing", "cup", "cup: 2-byte length, TPDU and header before the MTI; none: the body starts at the MTI")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	d, ok := dialects[*dialect]
	if !ok {
		fmt.Fprintf(stderr, "posctl decode iso: unknown dialect %q (known: %s)\n", *dialect, strings.Join(dialectNames(), ", "))
		return 2
	}
	var framed bool
	switch *framing {
	case "cup":
		framed = true
	case "none":
	default:
		fmt.Fprintf(stderr, "posctl decode iso: unknown framing %q (cup, none)\n", *framing)
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, decodeISOUsage)
		return 2
	}
	raw, err := hexInput(pos[0])
	if err != nil {
		fmt.Fprintln(stderr, "posctl decode iso:", err)
		return 1
	}
	compact, err := d.DecodeJSON(raw, framed)
	if err != nil {
		fmt.Fprintf(stderr, "posctl decode iso: %v%s\n", err, framingHint(raw, framed))
		return 1
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		fmt.Fprintln(stderr, "posctl decode iso: indent:", err)
		return 1
	}
	out.WriteByte('\n')
	stdout.Write(out.Bytes())
	return 0
}

// framingHint suggests the other --framing when the input looks like it: a "frame"
// whose length prefix is wrong but reads as an MTI, or a "body" that starts with a
// length matching its size.
func framingHint(raw []byte, framed bool) string {
	bcd := func(b byte) bool { return b>>4 <= 9 && b&0x0F <= 9 }
	switch {
	case framed && len(raw) >= 2 && int(raw[0])<<8|int(raw[1]) != len(raw)-2 &&
		raw[0] >= 0x01 && raw[0] <= 0x09 && bcd(raw[1]):
		return " (this looks like a body that starts at the MTI: use --framing none)"
	case !framed && len(raw) >= 2 && int(raw[0])<<8|int(raw[1]) == len(raw)-2:
		return " (the input starts with a length that matches its size: try --framing cup)"
	}
	return ""
}

func dialectNames() []string {
	names := make([]string, 0, len(dialects))
	for n := range dialects {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func decodeTLV(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode tlv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, decodeTLVUsage) }
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, decodeTLVUsage)
		return 2
	}
	raw, err := hexInput(pos[0])
	if err != nil {
		fmt.Fprintln(stderr, "posctl decode tlv:", err)
		return 1
	}
	if len(raw) == 0 {
		fmt.Fprintln(stderr, "posctl decode tlv: no data")
		return 1
	}
	out, err := tlv.JSON(raw)
	if err != nil {
		// tlv's SyntaxError names the byte offset.
		fmt.Fprintln(stderr, "posctl decode tlv:", err)
		return 1
	}
	stdout.Write(append(out, '\n'))
	return 0
}

// parseArgs parses flags that may come before or after the positional arguments
// (`decode iso HEX --framing none` as well as `decode iso --framing none HEX`) and
// returns the positional ones. "--" ends flag parsing.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// hexInput reads an argument as hex: the argument itself, or stdin when it is "-".
// Spaces, tabs and newlines between the digits are ignored.
func hexInput(arg string) ([]byte, error) {
	s := arg
	if arg == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
		s = string(b)
	}
	return parseHex("input", s)
}

// parseHex decodes hex digits (either case, whitespace ignored) and says what is
// wrong when it cannot: which character is not a hex digit, or that the count is
// odd.
func parseHex(what, s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r':
			return -1
		}
		return r
	}, s)
	for i, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return nil, fmt.Errorf("%s: %q at position %d is not a hex digit", what, r, i)
		}
	}
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("%s: odd number of hex digits (%d): each byte is two digits", what, len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return b, nil
}
