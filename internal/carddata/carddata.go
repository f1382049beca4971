// Package carddata owns the sensitive card values — PAN, magnetic tracks, PIN blocks —
// as types that print only their masked form in every print path (fmt, slog, JSON), so
// a log line or a journal record cannot leak them by accident. The clear value is
// reached only through an explicit Reveal. It imports nothing of countertop.
package carddata

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Errors returned when card data is malformed.
var (
	// ErrBadPAN: not 12–19 digits.
	ErrBadPAN = errors.New("bad card number")
	// ErrLuhn: the check digit does not match.
	ErrLuhn = errors.New("card number check digit mismatch")
	// ErrBadTrack: a track does not follow ISO 7813.
	ErrBadTrack = errors.New("bad track data")
)

// PAN is a primary account number. Its String, Format, LogValue and MarshalText all
// give the masked form.
type PAN struct{ digits string }

// ParsePAN checks that s is 12 to 19 digits with a valid Luhn check digit.
func ParsePAN(s string) (PAN, error) {
	if len(s) < 12 || len(s) > 19 || !digitsOnly(s) {
		return PAN{}, fmt.Errorf("pan of %d characters: %w", len(s), ErrBadPAN)
	}
	if !Luhn(s) {
		return PAN{}, ErrLuhn
	}
	return PAN{digits: s}, nil
}

// Reveal returns the clear PAN, for a host message or a PIN block only.
func (p PAN) Reveal() string { return p.digits }

// IsZero reports whether p holds no number.
func (p PAN) IsZero() bool { return p.digits == "" }

// Last4 returns the last four digits.
func (p PAN) Last4() string {
	if len(p.digits) < 4 {
		return ""
	}
	return p.digits[len(p.digits)-4:]
}

// Masked hides every digit but the last four: "************1234".
func (p PAN) Masked() string {
	if p.digits == "" {
		return ""
	}
	return strings.Repeat("*", len(p.digits)-4) + p.Last4()
}

// Grouped is the masked number in groups of four, as slips print it: "**** **** **** 1234".
func (p PAN) Grouped() string {
	m := p.Masked()
	var b strings.Builder
	for i := 0; i < len(m); i++ {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(m[i])
	}
	return b.String()
}

// Prefix returns the first n digits (the BIN), for routing; never more than 6.
func (p PAN) Prefix(n int) string {
	if n > 6 {
		n = 6
	}
	if len(p.digits) < n {
		return p.digits
	}
	return p.digits[:n]
}

// Hash is a keyed hash of the PAN for look-ups (voids, velocity) without storing it.
func (p PAN) Hash(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(p.digits))
	return hex.EncodeToString(m.Sum(nil))
}

func (p PAN) String() string               { return p.Masked() }
func (p PAN) GoString() string             { return "carddata.PAN(" + p.Masked() + ")" }
func (p PAN) Format(f fmt.State, _ rune)   { fmt.Fprint(f, p.Masked()) }
func (p PAN) LogValue() slog.Value         { return slog.StringValue(p.Masked()) }
func (p PAN) MarshalText() ([]byte, error) { return []byte(p.Masked()), nil }

// Luhn reports whether the digit string s passes the Luhn (mod 10) check.
func Luhn(s string) bool {
	sum := 0
	double := false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return len(s) > 0 && sum%10 == 0
}

// Expiry is a card's expiry date as YYMM.
type Expiry string

// Track2 is the equivalent-data content of magnetic track 2 (without sentinels and
// LRC): PAN '=' YYMM service-code discretionary. It prints masked.
type Track2 struct{ raw string }

// ParseTrack2 reads track 2 text with '=' or 'D' as separator, with or without the
// ';' and '?' sentinels.
func ParseTrack2(s string) (Track2, error) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, ";"), "?")
	s = strings.ReplaceAll(strings.ToUpper(s), "D", "=")
	pan, rest, ok := strings.Cut(s, "=")
	// One separator: expiry, service code and discretionary data are digits.
	if !ok || len(s) > 37 || !digitsOnly(pan) || !digitsOnly(rest) {
		return Track2{}, fmt.Errorf("track 2: %w", ErrBadTrack)
	}
	if _, err := ParsePAN(pan); err != nil {
		return Track2{}, fmt.Errorf("track 2: %w", err)
	}
	if len(rest) < 7 { // YYMM + service code
		return Track2{}, fmt.Errorf("track 2: short after separator: %w", ErrBadTrack)
	}
	return Track2{raw: s}, nil
}

// PAN returns the card number carried on the track.
func (t Track2) PAN() PAN {
	pan, _, _ := strings.Cut(t.raw, "=")
	return PAN{digits: pan}
}

// Expiry returns the YYMM expiry date.
func (t Track2) Expiry() Expiry {
	_, rest, _ := strings.Cut(t.raw, "=")
	return Expiry(rest[:4])
}

// ServiceCode returns the three-digit service code.
func (t Track2) ServiceCode() string {
	_, rest, _ := strings.Cut(t.raw, "=")
	return rest[4:7]
}

// IsZero reports whether no track was read.
func (t Track2) IsZero() bool { return t.raw == "" }

// Reveal returns the clear track with '=' as separator, for a host message only.
func (t Track2) Reveal() string { return t.raw }

func (t Track2) masked() string {
	if t.raw == "" {
		return ""
	}
	return t.PAN().Masked() + "=****"
}
func (t Track2) String() string               { return t.masked() }
func (t Track2) GoString() string             { return "carddata.Track2(" + t.masked() + ")" }
func (t Track2) Format(f fmt.State, _ rune)   { fmt.Fprint(f, t.masked()) }
func (t Track2) LogValue() slog.Value         { return slog.StringValue(t.masked()) }
func (t Track2) MarshalText() ([]byte, error) { return []byte(t.masked()), nil }

// PINBlock is an encrypted PIN block as produced by a PIN pad. It never prints.
type PINBlock struct{ b []byte }

// NewPINBlock wraps an encrypted PIN block.
func NewPINBlock(b []byte) PINBlock { return PINBlock{b: append([]byte(nil), b...)} }

// Reveal returns the encrypted bytes, for ISO 8583 field 52 only.
func (p PINBlock) Reveal() []byte { return p.b }

// IsZero reports whether no PIN was captured.
func (p PINBlock) IsZero() bool { return len(p.b) == 0 }

func (p PINBlock) String() string               { return "[PIN block]" }
func (p PINBlock) GoString() string             { return "carddata.PINBlock([PIN block])" }
func (p PINBlock) Format(f fmt.State, _ rune)   { fmt.Fprint(f, "[PIN block]") }
func (p PINBlock) LogValue() slog.Value         { return slog.StringValue("[PIN block]") }
func (p PINBlock) MarshalText() ([]byte, error) { return []byte("[PIN block]"), nil }

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
