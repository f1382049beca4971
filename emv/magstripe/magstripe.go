// Package magstripe owns the terminal's magnetic-stripe rules: ISO/IEC 7813 track 1
// and track 2 parsing, the Luhn and expiry checks, the service code rules (a chip card,
// service code 2xx or 6xx, swiped is told to use its chip), fallback to the stripe only
// after a failed chip read, and the POS entry mode CUP expects in ISO 8583 field 22
// (02x magstripe, 05x chip, 80x fallback; x = 1 PIN entered, 2 no PIN).
//
// Card values stay in internal/carddata types that print masked. magstripe imports only
// internal/carddata and the standard library; it must never import hal, the kernel
// (emv), store or the network.
package magstripe

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"countertop/internal/carddata"
)

// Errors a swipe is refused with.
var (
	// ErrUseChip: the card has a chip (service code 2xx or 6xx) and no chip read has
	// failed in this transaction: ask the cardholder to insert it.
	ErrUseChip = errors.New("chip card: insert the chip")
	// ErrExpired: the expiry date on the stripe has passed.
	ErrExpired = errors.New("card expired")
	// ErrMismatch: track 1 and track 2 disagree on the PAN or expiry.
	ErrMismatch = errors.New("track 1 and track 2 disagree")
	// ErrNoTrack: neither track could be read.
	ErrNoTrack = errors.New("no track data")
)

// Track1 is ISO/IEC 7813 format B track 1: %B PAN ^ NAME ^ YYMM SSS discretionary ?.
// It prints masked.
type Track1 struct {
	pan     carddata.PAN
	name    string
	expiry  carddata.Expiry
	service string
}

// ParseTrack1 reads track 1 with or without the % and ? sentinels.
func ParseTrack1(s string) (Track1, error) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "%"), "?")
	if len(s) < 2 || s[0] != 'B' || len(s) > 79 {
		return Track1{}, fmt.Errorf("track 1: format code: %w", carddata.ErrBadTrack)
	}
	parts := strings.SplitN(s[1:], "^", 3)
	if len(parts) != 3 {
		return Track1{}, fmt.Errorf("track 1: separators: %w", carddata.ErrBadTrack)
	}
	pan, err := carddata.ParsePAN(parts[0])
	if err != nil {
		return Track1{}, fmt.Errorf("track 1: %w", err)
	}
	name := strings.TrimSpace(parts[1])
	if len(parts[1]) < 2 || len(parts[1]) > 26 {
		return Track1{}, fmt.Errorf("track 1: name of %d characters: %w", len(parts[1]), carddata.ErrBadTrack)
	}
	rest := parts[2]
	if len(rest) < 7 || !digits(rest[:7]) {
		return Track1{}, fmt.Errorf("track 1: expiry and service code: %w", carddata.ErrBadTrack)
	}
	return Track1{pan: pan, name: name, expiry: carddata.Expiry(rest[:4]), service: rest[4:7]}, nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// PAN is the card number.
func (t Track1) PAN() carddata.PAN { return t.pan }

// Expiry is YYMM.
func (t Track1) Expiry() carddata.Expiry { return t.expiry }

// ServiceCode is the three-digit service code.
func (t Track1) ServiceCode() string { return t.service }

// Name reveals the cardholder name (for the slip only, where the scheme allows).
func (t Track1) Name() string { return t.name }

// String is the masked form.
func (t Track1) String() string { return "B" + t.pan.Masked() + "^***^****" }

// LogValue is the masked form.
func (t Track1) LogValue() slog.Value { return slog.StringValue(t.String()) }

// Card is what a swipe yielded.
type Card struct {
	Track2 carddata.Track2
	Track1 *Track1 // nil if not read
}

// Read parses the tracks (track 2 required for a CUP transaction; track 1 optional) and
// checks that they agree.
func Read(track1, track2 string) (Card, error) {
	if track2 == "" {
		return Card{}, ErrNoTrack
	}
	t2, err := carddata.ParseTrack2(track2)
	if err != nil {
		return Card{}, fmt.Errorf("track 2: %w", err)
	}
	c := Card{Track2: t2}
	if track1 != "" {
		t1, err := ParseTrack1(track1)
		if err != nil {
			return Card{}, err
		}
		if t1.pan.Reveal() != t2.PAN().Reveal() || t1.expiry != t2.Expiry() || t1.service != t2.ServiceCode() {
			return Card{}, ErrMismatch
		}
		c.Track1 = &t1
	}
	return c, nil
}

// Expired reports whether YYMM is before the month of now (a card is valid through the
// last day of its expiry month).
func Expired(exp carddata.Expiry, now time.Time) bool {
	s := string(exp)
	if len(s) != 4 || !digits(s) {
		return true
	}
	y := 2000 + int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[2]-'0')*10 + int(s[3]-'0')
	if m < 1 || m > 12 {
		return true
	}
	return !now.Before(time.Date(y, time.Month(m)+1, 1, 0, 0, 0, 0, now.Location()))
}

// HasChip reports whether a service code says the card has a chip (first digit 2 or
// 6, ISO/IEC 7813).
func HasChip(serviceCode string) bool {
	return len(serviceCode) == 3 && (serviceCode[0] == '2' || serviceCode[0] == '6')
}

// PINRequired reports whether the service code's third digit asks for a PIN (0, 3, 5:
// PIN required; 6, 7: PIN if the terminal can).
func PINRequired(serviceCode string) bool {
	if len(serviceCode) != 3 {
		return false
	}
	switch serviceCode[2] {
	case '0', '3', '5':
		return true
	}
	return false
}

// Mode is how the card was read.
type Mode int

// Modes.
const (
	ModeMagstripe Mode = iota + 1 // 02x
	ModeChip                      // 05x
	ModeFallback                  // 80x: stripe after a failed chip read
)

func (m Mode) String() string {
	switch m {
	case ModeMagstripe:
		return "magstripe"
	case ModeChip:
		return "chip"
	case ModeFallback:
		return "fallback"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Check applies the swipe rules: expiry, then the chip rule. chipFailed says whether a
// chip read of this card failed earlier in this transaction (the only case a chip card
// may be swiped). It returns the entry mode to report.
func (c Card) Check(now time.Time, chipFailed bool) (Mode, error) {
	if Expired(c.Track2.Expiry(), now) {
		return 0, ErrExpired
	}
	if HasChip(c.Track2.ServiceCode()) {
		if !chipFailed {
			return 0, ErrUseChip
		}
		return ModeFallback, nil
	}
	return ModeMagstripe, nil
}

// EntryMode returns CUP field 22 (POS entry mode, 3 digits): 02x, 05x or 80x with x = 1
// when a PIN was entered and 2 when not.
func EntryMode(m Mode, pinEntered bool) (string, error) {
	var p string
	switch m {
	case ModeMagstripe:
		p = "02"
	case ModeChip:
		p = "05"
	case ModeFallback:
		p = "80"
	default:
		return "", fmt.Errorf("entry mode for %v", m)
	}
	if pinEntered {
		return p + "1", nil
	}
	return p + "2", nil
}
