// Package config owns posd's typed configuration: the TOML file format, the defaults
// (the embedded configuration that `make run` uses: simulated devices and an
// in-process acquirer simulator), and Validate, which reports every problem with its
// key path before any device is opened. The risk, self-check and fee sections are the
// types of the packages that own those rules; config imports nothing else of
// countertop but L0 packages.
package config

import (
	"bytes"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"countertop/internal/fees"
	"countertop/internal/money"
	"countertop/internal/msgs"
	"countertop/internal/risk"
	"countertop/internal/selfcheck"
)

// Config is the whole configuration of one terminal.
type Config struct {
	Terminal  Terminal         `toml:"terminal"`
	Host      Host             `toml:"host"`
	Keys      Keys             `toml:"keys"`
	Journal   Journal          `toml:"journal"`
	Devices   Devices          `toml:"devices"`
	Log       Log              `toml:"log"`
	EMV       EMV              `toml:"emv"`
	Risk      risk.Config      `toml:"risk"`
	SelfCheck selfcheck.Config `toml:"selfcheck"`
	Fees      fees.Config      `toml:"fees"`
}

// Terminal is the merchant's and the terminal's identity and behaviour.
type Terminal struct {
	MerchantName   string   `toml:"merchant_name"`
	MerchantID     string   `toml:"merchant_id"` // 15 characters
	TerminalID     string   `toml:"terminal_id"` // 8 characters
	Acquirer       string   `toml:"acquirer"`    // acquirer bank printed on slips
	Language       string   `toml:"language"`    // zh | en
	EnglishLabels  bool     `toml:"english_labels"`
	Currency       string   `toml:"currency"`         // ISO 4217 alpha code
	MaxAmount      int64    `toml:"max_amount_minor"` // largest amount the keypad accepts
	Operator       string   `toml:"operator"`         // operator number printed and sent (01-99)
	SlipCopies     int      `toml:"slip_copies"`      // 1 merchant; 2 merchant + cardholder
	PrintWidth     int      `toml:"print_width"`      // columns of the normal font
	InputTimeout   Duration `toml:"input_timeout"`    // every prompt returns to idle after this
	ResultTimeout  Duration `toml:"result_timeout"`   // result screens
	TearOffTimeout Duration `toml:"tear_off_timeout"` // pause between slip copies
}

// Host is the acquirer link.
type Host struct {
	// Mode is "embedded" (start the acquirer simulator in-process on loopback, for
	// `make run` and demos) or "tcp" (connect to Addr).
	Mode string `toml:"mode"`
	Addr string `toml:"addr"`
	// Dialect is "cup" (DES and 3DES keys) or "cup-sm4" (national cryptography:
	// an SM4 TMK and working keys, the SM4 MAC, 16-byte PIN blocks).
	Dialect string `toml:"dialect"`
	// Framing is "cup" (a 2-byte length before the TPDU: CUP over TCP) or
	// "dialup" (STX, BCD length, ETX and LRC, as dial-up and NAC links frame).
	Framing string `toml:"framing"`
	// PreHeader is a gateway's block between TPDU and header, in hex; "" on most
	// links (at most 256 bytes).
	PreHeader       string   `toml:"pre_header"`
	ConnectTimeout  Duration `toml:"connect_timeout"`
	ResponseTimeout Duration `toml:"response_timeout"`
	MAC             string   `toml:"mac"` // cup-ecb | x919 | x99 | tdes-cbc | cup-sm4
	KeyLayout       int      `toml:"key_layout"`
	ReversalRetries int      `toml:"reversal_retries"`
}

// Keys says where the terminal master key comes from. On a real terminal it is the
// key file that `posctl keys load` writes (File, wrapped under the key in KEKFile);
// the hex values are for simulators and tests (the default is the acquirer
// simulator's published test key) and are ignored when File is set.
type Keys struct {
	File       string `toml:"file"`         // key file from `posctl keys load`
	KEKFile    string `toml:"kek_file"`     // its key-encryption key (mode 0600)
	TMK        string `toml:"tmk"`          // hex, 16 or 24 bytes
	PANHashKey string `toml:"pan_hash_key"` // hex, keys the PAN look-up hash in the journal
}

// Journal is the bbolt journal and its upkeep.
type Journal struct {
	Path        string   `toml:"path"`
	LockTimeout Duration `toml:"lock_timeout"`
	// BackupDir receives verified hot backups every BackupEvery and after each
	// settlement; the newest BackupKeep are kept. Empty: next to the journal.
	BackupDir   string   `toml:"backup_dir"`
	BackupKeep  int      `toml:"backup_keep"`
	BackupEvery Duration `toml:"backup_every"`
	// RetentionDays: settled batches older than this are purged after a settlement
	// and the file compacted at the next start.
	RetentionDays int `toml:"retention_days"`
}

// Devices chooses a driver per device.
type Devices struct {
	CardReader    string `toml:"card_reader"` // sim | pcsc
	ReaderPattern string `toml:"reader_pattern"`
	// Magstripe adds a separate stripe reader next to a chip reader: none | serial.
	// Contactless adds a contactless (PICC) reader in the PC/SC stack: none | pcsc.
	Contactless        string `toml:"contactless"`
	ContactlessPattern string `toml:"contactless_pattern"`
	Magstripe          string `toml:"magstripe"`
	MagstripeDevice    string `toml:"magstripe_device"`
	MagstripeBaud      int    `toml:"magstripe_baud"`
	PINPad             string `toml:"pinpad"` // sim | serial
	PINPadPort         string `toml:"pinpad_port"`
	PINPadBaud         int    `toml:"pinpad_baud"`
	PINPadKeySlot      int    `toml:"pinpad_key_slot"` // the master-key slot that holds the TMK
	Printer            string `toml:"printer"`         // sim | serial
	PrinterPort        string `toml:"printer_port"`
	PrinterBaud        int    `toml:"printer_baud"`
	Console            string `toml:"console"` // console (keypad and display on this terminal) | sim
	// Keypad and Display replace the console's on a terminal without one:
	// keypad = evdev reads /dev/input (KeypadDevice, Keymap over the default map);
	// display = tty draws on a text console (DisplayDevice, e.g. /dev/tty1).
	Keypad        string            `toml:"keypad"` // console | evdev
	KeypadDevice  string            `toml:"keypad_device"`
	Keymap        map[string]string `toml:"keymap"`  // KEY_F2 = "CANCEL"
	Display       string            `toml:"display"` // console | tty
	DisplayDevice string            `toml:"display_device"`
	Cards         string            `toml:"cards"` // directory of test-card profiles for simulated cards; empty: the embedded ones
}

// EMV configures the chip kernel.
type EMV struct {
	// FloorLimit is the terminal floor limit (9F1B) in minor units: below it the
	// card may approve offline. CUP terminals commonly run with 0 (always online).
	FloorLimit int64 `toml:"floor_limit_minor"`
	// TraceDir, when set, receives an APDU transcript of every chip transaction
	// (posctl emv replay reads them), with card numbers, tracks, names and PIN
	// commands masked. For integrators chasing a card problem; off by default.
	TraceDir string `toml:"trace_dir"`
}

// Log configures structured logs.
type Log struct {
	Level  string `toml:"level"`  // debug | info | warn | error
	Format string `toml:"format"` // text | json
	File   string `toml:"file"`   // empty: stderr (posd sends logs to a file when the console is in use)
}

// Duration is a time.Duration written as "30s" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText reads "30s", "1m".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	d.Duration = v
	return err
}

// MarshalText writes the duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

//go:embed default.toml
var defaultTOML []byte

// DefaultTOML returns the embedded default configuration file.
func DefaultTOML() []byte { return bytes.Clone(defaultTOML) }

// Default returns the embedded default configuration.
func Default() Config {
	base := Config{Risk: risk.DefaultConfig(), SelfCheck: selfcheck.DefaultConfig(), Fees: fees.DefaultConfig()}
	c, err := Parse(defaultTOML, base)
	if err != nil {
		panic("embedded default configuration: " + err.Error())
	}
	return c
}

// Load reads a TOML file over the defaults. Unknown keys are errors.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(b, Default())
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes TOML over base; keys that Config does not have are errors.
func Parse(b []byte, base Config) (Config, error) {
	c := base
	md, err := toml.Decode(string(b), &c)
	if err != nil {
		return Config{}, err
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return Config{}, fmt.Errorf("unknown keys: %s", strings.Join(keys, ", "))
	}
	return c, nil
}

// Set applies one "section.key=value" override (value in TOML syntax, strings may be
// bare), as scenario files and the command line use.
func (c *Config) Set(assignment string) error {
	key, val, ok := strings.Cut(assignment, "=")
	section, name, ok2 := strings.Cut(strings.TrimSpace(key), ".")
	if !ok || !ok2 {
		return fmt.Errorf("override %q: want section.key=value", assignment)
	}
	val = strings.TrimSpace(val)
	if _, err := toml.Decode("x = "+val, new(map[string]any)); err != nil {
		val = fmt.Sprintf("%q", val)
	}
	out, err := Parse([]byte("["+section+"]\n"+name+" = "+val+"\n"), *c)
	if err != nil {
		return fmt.Errorf("override %q: %w", assignment, err)
	}
	*c = out
	return nil
}

var (
	digits = regexp.MustCompile(`^[0-9]+$`)
	hexKey = regexp.MustCompile(`^([0-9A-Fa-f]{32}|[0-9A-Fa-f]{48})$`)
)

// Validate reports every problem, each with its key path.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, a...)))
	}
	t := c.Terminal
	if t.MerchantName == "" {
		bad("terminal.merchant_name", "empty")
	}
	if len(t.MerchantID) != 15 {
		bad("terminal.merchant_id", "%q is not 15 characters", t.MerchantID)
	}
	if len(t.TerminalID) != 8 {
		bad("terminal.terminal_id", "%q is not 8 characters", t.TerminalID)
	}
	if _, err := msgs.ParseLang(t.Language); err != nil {
		bad("terminal.language", "%v", err)
	}
	if _, err := money.LookupCurrency(t.Currency); err != nil {
		bad("terminal.currency", "%v", err)
	}
	if t.MaxAmount <= 0 || t.MaxAmount > 999999999999 {
		bad("terminal.max_amount_minor", "%d is not within 1..999999999999", t.MaxAmount)
	}
	if len(t.Operator) != 2 || !digits.MatchString(t.Operator) {
		bad("terminal.operator", "%q is not two digits", t.Operator)
	}
	if t.SlipCopies < 1 || t.SlipCopies > 3 {
		bad("terminal.slip_copies", "%d is not 1, 2 or 3", t.SlipCopies)
	}
	if t.PrintWidth < 24 || t.PrintWidth > 64 {
		bad("terminal.print_width", "%d is not within 24..64", t.PrintWidth)
	}
	for key, d := range map[string]Duration{"terminal.input_timeout": t.InputTimeout, "terminal.result_timeout": t.ResultTimeout,
		"terminal.tear_off_timeout": t.TearOffTimeout, "host.connect_timeout": c.Host.ConnectTimeout, "host.response_timeout": c.Host.ResponseTimeout} {
		if d.Duration <= 0 {
			bad(key, "must be positive")
		}
	}
	switch c.Host.Mode {
	case "embedded":
	case "tcp":
		if c.Host.Addr == "" {
			bad("host.addr", "empty with host.mode = \"tcp\"")
		}
	default:
		bad("host.mode", "%q is not embedded or tcp", c.Host.Mode)
	}
	oneOf(bad, "host.framing", c.Host.Framing, "cup", "dialup")
	if b, err := hex.DecodeString(c.Host.PreHeader); err != nil || len(b) > 256 {
		bad("host.pre_header", "not hex of at most 256 bytes")
	}
	sm4 := c.Host.Dialect == "cup-sm4"
	switch {
	case c.Host.Dialect != "cup" && !sm4:
		bad("host.dialect", "%q is not cup or cup-sm4", c.Host.Dialect)
	case sm4:
		if c.Host.MAC != "cup-sm4" {
			bad("host.mac", "%q with host.dialect = \"cup-sm4\": national cryptography takes cup-sm4", c.Host.MAC)
		}
		if c.Host.KeyLayout == 24 {
			bad("host.key_layout", "24 with host.dialect = \"cup-sm4\": SM4 keys are 16 bytes (40, 48, 60 or 72)")
		}
		if c.Devices.PINPad == "serial" {
			bad("devices.pinpad", "\"serial\" (ABECS) with host.dialect = \"cup-sm4\": ABECS has no SM4 key method")
		}
	default:
		oneOf(bad, "host.mac", c.Host.MAC, "cup-ecb", "x919", "x99", "tdes-cbc")
	}
	switch c.Host.KeyLayout {
	case 24, 40, 48, 60, 72:
	default:
		bad("host.key_layout", "%d is not 24, 40, 48, 60 or 72", c.Host.KeyLayout)
	}
	if c.Host.ReversalRetries < 1 || c.Host.ReversalRetries > 10 {
		bad("host.reversal_retries", "%d is not within 1..10", c.Host.ReversalRetries)
	}
	switch {
	case c.Keys.File != "" && c.Keys.KEKFile == "":
		bad("keys.kek_file", "empty with keys.file set")
	case c.Keys.File == "":
		if !hexKey.MatchString(c.Keys.TMK) {
			bad("keys.tmk", "not 32 or 48 hex digits")
		} else if sm4 && len(c.Keys.TMK) != 32 {
			bad("keys.tmk", "not 32 hex digits, as an SM4 key is, with host.dialect = \"cup-sm4\"")
		}
		if b, err := hex.DecodeString(c.Keys.PANHashKey); err != nil || len(b) < 16 {
			bad("keys.pan_hash_key", "not at least 32 hex digits")
		}
	}
	if c.Journal.Path == "" {
		bad("journal.path", "empty")
	}
	if c.Journal.BackupKeep < 1 || c.Journal.BackupKeep > 100 {
		bad("journal.backup_keep", "%d is not within 1..100", c.Journal.BackupKeep)
	}
	if c.Journal.BackupEvery.Duration < time.Minute {
		bad("journal.backup_every", "%s is shorter than a minute", c.Journal.BackupEvery)
	}
	if c.Journal.RetentionDays < 1 {
		bad("journal.retention_days", "%d is not a positive number of days", c.Journal.RetentionDays)
	}
	if c.EMV.FloorLimit < 0 || c.EMV.FloorLimit > 0xFFFFFFFF {
		bad("emv.floor_limit_minor", "%d is not within 0..4294967295", c.EMV.FloorLimit)
	}
	for _, err := range []error{c.Risk.Validate("risk"), c.SelfCheck.Validate("selfcheck"), c.Fees.Validate("fees")} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	d := c.Devices
	oneOf(bad, "devices.card_reader", d.CardReader, "sim", "pcsc")
	oneOf(bad, "devices.pinpad", d.PINPad, "sim", "serial")
	oneOf(bad, "devices.magstripe", d.Magstripe, "none", "serial")
	oneOf(bad, "devices.contactless", d.Contactless, "none", "pcsc")
	if d.Magstripe == "serial" && d.MagstripeDevice == "" {
		bad("devices.magstripe_device", "empty with devices.magstripe = \"serial\"")
	}
	oneOf(bad, "devices.keypad", d.Keypad, "console", "evdev")
	oneOf(bad, "devices.display", d.Display, "console", "tty")
	if d.Keypad == "evdev" && d.KeypadDevice == "" {
		bad("devices.keypad_device", "empty with devices.keypad = \"evdev\"")
	}
	if d.Display == "tty" && d.DisplayDevice == "" {
		bad("devices.display_device", "empty with devices.display = \"tty\"")
	}
	if d.PINPadKeySlot < 0 || d.PINPadKeySlot > 99 {
		bad("devices.pinpad_key_slot", "%d is not within 0..99", d.PINPadKeySlot)
	}
	if d.PINPad == "serial" && d.PINPadPort == "" {
		bad("devices.pinpad_port", "empty with devices.pinpad = \"serial\"")
	}
	oneOf(bad, "devices.printer", d.Printer, "sim", "serial")
	oneOf(bad, "devices.console", d.Console, "console", "sim")
	if d.Printer == "serial" && d.PrinterPort == "" {
		bad("devices.printer_port", "empty with devices.printer = \"serial\"")
	}
	oneOf(bad, "log.level", c.Log.Level, "debug", "info", "warn", "error")
	oneOf(bad, "log.format", c.Log.Format, "text", "json")
	return errors.Join(errs...)
}

func oneOf(bad func(string, string, ...any), key, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	bad(key, "%q is not one of %s", v, strings.Join(allowed, ", "))
}

// Lang returns the configured display language.
func (c Config) Lang() msgs.Lang {
	l, _ := msgs.ParseLang(c.Terminal.Language)
	return l
}

// Currency returns the configured currency.
func (c Config) Currency() money.Currency {
	cur, err := money.LookupCurrency(c.Terminal.Currency)
	if err != nil {
		return money.CNY
	}
	return cur
}
