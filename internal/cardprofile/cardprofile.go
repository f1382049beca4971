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
