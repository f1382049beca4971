package receipt

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports enforces the package doc: receipt reaches only hal and L0 packages.
func TestImports(t *testing.T) {
	allowed := map[string]bool{
		"countertop/hal": true, "countertop/internal/money": true,
		"countertop/internal/msgs": true, "countertop/internal/txtype": true,
		"countertop/internal/carddata": true,
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if name == "doc.go" && (f.Doc == nil || !strings.HasPrefix(f.Doc.Text(), "Package receipt ")) {
			t.Error("doc.go has no package comment")
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "countertop/") && !allowed[path] {
				t.Errorf("%s imports %s; receipt may import only hal and L0 packages", name, path)
			}
		}
	}
}
