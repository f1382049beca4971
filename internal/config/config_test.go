package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("embedded default does not validate: %v", err)
	}
}

func TestValidateReportsEveryProblemWithItsKey(t *testing.T) {
	c := Default()
	c.Terminal.MerchantID = "123"
	c.Terminal.Language = "fr"
	c.Host.Mode = "carrier-pigeon"
	c.Keys.TMK = "00"
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted a broken config")
	}
	for _, key := range []string{"terminal.merchant_id", "terminal.language", "host.mode", "keys.tmk"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
}

func TestLoadRejectsUnknownKeys(t *testing.T) {
	p := filepath.Join(t.TempDir(), "posd.toml")
	os.WriteFile(p, []byte("[terminal]\nmerchant_nmae = \"typo\"\n"), 0o600)
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), "terminal.merchant_nmae") {
		t.Fatalf("Load error = %v, want unknown key named", err)
	}
}

func TestLoadOverridesDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "posd.toml")
	os.WriteFile(p, []byte("[terminal]\nlanguage = \"en\"\n[host]\nresponse_timeout = \"5s\"\n"), 0o600)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Terminal.Language != "en" || c.Host.ResponseTimeout.Seconds() != 5 || c.Terminal.TerminalID != Default().Terminal.TerminalID {
		t.Fatalf("got %+v", c.Terminal)
	}
}

func TestSet(t *testing.T) {
	c := Default()
	if err := c.Set("terminal.language=en"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("terminal.slip_copies=1"); err != nil {
		t.Fatal(err)
	}
	if c.Terminal.Language != "en" || c.Terminal.SlipCopies != 1 {
		t.Fatalf("got %q %d", c.Terminal.Language, c.Terminal.SlipCopies)
	}
	if err := c.Set("terminal.nope=1"); err == nil {
		t.Fatal("Set accepted an unknown key")
	}
	if err := c.Set("garbage"); err == nil {
		t.Fatal("Set accepted garbage")
	}
}

func TestMalformedTOML(t *testing.T) {
	if _, err := Parse([]byte("[terminal\n"), Default()); err == nil {
		t.Fatal("Parse accepted malformed TOML")
	}
}

func TestValidateSM4Dialect(t *testing.T) {
	sm4 := func(f func(c *Config)) error {
		c := Default()
		for _, s := range []string{"host.dialect=cup-sm4", "host.mac=cup-sm4"} {
			if err := c.Set(s); err != nil {
				t.Fatal(err)
			}
		}
		f(&c)
		return c.Validate()
	}
	if err := sm4(func(*Config) {}); err != nil {
		t.Fatalf("cup-sm4 with cup-sm4 mac and the default 32-digit tmk: %v", err)
	}
	for name, tc := range map[string]struct {
		f   func(c *Config)
		key string
	}{
		"des mac":      {func(c *Config) { c.Host.MAC = "cup-ecb" }, "host.mac"},
		"layout 24":    {func(c *Config) { c.Host.KeyLayout = 24 }, "host.key_layout"},
		"48-digit tmk": {func(c *Config) { c.Keys.TMK = strings.Repeat("0123456789ABCDEF", 3) }, "keys.tmk"},
		"abecs pad":    {func(c *Config) { c.Devices.PINPad, c.Devices.PINPadPort = "serial", "/dev/ttyS0" }, "devices.pinpad"},
		"dialect typo": {func(c *Config) { c.Host.Dialect = "cup-sm2" }, "host.dialect"},
	} {
		err := sm4(tc.f)
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: Validate = %v, want an error naming %s", name, err, tc.key)
		}
	}
	c := Default()
	c.Host.MAC = "cup-sm4"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "host.mac") {
		t.Errorf("cup-sm4 mac with the cup dialect: %v, want host.mac refused", err)
	}
}
