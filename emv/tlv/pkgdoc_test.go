package tlv

import (
	goparser "go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestPackage_DocumentedAndImportsNothingOfCountertop keeps the package a leaf: every
// layer may import tlv, so tlv may import nothing of countertop (only the standard
// library; go-cmp in tests).
func TestPackage_DocumentedAndImportsNothingOfCountertop(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	documented := false
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") {
			continue
		}
		f, err := goparser.ParseFile(fset, name, nil, goparser.ImportsOnly|goparser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Doc != nil && strings.HasPrefix(f.Doc.Text(), "Package tlv ") {
			documented = true
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			test := strings.HasSuffix(name, "_test.go")
			switch {
			case test && path == "countertop/emv/tlv": // examples, package tlv_test
			case path == "countertop" || strings.HasPrefix(path, "countertop/"):
				t.Errorf("%s imports %s: tlv must import nothing of countertop", name, path)
			case strings.Contains(strings.SplitN(path, "/", 2)[0], ".") &&
				!(test && strings.HasPrefix(path, "github.com/google/go-cmp/")):
				t.Errorf("%s imports %s: tlv uses only the standard library", name, path)
			}
		}
	}
	if !documented {
		t.Error("no file has a package comment starting \"Package tlv \"")
	}
}
