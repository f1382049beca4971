package cardprofile

import (
	"strings"
	"testing"
	"testing/fstest"

	"countertop/testdata"
)

func TestLoadShippedProfiles(t *testing.T) {
	ps, err := Load(testdata.FS, "cards")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < 4 {
		t.Fatalf("got %d profiles, want at least 4", len(ps))
	}
	p, err := Find(ps, "cup-debit")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := p.Track2()
	if err != nil || tr.ServiceCode() != "101" || tr.PAN().Reveal() != p.PAN {
		t.Fatalf("track2 = %v, %v", tr, err)
	}
}

func TestLoadRejectsBadProfiles(t *testing.T) {
	for name, body := range map[string]string{
		"bad luhn":      `{"name":"x","pan":"6222021234567890127","expiry":"3012","service_code":"101"}`,
		"unknown field": `{"name":"x","pan":"6222021234567890128","expiry":"3012","service_code":"101","cvv":"123"}`,
		"short expiry":  `{"name":"x","pan":"6222021234567890128","expiry":"30","service_code":"101"}`,
		"not json":      `{`,
	} {
		fsys := fstest.MapFS{"cards/x.json": {Data: []byte(body)}}
		if _, err := Load(fsys, "cards"); err == nil || !strings.Contains(err.Error(), "x.json") {
			t.Errorf("%s: error = %v, want one naming the file", name, err)
		}
	}
}
