package pcsc

import (
	"go/build/constraint"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports guards the build without libpcsclite (make run): only files with the
// build tag pcsc may import scard, and vpcd is pure Go that imports no countertop
// package.
func TestImports(t *testing.T) {
	for _, pattern := range []string{"*.go", "vpcd/*.go"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			tagged := false
			for _, c := range af.Comments {
				for _, l := range c.List {
					if l.Pos() > af.Package || !constraint.IsGoBuild(l.Text) {
						continue
					}
					expr, err := constraint.Parse(l.Text)
					if err != nil {
						t.Fatalf("%s: %v", f, err)
					}
					// Tagged: the file drops out of every build without pcsc.
					tagged = !expr.Eval(func(tag string) bool { return tag != "pcsc" })
				}
			}
			for _, is := range af.Imports {
				path, _ := strconv.Unquote(is.Path.Value)
				if path == "github.com/ebfe/scard" && (!tagged || strings.HasPrefix(f, "vpcd")) {
					t.Errorf("%s imports scard without the build tag pcsc", f)
				}
				if strings.HasPrefix(f, "vpcd") && strings.HasPrefix(path, "countertop") {
					t.Errorf("%s imports %s; vpcd stands alone", f, path)
				}
				if !strings.HasPrefix(f, "vpcd") && strings.HasPrefix(path, "countertop/") &&
					path != "countertop/hal" && !strings.HasSuffix(f, "_test.go") {
					t.Errorf("%s imports %s; drivers import hal and L0 only", f, path)
				}
			}
		}
	}
}
