package msr_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPackageRules keeps the driver and its simulator documented and at their layer:
// hal, hal/evdev and L0 from countertop; the simulator never imports the driver.
func TestPackageRules(t *testing.T) {
	allowed := map[string][]string{
		".":      {"countertop/hal", "countertop/hal/evdev", "go.bug.st/serial"},
		"msrsim": {"countertop/hal", "countertop/hal/evdev", "github.com/creack/pty", "golang.org/x/sys/"},
	}
	l0 := []string{"countertop/internal/carddata", "countertop/internal/money"}
	for dir, allow := range allowed {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		documented := false
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ParseComments|parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			documented = documented || (af.Doc != nil && strings.HasPrefix(af.Doc.Text(), "Package "+af.Name.Name+" "))
			for _, is := range af.Imports {
				path, _ := strconv.Unquote(is.Path.Value)
				if !strings.Contains(strings.Split(path, "/")[0], ".") && !strings.HasPrefix(path, "countertop") {
					continue // standard library
				}
				ok := false
				for _, a := range append(allow, l0...) {
					ok = ok || path == a || (strings.HasSuffix(a, "/") && strings.HasPrefix(path, a))
				}
				if !ok {
					t.Errorf("%s imports %s; allowed: %v and L0", f, path, allow)
				}
			}
		}
		if !documented {
			t.Errorf("package in %s has no \"Package ...\" doc comment", dir)
		}
	}
}
