package fees_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the import graph as the package doc says.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{"net", "go.etcd.io/bbolt", "countertop/internal/hostlink", "countertop/internal/config"}
	for _, imp := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if imp == f || strings.HasPrefix(imp, f+"/") {
				t.Errorf("imports %s directly (forbidden: see the package doc)", imp)
			}
		}
	}
	deps, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(deps)) {
		if dep == "countertop/hal" || strings.HasPrefix(dep, "countertop/hal/") || dep == "net" {
			t.Errorf("depends on %s (forbidden: see the package doc)", dep)
		}
	}
}
