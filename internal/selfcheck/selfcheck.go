package selfcheck

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"countertop/internal/msgs"
)

// Status is how a check came out.
type Status int

// Statuses, from good to bad.
const (
	OK      Status = iota
	Warning        // works, but the merchant should act (paper low, not signed in)
	Failed         // does not work: Report.Allows refuses what needs it
)

func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Warning:
		return "warning"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// MarshalText writes the status's name.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Result is what one check found. Code is what the merchant reads; Detail, for the
// log, is the internal error or the figures behind it.
type Result struct {
	Status Status
	Code   msgs.Code
	Detail string
}

// Check is one self-check. Run must honour ctx; if it does not return by its
// deadline, the runner reports a timeout and leaves it running.
type Check struct {
	Name string // unique in one run: one of the Name constants for the built-in checks
	// Group serialises checks: those with the same non-empty group run one after the
	// other in list order (the clock check reads the journal after its integrity
	// check); all others run concurrently.
	Group string
	// Timeout bounds Run; zero means the runner's Config.Timeout.
	Timeout time.Duration
	Run     func(ctx context.Context) Result
}

// Outcome is one check's result in a report.
type Outcome struct {
	Name string
	Result
	Took time.Duration
}

// Report is the result of a run, in the order the checks were given.
type Report struct {
	Outcomes []Outcome
	// SaleWithoutPrinter is Config.SaleWithoutPrinter at the time of the run.
	SaleWithoutPrinter bool
}

// Run runs checks with the per-check timeouts of cfg and returns their report. It
// returns when every check has returned or timed out, or ctx is done (the checks
// still running are then reported as timed out).
func Run(ctx context.Context, cfg Config, checks ...Check) Report {
	rep := Report{Outcomes: make([]Outcome, len(checks)), SaleWithoutPrinter: cfg.SaleWithoutPrinter}
	var lanes [][]int
	byGroup := map[string]int{}
	for i, c := range checks {
		if c.Group == "" {
			lanes = append(lanes, []int{i})
			continue
		}
		l, ok := byGroup[c.Group]
		if !ok {
			l = len(lanes)
			byGroup[c.Group] = l
			lanes = append(lanes, nil)
		}
		lanes[l] = append(lanes[l], i)
	}
	var wg sync.WaitGroup
	for _, lane := range lanes {
		wg.Go(func() {
			for _, i := range lane {
				rep.Outcomes[i] = runOne(ctx, cfg, checks[i])
			}
		})
	}
	wg.Wait()
	return rep
}

// timeoutGrace is how long past its deadline a check may take to return its own
// result before the runner reports a bare timeout.
const timeoutGrace = 100 * time.Millisecond

func runOne(ctx context.Context, cfg Config, c Check) Outcome {
	timeout := cmp.Or(c.Timeout, cfg.Timeout, DefaultConfig().Timeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	done := make(chan Result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- Result{Status: Failed, Code: failCode(c.Name), Detail: fmt.Sprintf("check panicked: %v", p)}
			}
		}()
		done <- c.Run(ctx)
	}()
	var r Result
	select {
	case r = <-done:
	case <-ctx.Done():
		// A check that honours ctx says best what it was doing: give it a moment.
		grace := time.NewTimer(timeoutGrace)
		defer grace.Stop()
		select {
		case r = <-done:
		case <-grace.C:
			r = Result{Status: Failed, Code: msgs.CheckTimeout, Detail: fmt.Sprintf("no result within %v: %v", timeout, context.Cause(ctx))}
		}
	}
	return Outcome{Name: c.Name, Result: r, Took: time.Since(start)}
}

// Result returns the outcome of the check called name, if it ran.
func (r Report) Result(name string) (Outcome, bool) {
	for _, o := range r.Outcomes {
		if o.Name == name {
			return o, true
		}
	}
	return Outcome{}, false
}

// With returns a copy of the report with the outcome of check o.Name replaced (or
// added): the application records what it learns later, such as a successful sign-in
// or the paper running out, so that Allows stays current.
func (r Report) With(o Outcome) Report {
	out := Report{Outcomes: slices.Clone(r.Outcomes), SaleWithoutPrinter: r.SaleWithoutPrinter}
	for i := range out.Outcomes {
		if out.Outcomes[i].Name == o.Name {
			out.Outcomes[i] = o
			return out
		}
	}
	out.Outcomes = append(out.Outcomes, o)
	return out
}

// Worst returns the worst status in the report (OK for an empty one).
func (r Report) Worst() Status {
	w := OK
	for _, o := range r.Outcomes {
		w = max(w, o.Status)
	}
	return w
}

// Problems returns the outcomes that are not OK, failures first, each group in
// check order.
func (r Report) Problems() []Outcome {
	var out []Outcome
	for _, s := range []Status{Failed, Warning} {
		for _, o := range r.Outcomes {
			if o.Status == s {
				out = append(out, o)
			}
		}
	}
	return out
}

// mark prefixes a screen line by status.
func mark(s Status) string {
	switch s {
	case Warning:
		return "! "
	case Failed:
		return "X "
	}
	return "  "
}

// Lines renders every outcome as one screen line in l, in check order: a mark
// ("  " OK, "! " warning, "X " failed) and the code's text.
func (r Report) Lines(l msgs.Lang) []string {
	lines := make([]string, len(r.Outcomes))
	for i, o := range r.Outcomes {
		lines[i] = mark(o.Status) + msgs.Text(o.Code, l)
	}
	return lines
}

// Summary renders the report for the start-up screen: the title, then "all checks
// passed", or "problems found" followed by one line per problem, failures first.
func (r Report) Summary(l msgs.Lang) (title string, lines []string) {
	title = msgs.Text(msgs.CheckTitle, l)
	probs := r.Problems()
	if len(probs) == 0 {
		return title, []string{msgs.Text(msgs.CheckAllOK, l)}
	}
	lines = []string{msgs.Text(msgs.CheckProblems, l)}
	for _, o := range probs {
		lines = append(lines, mark(o.Status)+msgs.Text(o.Code, l))
	}
	return title, lines
}

// LogValue logs the report as one group per check (status, code, detail, took) and
// the worst status.
func (r Report) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("worst", r.Worst().String())}
	return slog.GroupValue(append(attrs, r.Attrs()...)...)
}

// Attrs returns one slog group per check, in check order.
func (r Report) Attrs() []slog.Attr {
	attrs := make([]slog.Attr, 0, len(r.Outcomes))
	for _, o := range r.Outcomes {
		g := []any{slog.String("status", o.Status.String()), slog.String("code", string(o.Code))}
		if o.Detail != "" {
			g = append(g, slog.String("detail", o.Detail))
		}
		g = append(g, slog.Duration("took", o.Took))
		attrs = append(attrs, slog.Group(o.Name, g...))
	}
	return attrs
}

// Rerun runs checks again (on demand, or after the merchant reloaded paper or the
// terminal signed in) and returns the report with their outcomes replaced.
func (r Report) Rerun(ctx context.Context, cfg Config, checks ...Check) Report {
	out := r
	for _, o := range Run(ctx, cfg, checks...).Outcomes {
		out = out.With(o)
	}
	return out
}
