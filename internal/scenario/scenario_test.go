package scenario

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden slips")

// TestScenarios runs every scenario in testdata/scenarios.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("../../testdata/scenarios/*.scn")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios found: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".scn"), func(t *testing.T) {
			t.Parallel()
			sc, err := ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var logs strings.Builder
			opt := Options{Update: *update, Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
			if err := Run(context.Background(), sc, opt); err != nil {
				t.Fatalf("%v\n--- terminal log ---\n%s", err, logs.String())
			}
		})
	}
}

func run(t *testing.T, text string) error {
	t.Helper()
	sc, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return Run(context.Background(), sc, Options{})
}

// The runner must be able to fail: a wrong expectation gives a Failure naming the
// line and showing what the screen, slip or journal really holds.
func TestFailingExpectationsAreReported(t *testing.T) {
	for name, tc := range map[string]struct{ script, want string }{
		"screen": {"scenario \"x\"\nexpect screen \"NOT THERE\"\n", "the screen shows:"},
		"journal": {"scenario \"x\"\npress MENU 1\ntype 1051\npress ENTER\nswipe cup-debit\npress ENTER\npin 123456\nexpect journal state=approved\n",
			"-want +got"},
		"slips":        {"scenario \"x\"\nexpect slips 1\n", "0 slips printed, want 1"},
		"wrong device": {"scenario \"x\"\npin 1234\n", "not waiting for this input"},
		"leftover":     {"scenario \"x\"\npress MENU\npress CANCEL\nswipe-bad\n", ""},
	} {
		t.Run(name, func(t *testing.T) {
			err := run(t, tc.script)
			if name == "leftover" {
				// A bad swipe at the idle screen is read and ignored: no leftover, no error.
				if err != nil {
					t.Fatalf("unexpected failure: %v", err)
				}
				return
			}
			f, ok := errors.AsType[*Failure](err)
			if !ok {
				t.Fatalf("error = %v, want a *Failure", err)
			}
			if !strings.Contains(f.Error(), tc.want) {
				t.Errorf("failure does not contain %q:\n%s", tc.want, f.Error())
			}
		})
	}
}

func TestParse(t *testing.T) {
	sc, err := Parse(strings.NewReader(`# comment
scenario "a \"quoted\" name"
set terminal.language=en
press MENU 1   # trailing comment
expect screen "two words"
`))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != `a "quoted" name` || len(sc.Set) != 1 || len(sc.Steps) != 2 {
		t.Fatalf("got %+v", sc)
	}
	if got := sc.Steps[1].Args; len(got) != 2 || got[1] != "two words" {
		t.Errorf("expect args = %q", got)
	}
	for _, bad := range []string{
		"press 1\n",                             // no scenario line
		"scenario \"x\"\nfly away\n",            // unknown verb
		"scenario \"x\"\nexpect colour red\n",   // unknown expectation
		"scenario \"x\"\nexpect screen\n",       // missing argument
		"scenario \"x\"\nexpect screen \"abc\n", // unterminated quote
		"scenario \"x\"\npress 1\nset a.b=c\n",  // set after a step
	} {
		if _, err := Parse(strings.NewReader(bad)); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) error = %v, want ErrSyntax", bad, err)
		}
	}
}
