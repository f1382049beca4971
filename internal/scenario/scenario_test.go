package scenario

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"countertop/hal"
	"countertop/internal/msgs"
)

var update = flag.Bool("update", false, "rewrite golden slips")

// TestScenarios runs every scenario in testdata/scenarios, then checks that the
// scenarios together show every message of the catalogue, but those in
// notShownByScenarios.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("../../testdata/scenarios/*.scn")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios found: %v", err)
	}
	var (
		mu    sync.Mutex
		shown strings.Builder
		ran   int // scenarios run; -run may select fewer than all
	)
	t.Run("files", func(t *testing.T) {
		for _, f := range files {
			t.Run(strings.TrimSuffix(filepath.Base(f), ".scn"), func(t *testing.T) {
				t.Parallel()
				sc, err := ParseFile(f)
				if err != nil {
					t.Fatal(err)
				}
				var logs strings.Builder
				opt := Options{Update: *update, Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
					Screens: func(ss []hal.Screen) {
						mu.Lock()
						defer mu.Unlock()
						for _, s := range ss {
							shown.WriteString(s.Title + "\n" + strings.Join(s.Lines, "\n") + "\n")
						}
					}}
				if err := Run(context.Background(), sc, opt); err != nil {
					t.Fatalf("%v\n--- terminal log ---\n%s", err, logs.String())
				}
				mu.Lock()
				ran++
				mu.Unlock()
			})
		}
	})
	if t.Failed() || testing.Short() || ran < len(files) {
		return
	}
	var missing []string
	for _, c := range msgs.Codes() {
		if why, exempt := notShownByScenarios[c]; exempt {
			if why == "" {
				t.Errorf("%s: exempt without a reason", c)
			}
			continue
		}
		zh, en := msgs.Text(c, msgs.ZH), msgs.Text(c, msgs.EN)
		if !strings.Contains(shown.String(), zh) && !strings.Contains(shown.String(), en) {
			missing = append(missing, fmt.Sprintf("%s (%s)", c, zh))
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no scenario shows these %d messages:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

// notShownByScenarios are the catalogue's messages no scenario can show, each with
// the reason.
var notShownByScenarios = map[msgs.Code]string{
	msgs.CheckClockBehind:    selfCheckOnly,
	msgs.CheckClockWrong:     selfCheckOnly,
	msgs.CheckDisplayFailed:  selfCheckOnly,
	msgs.CheckDisplayMissing: selfCheckOnly,
	msgs.CheckHostFailed:     selfCheckOnly,
	msgs.CheckKeypadMissing:  selfCheckOnly,
	msgs.CheckNoTMK:          selfCheckOnly,
	msgs.CheckNotSignedIn:    selfCheckOnly,
	msgs.CheckPaperNearEnd:   selfCheckOnly,
	msgs.CheckPINPadMissing:  selfCheckOnly,
	msgs.CheckPINPadNoKey:    selfCheckOnly,
	msgs.CheckPrinterMissing: selfCheckOnly,
	msgs.CheckProblems:       selfCheckOnly,
	msgs.CheckReaderFailed:   selfCheckOnly,
	msgs.CheckReaderMissing:  selfCheckOnly,
	msgs.CheckTimeout:        selfCheckOnly,
	msgs.NeedClock:           barredAtStart,
	msgs.NeedConsole:         barredAtStart,
	msgs.NeedHost:            barredAtStart,
	msgs.NeedJournal:         barredAtStart,
	msgs.NeedKeys:            barredAtStart,
	msgs.NeedPINPad:          barredAtStart,
	msgs.NeedPrinter:         barredAtStart,
	msgs.NeedReader:          barredAtStart,
	msgs.NeedTMK:             barredAtStart,
	msgs.JournalFailed:       "a failing journal (disk full, corrupt file): tested in internal/txn and cmd/posd, not reachable with a healthy bbolt file",
	msgs.NotAvailable:        "posd's fatal start-up screen for a non-journal error: the runner starts terminals that work",
	msgs.SendFailed:          "a write error on an open connection: host down shows connect failure instead; tested in internal/hostlink",
	msgs.SignInNeeded:        "a host answer asking for sign-in (A0 / MAC key unknown): the simulator keeps the session; tested in internal/hostlink",
	msgs.Timeout:             "the operator or card timeout: scenarios have no clock to advance; the timeouts are context deadlines tested in internal/txn",
	msgs.CardBlocked:         "no blocked card among the simulator's cards; SELECT 6A81 is tested in emv (TestSelection_PSE6A81_CardBlocked)",
	msgs.ChooseApp:           "no test card has two applications; candidate-list choice is tested in emv (steps) and internal/txn",
	msgs.ChipNotSupported:    "the scenario terminal always has an EMV kernel and every chip transaction reads the chip",
	msgs.PrinterFailed:       "a printer error other than paper out or cover open (which scenarios show): the fallback text of an unknown print error",
	msgs.RiskAfterHours:      "depends on the wall clock; internal/risk tests it with a fixed clock",
	msgs.IDOfficer:           idKindNotOnTestCard,
	msgs.IDPassport:          idKindNotOnTestCard,
	msgs.IDEntry:             idKindNotOnTestCard,
	msgs.IDTemporary:         idKindNotOnTestCard,
	msgs.IDOther:             idKindNotOnTestCard,
}

const (
	selfCheckOnly       = "start-up self-check failure: the simulators start healthy; internal/selfcheck tests it with failing fakes"
	idKindNotOnTestCard = "the test card's identity document is a resident ID card (9F62 00); the other kinds are names in internal/txn's idKinds"
	barredAtStart       = "a function barred by a failed start-up check: tested in internal/selfcheck (allow)"
)

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
