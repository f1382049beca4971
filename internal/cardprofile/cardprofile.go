// Package cardprofile reads the test-card profiles in testdata/cards: one JSON file per
// card with the data printed or encoded on it (PAN, expiry, service code, holder) and
// what only the simulators may know (PIN, balance). The simulated card reader, the
// acquirer simulator and the virtual EMV card all read the same files. It imports only
// internal/carddata.
package cardprofile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"countertop/internal/carddata"
)

// Profile is one test card.
type Profile struct {
	Name         string `json:"name"`
	Label        string `json:"label"`
	Org          string `json:"org"`    // card organisation: CUP, VIS, MCC, JCB, AMX
	Issuer       string `json:"issuer"` // 8-digit issuer institution code
	PAN          string `json:"pan"`
	Expiry       string `json:"expiry"` // YYMM
	ServiceCode  string `json:"service_code"`
	Holder       string `json:"holder"`
	PIN          string `json:"pin"`
	Credit       bool   `json:"credit"`
	BalanceMinor int64  `json:"balance_minor"`

	// Chip is the card's EMV application, for the virtual card in emv/card; nil for
	// magstripe-only cards.
	Chip *ChipProfile `json:"chip,omitempty"`
}

// ChipProfile describes the EMV application of a test card as the virtual ICC in
// emv/card plays it (one application per card). Hex strings are upper- or lower-case
// hex. Keys here are test keys: the issuer master key is what the acquirer simulator
// derives the card's keys from.
type ChipProfile struct {
	AID        string `json:"aid"`                   // hex, e.g. A000000333010101
	Label      string `json:"label"`                 // 50
	Priority   int    `json:"priority,omitempty"`    // 87 bits 4-1
	Confirm    bool   `json:"confirm,omitempty"`     // 87 bit 8
	PSE        bool   `json:"pse,omitempty"`         // the card answers SELECT 1PAY.SYS.DDF01
	PSN        string `json:"psn"`                   // 5F34, two digits
	AIP        string `json:"aip"`                   // 82, hex (4 digits)
	ODA        string `json:"oda"`                   // none, sda, dda or cda
	PDOL       string `json:"pdol,omitempty"`        // 9F38 hex; empty: no PDOL
	GPOFormat  int    `json:"gpo_format,omitempty"`  // 1 (80) or 2 (77); 0 means 1
	ACFormat   int    `json:"ac_format,omitempty"`   // GENERATE AC response: 1 or 2 (CDA always 2)
	CVMList    string `json:"cvm_list"`              // 8E hex
	IACDenial  string `json:"iac_denial,omitempty"`  // 9F0E
	IACOnline  string `json:"iac_online,omitempty"`  // 9F0F
	IACDefault string `json:"iac_default,omitempty"` // 9F0D
	AUC        string `json:"auc,omitempty"`         // 9F07
	AppVersion string `json:"app_version,omitempty"` // 9F08
	Effective  string `json:"effective,omitempty"`   // 5F25 YYMMDD
	Country    string `json:"country,omitempty"`     // 5F28, 4 hex digits (0156)
	Currency   string `json:"currency,omitempty"`    // 9F42, 4 hex digits (0156)

	IMK           string            `json:"imk"`                     // issuer master key for AC (test key), 32 hex
	IMKSMI        string            `json:"imk_smi,omitempty"`       // issuer master key for script MACs (test key), 32 hex; empty: the card takes no scripts
	Derivation    string            `json:"derivation,omitempty"`    // ICC master key option A or B; empty: A
	ARPCMethod    int               `json:"arpc_method,omitempty"`   // 1 or 2; 0 means 1
	ATC           int               `json:"atc"`                     // 9F36 before the first transaction
	LastOnlineATC int               `json:"last_online_atc"`         // 9F13
	LCOL          int               `json:"lcol,omitempty"`          // 9F14; 0 with UCOL 0: no velocity data
	UCOL          int               `json:"ucol,omitempty"`          // 9F23
	PINTryLimit   int               `json:"pin_try_limit,omitempty"` // 0 means 3
	PINTries      *int              `json:"pin_tries,omitempty"`     // 9F17 at insertion; nil: the limit
	OfflineLimit  int64             `json:"offline_limit_minor"`     // card risk management: above it a TC request gets an ARQC
	Decline       bool              `json:"decline,omitempty"`       // the card answers AAC to every GENERATE AC
	Faults        []string          `json:"faults,omitempty"`        // see emv/card: bad_sda_signature, bad_cda_signature, expired_issuer_cert, blocked_app, pin_blocked, wrong_afl, malformed_tlv, removed_at_genac
	Tags          map[string]string `json:"tags,omitempty"`          // extra record data, tag → hex
}

// Track2 builds the card's track 2 equivalent data.
func (p Profile) Track2() (carddata.Track2, error) {
	return carddata.ParseTrack2(p.PAN + "=" + p.Expiry + p.ServiceCode + "0000000000")
}

// Validate checks the profile's card data.
func (p Profile) Validate() error {
	var errs []error
	if p.Name == "" {
		errs = append(errs, errors.New("name is empty"))
	}
	if _, err := carddata.ParsePAN(p.PAN); err != nil {
		errs = append(errs, fmt.Errorf("pan: %w", err))
	}
	if len(p.Expiry) != 4 || len(p.ServiceCode) != 3 {
		errs = append(errs, errors.New("expiry must be YYMM and service_code 3 digits"))
	} else if _, err := p.Track2(); err != nil {
		errs = append(errs, err)
	}
	if n := len(p.PIN); n != 0 && (n < 4 || n > 12) {
		errs = append(errs, fmt.Errorf("pin of %d digits (want 4-12)", n))
	}
	if c := p.Chip; c != nil {
		if n := len(c.AID); n < 10 || n > 32 || n%2 != 0 {
			errs = append(errs, fmt.Errorf("chip.aid of %d hex digits (want 10-32, even)", n))
		}
		if len(c.IMK) != 32 {
			errs = append(errs, errors.New("chip.imk must be 32 hex digits"))
		}
		if c.IMKSMI != "" && len(c.IMKSMI) != 32 {
			errs = append(errs, errors.New("chip.imk_smi must be 32 hex digits"))
		}
		switch c.ODA {
		case "none", "sda", "dda", "cda":
		default:
			errs = append(errs, fmt.Errorf("chip.oda %q (want none, sda, dda or cda)", c.ODA))
		}
	}
	return errors.Join(errs...)
}

// Load reads every *.json profile in dir of fsys, sorted by name.
func Load(fsys fs.FS, dir string) ([]Profile, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read card profiles: %w", err)
	}
	var out []Profile
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read card profile %s: %w", e.Name(), err)
		}
		var p Profile
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("card profile %s: %w", e.Name(), err)
		}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("card profile %s: %w", e.Name(), err)
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Find returns the profile named name.
func Find(ps []Profile, name string) (Profile, error) {
	for _, p := range ps {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("no test card named %q", name)
}

// FindPAN returns the profile whose PAN is pan (acquirer simulator look-ups).
func FindPAN(ps []Profile, pan string) (Profile, bool) {
	for _, p := range ps {
		if p.PAN == pan {
			return p, true
		}
	}
	return Profile{}, false
}
