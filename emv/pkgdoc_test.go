package emv

import (
	goparser "go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestPackage_DocumentedAndImportsOnlyWhatItMay keeps the package comment and the
// import rule of the package doc: the kernel never imports hal, store, txn or the network; only emv/tlv, emv/apdu, emv/emvtest and internal/carddata
func TestPackage_DocumentedAndImportsOnlyWhatItMay(t *testing.T) {
	allowed := regexp.MustCompile(`^countertop/(emv/(tlv|apdu|emvtest)|internal/carddata)$`)
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	documented := false
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := goparser.ParseFile(fset, name, nil, goparser.ImportsOnly|goparser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Doc != nil && strings.HasPrefix(f.Doc.Text(), "Package emv ") {
			documented = true
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			std := !strings.Contains(strings.SplitN(path, "/", 2)[0], ".") && !strings.HasPrefix(path, "countertop")
			if !std && !allowed.MatchString(path) {
				t.Errorf("%s imports %s: not allowed (%s)", name, path, "the kernel never imports hal, store, txn or the network; only emv/tlv, emv/apdu, emv/emvtest and internal/carddata")
			}
			if std && (path == "net" || strings.HasPrefix(path, "net/") || path == "os/exec") {
				t.Errorf("%s imports %s: no network or processes here", name, path)
			}
		}
	}
	if !documented {
		t.Error("no file has a package comment starting \"Package emv \"")
	}
}
