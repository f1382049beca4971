// Command posctl is the integrator's tool: inspect the journal, run scenario files,
// decode host messages and TLV data, compute MACs, PIN blocks, key check values and
// EMV cryptograms, and load keys. One file per subcommand. Output goes to stdout;
// errors go to stderr with a non-zero exit status. Journal output shows masked card
// numbers only and keys are shown as check values, except where an integrator asks
// for a derived key (crypto icc-mk, session-key); decode prints what it is given
// unless --mask is set.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand: it gets its arguments and the output streams and
// returns the exit status.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{
	"journal":  {"list, show, export and verify the journal (masked)", runJournal},
	"backup":   {"write a verified copy of the journal (posd stopped)", runBackup},
	"restore":  {"replace the journal with a verified backup, keeping the old file", runRestore},
	"scenario": {"run scenario files against a simulated terminal", runScenario},
	"decode":   {"decode host messages (ISO 8583) and EMV TLV data as JSON", runDecode},
	"crypto":   {"compute MACs, PIN blocks, key check values and EMV cryptograms", runCrypto},
	"keys":     {"load the terminal master key into the key file; show check values", runKeys},
	"devices":  {"list PC/SC readers and serial ports; probe the configured devices", runDevices},
	"card":     {"send APDUs to, or run the EMV kernel against, the card in a PC/SC reader", runCard},
	"emv":      {"replay a recorded card session through the EMV kernel", runEMV},
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return 2
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "posctl: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: posctl COMMAND [ARGS]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}
