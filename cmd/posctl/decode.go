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
	"countertop/iso8583/frame"
)

// stdin is where "-" arguments are read from (swapped by tests).
var stdin io.Reader = os.Stdin

// dialects are the host dialects decode iso knows, by the name --dialect takes.
var dialects = iso8583.Dialects()

const (
	decodeUsage    = "usage: posctl decode iso [--dialect cup|cup-sm4] [--framing cup|dialup|none] [--pre-header N] [--mask] HEX|-\n       posctl decode tlv [--mask] HEX|-"
	decodeISOUsage = "usage: posctl decode iso [--dialect cup|cup-sm4] [--framing cup|dialup|none] [--pre-header N] [--mask] HEX|-"
	decodeTLVUsage = "usage: posctl decode tlv [--mask] HEX|-"
	maskHelp       = "mask cardholder data (PAN but its last 4 digits, tracks, expiry, PIN block, sensitive EMV tags) for output that will be shared"
)

// runDecode is `posctl decode iso|tlv`: a host message or BER-TLV data, given as hex
// on the command line or on stdin ("-"), printed as indented JSON. Values are
// printed in full, card data included, as the integrator's own test messages need;
// --mask hides cardholder data for messages captured in a shop.
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
	framing := fs.String("framing", "cup", "cup: 2-byte length, TPDU and header before the MTI; dialup: STX, BCD length, TPDU, header, body, ETX, LRC; none: the body starts at the MTI")
	preHeader := fs.Int("pre-header", 0, "bytes a gateway puts between TPDU and header (shown as pre_header)")
	mask := fs.Bool("mask", false, maskHelp)
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
	case "cup", "dialup":
		framed = true
	case "none":
	default:
		fmt.Fprintf(stderr, "posctl decode iso: unknown framing %q (cup, dialup, none)\n", *framing)
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
	if *preHeader < 0 || (*preHeader > 0 && !framed) {
		fmt.Fprintln(stderr, "posctl decode iso: --pre-header takes a byte count, and a framing other than none")
		return 2
	}
	var compact []byte
	if *framing == "dialup" || *preHeader > 0 {
		// Read by the framing itself; "length" is what the frame states (the
		// dial-up BCD length, or the 2-byte prefix).
		var f frame.Frame
		if f, err = frame.WithPreHeader(frame.Framings()[*framing], *preHeader).Parse(raw); err == nil {
			compact, err = d.DecodeFrameJSON(iso8583.FrameHead{Length: f.Len(), TPDU: f.TPDU[:], PreHeader: f.PreHeader, Header: f.Header[:]}, f.Body)
		}
	} else {
		compact, err = d.DecodeJSON(raw, framed)
	}
	if err != nil {
		hint := ""
		if *framing != "dialup" && *preHeader == 0 {
			hint = framingHint(raw, framed)
		}
		fmt.Fprintf(stderr, "posctl decode iso: %v%s\n", err, hint)
		return 1
	}
	if *mask {
		if compact, err = maskISO(compact); err != nil {
			fmt.Fprintln(stderr, "posctl decode iso: mask:", err)
			return 1
		}
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
	fs.Usage = func() { fmt.Fprintln(stderr, decodeTLVUsage); fs.PrintDefaults() }
	mask := fs.Bool("mask", false, maskHelp)
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
	if *mask {
		if out, err = maskTLVJSON(out); err != nil {
			fmt.Fprintln(stderr, "posctl decode tlv: mask:", err)
			return 1
		}
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

// Masking. The decoders print card data in clear; --mask rewrites their JSON so
// that what an integrator pastes into a ticket holds no cardholder data: the PAN
// keeps its last 4 digits, tracks, expiry and the PIN block become asterisks, and
// so does every value of a tag the EMV dictionary marks sensitive, together with
// the values of the templates and fields (55) that contain one.

// stars is s with every character replaced by '*'.
func stars(s string) string { return strings.Repeat("*", len(s)) }

// maskISOField masks one field of decode iso's "fields".
func maskISOField(id, v string) string {
	switch id {
	case "2":
		if len(v) <= 4 {
			return stars(v)
		}
		return stars(v[:len(v)-4]) + v[len(v)-4:]
	case "14", "35", "36", "52":
		return stars(v)
	}
	return v
}

// sensitiveTag reports whether the EMV dictionary marks a tag (hex) as cardholder
// data. An unparseable tag counts as sensitive.
func sensitiveTag(tag string) bool {
	t, err := tlv.ParseTag(tag)
	if err != nil {
		return true
	}
	info, _ := tlv.Lookup(t)
	return info.Sensitive
}

// isoDoc is decode iso's JSON with the fields kept in their order.
type isoDoc struct {
	Length    *int          `json:"length,omitempty"`
	TPDU      string        `json:"tpdu,omitempty"`
	PreHeader string        `json:"pre_header,omitempty"`
	Header    string        `json:"header,omitempty"`
	MTI       string        `json:"mti"`
	Fields    orderedFields `json:"fields"`
	ICC       []iccTLV      `json:"icc,omitempty"`
}

type iccTLV struct {
	Tag   string `json:"tag"`
	Len   int    `json:"len"`
	Value string `json:"value"`
}

type orderedFields []struct{ ID, Value string }

func (f *orderedFields) UnmarshalJSON(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("fields: not an object")
	}
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return err
		}
		var v string
		if err := d.Decode(&v); err != nil {
			return err
		}
		*f = append(*f, struct{ ID, Value string }{k.(string), v})
	}
	return nil
}

func (f orderedFields) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.ID)
		v, _ := json.Marshal(kv.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// maskISO masks decode iso's compact JSON, keeping its shape and order.
func maskISO(compact []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(compact))
	d.DisallowUnknownFields() // a new key in DecodeJSON must be looked at here
	var doc isoDoc
	if err := d.Decode(&doc); err != nil {
		return nil, err
	}
	iccSensitive := false
	for i, t := range doc.ICC {
		if sensitiveTag(t.Tag) {
			doc.ICC[i].Value = stars(t.Value)
			iccSensitive = true
		}
	}
	for i, kv := range doc.Fields {
		doc.Fields[i].Value = maskISOField(kv.ID, kv.Value)
		if kv.ID == "55" && iccSensitive {
			doc.Fields[i].Value = stars(kv.Value)
		}
	}
	return json.Marshal(doc)
}

// tlvNode is one object of tlv.JSON's output, in its field order.
type tlvNode struct {
	Tag      string    `json:"tag"`
	Name     string    `json:"name,omitempty"`
	Len      int       `json:"len"`
	Value    string    `json:"value"`
	Children []tlvNode `json:"children,omitempty"`
}

// maskTLVJSON masks tlv.JSON's output: sensitive values and the templates that
// hold them.
func maskTLVJSON(out []byte) ([]byte, error) {
	var nodes []tlvNode
	d := json.NewDecoder(bytes.NewReader(out))
	d.DisallowUnknownFields()
	if err := d.Decode(&nodes); err != nil {
		return nil, err
	}
	maskNodes(nodes)
	return json.MarshalIndent(nodes, "", "  ")
}

// maskNodes masks nodes in place and reports whether any was sensitive.
func maskNodes(nodes []tlvNode) bool {
	found := false
	for i := range nodes {
		n := &nodes[i]
		if maskNodes(n.Children) || sensitiveTag(n.Tag) {
			n.Value = stars(n.Value)
			found = true
		}
	}
	return found
}
