package risk

import (
	"errors"
	"fmt"
	"time"
)

// Action is what a rule does when it fires.
type Action string

// Actions.
const (
	// ActAlarm shows the alarm to the merchant, writes it to the audit log and logs it;
	// the transaction goes on.
	ActAlarm Action = "alarm"
	// ActBlock does everything ActAlarm does and refuses the transaction.
	ActBlock Action = "block"
)

// UnmarshalText reads "alarm" or "block".
func (a *Action) UnmarshalText(b []byte) error {
	switch v := Action(b); v {
	case ActAlarm, ActBlock:
		*a = v
		return nil
	}
	return fmt.Errorf("unknown action %q (want alarm or block)", b)
}

// MarshalText writes the action.
func (a Action) MarshalText() ([]byte, error) { return []byte(a), nil }

// Config is the [risk] section of the terminal's configuration. Durations are TOML
// strings ("10m", "24h"); amounts are minor units of the terminal's currency.
type Config struct {
	// TimeZone is the IANA zone business hours and "the day" are counted in.
	TimeZone string `toml:"time_zone"`

	Amount          AmountRule `toml:"amount"`
	CardVelocity    CountRule  `toml:"card_velocity"`
	Declines        CountRule  `toml:"declines"`
	WrongPIN        CountRule  `toml:"wrong_pin"`
	RefundOverSales RefundRule `toml:"refund_over_sales"`
	BusinessHours   HoursRule  `toml:"business_hours"`
}

// AmountRule fires when one transaction's amount is above MaxMinor.
type AmountRule struct {
	Enabled  bool   `toml:"enabled"`
	Action   Action `toml:"action"`
	MaxMinor int64  `toml:"max_minor"`
}

// CountRule fires when Count transactions of its kind on one card (by PAN hash) fall
// within Window, the one being checked included. For card_velocity the kind is every
// card transaction that is not a void; for declines it is a decline with any response
// code but 55; for wrong_pin it is a decline with response code 55.
type CountRule struct {
	Enabled bool          `toml:"enabled"`
	Action  Action        `toml:"action"`
	Count   int           `toml:"count"`
	Window  time.Duration `toml:"window"`
}

// RefundRule fires when a refund would bring the day's approved refunds above the
// day's approved sales (sales and pre-authorisation completions that stand, not voided).
type RefundRule struct {
	Enabled bool   `toml:"enabled"`
	Action  Action `toml:"action"`
}

// HoursRule fires for a transaction outside the daily window from Open (inclusive) to
// Close (exclusive), both "HH:MM" in TimeZone. Close before Open is a window across
// midnight ("18:00" to "02:00").
type HoursRule struct {
	Enabled bool   `toml:"enabled"`
	Action  Action `toml:"action"`
	Open    string `toml:"open"`
	Close   string `toml:"close"`
}

// DefaultConfig returns the defaults: every rule on, all of them alarms only, so a new
// terminal warns but never refuses a transaction until the merchant decides to.
func DefaultConfig() Config {
	return Config{
		TimeZone:        "Asia/Shanghai",
		Amount:          AmountRule{Enabled: true, Action: ActAlarm, MaxMinor: 5_000_000}, // RMB 50,000.00
		CardVelocity:    CountRule{Enabled: true, Action: ActAlarm, Count: 4, Window: 10 * time.Minute},
		Declines:        CountRule{Enabled: true, Action: ActAlarm, Count: 3, Window: 30 * time.Minute},
		WrongPIN:        CountRule{Enabled: true, Action: ActAlarm, Count: 2, Window: 24 * time.Hour},
		RefundOverSales: RefundRule{Enabled: true, Action: ActAlarm},
		BusinessHours:   HoursRule{Enabled: true, Action: ActAlarm, Open: "07:00", Close: "23:00"},
	}
}

// Validate reports every problem, each with its key path under prefix (usually "risk").
func (c Config) Validate(prefix string) error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, key, fmt.Sprintf(format, a...)))
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" {
		bad("time_zone", "%q is not a known time zone", c.TimeZone)
	}
	action := func(key string, enabled bool, a Action) {
		if enabled && a != ActAlarm && a != ActBlock {
			bad(key+".action", "%q (want alarm or block)", a)
		}
	}
	action("amount", c.Amount.Enabled, c.Amount.Action)
	if c.Amount.Enabled && c.Amount.MaxMinor <= 0 {
		bad("amount.max_minor", "%d is not positive", c.Amount.MaxMinor)
	}
	for _, r := range []struct {
		key  string
		rule CountRule
	}{{"card_velocity", c.CardVelocity}, {"declines", c.Declines}, {"wrong_pin", c.WrongPIN}} {
		action(r.key, r.rule.Enabled, r.rule.Action)
		if !r.rule.Enabled {
			continue
		}
		if r.rule.Count < 1 {
			bad(r.key+".count", "%d is less than 1", r.rule.Count)
		}
		if r.rule.Window <= 0 {
			bad(r.key+".window", "%v is not positive", r.rule.Window)
		}
	}
	action("refund_over_sales", c.RefundOverSales.Enabled, c.RefundOverSales.Action)
	h := c.BusinessHours
	action("business_hours", h.Enabled, h.Action)
	if h.Enabled {
		open, err1 := parseClock(h.Open)
		if err1 != nil {
			bad("business_hours.open", "%v", err1)
		}
		shut, err2 := parseClock(h.Close)
		if err2 != nil {
			bad("business_hours.close", "%v", err2)
		}
		if err1 == nil && err2 == nil && open == shut {
			bad("business_hours.close", "equals open (%s): disable the rule instead", h.Open)
		}
	}
	return errors.Join(errs...)
}

// parseClock reads "HH:MM" as the time since midnight.
func parseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}
