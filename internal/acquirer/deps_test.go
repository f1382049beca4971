package acquirer_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the import graph as the package doc says: the forbidden
// packages (and their subpackages) are not among the package's dependencies.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{"countertop/hal", "countertop/store", "countertop/internal/hostlink"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("imports %s (forbidden: see the package doc)", dep)
			}
		}
	}
}
