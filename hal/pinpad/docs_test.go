package pinpad_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

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
