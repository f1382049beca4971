package fees

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"countertop/internal/money"
	"countertop/internal/txtype"
	"countertop/store"
)

// Kind is a card's kind for pricing.
type Kind int

// Kinds.
const (
	KindUnknown Kind = iota // the journal does not know: Config.UnknownKind decides
	Debit
	Credit // credit and quasi-credit (准贷记卡)
)

func (k Kind) String() string {
	switch k {
	case Debit:
		return "debit"
	case Credit:
		return "credit"
	}
	return "unknown"
}

// MarshalText writes the kind's name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads "debit" or "credit".
func (k *Kind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "debit":
		*k = Debit
	case "credit":
		*k = Credit
	default:
		return fmt.Errorf("unknown card kind %q (want debit or credit)", b)
	}
	return nil
}

// Rate is one organisation's merchant discount rate in basis points (1 bp = 0.01%).
type Rate struct {
	DebitBP       int64 `toml:"debit_bp"`
	DebitCapMinor int64 `toml:"debit_cap_minor"` // most one debit transaction pays; 0: no cap
	CreditBP      int64 `toml:"credit_bp"`
}

// Config is the [fees] section of the terminal's configuration.
type Config struct {
	// Rates by card organisation as the journal records it (CardOrg): CUP, VIS, MCC,
	// JCB, AMX. Transactions of an organisation without a rate count with no fee and
	// are reported as unrated.
	Rates map[string]Rate `toml:"rates"`
	// UnknownKind prices a card whose kind the journal cannot tell (a magnetic stripe,
	// an international chip AID that does not say): "credit", the dearer one, unless
	// the acquirer says otherwise.
	UnknownKind Kind `toml:"unknown_kind"`
	// RefundReturnsFee: the acquirer gives the fee back on a refund. Most CUP
	// acquirers do not (a void the same day never pays one).
	RefundReturnsFee bool `toml:"refund_returns_fee"`
}

// Orgs are the card organisations in the order summaries list them.
var Orgs = []string{"CUP", "VIS", "MCC", "JCB", "AMX"}

// DefaultConfig returns illustrative rates, to be replaced by the merchant's contract:
// UnionPay debit 0.50% capped at RMB 20.00, UnionPay credit 0.60%, foreign cards 2.50%
// (American Express 3.00%).
func DefaultConfig() Config {
	return Config{
		Rates: map[string]Rate{
			"CUP": {DebitBP: 50, DebitCapMinor: 2000, CreditBP: 60},
			"VIS": {DebitBP: 250, CreditBP: 250},
			"MCC": {DebitBP: 250, CreditBP: 250},
			"JCB": {DebitBP: 250, CreditBP: 250},
			"AMX": {DebitBP: 300, CreditBP: 300},
		},
		UnknownKind: Credit,
	}
}

// Validate reports every problem, each with its key path under prefix.
func (c Config) Validate(prefix string) error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, key, fmt.Sprintf(format, a...)))
	}
	orgs := make([]string, 0, len(c.Rates))
	for org := range c.Rates {
		orgs = append(orgs, org)
	}
	slices.Sort(orgs)
	for _, org := range orgs {
		r := c.Rates[org]
		if org == "" {
			bad("rates", "an organisation with no name")
		}
		for _, f := range []struct {
			key string
			bp  int64
		}{{"debit_bp", r.DebitBP}, {"credit_bp", r.CreditBP}} {
			if f.bp < 0 || f.bp > 10000 {
				bad("rates."+org+"."+f.key, "%d is not between 0 and 10000", f.bp)
			}
		}
		if r.DebitCapMinor < 0 {
			bad("rates."+org+".debit_cap_minor", "%d is negative", r.DebitCapMinor)
		}
	}
	if c.UnknownKind != Debit && c.UnknownKind != Credit {
		bad("unknown_kind", "must be debit or credit")
	}
	return errors.Join(errs...)
}

// Totals are gross, fees and net over Count transactions. Refunds count negative.
type Totals struct {
	Count            int
	Gross, Fees, Net money.Amount
}

func (t *Totals) add(gross, fee int64) {
	t.Count++
	t.Gross.Minor += gross
	t.Fees.Minor += fee
	t.Net.Minor += gross - fee
}

// OrgSummary is one card organisation's totals.
type OrgSummary struct {
	Org string
	Totals
	// Unrated counts the transactions priced at no fee because Config has no rate
	// for the organisation: the fees are then understated.
	Unrated int
}

// Summary is an estimate over a set of records.
type Summary struct {
	Orgs  []OrgSummary // CUP, VIS, MCC, JCB, AMX, then others by name; only those with records
	Total Totals
	// Skipped counts records in another currency than the estimator's.
	Skipped int
}

// Options adjust an Estimator.
type Options struct {
	// Kind tells a record's card kind (from a BIN table, say); nil means KindOf. A
	// KindUnknown answer is priced as Config.UnknownKind.
	Kind func(store.Record) Kind
}

// Estimator prices journal records.
type Estimator struct {
	cfg  Config
	cur  money.Currency
	kind func(store.Record) Kind
}

// New returns an estimator for amounts in cur. cfg must pass Validate.
func New(cfg Config, cur money.Currency, o Options) (*Estimator, error) {
	if err := cfg.Validate("fees"); err != nil {
		return nil, fmt.Errorf("fee estimator: %w", err)
	}
	if cur.Code == "" {
		return nil, errors.New("fee estimator: no currency")
	}
	e := &Estimator{cfg: cfg, cur: cur, kind: o.Kind}
	if e.kind == nil {
		e.kind = KindOf
	}
	return e, nil
}

// sign is how a record counts toward gross: +1 for a sale or completion that stands,
// -1 for an approved refund, 0 for anything else. Voided originals are Voided, and
// the void records themselves are left out: the pair nets to nothing and pays no fee.
func sign(r *store.Record) int64 {
	if r.State != store.Approved {
		return 0
	}
	switch r.Type {
	case txtype.Sale, txtype.PreAuthCompletion, txtype.PreAuthCompletionAdvice:
		return 1
	case txtype.Refund:
		return -1
	}
	return 0
}

// Fee returns the estimated fee of one record (negative for a refund that gets its
// fee back) and whether the record's organisation has a rate. Records that do not
// count (declined, voided, pending, pre-authorisations, voids) cost nothing.
func (e *Estimator) Fee(r store.Record) (money.Amount, bool) {
	rate, rated := e.cfg.Rates[r.CardOrg]
	s := sign(&r)
	if s == 0 || !rated || (s < 0 && !e.cfg.RefundReturnsFee) {
		return money.New(0, e.cur), rated
	}
	kind := e.kind(r)
	if kind == KindUnknown {
		kind = e.cfg.UnknownKind
	}
	bp, limit := rate.CreditBP, int64(0)
	if kind == Debit {
		bp, limit = rate.DebitBP, rate.DebitCapMinor
	}
	fee := Discount(abs(r.Amount.Minor), bp)
	if limit > 0 {
		fee = min(fee, limit)
	}
	return money.New(s*fee, e.cur), true
}

// Discount is minor × bp / 10000 rounded half-up: 0.5 of a minor unit and more goes up.
// minor and bp must not be negative; minor × bp must fit in an int64 (any amount
// below 9.2 × 10^14 minor units at up to 10000 bp does).
func Discount(minor, bp int64) int64 { return (minor*bp + 5000) / 10000 }

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Estimate sums gross, fees and net per card organisation over recs.
func (e *Estimator) Estimate(recs []store.Record) Summary {
	zero := money.New(0, e.cur)
	empty := Totals{Gross: zero, Fees: zero, Net: zero}
	sum := Summary{Total: empty}
	byOrg := map[string]*OrgSummary{}
	for i := range recs {
		r := &recs[i]
		s := sign(r)
		if s == 0 {
			continue
		}
		if r.Amount.Currency.Code != e.cur.Code {
			sum.Skipped++
			continue
		}
		o, ok := byOrg[r.CardOrg]
		if !ok {
			o = &OrgSummary{Org: r.CardOrg, Totals: empty}
			byOrg[r.CardOrg] = o
		}
		fee, rated := e.Fee(*r)
		if !rated {
			o.Unrated++
		}
		o.add(s*abs(r.Amount.Minor), fee.Minor)
		sum.Total.add(s*abs(r.Amount.Minor), fee.Minor)
	}
	for _, o := range byOrg {
		sum.Orgs = append(sum.Orgs, *o)
	}
	slices.SortFunc(sum.Orgs, func(a, b OrgSummary) int {
		ia, ib := orgRank(a.Org), orgRank(b.Org)
		return cmp.Or(cmp.Compare(ia, ib), cmp.Compare(a.Org, b.Org))
	})
	return sum
}

func orgRank(org string) int {
	if i := slices.Index(Orgs, org); i >= 0 {
		return i
	}
	return len(Orgs)
}

// The chip application identifiers (RID + PIX) that tell a card's kind.
var (
	aidCUPDebit       = []byte{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01}
	aidCUPCredit      = []byte{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x02}
	aidCUPQuasiCredit = []byte{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x03}
	aidVisaElectron   = []byte{0xA0, 0x00, 0x00, 0x00, 0x03, 0x20, 0x10}
	aidMaestro        = []byte{0xA0, 0x00, 0x00, 0x00, 0x04, 0x30, 0x60}
)

// KindOf tells a card's kind from the chip application the record carries (UnionPay
// debit, credit and quasi-credit; Visa Electron and Maestro are debit). Anything else
// — a swiped card, Visa or Mastercard credit-or-debit AIDs — is KindUnknown.
func KindOf(r store.Record) Kind {
	if r.Chip == nil || r.Chip.AID == "" {
		return KindUnknown
	}
	aid, err := hex.DecodeString(r.Chip.AID)
	if err != nil {
		return KindUnknown
	}
	switch {
	case bytes.HasPrefix(aid, aidCUPDebit), bytes.HasPrefix(aid, aidVisaElectron), bytes.HasPrefix(aid, aidMaestro):
		return Debit
	case bytes.HasPrefix(aid, aidCUPCredit), bytes.HasPrefix(aid, aidCUPQuasiCredit):
		return Credit
	}
	return KindUnknown
}
