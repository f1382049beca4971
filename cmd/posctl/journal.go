package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"countertop/internal/config"
	"countertop/internal/fees"
	"countertop/internal/txtype"
	"countertop/store"
)

const journalUsage = `usage: posctl journal list|show|export|verify --db FILE ...

  list   [--json] [--limit N] [filters]          the transactions, newest first (masked)
  show   ID                                      one transaction and its slip
  export [--format csv|json] [--out FILE] [filters]
                                                 for the merchant's accounting, oldest
                                                 first: time, type, state, amount,
                                                 currency, masked card, card org, batch,
                                                 voucher, RRN, auth code, response code,
                                                 operator
  verify                                         the full integrity check; exit 1 with
                                                 the reason if it fails

filters: --from DATE --to DATE (YYYY-MM-DD, local days, both included; or RFC 3339
times, --to excluded) --batch N --type T (sale, void, refund, ...) --state S (pending,
approved, declined, failed, reversed, voided)

The journal is opened read-only. While posd runs it holds the journal's lock: stop it
first, or work on one of its automatic backups.`

func runJournal(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, journalUsage)
		return 2
	}
	switch args[0] {
	case "list":
		return journalList(args[1:], stdout, stderr)
	case "show":
		return journalShow(args[1:], stdout, stderr)
	case "export":
		return journalExport(args[1:], stdout, stderr)
	case "verify":
		return journalVerify(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stderr, journalUsage)
		return 2
	}
	fmt.Fprintf(stderr, "posctl journal: unknown subcommand %q (list, show, export, verify)\n", args[0])
	return 2
}

func openJournal(path string) (*store.DB, error) {
	if path == "" {
		return nil, fmt.Errorf("--db FILE is required")
	}
	return store.Open(path, &store.Options{ReadOnly: true, Timeout: time.Second})
}

// journalZone is the zone of --from and --to dates: the terminal's (tests set it).
var journalZone = time.Local

// filterFlags are the record filters list and export share.
type filterFlags struct {
	from, to, batch, typ, state string
}

func (f *filterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.from, "from", "", "only records created from this day (YYYY-MM-DD) or time (RFC 3339) on")
	fs.StringVar(&f.to, "to", "", "only records created up to this day, included (YYYY-MM-DD), or before this time (RFC 3339)")
	fs.StringVar(&f.batch, "batch", "", "only this batch number")
	fs.StringVar(&f.typ, "type", "", "only this transaction type (sale, void, refund, preauth, ...)")
	fs.StringVar(&f.state, "state", "", "only this state (pending, approved, declined, failed, reversed, voided)")
}

// parseWhen reads a day (its start, or with endOfDay the start of the next day) or
// an RFC 3339 time.
func parseWhen(s string, endOfDay bool) (time.Time, error) {
	if d, err := time.ParseInLocation(time.DateOnly, s, journalZone); err == nil {
		if endOfDay {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (YYYY-MM-DD) nor an RFC 3339 time", s)
	}
	return t, nil
}

func (f *filterFlags) filter() (store.Filter, error) {
	var out store.Filter
	var err error
	if f.from != "" {
		if out.From, err = parseWhen(f.from, false); err != nil {
			return out, fmt.Errorf("--from: %w", err)
		}
	}
	if f.to != "" {
		if out.To, err = parseWhen(f.to, true); err != nil {
			return out, fmt.Errorf("--to: %w", err)
		}
	}
	if !out.From.IsZero() && !out.To.IsZero() && !out.From.Before(out.To) {
		return out, fmt.Errorf("--from %s is not before --to %s", f.from, f.to)
	}
	if f.batch != "" {
		n, err := strconv.ParseUint(f.batch, 10, 32)
		if err != nil || n < 1 || n > 999999 {
			return out, fmt.Errorf("--batch %q is not a batch number (1-999999)", f.batch)
		}
		b := txtype.Batch(n)
		out.Batch = &b
	}
	if f.typ != "" {
		t, err := txtype.Parse(f.typ)
		if err != nil {
			return out, fmt.Errorf("--type: %w", err)
		}
		out.Type = &t
	}
	if f.state != "" {
		var s store.State
		if err := s.UnmarshalText([]byte(f.state)); err != nil {
			return out, fmt.Errorf("--state %q: not one of pending, approved, declined, failed, reversed, voided", f.state)
		}
		out.State = &s
	}
	return out, nil
}

// listed is a record as `journal list --json` prints it: masked PAN, no slip.
type listed struct {
	ID        uint64    `json:"id"`
	Time      time.Time `json:"time"`
	Type      string    `json:"type"`
	State     string    `json:"state"`
	Amount    string    `json:"amount"`
	Currency  string    `json:"currency"`
	PAN       string    `json:"pan"`
	CardOrg   string    `json:"card_org"`
	Batch     string    `json:"batch"`
	Voucher   string    `json:"voucher"`
	RRN       string    `json:"rrn"`
	AuthCode  string    `json:"auth_code"`
	RespCode  string    `json:"rc"`
	Operator  string    `json:"operator"`
	Printed   bool      `json:"printed"`
	Reversal  string    `json:"reversal_reason,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func toListed(r store.Record) listed {
	return listed{ID: r.ID, Time: r.HostTime, Type: r.Type.String(), State: r.State.String(),
		Amount: r.Amount.Decimal(), Currency: r.Amount.Currency.Code, PAN: r.MaskedPAN, CardOrg: r.CardOrg,
		Batch: r.Batch.String(), Voucher: r.STAN.String(), RRN: r.RRN, AuthCode: r.AuthCode, RespCode: r.RespCode,
		Operator: r.Operator, Printed: r.Printed, Reversal: r.ReversalReason, CreatedAt: r.CreatedAt}
}

func journalList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("journal list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "journal file")
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", 0, "at most this many records (newest first)")
	var ff filterFlags
	ff.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	filter, err := ff.filter()
	if err != nil {
		fmt.Fprintln(stderr, "posctl journal list:", err)
		return 2
	}
	filter.Limit = *limit
	j, err := openJournal(*db)
	if err != nil {
		fmt.Fprintln(stderr, "posctl journal list:", err)
		return 1
	}
	defer j.Close()
	recs, err := j.List(filter)
	if err != nil {
		fmt.Fprintln(stderr, "posctl journal list:", err)
		return 1
	}
	if *asJSON {
		out := make([]listed, len(recs))
		for i, r := range recs {
			out[i] = toListed(r)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintln(stderr, "posctl journal list:", err)
			return 1
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tTYPE\tSTATE\tAMOUNT\tCARD\tBATCH\tVOUCHER\tRRN\tRC")
	for _, r := range recs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.CreatedAt.Local().Format("2006-01-02 15:04:05"),
			r.Type, r.State, r.Amount, r.MaskedPAN, r.Batch, r.STAN, r.RRN, r.RespCode)
	}
	tw.Flush()
	return 0
}

func journalShow(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("journal show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "journal file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: posctl journal show --db FILE ID")
		return 2
	}
	id, err := strconv.ParseUint(fs.Arg(0), 10, 64)
	if err != nil {
		fmt.Fprintf(stderr, "posctl journal show: %q is not a record id\n", fs.Arg(0))
		return 2
	}
	j, err := openJournal(*db)
	if err != nil {
		fmt.Fprintln(stderr, "posctl journal show:", err)
		return 1
	}
	defer j.Close()
	r, err := j.Get(id)
	if err != nil {
		fmt.Fprintln(stderr, "posctl journal show:", err)
		return 1
	}
	l := toListed(r)
	tw := tabwriter.NewWriter(stdout, 0, 0, 1, ' ', 0)
	for _, kv := range [][2]string{{"id", strconv.FormatUint(l.ID, 10)}, {"type", l.Type}, {"state", l.State},
		{"amount", l.Amount + " " + l.Currency}, {"card", l.PAN}, {"card org", l.CardOrg}, {"entry", r.Entry.String()},
		{"batch", l.Batch}, {"voucher", l.Voucher}, {"rrn", l.RRN}, {"auth code", l.AuthCode}, {"response", l.RespCode},
		{"operator", l.Operator}, {"host time", r.HostTime.Local().Format(time.DateTime)},
		{"created", r.CreatedAt.Local().Format(time.DateTime)}, {"printed", strconv.FormatBool(l.Printed)},
		{"reversal", l.Reversal}, {"message", r.Message}} {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
	}
	tw.Flush()
	if r.Slip != "" {
		fmt.Fprintf(stdout, "\nslip (merchant copy):\n%s", r.Slip)
	}
	return 0
}

func journalExport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("journal export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "journal file")
	format := fs.String("format", store.FormatCSV, "csv or json")
	out := fs.String("out", "", "write to this file (mode 0600) instead of standard output")
	withFees := fs.Bool("fees", false, "add estimated merchant fees and net amounts (est_fee, est_net)")
	cfgPath := fs.String("config", "", "posd configuration with the [fees] rates (default: the embedded default)")
	var ff filterFlags
	ff.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "posctl journal export: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	filter, err := ff.filter()
	if err != nil {
		fmt.Fprintln(stderr, "posctl journal export:", err)
		return 2
	}
	if *format != store.FormatCSV && *format != store.FormatJSON {
		fmt.Fprintf(stderr, "posctl journal export: --format %q: csv or json\n", *format)
		return 2
	}
	j, err := openJournal(*db)
	if err != nil {
		fmt.Fprintln(stderr, "posctl journal export:", err)
		return 1
	}
	defer j.Close()
	recs, err := j.List(filter)
	if err != nil {
		fmt.Fprintln(stderr, "posctl journal export:", err)
		return 1
	}
	slices.Reverse(recs) // accounting reads oldest first
	w := stdout
	var f *os.File
	if *out != "" {
		if f, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
			fmt.Fprintln(stderr, "posctl journal export:", err)
			return 1
		}
		w = f
	}
	if *withFees {
		err = exportWithFees(w, recs, *format, *cfgPath)
	} else {
		err = store.Export(w, recs, *format)
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(*out) // never leave half an export
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "posctl journal export:", err)
		return 1
	}
	if f != nil {
		fmt.Fprintf(stderr, "posctl journal export: %d records written to %s\n", len(recs), *out)
	}
	return 0
}

func journalVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("journal verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "journal file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "posctl journal verify: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	j, err := openJournal(*db)
	if err == nil {
		defer j.Close()
		err = j.Check()
	}
	if err != nil {
		fmt.Fprintf(stderr, "posctl journal verify: FAILED: %v\n", err)
		if errors.Is(err, store.ErrCorrupt) {
			fmt.Fprintln(stderr, "posctl journal verify: leave the file as it is; restore the newest good backup with posctl restore")
		}
		return 1
	}
	xs, err := j.Interrupted()
	if err != nil {
		fmt.Fprintf(stderr, "posctl journal verify: FAILED: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", *db)
	for _, x := range xs {
		r := x.Record
		fmt.Fprintf(stdout, "unresolved: record %d %v %v batch %v voucher %v: %v\n",
			r.ID, r.Type, r.State, r.Batch, r.STAN, x.Action)
	}
	return 0
}

// exportWithFees exports with the fee estimate of the configuration's [fees] rates.
func exportWithFees(w io.Writer, recs []store.Record, format, cfgPath string) error {
	cfg := config.Default()
	if cfgPath != "" {
		var err error
		if cfg, err = config.Load(cfgPath); err != nil {
			return err
		}
	}
	est, err := fees.New(cfg.Fees, cfg.Currency(), fees.Options{})
	if err != nil {
		return fmt.Errorf("fees: %w", err)
	}
	return store.ExportWithFees(w, recs, format, est.Fee)
}
