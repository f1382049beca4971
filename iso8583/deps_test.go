package iso8583

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPackageRules checks the packages of this area have a package doc comment and
// import only what their layer allows: iso8583 and internal/keys only L0 countertop
// packages, iso8583/frame none at all.
func TestPackageRules(t *testing.T) {
	l0 := []string{"countertop/internal/money", "countertop/internal/carddata", "countertop/internal/txtype", "countertop/internal/msgs"}
	dirs := map[string][]string{".": l0, "frame": nil, "../internal/keys": l0}
	for dir, allowed := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		documented := false
		for _, p := range files {
			if strings.HasSuffix(p, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ParseComments|parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			if f.Doc != nil && strings.HasPrefix(f.Doc.Text(), "Package "+f.Name.Name+" ") {
				documented = true
			}
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if !strings.HasPrefix(path, "countertop/") {
					continue
				}
				ok := false
				for _, a := range allowed {
					ok = ok || path == a
				}
				if !ok {
					t.Errorf("%s imports %s; allowed countertop imports: %v", p, path, allowed)
				}
			}
		}
		if !documented {
			t.Errorf("package in %s has no \"Package ...\" doc comment", dir)
		}
	}
}
