package store

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"countertop/internal/money"
)

// Export formats.
const (
	FormatCSV  = "csv"  // a header line, then one line per record (RFC 4180)
	FormatJSON = "json" // an array of objects keyed by the CSV header's names
)

// exportColumns are the columns of an export, in order: the CSV header and the JSON
// keys (the tags of exported).
var exportColumns = []string{"time", "type", "state", "amount", "currency", "masked_pan",
	"card_org", "batch", "voucher", "rrn", "auth_code", "resp_code", "operator"}

// exported is one record as the merchant's accounting gets it.
type exported struct {
	Time      string `json:"time"`
	Type      string `json:"type"`
	State     string `json:"state"`
	Amount    string `json:"amount"`
	Currency  string `json:"currency"`
	MaskedPAN string `json:"masked_pan"`
	CardOrg   string `json:"card_org"`
	Batch     string `json:"batch"`
	Voucher   string `json:"voucher"`
	RRN       string `json:"rrn"`
	AuthCode  string `json:"auth_code"`
	RespCode  string `json:"resp_code"`
	Operator  string `json:"operator"`
	Fee       string `json:"est_fee,omitempty"` // ExportWithFees only
	Net       string `json:"est_net,omitempty"`
}

func (e *exported) row(fees bool) []string {
	row := []string{e.Time, e.Type, e.State, e.Amount, e.Currency, e.MaskedPAN, e.CardOrg,
		e.Batch, e.Voucher, e.RRN, e.AuthCode, e.RespCode, e.Operator}
	if fees {
		row = append(row, e.Fee, e.Net)
	}
	return row
}

// FeeFunc estimates the merchant's fee of a record (internal/fees.Estimator.Fee);
// false when the record carries none (declined, voided, pre-authorisation ...).
type FeeFunc func(Record) (money.Amount, bool)

// ExportWithFees is Export with two more columns, est_fee and est_net: the
// estimated merchant discount fee of each record and its amount less that fee.
func ExportWithFees(w io.Writer, recs []Record, format string, fee FeeFunc) error {
	if err := export(w, recs, format, fee); err != nil {
		return fmt.Errorf("export %d records as %s: %w", len(recs), format, err)
	}
	return nil
}

// exportOf is r's export row. Time is the host's time when the host answered, else
// the record's creation time, in RFC 3339 with the zone it was recorded in; amounts
// are decimal ("123.45") with the ISO currency code apart.
func exportOf(r *Record) (exported, error) {
	// Defence in depth: records are checked when written, but an export leaves the
	// terminal, so it is checked again.
	if err := validate(r); err != nil {
		return exported{}, fmt.Errorf("record %d: %w", r.ID, err)
	}
	t := r.HostTime
	if t.IsZero() {
		t = r.CreatedAt
	}
	return exported{Time: t.Format(time.RFC3339), Type: r.Type.String(), State: r.State.String(),
		Amount: r.Amount.Decimal(), Currency: r.Amount.Currency.Code, MaskedPAN: r.MaskedPAN,
		CardOrg: r.CardOrg, Batch: r.Batch.String(), Voucher: r.STAN.String(), RRN: r.RRN,
		AuthCode: r.AuthCode, RespCode: r.RespCode, Operator: r.Operator}, nil
}

// Export writes recs for the merchant's accounting in format (FormatCSV or
// FormatJSON; ErrInvalid otherwise) with the columns time, type, state, amount,
// currency, masked_pan, card_org, batch, voucher, rrn, auth_code, resp_code and
// operator: masked card numbers only, no hash, slip or chip data. Time is the host's
// time when it answered, else the record's creation time (RFC 3339, in the zone it
// was recorded in). A record that fails the journal's own checks (a clear card number
// anywhere) stops the export with ErrSensitive before anything is written. In CSV, a
// text cell that a spreadsheet would run as a formula (starting with = + - @, a tab
// or a carriage return) is prefixed with a single quote.
func Export(w io.Writer, recs []Record, format string) error {
	if err := export(w, recs, format, nil); err != nil {
		return fmt.Errorf("export %d records as %s: %w", len(recs), format, err)
	}
	return nil
}

func export(w io.Writer, recs []Record, format string, fee FeeFunc) error {
	rows := make([]exported, len(recs))
	for i := range recs {
		var err error
		if rows[i], err = exportOf(&recs[i]); err != nil {
			return err
		}
		if fee != nil {
			if f, ok := fee(recs[i]); ok {
				rows[i].Fee = f.Decimal()
				rows[i].Net = money.New(recs[i].Amount.Minor-f.Minor, recs[i].Amount.Currency).Decimal()
			}
		}
	}
	switch format {
	case FormatCSV:
		cw := csv.NewWriter(w)
		header := exportColumns
		if fee != nil {
			header = append(append([]string{}, exportColumns...), "est_fee", "est_net")
		}
		if err := cw.Write(header); err != nil {
			return err
		}
		for i := range rows {
			row := rows[i].row(fee != nil)
			for j, cell := range row {
				row[j] = defuse(cell)
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	return fmt.Errorf("unknown format %q (csv, json): %w", format, ErrInvalid)
}

// defuse keeps a spreadsheet from reading a cell as a formula.
func defuse(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}
