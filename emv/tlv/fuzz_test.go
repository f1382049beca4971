package tlv

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that Parse never panics and that whatever it accepts survives a
// round trip: Encode(Parse(x)) parses again to the same tree, and encoding that tree
// gives the same bytes. Seeds: testdata/fuzz/FuzzParse (GPO, READ RECORD, GENERATE
// AC, SELECT responses, CUP field 55, padding, malformed input), run by plain go test.
func FuzzParse(f *testing.F) {
	f.Add([]byte{0x9F, 0x02, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		tree, err := Parse(in)
		if err != nil {
			return
		}
		enc := Encode(tree...)
		again, err := Parse(enc)
		if err != nil {
			t.Fatalf("Parse(%X) succeeded but its encoding %X does not parse: %v", in, enc, err)
		}
		if !sameTree(tree, again) {
			t.Fatalf("tree changed through Encode (-first +second):\n%s", cmp.Diff(tree, again, treeOpts))
		}
		if enc2 := Encode(again...); !bytes.Equal(enc, enc2) {
			t.Fatalf("Encode not stable: %X then %X", enc, enc2)
		}
	})
}

// sameTree is treeOpts' equality without reflection, so the fuzzer runs fast: tags
// and children equal, and values equal where a node has no children.
func sameTree(a, b []TLV) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Tag != y.Tag || !sameTree(x.Children, y.Children) {
			return false
		}
		if len(x.Children) == 0 && !bytes.Equal(x.Value, y.Value) {
			return false
		}
	}
	return true
}

func TestSameTree_AgreesWithTreeOpts(t *testing.T) {
	base := mustParse(t, h(t, "70 0B 5A 02 1234 9F08 01 02 9F27 00"))
	for _, other := range []string{
		"70 0B 5A 02 1234 9F08 01 02 9F27 00",    // same
		"70 0C 00 5A 02 1234 9F08 01 02 9F27 00", // padding: same tree
		"70 0B 5A 02 1235 9F08 01 02 9F27 00",    // value differs
		"70 0B 5A 02 1234 9F09 01 02 9F27 00",    // tag differs
		"70 08 5A 02 1234 9F08 01 02",            // child missing
	} {
		o := mustParse(t, h(t, other))
		if got, want := sameTree(base, o), cmp.Diff(base, o, treeOpts) == ""; got != want {
			t.Errorf("%s: sameTree = %v, cmp says %v", other, got, want)
		}
	}
}

// seedCorpus reads the committed FuzzParse corpus: file name to input bytes.
func seedCorpus(t testing.TB) map[string][]byte {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		if len(lines) != 2 || lines[0] != "go test fuzz v1" ||
			!strings.HasPrefix(lines[1], "[]byte(") || !strings.HasSuffix(lines[1], ")") {
			t.Fatalf("%s: not a one-value []byte corpus file", e.Name())
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out[e.Name()] = []byte(s)
	}
	return out
}

// TestSeedCorpus_ParsesAsNamed keeps the corpus honest: seeds named malformed_* must
// be refused and every other seed must parse.
func TestSeedCorpus_ParsesAsNamed(t *testing.T) {
	seeds := seedCorpus(t)
	if len(seeds) < 10 {
		t.Fatalf("only %d seeds", len(seeds))
	}
	for name, in := range seeds {
		_, err := Parse(in)
		if bad := strings.HasPrefix(name, "malformed_"); bad != (err != nil) {
			t.Errorf("%s: Parse error = %v", name, err)
		}
	}
}
