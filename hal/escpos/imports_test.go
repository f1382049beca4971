package escpos_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the driver and its simulator at their layer: hal and L0 only from
// countertop, and the simulator never imports the driver it checks.
func TestImports(t *testing.T) {
	allowed := map[string][]string{
		".":         {"countertop/hal", "go.bug.st/serial", "golang.org/x/text/"},
		"escpossim": {"countertop/hal", "golang.org/x/text/", "countertop/hal/internal/ptyserve"},
	}
	for dir, allow := range allowed {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, is := range af.Imports {
				path, _ := strconv.Unquote(is.Path.Value)
				if !strings.Contains(strings.Split(path, "/")[0], ".") && !strings.HasPrefix(path, "countertop") {
					continue // standard library
				}
				ok := false
				for _, a := range allow {
					ok = ok || path == a || (strings.HasSuffix(a, "/") && strings.HasPrefix(path, a)) ||
						path == "countertop/internal/money" || path == "countertop/internal/carddata"
				}
				if !ok {
					t.Errorf("%s imports %s; allowed: %v and L0", f, path, allow)
				}
			}
		}
	}
}
