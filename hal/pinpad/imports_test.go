package pinpad_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the driver, its protocol package and its simulator at their
// layer: hal, internal/keys and L0 from countertop; the simulator never imports the
// driver it checks, and the protocol package imports neither.
func TestImports(t *testing.T) {
	l0 := []string{"countertop/internal/money", "countertop/internal/carddata"}
	allowed := map[string][]string{
		".":         {"countertop/hal", "countertop/hal/pinpad/abecs", "countertop/internal/keys", "go.bug.st/serial"},
		"abecs":     {"countertop/hal"},
		"pinpadsim": {"countertop/hal/pinpad/abecs", "countertop/internal/keys", "countertop/hal/internal/ptyserve"},
	}
	for dir, allow := range allowed {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Errorf("no Go files in %s", dir)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
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
	}
}

// TestPackageDocs: each package has one doc comment, in doc.go, saying what it must
// not import.
func TestPackageDocs(t *testing.T) {
	for _, dir := range []string{".", "abecs", "pinpadsim"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		docs := 0
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if af.Doc != nil {
				docs++
				if filepath.Base(f) != "doc.go" || !strings.Contains(strings.Join(strings.Fields(af.Doc.Text()), " "), "must not import") {
					t.Errorf("%s: package doc outside doc.go or without its import rule", f)
				}
			}
		}
		if docs != 1 {
			t.Errorf("%s: %d package doc comments, want 1", dir, docs)
		}
	}
}
