// Package money owns amounts of money: integer minor units tagged with an ISO 4217
// currency. It never uses floating point. It imports nothing of countertop.
package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Currency is an ISO 4217 currency known to the terminal.
type Currency struct {
	Code     string // alphabetic code, "CNY"
	Numeric  string // numeric code as sent in ISO 8583 field 49, "156"
	Exponent int    // digits after the decimal point
	Symbol   string // printed before amounts on slips and screens, "RMB"
}

var currencies = []Currency{
	{Code: "CNY", Numeric: "156", Exponent: 2, Symbol: "RMB"},
	{Code: "HKD", Numeric: "344", Exponent: 2, Symbol: "HKD"},
	{Code: "USD", Numeric: "840", Exponent: 2, Symbol: "USD"},
	{Code: "EUR", Numeric: "978", Exponent: 2, Symbol: "EUR"},
	{Code: "JPY", Numeric: "392", Exponent: 0, Symbol: "JPY"},
}

// CNY is the renminbi, the terminal's default currency.
var CNY = currencies[0]

// ErrUnknownCurrency is returned for a currency code the terminal does not know.
var ErrUnknownCurrency = errors.New("unknown currency")

// LookupCurrency finds a currency by its alphabetic or numeric ISO 4217 code.
func LookupCurrency(code string) (Currency, error) {
	for _, c := range currencies {
		if strings.EqualFold(c.Code, code) || c.Numeric == code {
			return c, nil
		}
	}
	return Currency{}, fmt.Errorf("currency %q: %w", code, ErrUnknownCurrency)
}

// Amount is a sum of money in minor units (fen for CNY).
type Amount struct {
	Minor    int64
	Currency Currency
}

// New returns an amount of minor units in currency c.
func New(minor int64, c Currency) Amount { return Amount{Minor: minor, Currency: c} }

// Decimal formats the amount without currency: "12.34", "-0.05", "1200" for JPY.
func (a Amount) Decimal() string {
	m := a.Minor
	sign := ""
	if m < 0 {
		sign = "-"
		m = -m
	}
	if a.Currency.Exponent == 0 {
		return sign + strconv.FormatInt(m, 10)
	}
	s := strconv.FormatInt(m, 10)
	if pad := a.Currency.Exponent + 1 - len(s); pad > 0 {
		s = strings.Repeat("0", pad) + s
	}
	cut := len(s) - a.Currency.Exponent
	return sign + s[:cut] + "." + s[cut:]
}

// String formats the amount with its symbol: "RMB 12.34".
func (a Amount) String() string { return a.Currency.Symbol + " " + a.Decimal() }

// IsZero reports whether the amount is zero.
func (a Amount) IsZero() bool { return a.Minor == 0 }

// ErrBadAmount is returned by Parse for text that is not an amount.
var ErrBadAmount = errors.New("bad amount")

// Parse reads a decimal amount such as "12.34", "12.3" or "12" exactly.
func Parse(s string, c Currency) (Amount, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimPrefix(s, "-")
	whole, frac, hasDot := strings.Cut(digits, ".")
	if whole == "" || (hasDot && c.Exponent == 0) || len(frac) > c.Exponent || !allDigits(whole) || !allDigits(frac) {
		return Amount{}, fmt.Errorf("parse %q: %w", s, ErrBadAmount)
	}
	frac += strings.Repeat("0", c.Exponent-len(frac))
	if len(whole)+len(frac) > 18 {
		return Amount{}, fmt.Errorf("parse %q: too large: %w", s, ErrBadAmount)
	}
	minor, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return Amount{}, fmt.Errorf("parse %q: %w", s, ErrBadAmount)
	}
	if neg {
		minor = -minor
	}
	return Amount{Minor: minor, Currency: c}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
