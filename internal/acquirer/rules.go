package acquirer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"time"

	"countertop/internal/txtype"
)

// Rules decide approvals beyond the PIN and MAC checks. The zero value applies only the
// foundation rules, which always hold:
//
//   - an amount whose fen (last two digits of the minor units) are 51 is declined "51"
//     (insufficient funds), whatever the balance: the scripted decline every test and
//     demo can rely on;
//   - a known test card (testdata/cards) is declined "51" when the amount exceeds its
//     available balance (balance_minor less the approved, unreversed sales);
//   - a card past its expiry month is declined "54" (unless AllowExpired);
//   - a Luhn-valid card that is not among the test cards is approved like any other
//     (unless DeclineUnknownCards): the simulator stands in for every issuer.
//
// Rules are read from JSON (LoadRules; sample in testdata/acquirer/rules.json), unknown
// keys rejected:
//
//	{
//	  "comment": "free text, ignored",
//	  "amount_limit_minor": 5000000,      // amounts above this many fen → "61"; 0: no limit
//	  "lost_pans": ["6250941234567898"],  // → "41" (lost card)
//	  "stolen_pans": [],                  // → "43" (stolen card)
//	  "allow_expired": false,             // true: expired cards are not declined "54"
//	  "decline_unknown_cards": false,     // true: cards not in the profiles → "14"
//	  "fen_codes": {"05": "05", "96": "96"} // amounts ending in these fen → that code
//	}
//
// The checks run in this order and the first that declines wins: lost "41", stolen
// "43", expired "54", unknown card "14", amount limit "61", fen codes (including the
// foundation "51"), balance "51".
type Rules struct {
	Comment             string            `json:"comment,omitempty"`
	AmountLimitMinor    int64             `json:"amount_limit_minor,omitempty"`
	LostPANs            []string          `json:"lost_pans,omitempty"`
	StolenPANs          []string          `json:"stolen_pans,omitempty"`
	AllowExpired        bool              `json:"allow_expired,omitempty"`
	DeclineUnknownCards bool              `json:"decline_unknown_cards,omitempty"`
	FenCodes            map[string]string `json:"fen_codes,omitempty"`
	// ScriptPANs: approvals of these chip cards carry an issuer script (72) that
	// stores data on the card (PUT DATA), so the script path and its result advice
	// are exercised.
	ScriptPANs []string `json:"script_pans,omitempty"`
}

// FoundationFen is the fen ending that always declines with FoundationCode.
const (
	FoundationFen  = "51"
	FoundationCode = "51"
)

// Validate reports every problem in r, each with its JSON key.
func (r Rules) Validate() error {
	var errs []error
	if r.AmountLimitMinor < 0 {
		errs = append(errs, fmt.Errorf("amount_limit_minor: %d is negative", r.AmountLimitMinor))
	}
	for i, p := range r.LostPANs {
		if !allDigits(p) || len(p) < 12 || len(p) > 19 {
			errs = append(errs, fmt.Errorf("lost_pans[%d]: not 12-19 digits", i))
		}
	}
	for i, p := range r.StolenPANs {
		if !allDigits(p) || len(p) < 12 || len(p) > 19 {
			errs = append(errs, fmt.Errorf("stolen_pans[%d]: not 12-19 digits", i))
		}
	}
	fens := make([]string, 0, len(r.FenCodes))
	for f := range r.FenCodes {
		fens = append(fens, f)
	}
	sort.Strings(fens)
	for _, f := range fens {
		code := r.FenCodes[f]
		if len(f) != 2 || !allDigits(f) {
			errs = append(errs, fmt.Errorf("fen_codes[%q]: key must be two digits", f))
		}
		if !validCode(code) {
			errs = append(errs, fmt.Errorf("fen_codes[%q]: %q is not a two-character response code", f, code))
		}
		if f == FoundationFen && code != FoundationCode {
			errs = append(errs, fmt.Errorf("fen_codes[%q]: the foundation rule (fen 51 → 51) cannot be overridden", f))
		}
	}
	return errors.Join(errs...)
}

// ParseRules reads rules from JSON, rejecting unknown keys, and validates them.
func ParseRules(b []byte) (Rules, error) {
	var r Rules
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Rules{}, fmt.Errorf("parse rules: %w", err)
	}
	if dec.More() {
		return Rules{}, errors.New("parse rules: trailing data after the JSON object")
	}
	if err := r.Validate(); err != nil {
		return Rules{}, fmt.Errorf("rules: %w", err)
	}
	return r, nil
}

// LoadRules reads a rules file (see Rules for the format) from the file system.
func LoadRules(path string) (Rules, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Rules{}, fmt.Errorf("load rules: %w", err)
	}
	r, err := ParseRules(b)
	if err != nil {
		return Rules{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// LoadRulesFS reads a rules file from fsys (the embedded testdata).
func LoadRulesFS(fsys fs.FS, path string) (Rules, error) {
	b, err := fs.ReadFile(fsys, path)
	if err != nil {
		return Rules{}, fmt.Errorf("load rules: %w", err)
	}
	r, err := ParseRules(b)
	if err != nil {
		return Rules{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Authorization is what the rules look at for one financial request.
type Authorization struct {
	Type      txtype.Type
	PAN       string // clear, digits
	Expiry    string // YYMM; "" when the request carried none
	Amount    int64  // minor units
	Known     bool   // the PAN is one of the test cards
	Available int64  // the card's available balance in minor units (Known only)
	Now       time.Time
}

// debits reports whether t takes money from the card (and so is checked against the
// balance and the limits).
func debits(t txtype.Type) bool {
	switch t {
	case txtype.Sale, txtype.PreAuth, txtype.PreAuthCompletion, txtype.PreAuthCompletionAdvice:
		return true
	}
	return false
}

// Decide returns the response code for a: "00" or the first declining rule's code.
func (r Rules) Decide(a Authorization) string {
	if contains(r.LostPANs, a.PAN) {
		return "41"
	}
	if contains(r.StolenPANs, a.PAN) {
		return "43"
	}
	if !r.AllowExpired && a.Expiry != "" && expired(a.Expiry, a.Now) {
		return "54"
	}
	if r.DeclineUnknownCards && !a.Known {
		return "14"
	}
	if !debits(a.Type) {
		return "00"
	}
	if r.AmountLimitMinor > 0 && a.Amount > r.AmountLimitMinor {
		return "61"
	}
	fen := fmt.Sprintf("%02d", a.Amount%100)
	if fen == FoundationFen {
		return FoundationCode
	}
	if code, ok := r.FenCodes[fen]; ok {
		return code
	}
	if a.Known && a.Amount > a.Available {
		return "51"
	}
	return "00"
}

// expired reports whether a card expiring at the end of month yymm has expired at now.
// An unreadable expiry is not treated as expired (the dialect validated it).
func expired(yymm string, now time.Time) bool {
	if len(yymm) != 4 || !allDigits(yymm) {
		return false
	}
	yy, _ := strconv.Atoi(yymm[:2])
	mm, _ := strconv.Atoi(yymm[2:])
	if mm < 1 || mm > 12 {
		return false
	}
	// First instant of the month after expiry.
	end := time.Date(2000+yy, time.Month(mm)+1, 1, 0, 0, 0, 0, now.Location())
	return !now.Before(end)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func validCode(c string) bool {
	if len(c) != 2 {
		return false
	}
	for i := 0; i < 2; i++ {
		ch := c[i]
		if !(ch >= '0' && ch <= '9' || ch >= 'A' && ch <= 'Z') {
			return false
		}
	}
	return true
}
