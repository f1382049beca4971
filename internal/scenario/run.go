package scenario

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"

	"countertop/emv/card"
	"countertop/hal"
	"countertop/hal/sim"
	"countertop/internal/acquirer"
	"countertop/internal/cardprofile"
	"countertop/internal/config"
	"countertop/internal/operators"
	"countertop/internal/terminal"
	"countertop/internal/txtype"
	"countertop/store"
)

// Options tune a run.
type Options struct {
	// DBPath keeps the journal in this file; empty uses a temporary file.
	DBPath string
	// StepTimeout bounds each wait for the terminal (default 10 s).
	StepTimeout time.Duration
	// Log receives the terminal's logs (discarded when nil).
	Log *slog.Logger
	// Update rewrites golden slips instead of comparing them.
	Update bool
	// Set holds configuration overrides applied after the scenario's own.
	Set []string
	// Screens, when set, receives every screen the terminal showed, at the end.
	Screens func([]hal.Screen)
}

// Failure is an expectation that was not met, or a step the terminal did not take.
type Failure struct {
	Scenario string
	Path     string
	Step     Step
	Detail   string
}

func (f *Failure) Error() string {
	where := f.Path
	if where == "" {
		where = "scenario"
	}
	return fmt.Sprintf("%s:%d: scenario %q: %s\n%s", where, f.Step.Line, f.Scenario, f.Step, indent(f.Detail))
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n")
}

// runner holds one run's devices and terminal.
type runner struct {
	sc        *Scenario
	opt       Options
	act       *sim.Activity
	keypad    *sim.Keypad
	display   *sim.Display
	reader    *sim.CardReader
	pinpad    *sim.PINPad
	printer   *sim.Printer
	cards     []cardprofile.Profile
	term      *terminal.Terminal
	acq       *acquirer.Server
	acqConfig acquirer.Config
	cfg       config.Config
	stop      func() error // stops the running terminal
	emvKeys   *card.Keys   // the virtual cards' test PKI, loaded on first insert
	since     uint64       // Activity generation before the last input
	mark      int          // display transcript length at the last input
}

// The passwords of an installed terminal in scenarios (see Scenario.Factory).
const (
	SupervisorPassword = "802413"
	OperatorPassword   = "2580"
)

// testATR is the answer to reset of the virtual cards (T=0 and T=1, historical bytes
// of a typical PBOC card).
var testATR = []byte{0x3B, 0x6E, 0x00, 0x00, 0x00, 0x31, 0xC0, 0x71, 0xD6, 0x65, 0x11, 0x16, 0x02, 0x01, 0x83, 0x90, 0x00}

// settleTime is how long the terminal must stay waiting, with no new wait starting,
// before the runner believes it has reached a prompt. The app waits on the keypad and
// the card reader from two goroutines that start a moment apart.
const settleTime = 25 * time.Millisecond

// Run runs one scenario on a fresh terminal with simulated devices.
func Run(ctx context.Context, sc *Scenario, o Options) (err error) {
	if o.StepTimeout <= 0 {
		o.StepTimeout = 10 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	cfg := config.Default()
	cfg.Devices.Console = "sim"
	// Scenarios run at any hour: the business-hours alarm, which depends on the wall
	// clock, is off unless a scenario sets it (internal/risk tests it on a fixed clock).
	cfg.Risk.BusinessHours.Enabled = false
	for _, s := range append(append([]string{}, sc.Set...), o.Set...) {
		if err := cfg.Set(s); err != nil {
			return fmt.Errorf("%s: %w", sc.Name, err)
		}
	}
	cfg.Journal.Path = o.DBPath
	if o.DBPath == "" {
		dir, err := os.MkdirTemp("", "countertop-scenario-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.Journal.Path = filepath.Join(dir, "journal.db")
	}
	tmk, _, err := terminal.Keys(cfg)
	if err != nil {
		return err
	}
	r := &runner{sc: sc, opt: o, act: sim.NewActivity(), display: sim.NewDisplay(), printer: sim.NewPrinter()}
	r.keypad = sim.NewKeypad(r.act)
	r.reader = sim.NewCardReader(r.act)
	r.pinpad = sim.NewPINPad(r.act, tmk)
	if r.cards, err = terminal.Cards(cfg); err != nil {
		return err
	}
	// The runner owns the acquirer simulator, as a real host outlives the terminal:
	// `restart` reopens the terminal on the same journal against the same host.
	if r.acqConfig, err = terminal.AcquirerConfig(cfg, o.Log.With("component", "acquirer-sim")); err != nil {
		return err
	}
	if r.acq, err = acquirer.NewServer(r.acqConfig); err != nil {
		return err
	}
	defer func() { r.acq.Close() }() // host steps may replace it
	cfg.Host.Mode, cfg.Host.Addr = "tcp", r.acq.Addr()
	r.cfg = cfg
	if err := r.start(ctx); err != nil {
		return err
	}
	defer func() {
		if serr := r.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	for _, st := range sc.Steps {
		if err := r.step(ctx, st); err != nil {
			return err
		}
	}
	if err := r.settle(ctx, Step{Line: len(sc.Steps), Verb: "(end)"}, nil); err != nil {
		return err
	}
	if o.Screens != nil {
		o.Screens(r.display.Transcript())
	}
	if left := r.keypad.Pending() + r.reader.Pending() + r.pinpad.Pending(); left > 0 {
		return r.fail(Step{Verb: "(end)"}, fmt.Sprintf("%d scripted inputs were never read (keypad %d, card %d, pin pad %d)",
			left, r.keypad.Pending(), r.reader.Pending(), r.pinpad.Pending()))
	}
	return nil
}

// start opens the terminal on the runner's devices and runs it.
func (r *runner) start(ctx context.Context) error {
	t, err := terminal.Open(r.cfg, terminal.Devices{Reader: r.reader, PINPad: r.pinpad, Printer: r.printer,
		Keypad: r.keypad, Display: r.display}, r.opt.Log)
	if err != nil {
		return err
	}
	r.term = t
	if !r.sc.Factory && t.Operators.MustChange(operators.Supervisor) {
		err := errors.Join(t.Operators.SetPassword(operators.Supervisor, operators.DefaultSupervisorPassword, SupervisorPassword),
			t.Operators.SetPassword("01", operators.DefaultOperatorPassword, OperatorPassword))
		if err != nil {
			t.Close()
			return fmt.Errorf("install operator passwords: %w", err)
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- t.Run(runCtx) }()
	r.stop = func() error {
		cancel()
		var err error
		select {
		case err = <-done:
			if err != nil {
				err = fmt.Errorf("terminal: %w", err)
			}
		case <-time.After(r.opt.StepTimeout):
			err = errors.New("terminal did not stop after its context was cancelled")
		}
		return errors.Join(err, t.Close())
	}
	return nil
}

func (r *runner) fail(st Step, detail string) error {
	return &Failure{Scenario: r.sc.Name, Path: r.sc.Path, Step: st, Detail: detail}
}

func (r *runner) screenText() string {
	return screenText(r.display.Current())
}

func screenText(s hal.Screen) string {
	return "| " + strings.Join(append([]string{s.Title}, s.Lines...), "\n| ")
}

// settle waits until the terminal has started a new wait for input since the last
// input and stays waiting for settleTime; want, when set, says which device must be
// waiting.
func (r *runner) settle(ctx context.Context, st Step, want func(sim.Waiting) bool) error {
	ctx, cancel := context.WithTimeout(ctx, r.opt.StepTimeout)
	defer cancel()
	for {
		w, err := r.act.WaitIdle(ctx, r.since)
		if err != nil {
			return r.fail(st, "the terminal did not come back to a prompt within "+r.opt.StepTimeout.String()+
				"\nthe screen shows:\n"+r.screenText())
		}
		g := r.act.Generation()
		select {
		case <-time.After(settleTime):
		case <-ctx.Done():
			return r.fail(st, "cancelled")
		}
		if r.act.Generation() != g || r.act.Waiting() != w {
			continue
		}
		if want != nil && !want(w) {
			return r.fail(st, fmt.Sprintf("the terminal is not waiting for this input (waiting: keypad %v, card %v, pin pad %v)\nthe screen shows:\n%s",
				w.Keypad, w.Card, w.PIN, r.screenText()))
		}
		return nil
	}
}

// input delivers one scripted input once the terminal waits for it.
func (r *runner) input(ctx context.Context, st Step, want func(sim.Waiting) bool, deliver func()) error {
	if err := r.settle(ctx, st, want); err != nil {
		return err
	}
	r.since = r.act.Generation()
	r.mark = r.display.Len()
	deliver()
	return nil
}

var (
	keypad = func(w sim.Waiting) bool { return w.Keypad }
	reader = func(w sim.Waiting) bool { return w.Card }
	pinpad = func(w sim.Waiting) bool { return w.PIN }
)

func (r *runner) step(ctx context.Context, st Step) error {
	a := st.Args
	switch st.Verb {
	case "press":
		for _, name := range a {
			k, err := hal.ParseKey(strings.ToUpper(name))
			if err != nil {
				return r.fail(st, err.Error())
			}
			if err := r.input(ctx, st, keypad, func() { r.keypad.Press(k) }); err != nil {
				return err
			}
		}
	case "type":
		digits := a[0]
		if ref, ok := strings.CutPrefix(digits, "@"); ok {
			v, err := r.lastRecordRef(ref)
			if err != nil {
				return r.fail(st, err.Error())
			}
			digits = v
		}
		for _, c := range digits {
			if c < '0' || c > '9' {
				return r.fail(st, "type takes digits only")
			}
			if err := r.input(ctx, st, keypad, func() { r.keypad.Press(hal.Key(c)) }); err != nil {
				return err
			}
		}
	case "swipe":
		p, err := cardprofile.Find(r.cards, a[0])
		if err != nil {
			return r.fail(st, err.Error())
		}
		t2, err := p.Track2()
		if err != nil {
			return r.fail(st, err.Error())
		}
		return r.input(ctx, st, reader, func() { r.reader.Swipe(hal.Tracks{Track2: t2, Name: p.Holder}) })
	case "insert", "tap":
		p, err := cardprofile.Find(r.cards, a[0])
		if err != nil {
			return r.fail(st, err.Error())
		}
		if p.Chip == nil {
			return r.fail(st, "test card "+a[0]+" has no chip")
		}
		if r.emvKeys == nil {
			k, err := card.LoadKeys()
			if err != nil {
				return r.fail(st, "test card keys: "+err.Error())
			}
			r.emvKeys = &k
		}
		chip, err := card.New(p, *r.emvKeys)
		if err != nil {
			return r.fail(st, err.Error())
		}
		if st.Verb == "tap" {
			return r.input(ctx, st, reader, func() { r.reader.Tap(chip, testATR) })
		}
		return r.input(ctx, st, reader, func() { r.reader.Insert(chip, testATR) })
	case "remove":
		r.reader.Remove()
	case "card":
		n, err := strconv.Atoi(at(a, 1))
		if a[0] != "remove-after" || err != nil {
			return r.fail(st, "card remove-after APDUS")
		}
		r.reader.RemoveAfter(n)
	case "swipe-bad":
		return r.input(ctx, st, reader, func() { r.reader.SwipeError(errors.New("track 2 LRC mismatch")) })
	case "pin":
		return r.input(ctx, st, pinpad, func() { r.pinpad.Enter(a[0]) })
	case "pin-cancel":
		return r.input(ctx, st, pinpad, r.pinpad.Cancel)
	case "pin-bypass":
		return r.input(ctx, st, pinpad, r.pinpad.Bypass)
	case "pinpad":
		switch a[0] {
		case "unplug":
			r.pinpad.Unplug()
		case "replug":
			r.pinpad.Replug()
		default:
			return r.fail(st, "pinpad unplug|replug")
		}
	case "printer":
		return r.printerStep(st)
	case "host":
		return r.hostStep(st)
	case "restart":
		// A power cut between transactions: the terminal stops, the journal closes,
		// and a new terminal starts on the same file (the PIN pad keeps no key).
		if err := r.stop(); err != nil {
			return r.fail(st, err.Error())
		}
		tmk, _, _ := terminal.Keys(r.cfg)
		r.pinpad = sim.NewPINPad(r.act, tmk)
		r.mark = r.display.Len()
		if err := r.start(ctx); err != nil {
			return r.fail(st, err.Error())
		}
	case "expect":
		if err := r.settle(ctx, st, nil); err != nil {
			return err
		}
		return r.expect(st)
	}
	return nil
}

func (r *runner) printerStep(st Step) error {
	a := st.Args
	switch a[0] {
	case "ready":
		r.printer.SetStatus(hal.PrinterReady)
	case "paper-out":
		r.printer.SetStatus(hal.PrinterPaperOut)
	case "cover-open":
		r.printer.SetStatus(hal.PrinterCoverOpen)
	case "offline":
		r.printer.SetStatus(hal.PrinterOffline)
	case "paper-out-after":
		n, err := strconv.Atoi(at(a, 1))
		if err != nil {
			return r.fail(st, "printer paper-out-after LINES")
		}
		r.printer.PaperOutAfter(n)
	default:
		return r.fail(st, "printer ready|paper-out|cover-open|offline|paper-out-after LINES")
	}
	return nil
}

func at(a []string, i int) string {
	if i < len(a) {
		return a[i]
	}
	return ""
}

func (r *runner) expect(st Step) error {
	kind, a := st.Args[0], st.Args[1:]
	switch kind {
	case "screen":
		if !strings.Contains(r.screenText(), a[0]) {
			return r.fail(st, fmt.Sprintf("%q is not on the screen; the screen shows:\n%s", a[0], r.screenText()))
		}
	case "screen-not":
		if strings.Contains(r.screenText(), a[0]) {
			return r.fail(st, fmt.Sprintf("%q is on the screen:\n%s", a[0], r.screenText()))
		}
	case "shown":
		var seen []string
		for _, s := range r.display.Since(r.mark) {
			t := screenText(s)
			if strings.Contains(t, a[0]) {
				return nil
			}
			seen = append(seen, t)
		}
		return r.fail(st, fmt.Sprintf("%q was not shown since the last input; screens shown:\n%s", a[0], strings.Join(seen, "\n  --\n")))
	case "pinpad":
		shown := strings.Join(r.pinpad.Shown(), "\n")
		if !strings.Contains(shown, a[0]) {
			return r.fail(st, fmt.Sprintf("%q was not shown on the PIN pad; it showed:\n%s", a[0], shown))
		}
	case "slips":
		want, err := strconv.Atoi(a[0])
		if err != nil {
			return r.fail(st, "expect slips N")
		}
		if got := len(r.printer.Printed()); got != want {
			return r.fail(st, fmt.Sprintf("%d slips printed, want %d", got, want))
		}
	case "slip":
		docs := r.printer.Printed()
		if len(docs) == 0 {
			return r.fail(st, "no slip was printed")
		}
		if last := docs[len(docs)-1].Text(); !strings.Contains(last, a[0]) {
			return r.fail(st, fmt.Sprintf("%q is not on the last slip:\n%s", a[0], last))
		}
	case "slip-not":
		for i, d := range r.printer.Printed() {
			if strings.Contains(d.Text(), a[0]) {
				return r.fail(st, fmt.Sprintf("%q is on slip %d:\n%s", a[0], i+1, d.Text()))
			}
		}
	case "slip-golden":
		return r.expectGolden(st, a[0], a[1])
	case "transcript-golden":
		return r.expectTranscript(st, a[0])
	case "journal":
		return r.expectJournal(st, a)
	case "journal-count":
		want, err := strconv.Atoi(a[0])
		if err != nil {
			return r.fail(st, "expect journal-count N")
		}
		recs, err := r.term.Journal.List(store.Filter{})
		if err != nil {
			return r.fail(st, err.Error())
		}
		if len(recs) != want {
			return r.fail(st, fmt.Sprintf("the journal has %d records, want %d", len(recs), want))
		}
	case "reversal":
		rec, pending, err := r.term.Journal.PendingReversal()
		if err != nil {
			return r.fail(st, err.Error())
		}
		switch {
		case a[0] == "none" && pending:
			return r.fail(st, fmt.Sprintf("a reversal is pending for record %d (reason %s)", rec.ID, rec.ReversalReason))
		case a[0] == "pending" && !pending:
			return r.fail(st, "no reversal is pending")
		case a[0] != "none" && a[0] != "pending":
			return r.fail(st, "expect reversal none|pending")
		}
	case "host-ledger":
		return r.expectLedger(st, a)
	}
	return nil
}

// adviceName is the advice a record owes the host, "none" when it owes none.
func adviceName(t txtype.Type) string {
	if t == txtype.Unknown {
		return "none"
	}
	return t.String()
}

// clockText matches the clock on idle screens, the one thing a transcript holds that
// changes from run to run.
var clockText = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}`)

// expectTranscript compares every screen shown since the scenario began with a
// golden file (the idle clock normalised), rewritten with -update.
func (r *runner) expectTranscript(st Step, file string) error {
	var b strings.Builder
	for i, s := range r.display.Transcript() {
		fmt.Fprintf(&b, "--- screen %d\n%s\n", i+1, screenText(s))
	}
	got := clockText.ReplaceAllString(b.String(), "YYYY-MM-DD hh:mm")
	path := file
	if r.sc.Path != "" && !filepath.IsAbs(file) {
		path = filepath.Join(filepath.Dir(r.sc.Path), file)
	}
	if r.opt.Update {
		return os.WriteFile(path, []byte(got), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		return r.fail(st, fmt.Sprintf("read golden transcript: %v (run with -update to create it)", err))
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
		return r.fail(st, "display transcript differs from "+file+" (-want +got):\n"+diff)
	}
	return nil
}

func (r *runner) expectGolden(st Step, nth, file string) error {
	n, err := strconv.Atoi(nth)
	docs := r.printer.Printed()
	if err != nil || n < 1 || n > len(docs) {
		return r.fail(st, fmt.Sprintf("slip %s does not exist (%d printed)", nth, len(docs)))
	}
	path := file
	if r.sc.Path != "" && !filepath.IsAbs(file) {
		path = filepath.Join(filepath.Dir(r.sc.Path), file)
	}
	got := docs[n-1].Text()
	if r.opt.Update {
		return os.WriteFile(path, []byte(got), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		return r.fail(st, fmt.Sprintf("read golden slip: %v (run with -update to create it)", err))
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
		return r.fail(st, "slip differs from "+file+" (-want +got):\n"+diff)
	}
	return nil
}

// lastRecordRef is what `type @rrn` and `type @date` type: the host's reference
// number or date (MMDD) of the last journal record, which a script cannot know.
func (r *runner) lastRecordRef(ref string) (string, error) {
	rec, err := r.term.Journal.Last()
	if err != nil {
		return "", fmt.Errorf("type @%s: no journal record: %w", ref, err)
	}
	switch ref {
	case "rrn":
		return rec.RRN, nil
	case "date":
		return rec.HostTime.Format("0102"), nil
	}
	return "", fmt.Errorf("type @%s: want @rrn or @date", ref)
}

// expectJournal compares fields of the last journal record: type, state, rc, amount,
// pan, stan, batch, auth, rrn, printed, reversal, message, entry, advice (due), and for chip
// transactions aid, label, ac, tvr, tsi; "*" means any non-empty value.
func (r *runner) expectJournal(st Step, args []string) error {
	rec, err := r.term.Journal.Last()
	if err != nil {
		return r.fail(st, "no journal record: "+err.Error())
	}
	got := map[string]string{
		"type": rec.Type.String(), "state": rec.State.String(), "rc": rec.RespCode,
		"amount": rec.Amount.Decimal(), "pan": rec.MaskedPAN, "stan": rec.STAN.String(),
		"batch": rec.Batch.String(), "auth": rec.AuthCode, "rrn": rec.RRN,
		"printed": strconv.FormatBool(rec.Printed), "reversal": rec.ReversalReason, "message": rec.Message,
		"entry": rec.Entry.String(), "advice": adviceName(rec.Advice),
	}
	if c := rec.Chip; c != nil {
		got["aid"], got["label"], got["ac"], got["tvr"], got["tsi"] = c.AID, c.Label, c.CryptogramType, c.TVR, c.TSI
	}
	want, have := map[string]string{}, map[string]string{}
	for _, kv := range args {
		k, v, ok := strings.Cut(kv, "=")
		g, known := got[k]
		if !known && (k == "aid" || k == "label" || k == "ac" || k == "tvr" || k == "tsi") {
			known = true // a record without chip data: the field is empty
		}
		if !ok || !known {
			return r.fail(st, fmt.Sprintf("%q: want field=value with a field of %s", kv, "type state rc amount pan stan batch auth rrn printed reversal message entry advice aid label ac tvr tsi"))
		}
		if v == "*" && g != "" {
			v = g
		}
		want[k], have[k] = v, g
	}
	if diff := cmp.Diff(want, have); diff != "" {
		return r.fail(st, fmt.Sprintf("last journal record %d (-want +got):\n%s", rec.ID, diff))
	}
	return nil
}
