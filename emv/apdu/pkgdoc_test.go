package apdu

import (
	goparser "go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestPackage_DocumentedAndImportsNothingOfCountertop: apdu is a leaf under the kernel.
func TestPackage_DocumentedAndImportsNothingOfCountertop(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	documented := false
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		f, err := goparser.ParseFile(token.NewFileSet(), e.Name(), nil, goparser.ImportsOnly|goparser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Doc != nil && strings.HasPrefix(f.Doc.Text(), "Package apdu ") {
			documented = true
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "countertop" || strings.HasPrefix(path, "countertop/") {
				t.Errorf("%s imports %s: apdu must import nothing of countertop", e.Name(), path)
			}
		}
	}
	if !documented {
		t.Error("no file has a package comment starting \"Package apdu \"")
	}
}
