// Package scenario runs a terminal from a scenario file: keypad presses, card and PIN
// pad events and device faults, with expectations on the display, the printed slips
// and the journal. It assembles the same terminal posd runs (internal/terminal) on the
// in-process simulators of hal/sim and the embedded acquirer simulator, and fails with
// a clear diff when an expectation is not met. The file format is documented in the
// README ("Scenario files").
package scenario

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Step is one line of a scenario.
type Step struct {
	Line int
	Verb string   // press, type, swipe, pin, expect, ...
	Args []string // words; a "quoted string" is one word without its quotes
}

func (s Step) String() string {
	var b strings.Builder
	b.WriteString(s.Verb)
	for _, a := range s.Args {
		if strings.ContainsAny(a, " \t") || a == "" {
			a = strconv.Quote(a)
		}
		b.WriteString(" " + a)
	}
	return b.String()
}

// Scenario is a parsed scenario file.
type Scenario struct {
	Name string
	Path string   // the file it came from; golden paths are relative to its folder
	Set  []string // configuration overrides, "section.key=value"
	// Factory starts the terminal as it leaves the factory: the supervisor must
	// replace the default password first. Otherwise the runner has set the
	// supervisor's password to SupervisorPassword and operator 01's to
	// OperatorPassword, as an installed terminal has them.
	Factory bool
	Steps   []Step
}

// verbs and their argument counts (min, max; -1 unbounded).
var verbs = map[string][2]int{
	"press": {1, -1}, "type": {1, 1}, "swipe": {1, 1}, "swipe-bad": {0, 0},
	"insert": {1, 1}, "tap": {1, 1}, "remove": {0, 0}, "card": {2, 2},
	"pin": {1, 1}, "pin-cancel": {0, 0}, "pin-bypass": {0, 0}, "pinpad": {1, 1},
	"printer": {1, 2}, "host": {1, 3}, "restart": {0, 0}, "expect": {1, -1},
}

// expectations and their argument counts, not counting the word itself.
var expectations = map[string][2]int{
	"screen": {1, 1}, "screen-not": {1, 1}, "shown": {1, 1},
	"slips": {1, 1}, "slip": {1, 1}, "slip-not": {1, 1}, "slip-golden": {2, 2}, "transcript-golden": {1, 1},
	"journal": {1, -1}, "journal-count": {1, 1}, "pinpad": {1, 1}, "reversal": {1, 1}, "host-ledger": {1, -1},
}

// ErrSyntax marks a scenario file that cannot be parsed.
var ErrSyntax = errors.New("scenario syntax")

// ParseFile reads a scenario file.
func ParseFile(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sc.Path = path
	return sc, nil
}

// Parse reads a scenario.
func Parse(r io.Reader) (*Scenario, error) {
	sc := &Scenario{}
	in := bufio.NewScanner(r)
	for n := 1; in.Scan(); n++ {
		words, err := split(in.Text())
		if err != nil {
			return nil, fmt.Errorf("line %d: %v: %w", n, err, ErrSyntax)
		}
		if len(words) == 0 {
			continue
		}
		st := Step{Line: n, Verb: words[0], Args: words[1:]}
		switch st.Verb {
		case "scenario":
			if len(st.Args) != 1 {
				return nil, fmt.Errorf("line %d: scenario takes one quoted name: %w", n, ErrSyntax)
			}
			sc.Name = st.Args[0]
			continue
		case "factory":
			if len(st.Args) != 0 || len(sc.Steps) > 0 {
				return nil, fmt.Errorf("line %d: factory takes no arguments and comes before the first step: %w", n, ErrSyntax)
			}
			sc.Factory = true
			continue
		case "set":
			if len(st.Args) != 1 || !strings.Contains(st.Args[0], "=") || len(sc.Steps) > 0 {
				return nil, fmt.Errorf("line %d: set section.key=value, before the first step: %w", n, ErrSyntax)
			}
			sc.Set = append(sc.Set, st.Args[0])
			continue
		}
		lim, ok := verbs[st.Verb]
		if !ok {
			return nil, fmt.Errorf("line %d: unknown step %q: %w", n, st.Verb, ErrSyntax)
		}
		if err := arity(st.Verb, len(st.Args), lim); err != nil {
			return nil, fmt.Errorf("line %d: %v: %w", n, err, ErrSyntax)
		}
		if st.Verb == "expect" {
			lim, ok := expectations[st.Args[0]]
			if !ok {
				return nil, fmt.Errorf("line %d: unknown expectation %q: %w", n, st.Args[0], ErrSyntax)
			}
			if err := arity("expect "+st.Args[0], len(st.Args)-1, lim); err != nil {
				return nil, fmt.Errorf("line %d: %v: %w", n, err, ErrSyntax)
			}
		}
		sc.Steps = append(sc.Steps, st)
	}
	if err := in.Err(); err != nil {
		return nil, err
	}
	if sc.Name == "" {
		return nil, fmt.Errorf("no `scenario \"name\"` line: %w", ErrSyntax)
	}
	return sc, nil
}

func arity(what string, n int, lim [2]int) error {
	if n < lim[0] || (lim[1] >= 0 && n > lim[1]) {
		return fmt.Errorf("%s takes %d..%d arguments, got %d", what, lim[0], lim[1], n)
	}
	return nil
}

// split cuts a line into words: spaces separate, "double quotes" group (with Go
// escapes), # starts a comment outside quotes.
func split(line string) ([]string, error) {
	var words []string
	for i := 0; i < len(line); {
		switch c := line[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '#':
			return words, nil
		case c == '"':
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' {
					j++
				}
			}
			if j >= len(line) {
				return nil, errors.New("unterminated quote")
			}
			w, err := strconv.Unquote(line[i : j+1])
			if err != nil {
				return nil, fmt.Errorf("bad quoted text %s", line[i:j+1])
			}
			words = append(words, w)
			i = j + 1
		default:
			j := i
			for j < len(line) && line[j] != ' ' && line[j] != '\t' {
				j++
			}
			words = append(words, line[i:j])
			i = j
		}
	}
	return words, nil
}
