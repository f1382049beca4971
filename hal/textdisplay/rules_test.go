package textdisplay_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPackageRules: documented, and importing hal and golang.org/x/sys only.
func TestPackageRules(t *testing.T) {
	files, err := filepath.Glob("*.go")
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
		documented = documented || (af.Doc != nil && strings.HasPrefix(af.Doc.Text(), "Package textdisplay "))
		for _, is := range af.Imports {
			path, _ := strconv.Unquote(is.Path.Value)
			if !strings.Contains(strings.Split(path, "/")[0], ".") && !strings.HasPrefix(path, "countertop") {
				continue
			}
			if path != "countertop/hal" && !strings.HasPrefix(path, "golang.org/x/sys/") {
				t.Errorf("%s imports %s; allowed: countertop/hal, golang.org/x/sys", f, path)
			}
		}
	}
	if !documented {
		t.Error("no \"Package textdisplay ...\" doc comment")
	}
}
