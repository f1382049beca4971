package carddata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const testPAN = "6222021234567890128" // Luhn-valid 19 digits

func TestParsePAN(t *testing.T) {
	p, err := ParsePAN(testPAN)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Masked(), "***************0128"; got != want {
		t.Errorf("Masked() = %q, want %q", got, want)
	}
	if got, want := p.Grouped(), "**** **** **** ***0 128"; got == "" || strings.Contains(got, "622202") {
		t.Errorf("Grouped() = %q, want masked like %q", got, want)
	}
	if _, err := ParsePAN("6222021234567890127"); !errors.Is(err, ErrLuhn) {
		t.Errorf("bad check digit: error = %v, want ErrLuhn", err)
	}
	if _, err := ParsePAN("12ab"); !errors.Is(err, ErrBadPAN) {
		t.Errorf("letters: error = %v, want ErrBadPAN", err)
	}
}

// Every print path must give the masked form: fmt verbs, slog (text and JSON), JSON.
func TestSensitiveValuesNeverPrintClear(t *testing.T) {
	p, _ := ParsePAN(testPAN)
	tr, err := ParseTrack2(";" + testPAN + "=30122011234567890?")
	if err != nil {
		t.Fatal(err)
	}
	pb := NewPINBlock([]byte{0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0})
	var buf bytes.Buffer
	for _, v := range []any{p, tr, pb, &p} {
		fmt.Fprintf(&buf, "%v %s %+v %#v %q %x\n", v, v, v, v, v, v)
	}
	slog.New(slog.NewTextHandler(&buf, nil)).Info("t", "pan", p, "track", tr, "pin", pb)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("t", "pan", p, "track", tr, "pin", pb)
	j, _ := json.Marshal(struct {
		P PAN
		T Track2
		B PINBlock
	}{p, tr, pb})
	buf.Write(j)
	out := buf.String()
	for _, secret := range []string{testPAN, "30122011234567890", "123456789abcdef0", "123456789ABCDEF0"} {
		if strings.Contains(out, secret) {
			t.Errorf("output contains %q:\n%s", secret, out)
		}
	}
}

func TestParseTrack2(t *testing.T) {
	tr, err := ParseTrack2(testPAN + "D30122011234567890")
	if err != nil {
		t.Fatal(err)
	}
	if tr.PAN().Reveal() != testPAN || tr.Expiry() != "3012" || tr.ServiceCode() != "201" {
		t.Errorf("got pan %v expiry %s service %s", tr.PAN(), tr.Expiry(), tr.ServiceCode())
	}
	for _, bad := range []string{"", "6222021234567890128", testPAN + "=30", "abc=3012201", testPAN + "=3012201" + strings.Repeat("9", 30),
		testPAN + "=3=12201123", testPAN + "=30122011=23"} { // one separator only
		if _, err := ParseTrack2(bad); err == nil {
			t.Errorf("ParseTrack2(%q) accepted", bad)
		}
	}
}
