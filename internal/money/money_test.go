package money

import (
	"errors"
	"testing"
)

func TestDecimal(t *testing.T) {
	jpy, _ := LookupCurrency("JPY")
	for _, tc := range []struct {
		a    Amount
		want string
	}{
		{New(1234, CNY), "12.34"},
		{New(5, CNY), "0.05"},
		{New(0, CNY), "0.00"},
		{New(-105, CNY), "-1.05"},
		{New(1200, jpy), "1200"},
	} {
		if got := tc.a.Decimal(); got != tc.want {
			t.Errorf("%d %s: Decimal() = %q, want %q", tc.a.Minor, tc.a.Currency.Code, got, tc.want)
		}
	}
	if got := New(1234, CNY).String(); got != "RMB 12.34" {
		t.Errorf("String() = %q", got)
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{{"12.34", 1234}, {"12.3", 1230}, {"12", 1200}, {"0.01", 1}, {"-3.50", -350}} {
		got, err := Parse(tc.in, CNY)
		if err != nil || got.Minor != tc.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tc.in, got.Minor, err, tc.want)
		}
	}
	for _, bad := range []string{"", "1.234", "abc", "1,00", ".5", "1.2.3", "99999999999999999999"} {
		if _, err := Parse(bad, CNY); !errors.Is(err, ErrBadAmount) {
			t.Errorf("Parse(%q) error = %v, want ErrBadAmount", bad, err)
		}
	}
}

func TestLookupCurrency(t *testing.T) {
	c, err := LookupCurrency("156")
	if err != nil || c.Code != "CNY" {
		t.Fatalf("LookupCurrency(156) = %v, %v", c, err)
	}
	if _, err := LookupCurrency("XXX"); !errors.Is(err, ErrUnknownCurrency) {
		t.Fatalf("LookupCurrency(XXX) error = %v", err)
	}
}
