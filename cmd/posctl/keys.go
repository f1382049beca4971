package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"countertop/internal/keys"
)

const keysUsage = `usage: posctl keys kek --out FILE
       posctl keys load --components HEX,HEX[,HEX]|- [--kcv HEX] [--slot tmk|pan-hash] [--sm4] --kek FILE --out FILE
       posctl keys load --file FILE [--kcv HEX] [--slot tmk|pan-hash] [--sm4] --kek FILE --out FILE
       posctl keys show --kek FILE --keyfile FILE
Keys are never printed: load and kek print the check value, show prints check values.`

// runKeys is `posctl keys kek|load|show`: the integrator loads the terminal master
// key (from key-ceremony components or a key file) into the terminal's key file,
// encrypted under a key-encryption key (internal/keys.KeyFile), and checks what a
// key file holds by its check values.
func runKeys(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, keysUsage)
		return 2
	}
	switch args[0] {
	case "kek":
		return keysKEK(args[1:], stdout, stderr)
	case "load":
		return keysLoad(args[1:], stdout, stderr)
	case "show":
		return keysShow(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "posctl keys: unknown subcommand %q (kek, load, show)\n%s\n", args[0], keysUsage)
	return 2
}

func keysKEK(args []string, stdout, stderr io.Writer) int {
	const usage = "usage: posctl keys kek --out FILE"
	fs := flag.NewFlagSet("keys kek", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	out := fs.String("out", "", "the new KEK file (must not exist)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if p := need(fs, pos, "out"); p != "" || *out == "" {
		fmt.Fprintf(stderr, "posctl keys kek: %s\n%s\n", cmp.Or(p, "empty --out"), usage)
		return 2
	}
	kek, err := keys.NewKEKFile(*out)
	if errors.Is(err, os.ErrExist) {
		fmt.Fprintf(stderr, "posctl keys kek: %s exists; a new KEK would make the key files written under it unreadable\n", *out)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "posctl keys kek:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%X\n", keys.KCV(kek))
	return 0
}

// loadKEK reads the KEK file, saying how to make one when it is missing.
func loadKEK(path string) (keys.Key, error) {
	kek, err := keys.LoadKEK(path)
	if errors.Is(err, os.ErrNotExist) {
		return keys.Key{}, fmt.Errorf("kek file %s does not exist (make one with posctl keys kek --out %s)", path, path)
	}
	return kek, err
}

func keysLoad(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keys load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, keysUsage); fs.PrintDefaults() }
	components := fs.String("components", "", "key components in hex, comma-separated, XORed together; - reads one per line from stdin")
	file := fs.String("file", "", "a plain hex key file from the key ceremony (# starts a comment line)")
	kcvHex := fs.String("kcv", "", "the key's check value from the ceremony (4 to 8 hex digits); the load is refused if it differs")
	slot := fs.String("slot", "tmk", "which key: tmk (terminal master key) or pan-hash (the journal's PAN hash key)")
	sm4 := fs.Bool("sm4", false, "the TMK is an SM4 key (national cryptography)")
	kekPath := fs.String("kek", "", "the KEK file (posctl keys kek makes one)")
	out := fs.String("out", "", "the terminal's key file, created or updated")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if p := need(fs, pos, "kek", "out"); p != "" || *kekPath == "" || *out == "" {
		fmt.Fprintf(stderr, "posctl keys load: %s\n%s\n", cmp.Or(p, "empty --kek or --out"), keysUsage)
		return 2
	}
	if (*components == "") == (*file == "") {
		fmt.Fprintln(stderr, "posctl keys load: give either --components or --file")
		return 2
	}
	if *slot != "tmk" && *slot != "pan-hash" {
		fmt.Fprintf(stderr, "posctl keys load: unknown slot %q (tmk, pan-hash)\n", *slot)
		return 2
	}
	if *sm4 && *slot != "tmk" {
		fmt.Fprintln(stderr, "posctl keys load: --sm4 is for the tmk only")
		return 2
	}
	var wantKCV []byte
	if *kcvHex != "" {
		if wantKCV, err = parseHex("--kcv", *kcvHex); err == nil && (len(wantKCV) < 2 || len(wantKCV) > 4) {
			err = fmt.Errorf("--kcv of %d bytes: a check value is 4 to 8 hex digits", len(wantKCV))
		}
		if err != nil {
			fmt.Fprintln(stderr, "posctl keys load:", err)
			return 1
		}
	}

	var raw []byte
	if *components != "" {
		raw, err = combineComponents(*components)
	} else {
		raw, err = readKeyFile(*file)
	}
	if err != nil {
		fmt.Fprintln(stderr, "posctl keys load:", err)
		return 1
	}
	k, err := newSlotKey(*slot, *sm4, raw)
	clear(raw)
	if err != nil {
		fmt.Fprintln(stderr, "posctl keys load:", err)
		return 1
	}
	if wantKCV != nil {
		if err := keys.CheckKCV(k, wantKCV); err != nil {
			fmt.Fprintf(stderr, "posctl keys load: check value %X expected, the key gives %X: a component or the key file is wrong; nothing written\n",
				wantKCV, keys.KCV(k)[:len(wantKCV)])
			return 1
		}
	}

	kek, err := loadKEK(*kekPath)
	if err != nil {
		fmt.Fprintln(stderr, "posctl keys load:", err)
		return 1
	}
	var kf keys.KeyFile
	switch _, err := os.Stat(*out); {
	case err == nil:
		// Update the existing file: it must open under this KEK, so a wrong --kek
		// or --out never replaces a key file with one that lost its other key.
		if kf, err = keys.LoadKeyFile(*out, kek); err != nil {
			fmt.Fprintf(stderr, "posctl keys load: %v (nothing written; move the file away to start a new one)\n", err)
			return 1
		}
	case errors.Is(err, os.ErrNotExist):
		if *slot != "tmk" {
			fmt.Fprintf(stderr, "posctl keys load: %s does not exist: load the tmk first\n", *out)
			return 1
		}
	default:
		fmt.Fprintln(stderr, "posctl keys load:", err)
		return 1
	}
	if *slot == "tmk" {
		kf.TMK = k
	} else {
		kf.PANHash = k
	}
	if err := keys.SaveKeyFile(*out, kek, kf); err != nil {
		fmt.Fprintln(stderr, "posctl keys load:", err)
		return 1
	}
	// Read back what was written: the file opens and holds the key.
	back, err := keys.LoadKeyFile(*out, kek)
	if err == nil && !((*slot == "tmk" && back.TMK.Equal(k)) || (*slot == "pan-hash" && back.PANHash.Equal(k))) {
		err = errors.New("the key read back differs from the key loaded")
	}
	if err != nil {
		fmt.Fprintln(stderr, "posctl keys load: verify:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%X\n", keys.KCV(k))
	return 0
}

// combineComponents XORs two or three key components of equal length given as
// comma-separated hex, or one per line on stdin ("-").
func combineComponents(arg string) ([]byte, error) {
	var parts []string
	if arg == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read components from stdin: %w", err)
		}
		defer clear(b)
		for _, l := range strings.FieldsFunc(string(b), func(r rune) bool { return r == '\n' || r == ',' }) {
			if strings.TrimSpace(l) != "" {
				parts = append(parts, l)
			}
		}
	} else {
		parts = strings.Split(arg, ",")
	}
	if len(parts) < 2 || len(parts) > 3 {
		return nil, fmt.Errorf("%d components: a key is loaded from 2 or 3 components", len(parts))
	}
	var key []byte
	for i, p := range parts {
		c, err := parseHex(fmt.Sprintf("component %d", i+1), p)
		if err != nil {
			clear(key)
			return nil, err
		}
		if i == 0 {
			key = c
			continue
		}
		if len(c) != len(key) {
			clear(key)
			clear(c)
			return nil, fmt.Errorf("component %d is %d bytes, component 1 is %d: components have the same length", i+1, len(c), len(key))
		}
		for j := range key {
			key[j] ^= c[j]
		}
		clear(c)
	}
	zero := true
	for _, b := range key {
		zero = zero && b == 0
	}
	if zero {
		return nil, errors.New("the components XOR to zero (a component entered twice?)")
	}
	return key, nil
}

// readKeyFile reads a plain hex key from a ceremony file: hex digits, whitespace
// ignored, lines starting with # ignored.
func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	defer clear(b)
	var digits strings.Builder
	for _, l := range strings.Split(string(b), "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			digits.WriteString(t)
		}
	}
	if digits.Len() == 0 {
		return nil, fmt.Errorf("key file %s holds no key", path)
	}
	return parseHex("key file "+path, digits.String())
}

// newSlotKey makes the key for a slot, saying which lengths it takes.
func newSlotKey(slot string, sm4 bool, raw []byte) (keys.Key, error) {
	switch {
	case sm4:
		k, err := keys.NewSM4Key(raw)
		if err != nil {
			return keys.Key{}, fmt.Errorf("key of %d bytes: an SM4 key is 16 bytes (32 hex digits): %w", len(raw), err)
		}
		return k, nil
	case slot == "pan-hash" && len(raw) == 8:
		return keys.Key{}, errors.New("key of 8 bytes: the pan-hash key is 16 or 24 bytes")
	}
	k, err := keys.NewKey(raw)
	if err != nil {
		return keys.Key{}, fmt.Errorf("key of %d bytes: a DES key is 8, 16 or 24 bytes (16, 32 or 48 hex digits): %w", len(raw), err)
	}
	return k, nil
}

func keysShow(args []string, stdout, stderr io.Writer) int {
	const usage = "usage: posctl keys show --kek FILE --keyfile FILE"
	fs := flag.NewFlagSet("keys show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	kekPath := fs.String("kek", "", "the KEK file")
	keyfile := fs.String("keyfile", "", "the terminal's key file")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if p := need(fs, pos, "kek", "keyfile"); p != "" || *kekPath == "" || *keyfile == "" {
		fmt.Fprintf(stderr, "posctl keys show: %s\n%s\n", cmp.Or(p, "empty --kek or --keyfile"), usage)
		return 2
	}
	kek, err := loadKEK(*kekPath)
	if err != nil {
		fmt.Fprintln(stderr, "posctl keys show:", err)
		return 1
	}
	kf, err := keys.LoadKeyFile(*keyfile, kek)
	if err != nil {
		fmt.Fprintln(stderr, "posctl keys show:", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tKIND\tBYTES\tKCV")
	for _, s := range []struct {
		name string
		k    keys.Key
	}{{"kek", kek}, {"tmk", kf.TMK}, {"pan-hash", kf.PANHash}} {
		if !s.k.IsZero() {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%X\n", s.name, s.k.Kind(), s.k.Len(), keys.KCV(s.k))
		}
	}
	tw.Flush()
	return 0
}
