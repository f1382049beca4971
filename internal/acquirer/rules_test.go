package acquirer_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"countertop/internal/acquirer"
	"countertop/internal/txtype"

	"github.com/google/go-cmp/cmp"
)

func TestSampleRulesFile(t *testing.T) {
	r, err := acquirer.LoadRules("../../testdata/acquirer/rules.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../../testdata/acquirer/rules.json")
	if err != nil {
		t.Fatal(err)
	}
	// Every key of the sample is documented in the Rules comment.
	src, err := os.ReadFile("rules.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"amount_limit_minor", "lost_pans", "stolen_pans", "allow_expired", "decline_unknown_cards", "fen_codes"} {
		if !strings.Contains(string(b), `"`+key+`"`) {
			t.Errorf("sample file lacks %q", key)
		}
		if !strings.Contains(string(src), "//	  \""+key+"\"") {
			t.Errorf("Rules comment does not document %q", key)
		}
	}
	if r.AmountLimitMinor <= 0 || len(r.FenCodes) == 0 {
		t.Errorf("sample rules did not load their values: %+v", r)
	}
	fromFS, err := acquirer.LoadRulesFS(os.DirFS("../../testdata/acquirer"), "rules.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, fromFS); diff != "" {
		t.Errorf("LoadRulesFS differs from LoadRules (-file +fs):\n%s", diff)
	}
	if _, err := acquirer.LoadRules("no-such-file.json"); err == nil {
		t.Error("LoadRules of a missing file: no error")
	}
}

func TestParseRulesRejects(t *testing.T) {
	for _, tc := range []struct {
		name, json, want string
	}{
		{"unknown key", `{"amount_limit": 5}`, "unknown field"},
		{"negative limit", `{"amount_limit_minor": -1}`, "amount_limit_minor"},
		{"bad lost pan", `{"lost_pans": ["12ab"]}`, "lost_pans[0]"},
		{"bad fen key", `{"fen_codes": {"5": "05"}}`, `fen_codes["5"]`},
		{"bad code", `{"fen_codes": {"05": "5"}}`, `fen_codes["05"]`},
		{"foundation override", `{"fen_codes": {"51": "00"}}`, "foundation"},
		{"trailing data", `{} {}`, "trailing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := acquirer.ParseRules([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseRules(%s) = %v, want an error naming %q", tc.json, err, tc.want)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := acquirer.Rules{AmountLimitMinor: -5, LostPANs: []string{"x"}, StolenPANs: []string{"y"}}.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, key := range []string{"amount_limit_minor", "lost_pans[0]", "stolen_pans[0]"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error %q does not name %s", err, key)
		}
	}
}

func TestDecideOrder(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	pan := "6222021234567890128"
	r := acquirer.Rules{LostPANs: []string{pan}, AmountLimitMinor: 100, FenCodes: map[string]string{"05": "05"}}
	base := acquirer.Authorization{Type: txtype.Sale, PAN: "6250941234567898", Expiry: "3012", Amount: 50, Known: true, Available: 1000, Now: now}
	for _, tc := range []struct {
		name string
		mod  func(*acquirer.Authorization)
		want string
	}{
		{"approved", func(*acquirer.Authorization) {}, "00"},
		{"lost wins over everything", func(a *acquirer.Authorization) { a.PAN = pan; a.Expiry = "2001"; a.Amount = 151 }, "41"},
		{"expired wins over the limit", func(a *acquirer.Authorization) { a.Expiry = "2610"; a.Amount = 500 }, "54"},
		{"expiring this month is valid", func(a *acquirer.Authorization) { a.Expiry = "2611" }, "00"},
		{"limit wins over fen 51", func(a *acquirer.Authorization) { a.Amount = 151 }, "61"},
		{"fen 51", func(a *acquirer.Authorization) { a.Amount = 51 }, "51"},
		{"fen code", func(a *acquirer.Authorization) { a.Amount = 5 }, "05"},
		{"balance", func(a *acquirer.Authorization) { a.Available = 49 }, "51"},
		{"unknown card has no balance check", func(a *acquirer.Authorization) { a.Known = false; a.Available = 0 }, "00"},
		{"balance inquiry skips amount rules", func(a *acquirer.Authorization) { a.Type = txtype.Balance; a.Amount = 151 }, "00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := base
			tc.mod(&a)
			if got := r.Decide(a); got != tc.want {
				t.Errorf("Decide(%+v) = %q, want %q", a, got, tc.want)
			}
		})
	}
}

func TestFaultKindNames(t *testing.T) {
	var got []string
	for k := acquirer.FaultDelay; k <= acquirer.FaultStale; k++ {
		back, err := acquirer.ParseFaultKind(k.String())
		if err != nil || back != k {
			t.Errorf("ParseFaultKind(%q) = %v, %v", k.String(), back, err)
		}
		got = append(got, k.String())
	}
	want := []string{"delay", "drop", "garble", "truncate", "bad-mac", "duplicate", "stale"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
}
