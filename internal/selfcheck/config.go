package selfcheck

import (
	"errors"
	"fmt"
	"time"
)

// Config is the [selfcheck] section of the terminal's configuration. Durations are
// TOML strings ("5s").
type Config struct {
	// Timeout bounds each device and journal check.
	Timeout time.Duration `toml:"timeout"`
	// EchoTimeout bounds the host echo test (connect, send, receive).
	EchoTimeout time.Duration `toml:"echo_timeout"`
	// SaleWithoutPrinter lets card transactions go on when the printer failed its
	// check; their slips stay in the journal for a reprint.
	SaleWithoutPrinter bool `toml:"sale_without_printer"`
	// ClockTolerance is how far the clock may be behind the journal's last record
	// before the clock check warns.
	ClockTolerance time.Duration `toml:"clock_tolerance"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Timeout: 5 * time.Second, EchoTimeout: 30 * time.Second, ClockTolerance: 2 * time.Minute}
}

// Validate reports every problem, each with its key path under prefix.
func (c Config) Validate(prefix string) error {
	var errs []error
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"timeout", c.Timeout}, {"echo_timeout", c.EchoTimeout}} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("%s.%s: %v is not positive", prefix, d.key, d.v))
		}
	}
	if c.ClockTolerance < 0 {
		errs = append(errs, fmt.Errorf("%s.clock_tolerance: %v is negative", prefix, c.ClockTolerance))
	}
	return errors.Join(errs...)
}
