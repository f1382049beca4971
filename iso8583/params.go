package iso8583

import (
	"errors"
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Processing requirements a host sets in the low nibble of a reply header (doc §4.1,
// [unconfirmed] codes) that the terminal acts on.
const (
	HostRequestParams = 1 // download the terminal parameters (txtype.ParamDownload)
	HostRequestSignIn = 3 // sign in again before the next transaction
)

// ErrParams: field 62 of a parameter download does not hold well-formed parameters.
var ErrParams = errors.New("malformed terminal parameters")

// Params are the terminal parameters of a parameter download (0810 field 62). A zero
// field was not sent: the terminal keeps its own value.
//
// On the wire [unconfirmed: the acquirer's specification decides] each parameter
// is a record of a 2-digit id, a 3-digit length and the value, the records in any
// order: 01 merchant name (UTF-8, at most 40 bytes, as printed on the slip),
// 02 slip copies (1-3), 03 reversal attempts (1-10). Records with other ids are
// skipped and listed in Unknown, so that a host may send more than this terminal
// uses.
type Params struct {
	MerchantName    string   `json:"merchant_name,omitempty"`
	SlipCopies      int      `json:"slip_copies,omitempty"`
	ReversalRetries int      `json:"reversal_retries,omitempty"`
	Unknown         []string `json:"-"` // ids of records skipped
}

// Parameter ids.
const (
	paramMerchantName    = "01"
	paramSlipCopies      = "02"
	paramReversalRetries = "03"
)

// MaxMerchantName is the longest merchant name a parameter download may carry, in
// bytes.
const MaxMerchantName = 40

// Validate reports the first parameter out of its range (ErrParams).
func (p Params) Validate() error {
	if p.MerchantName != "" {
		if len(p.MerchantName) > MaxMerchantName || !utf8.ValidString(p.MerchantName) {
			return fmt.Errorf("merchant name of %d bytes (at most %d, UTF-8): %w", len(p.MerchantName), MaxMerchantName, ErrParams)
		}
		for _, r := range p.MerchantName {
			if unicode.IsControl(r) {
				return fmt.Errorf("merchant name holds a control character: %w", ErrParams)
			}
		}
	}
	if p.SlipCopies != 0 && (p.SlipCopies < 1 || p.SlipCopies > 3) {
		return fmt.Errorf("slip copies %d (1-3): %w", p.SlipCopies, ErrParams)
	}
	if p.ReversalRetries != 0 && (p.ReversalRetries < 1 || p.ReversalRetries > 10) {
		return fmt.Errorf("reversal attempts %d (1-10): %w", p.ReversalRetries, ErrParams)
	}
	return nil
}

// ParseParams reads field 62 of a parameter download. Every record must be whole,
// no id may repeat, and the values must pass Validate; otherwise nothing is taken
// (ErrParams).
func ParseParams(b []byte) (Params, error) {
	var p Params
	seen := map[string]bool{}
	for i := 0; i < len(b); {
		if len(b)-i < 5 {
			return Params{}, fmt.Errorf("parameter record at byte %d: %d bytes left, a record header is 5: %w", i, len(b)-i, ErrParams)
		}
		id, lenText := string(b[i:i+2]), string(b[i+2:i+5])
		n, err := strconv.Atoi(lenText)
		if err != nil || !isDigits(id) || !isDigits(lenText) {
			return Params{}, fmt.Errorf("parameter record at byte %d: id %q length %q: %w", i, id, lenText, ErrParams)
		}
		i += 5
		if len(b)-i < n {
			return Params{}, fmt.Errorf("parameter %s: %d bytes of %d: %w", id, len(b)-i, n, ErrParams)
		}
		v := string(b[i : i+n])
		i += n
		if seen[id] {
			return Params{}, fmt.Errorf("parameter %s twice: %w", id, ErrParams)
		}
		seen[id] = true
		switch id {
		case paramMerchantName:
			if v == "" {
				return Params{}, fmt.Errorf("parameter %s: empty merchant name: %w", id, ErrParams)
			}
			p.MerchantName = v
		case paramSlipCopies, paramReversalRetries:
			k, err := strconv.Atoi(v)
			if err != nil || !isDigits(v) || k == 0 {
				return Params{}, fmt.Errorf("parameter %s: %q is not a positive number: %w", id, v, ErrParams)
			}
			if id == paramSlipCopies {
				p.SlipCopies = k
			} else {
				p.ReversalRetries = k
			}
		default:
			p.Unknown = append(p.Unknown, id)
		}
	}
	if len(seen) == 0 {
		return Params{}, fmt.Errorf("no parameters: %w", ErrParams)
	}
	if err := p.Validate(); err != nil {
		return Params{}, err
	}
	return p, nil
}

// EncodeParams writes p as field 62 of a parameter download (for the acquirer
// simulator); zero fields are left out.
func EncodeParams(p Params) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var out []byte
	add := func(id, v string) { out = fmt.Appendf(out, "%s%03d%s", id, len(v), v) }
	if p.MerchantName != "" {
		add(paramMerchantName, p.MerchantName)
	}
	if p.SlipCopies != 0 {
		add(paramSlipCopies, strconv.Itoa(p.SlipCopies))
	}
	if p.ReversalRetries != 0 {
		add(paramReversalRetries, strconv.Itoa(p.ReversalRetries))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no parameters: %w", ErrParams)
	}
	return out, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
