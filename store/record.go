package store

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"countertop/internal/money"
	"countertop/internal/txtype"
)

// State is where a journal record stands.
type State int

// The record states.
const (
	// Pending: the intent is written, the outcome is unknown (request not yet answered).
	Pending State = iota
	// Approved by the host (or offline, by the card).
	Approved
	// Declined by the host or the card.
	Declined
	// Failed: not sent, or a local failure before the outcome mattered.
	Failed
	// Reversed: a reversal for it was sent and answered.
	Reversed
	// Voided: the original of an approved void.
	Voided
)

var stateNames = [...]string{"pending", "approved", "declined", "failed", "reversed", "voided"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("state(%d)", int(s))
	}
	return stateNames[s]
}

// MarshalText writes the state's name.
func (s State) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(stateNames) {
		return nil, fmt.Errorf("marshal %v: %w", s, ErrInvalid)
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a state's name.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if n == string(b) {
			*s = State(i)
			return nil
		}
	}
	return fmt.Errorf("unknown state %q: %w", b, ErrInvalid)
}

// OriginalRef points a void or refund at the transaction it undoes. ID is zero when the
// original is not in this journal (a refund of an earlier batch or another terminal).
type OriginalRef struct {
	ID    uint64
	STAN  txtype.STAN
	Batch txtype.Batch
	RRN   string
	Date  string // MMDD as sent to the host
}

// ChipData is what a chip transaction prints in the slip's remarks.
type ChipData struct {
	AID, Label, CryptogramType, Cryptogram, TVR, TSI, ATC string
}

// Record is one journal entry: one transaction from intent to result.
type Record struct {
	ID    uint64 // assigned by Begin, never reused
	Type  txtype.Type
	State State

	Amount money.Amount // stored as minor units and currency code

	MaskedPAN string // as carddata.PAN.Masked: never the clear number
	PANHash   string // carddata.PAN.Hash: 64 hex digits
	// PANSealed is the PAN encrypted under the terminal's data key (keys.PANSealer,
	// hex), for the later messages that need field 2: a reversal after a restart,
	// batch upload. Never the clear number.
	PANSealed string
	CardOrg   string
	Issuer    string
	Acquirer  string
	Expiry    string

	Entry    txtype.EntryMode
	STAN     txtype.STAN  // assigned by Begin
	Batch    txtype.Batch // set by Begin to the current batch
	Operator string

	RRN, AuthCode, RespCode string
	HostTime                time.Time
	SettleDate              string

	Message string // the msgs code shown to the merchant
	// CVM is how the cardholder was verified: "pin" (online or offline), "signature",
	// or "none"; the slip has a signature line only for "signature".
	CVM string

	Original *OriginalRef // void, refund
	Chip     *ChipData
	// ICC is the chip data (field 55, hex; no card number or track) an advice
	// must carry, and Advice the advice the host is owed (txtype.TCUpload for an
	// offline chip approval, txtype.ScriptAdvice for issuer script results;
	// txtype.Unknown: none): it is forwarded before the next online transaction and
	// before settlement, until the host acknowledges it.
	ICC    string
	Advice txtype.Type

	ReversalReason string // non-empty while and after a reversal is needed
	Slip           string // the slip text as printed
	Printed        bool

	CreatedAt, UpdatedAt time.Time // set by the journal
}

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	Seq    uint64
	Time   time.Time
	Kind   string // "sign-in", "key-load", "supervisor", "alarm", ...
	Detail string
}

// diskRecord is a Record as stored (schema version 1). Its field names are the file
// format: rename Go fields freely, never these tags without a migration.
type diskRecord struct {
	ID             uint64           `json:"id"`
	Type           txtype.Type      `json:"type"`
	State          State            `json:"state"`
	AmountMinor    int64            `json:"amount_minor"`
	Currency       string           `json:"currency,omitempty"`
	MaskedPAN      string           `json:"masked_pan,omitempty"`
	PANHash        string           `json:"pan_hash,omitempty"`
	CardOrg        string           `json:"card_org,omitempty"`
	Issuer         string           `json:"issuer,omitempty"`
	Acquirer       string           `json:"acquirer,omitempty"`
	Expiry         string           `json:"expiry,omitempty"`
	Entry          txtype.EntryMode `json:"entry"`
	STAN           txtype.STAN      `json:"stan"`
	Batch          txtype.Batch     `json:"batch"`
	Operator       string           `json:"operator,omitempty"`
	RRN            string           `json:"rrn,omitempty"`
	AuthCode       string           `json:"auth_code,omitempty"`
	RespCode       string           `json:"resp_code,omitempty"`
	HostTime       *time.Time       `json:"host_time,omitempty"`
	SettleDate     string           `json:"settle_date,omitempty"`
	Message        string           `json:"message,omitempty"`
	CVM            string           `json:"cvm,omitempty"`
	PANSealed      string           `json:"pan_sealed,omitempty"`
	ICC            string           `json:"icc,omitempty"`
	Advice         txtype.Type      `json:"advice,omitempty"`
	Original       *diskOriginal    `json:"original,omitempty"`
	Chip           *diskChip        `json:"chip,omitempty"`
	ReversalReason string           `json:"reversal_reason,omitempty"`
	Slip           string           `json:"slip,omitempty"`
	Printed        bool             `json:"printed,omitempty"`
	CreatedAt      time.Time        `json:"created_at"`
	UpdatedAt      time.Time        `json:"updated_at"`
}

type diskOriginal struct {
	ID    uint64       `json:"id,omitempty"`
	STAN  txtype.STAN  `json:"stan"`
	Batch txtype.Batch `json:"batch"`
	RRN   string       `json:"rrn,omitempty"`
	Date  string       `json:"date,omitempty"`
}

type diskChip struct {
	AID            string `json:"aid,omitempty"`
	Label          string `json:"label,omitempty"`
	CryptogramType string `json:"cryptogram_type,omitempty"`
	Cryptogram     string `json:"cryptogram,omitempty"`
	TVR            string `json:"tvr,omitempty"`
	TSI            string `json:"tsi,omitempty"`
	ATC            string `json:"atc,omitempty"`
}

func encodeRecord(r *Record) ([]byte, error) {
	d := diskRecord{
		ID: r.ID, Type: r.Type, State: r.State,
		AmountMinor: r.Amount.Minor, Currency: r.Amount.Currency.Code,
		MaskedPAN: r.MaskedPAN, PANHash: r.PANHash, CardOrg: r.CardOrg, Issuer: r.Issuer,
		Acquirer: r.Acquirer, Expiry: r.Expiry, Entry: r.Entry, STAN: r.STAN, Batch: r.Batch,
		Operator: r.Operator, RRN: r.RRN, AuthCode: r.AuthCode, RespCode: r.RespCode,
		SettleDate: r.SettleDate, Message: r.Message, CVM: r.CVM, PANSealed: r.PANSealed, ICC: r.ICC, Advice: r.Advice, ReversalReason: r.ReversalReason,
		Slip: r.Slip, Printed: r.Printed, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if !r.HostTime.IsZero() {
		t := r.HostTime
		d.HostTime = &t
	}
	if o := r.Original; o != nil {
		d.Original = &diskOriginal{ID: o.ID, STAN: o.STAN, Batch: o.Batch, RRN: o.RRN, Date: o.Date}
	}
	if c := r.Chip; c != nil {
		d.Chip = &diskChip{AID: c.AID, Label: c.Label, CryptogramType: c.CryptogramType,
			Cryptogram: c.Cryptogram, TVR: c.TVR, TSI: c.TSI, ATC: c.ATC}
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode record %d: %w", r.ID, err)
	}
	return b, nil
}

func decodeRecord(b []byte) (Record, error) {
	var d diskRecord
	if err := json.Unmarshal(b, &d); err != nil {
		return Record{}, fmt.Errorf("decode record: %w", err)
	}
	r := Record{
		ID: d.ID, Type: d.Type, State: d.State,
		Amount:    money.Amount{Minor: d.AmountMinor},
		MaskedPAN: d.MaskedPAN, PANHash: d.PANHash, CardOrg: d.CardOrg, Issuer: d.Issuer,
		Acquirer: d.Acquirer, Expiry: d.Expiry, Entry: d.Entry, STAN: d.STAN, Batch: d.Batch,
		Operator: d.Operator, RRN: d.RRN, AuthCode: d.AuthCode, RespCode: d.RespCode,
		SettleDate: d.SettleDate, Message: d.Message, CVM: d.CVM, PANSealed: d.PANSealed, ICC: d.ICC, Advice: d.Advice, ReversalReason: d.ReversalReason,
		Slip: d.Slip, Printed: d.Printed, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
	if d.Currency != "" {
		c, err := money.LookupCurrency(d.Currency)
		if err != nil {
			return Record{}, fmt.Errorf("decode record %d: %w", d.ID, err)
		}
		r.Amount.Currency = c
	}
	if d.HostTime != nil {
		r.HostTime = *d.HostTime
	}
	if o := d.Original; o != nil {
		r.Original = &OriginalRef{ID: o.ID, STAN: o.STAN, Batch: o.Batch, RRN: o.RRN, Date: o.Date}
	}
	if c := d.Chip; c != nil {
		r.Chip = &ChipData{AID: c.AID, Label: c.Label, CryptogramType: c.CryptogramType,
			Cryptogram: c.Cryptogram, TVR: c.TVR, TSI: c.TSI, ATC: c.ATC}
	}
	return r, nil
}

// validate refuses records the journal must never hold.
func validate(r *Record) error {
	if !knownType(r.Type) {
		return fmt.Errorf("type %v: %w", r.Type, ErrInvalid)
	}
	if _, err := r.State.MarshalText(); err != nil {
		return err
	}
	if r.Amount.Minor != 0 && r.Amount.Currency.Code == "" {
		return fmt.Errorf("amount %d without currency: %w", r.Amount.Minor, ErrInvalid)
	}
	if r.Amount.Currency.Code != "" {
		if _, err := money.LookupCurrency(r.Amount.Currency.Code); err != nil {
			return fmt.Errorf("amount: %w: %w", ErrInvalid, err)
		}
	}
	if err := checkMasked(r.MaskedPAN); err != nil {
		return err
	}
	if err := checkHash(r.PANHash); err != nil {
		return err
	}
	if err := checkSealed(r.PANSealed); err != nil {
		return err
	}
	if _, err := hex.DecodeString(r.ICC); err != nil {
		return fmt.Errorf("icc data is not hex: %w", ErrInvalid)
	}
	texts := map[string]string{
		"card org": r.CardOrg, "issuer": r.Issuer, "acquirer": r.Acquirer, "expiry": r.Expiry,
		"operator": r.Operator, "rrn": r.RRN, "auth code": r.AuthCode, "resp code": r.RespCode,
		"settle date": r.SettleDate, "message": r.Message, "reversal reason": r.ReversalReason,
		"slip": r.Slip,
	}
	if r.Original != nil {
		texts["original rrn"] = r.Original.RRN
		texts["original date"] = r.Original.Date
	}
	if r.Chip != nil {
		// Cryptogram, TVR, TSI and ATC are hex and may be all digits; only the free text
		// fields are scanned.
		texts["chip aid"] = r.Chip.AID
		texts["chip label"] = r.Chip.Label
	}
	for name, s := range texts {
		if err := checkText(s); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// knownType reports whether t is a transaction type txtype defines (Unknown is not:
// its name does not parse back).
func knownType(t txtype.Type) bool {
	_, err := txtype.Parse(t.String())
	return err == nil
}

// checkMasked accepts "", or digits, '*' and spaces with at least one '*' and no more
// than 10 digits (first six and last four is the most a slip may show).
func checkMasked(s string) error {
	if s == "" {
		return nil
	}
	digits, stars := 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '*':
			stars++
		case c == ' ':
		default:
			return fmt.Errorf("masked pan has %q: %w", c, ErrInvalid)
		}
	}
	if stars == 0 || digits > 10 {
		return fmt.Errorf("masked pan shows %d digits: %w", digits, ErrSensitive)
	}
	return nil
}

// checkHash accepts "" or a hex HMAC-SHA256 (64 hex digits) as carddata.PAN.Hash makes.
// checkSealed accepts an empty value or hex of a GCM nonce (12), a 12-19 digit PAN
// and the tag (16) — never the clear number.
func checkSealed(s string) error {
	if s == "" {
		return nil
	}
	if n := len(s) / 2; len(s)%2 != 0 || n < 12+12+16 || n > 12+19+16 {
		return fmt.Errorf("sealed pan of %d characters: %w", len(s), ErrSensitive)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return fmt.Errorf("sealed pan is not hex: %w", ErrSensitive)
		}
	}
	return nil
}

func checkHash(s string) error {
	if s == "" {
		return nil
	}
	if len(s) != 64 || strings.Trim(s, "0123456789abcdef") != "" {
		return fmt.Errorf("pan hash of %d characters is not a carddata hash: %w", len(s), ErrSensitive)
	}
	return nil
}

// checkText refuses free text holding a run of 16 to 19 digits that passes the Luhn
// check: a clear PAN. Shorter runs are left alone because slips carry 15-digit merchant
// numbers and 12-digit RRNs; the masked-PAN and hash checks cover the card fields.
func checkText(s string) error {
	run := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			run++
			continue
		}
		if run >= 16 && run <= 19 && luhn(s[i-run:i]) {
			return fmt.Errorf("clear card number of %d digits: %w", run, ErrSensitive)
		}
		run = 0
	}
	return nil
}

func luhn(s string) bool {
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}
