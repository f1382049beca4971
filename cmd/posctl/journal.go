package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"countertop/store"
)

func runJournal(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: posctl journal list|show --db FILE ...")
		return 2
	}
	switch args[0] {
	case "list":
		return journalList(args[1:], stdout, stderr)
	case "show":
		return journalShow(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "posctl journal: unknown subcommand %q (list, show)\n", args[0])
	return 2
}

func openJournal(path string) (*store.DB, error) {
	if path == "" {
		return nil, fmt.Errorf("--db FILE is required")
	}
	return store.Open(path, &store.Options{ReadOnly: true, Timeout: time.Second})
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
	if err := fs.Parse(args); err != nil {
		return 2
	}
	j, err := openJournal(*db)
	if err != nil {
		fmt.Fprintln(stderr, "posctl journal list:", err)
		return 1
	}
	defer j.Close()
	recs, err := j.List(store.Filter{Limit: *limit})
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
