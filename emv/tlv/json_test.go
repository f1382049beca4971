package tlv

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/json")

// TestJSON_Golden prints seeds from the corpus as posctl decode tlv will show them.
// Review changes as diffs; rewrite with go test -update.
func TestJSON_Golden(t *testing.T) {
	seeds := seedCorpus(t)
	for _, name := range []string{"select_aid_fci_cup_debit", "cup_field55_sale", "cup_field55_response_scripts", "opaque_vendor_container"} {
		t.Run(name, func(t *testing.T) {
			got, err := JSON(seeds[name])
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "json", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if d := cmp.Diff(string(want), string(got)+"\n"); d != "" {
				t.Errorf("%s (-golden +got):\n%s", golden, d)
			}
		})
	}
}

func TestJSON_ShapeOfPrimitiveAndConstructed(t *testing.T) {
	out, err := JSON(h(t, "77 09 9F27 01 80 9F36 02 0001 DF7F 01 AA"))
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"tag": "77", "name": "Response Message Template Format 2", "len": 9.0, "value": "9F2701809F36020001",
			"children": []any{
				map[string]any{"tag": "9F27", "name": "Cryptogram Information Data", "len": 1.0, "value": "80"},
				map[string]any{"tag": "9F36", "name": "Application Transaction Counter (ATC)", "len": 2.0, "value": "0001"},
			}},
		{"tag": "DF7F", "len": 1.0, "value": "AA"}, // unknown: no name
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("JSON (-want +got):\n%s", d)
	}
}

func TestJSON_EmptyInputIsEmptyList(t *testing.T) {
	out, err := JSON(nil)
	if err != nil || !bytes.Equal(out, []byte("[]")) {
		t.Errorf("JSON(nil) = %s, %v; want []", out, err)
	}
}

func TestJSON_MalformedInputReportsOffset(t *testing.T) {
	_, err := JSON(h(t, "9F27 01 80 70 80 00 00"))
	se, ok := errors.AsType[*SyntaxError](err)
	if !ok || se.Offset != 5 || !strings.Contains(err.Error(), "offset 5") {
		t.Errorf("JSON error = %v, want a *SyntaxError at offset 5", err)
	}
}
