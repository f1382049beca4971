package selfcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"

	"countertop/hal"
	"countertop/internal/msgs"
	"countertop/internal/txtype"
	"countertop/store"
)

var (
	errGone  = &hal.DeviceError{Device: "x", Op: "op", Err: hal.ErrDeviceGone}
	errBroke = errors.New("firmware says 0x6F")
	build    = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	now      = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
)

func TestChecks(t *testing.T) {
	tests := []struct {
		name  string
		check Check
		want  Result
	}{
		{"reader: no card answers", CardReader(&reader{err: &hal.DeviceError{Device: "r", Op: "transmit", Err: hal.ErrNoCard}}),
			Result{OK, msgs.CheckReaderOK, ""}},
		{"reader: a card left in", CardReader(&reader{resp: []byte{1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0}}),
			Result{OK, msgs.CheckReaderOK, "a card is in the reader"}},
		{"reader: gone", CardReader(&reader{err: errGone}), Result{Failed, msgs.CheckReaderMissing, "x op: device not present"}},
		{"reader: other fault", CardReader(&reader{err: errBroke}), Result{Failed, msgs.CheckReaderFailed, "firmware says 0x6F"}},
		{"reader: not configured", CardReader(nil), Result{Failed, msgs.CheckReaderMissing, "no card reader configured"}},
		{"reader: prober says fine", CardReader(&probingReader{reader: reader{err: errBroke}}), Result{OK, msgs.CheckReaderOK, ""}},
		{"reader: prober fails", CardReader(&probingReader{probeErr: errBroke}), Result{Failed, msgs.CheckReaderFailed, "firmware says 0x6F"}},

		{"pin pad: shows", PINPad(&pad{}), Result{OK, msgs.CheckPINPadOK, ""}},
		{"pin pad: gone", PINPad(&pad{showErr: errGone}), Result{Failed, msgs.CheckPINPadMissing, "x op: device not present"}},
		{"pin pad: fault", PINPad(&pad{showErr: errBroke}), Result{Failed, msgs.PINPadFailed, "firmware says 0x6F"}},
		{"pin pad: no key", PINPad(&probingPad{probeErr: hal.ErrNoKey}), Result{Warning, msgs.CheckPINPadNoKey, "no working key in pin pad"}},
		{"pin pad: not configured", PINPad(nil), Result{Failed, msgs.CheckPINPadMissing, "no pin pad configured"}},

		{"printer: ready", Printer(&printer{status: hal.PrinterReady}), Result{OK, msgs.PrinterOK, ""}},
		{"printer: paper low", Printer(&printer{status: hal.PrinterPaperNearEnd}), Result{Warning, msgs.CheckPaperNearEnd, "paper-near-end"}},
		{"printer: paper out", Printer(&printer{status: hal.PrinterPaperOut}), Result{Failed, msgs.PrinterOutPaper, "printer out of paper"}},
		{"printer: cover open", Printer(&printer{status: hal.PrinterCoverOpen}), Result{Failed, msgs.PrinterCoverOpen, "printer cover open"}},
		{"printer: offline", Printer(&printer{status: hal.PrinterOffline}), Result{Failed, msgs.PrinterOffline, "printer offline"}},
		{"printer: unplugged", Printer(&printer{err: errGone}), Result{Failed, msgs.PrinterOffline, "printer status: x op: device not present"}},
		{"printer: status fails", Printer(&printer{err: errBroke}), Result{Failed, msgs.PrinterFailed, "printer status: firmware says 0x6F"}},
		{"printer: not configured", Printer(nil), Result{Failed, msgs.CheckPrinterMissing, "no printer configured"}},

		{"keypad: present, untestable", Keypad(keypad{}), Result{OK, msgs.CheckKeypadUntested, "no self-test: checked on the first key press"}},
		{"keypad: self-test passes", Keypad(probingKeypad{}), Result{OK, msgs.CheckKeypadOK, ""}},
		{"keypad: self-test fails", Keypad(probingKeypad{probeErr: errBroke}), Result{Failed, msgs.CheckKeypadFailed, "firmware says 0x6F"}},
		{"keypad: not configured", Keypad(nil), Result{Failed, msgs.CheckKeypadMissing, "no keypad configured"}},

		{"display: shows", Display(&display{}, msgs.ZH), Result{OK, msgs.CheckDisplayOK, ""}},
		{"display: fault", Display(&display{err: errBroke}, msgs.ZH), Result{Failed, msgs.CheckDisplayFailed, "firmware says 0x6F"}},
		{"display: gone", Display(&display{err: errGone}, msgs.ZH), Result{Failed, msgs.CheckDisplayMissing, "x op: device not present"}},
		{"display: not configured", Display(nil, msgs.ZH), Result{Failed, msgs.CheckDisplayMissing, "no display configured"}},

		{"journal: sound", JournalIntegrity(journal{}), Result{OK, msgs.CheckJournalOK, ""}},
		{"journal: corrupt", JournalIntegrity(journal{err: fmt.Errorf("check journal: %w", store.ErrCorrupt)}),
			Result{Failed, msgs.JournalFailed, "check journal: " + store.ErrCorrupt.Error()}},
		{"journal: none", JournalIntegrity(nil), Result{Failed, msgs.JournalFailed, "no journal"}},

		{"clock: fine", Clock(fixed(now), build, last{rec: store.Record{ID: 7, CreatedAt: now.Add(-time.Hour)}}, time.Minute),
			Result{OK, msgs.CheckClockOK, ""}},
		{"clock: before the build", Clock(fixed(time.Date(1970, 1, 1, 0, 0, 5, 0, time.UTC)), build, nil, time.Minute),
			Result{Failed, msgs.CheckClockWrong, "clock 1970-01-01T00:00:05Z is before the build date 2026-11-01T00:00:00Z"}},
		{"clock: at the build", Clock(fixed(build), build, nil, time.Minute), Result{OK, msgs.CheckClockOK, ""}},
		{"clock: year 2100", Clock(fixed(Latest), build, nil, time.Minute),
			Result{Failed, msgs.CheckClockWrong, "clock 2100-01-01T00:00:00Z is not before 2100-01-01T00:00:00Z"}},
		{"clock: behind the journal", Clock(fixed(now), build, last{rec: store.Record{ID: 7, CreatedAt: now.Add(time.Hour)}}, time.Minute),
			Result{Warning, msgs.CheckClockBehind, "clock 2026-11-27T09:00:00Z is 1h0m0s behind the last record 7 (2026-11-27T10:00:00Z)"}},
		{"clock: a little behind, within tolerance", Clock(fixed(now), build, last{rec: store.Record{ID: 7, CreatedAt: now.Add(time.Minute)}}, time.Minute),
			Result{OK, msgs.CheckClockOK, ""}},
		{"clock: empty journal", Clock(fixed(now), build, last{err: fmt.Errorf("last record: %w", store.ErrNotFound)}, time.Minute),
			Result{OK, msgs.CheckClockOK, "empty journal"}},

		{"host: echo answered", Host(&echoer{}, 0), Result{OK, msgs.CheckHostOK, ""}},
		{"host: echo fails", Host(&echoer{err: errors.New("connect: refused")}, 0), Result{Failed, msgs.CheckHostFailed, "echo test: connect: refused"}},
		{"host: none", Host(nil, 0), Result{Failed, msgs.CheckHostFailed, "no host link configured"}},

		{"keys: signed in", Keys(keys{tmk: true, signedIn: true}), Result{OK, msgs.CheckKeysOK, ""}},
		{"keys: not signed in", Keys(keys{tmk: true}), Result{Warning, msgs.CheckNotSignedIn, "no working keys"}},
		{"keys: no master key", Keys(keys{}), Result{Failed, msgs.CheckNoTMK, "terminal master key not loaded"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Run(context.Background(), DefaultConfig(), tt.check)
			if len(rep.Outcomes) != 1 || rep.Outcomes[0].Name != tt.check.Name {
				t.Fatalf("outcomes %+v", rep.Outcomes)
			}
			if d := cmp.Diff(tt.want, rep.Outcomes[0].Result); d != "" {
				t.Errorf("result (-want +got):\n%s", d)
			}
			if !msgs.Known(tt.want.Code) {
				t.Errorf("code %s is not in the catalogue", tt.want.Code)
			}
		})
	}
}

func TestProbesTouchNothing(t *testing.T) {
	r := &reader{err: hal.ErrNoCard}
	Run(context.Background(), DefaultConfig(), CardReader(r))
	if d := cmp.Diff([][]byte{getChallenge}, r.sent); d != "" {
		t.Errorf("APDUs sent (-want +got):\n%s", d)
	}
	d := &display{}
	Run(context.Background(), DefaultConfig(), Display(d, msgs.EN))
	if diff := cmp.Diff([]hal.Screen{{Title: "SELF-CHECK", Lines: []string{"PROCESSING..."}}}, d.screens); diff != "" {
		t.Errorf("screens (-want +got):\n%s", diff)
	}
	p := &pad{}
	Run(context.Background(), DefaultConfig(), PINPad(p))
	if diff := cmp.Diff([]string{"SELF-CHECK"}, p.shown); diff != "" {
		t.Errorf("pin pad lines (-want +got):\n%s", diff)
	}
}

func TestRunTimeouts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stuck := make(chan struct{})
		defer close(stuck) // lets the check that ignores ctx end with the bubble
		cfg := DefaultConfig()
		cfg.Timeout = 3 * time.Second
		rep := Run(context.Background(), cfg,
			Host(&echoer{block: true}, 20*time.Second),
			Check{Name: "deaf", Run: func(context.Context) Result { <-stuck; return Result{} }},
			Printer(&printer{}),
		)
		want := []Outcome{
			{Name: NameHost, Result: Result{Failed, msgs.CheckHostFailed, "echo test: context deadline exceeded"}, Took: 20 * time.Second},
			{Name: "deaf", Result: Result{Failed, msgs.CheckTimeout, "no result within 3s: context deadline exceeded"}, Took: 3*time.Second + timeoutGrace},
			{Name: NamePrinter, Result: Result{OK, msgs.PrinterOK, ""}},
		}
		if d := cmp.Diff(want, rep.Outcomes); d != "" {
			t.Errorf("outcomes (-want +got):\n%s", d)
		}
	})
}

func TestRunConcurrentlyUnlessGrouped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// a and b only pass if they run at the same time; c and d share a group and
		// must not.
		aUp, bUp, dUp := make(chan struct{}), make(chan struct{}), make(chan struct{})
		meet := func(mine, theirs chan struct{}) func(ctx context.Context) Result {
			return func(ctx context.Context) Result {
				close(mine)
				select {
				case <-theirs:
					return Result{Status: OK}
				case <-ctx.Done():
					return Result{Status: Failed, Detail: "ran alone"}
				}
			}
		}
		c := func(ctx context.Context) Result {
			select {
			case <-dUp:
				return Result{Status: Failed, Detail: "d ran during c"}
			case <-time.After(time.Second):
				return Result{Status: OK}
			}
		}
		d := func(context.Context) Result { close(dUp); return Result{Status: OK} }
		rep := Run(context.Background(), DefaultConfig(),
			Check{Name: "c", Group: "g", Run: c},
			Check{Name: "a", Run: meet(aUp, bUp)},
			Check{Name: "d", Group: "g", Run: d},
			Check{Name: "b", Run: meet(bUp, aUp)},
		)
		want := []Outcome{
			{Name: "c", Took: time.Second},
			{Name: "a"},
			{Name: "d"},
			{Name: "b"},
		}
		if diff := cmp.Diff(want, rep.Outcomes); diff != "" {
			t.Errorf("outcomes (-want +got):\n%s", diff)
		}
	})
}

func TestPanicIsAFailure(t *testing.T) {
	rep := Run(context.Background(), DefaultConfig(), Check{Name: NamePrinter, Run: func(context.Context) Result { panic("oops") }})
	want := Result{Failed, msgs.PrinterFailed, "check panicked: oops"}
	if d := cmp.Diff(want, rep.Outcomes[0].Result); d != "" {
		t.Errorf("result (-want +got):\n%s", d)
	}
}

// report builds a report from "name=status" pairs; every built-in check not named is OK.
func report(saleWithoutPrinter bool, set ...string) Report {
	statuses := map[string]Status{}
	for _, s := range set {
		name, st, _ := strings.Cut(s, "=")
		statuses[name] = map[string]Status{"ok": OK, "warning": Warning, "failed": Failed}[st]
	}
	r := Report{SaleWithoutPrinter: saleWithoutPrinter}
	for _, n := range []string{NameReader, NamePINPad, NamePrinter, NameKeypad, NameDisplay, NameJournal, NameClock, NameHost, NameKeys} {
		r.Outcomes = append(r.Outcomes, Outcome{Name: n, Result: Result{Status: statuses[n], Code: "x"}})
	}
	return r
}

func TestAllows(t *testing.T) {
	all := []txtype.Type{txtype.Sale, txtype.Void, txtype.Refund, txtype.PreAuth, txtype.PreAuthVoid,
		txtype.PreAuthCompletion, txtype.PreAuthCompletionAdvice, txtype.CompletionVoid, txtype.Balance,
		txtype.Settlement, txtype.SignIn, txtype.Echo}
	tests := []struct {
		name   string
		rep    Report
		refuse map[txtype.Type]msgs.Code // every other type in all is allowed
	}{
		{"all well", report(false), nil},
		{"no checks ran", Report{}, nil},
		{"printer out, not allowed without", report(false, "printer=failed"), map[txtype.Type]msgs.Code{
			txtype.Sale: msgs.NeedPrinter, txtype.Void: msgs.NeedPrinter, txtype.Refund: msgs.NeedPrinter,
			txtype.PreAuth: msgs.NeedPrinter, txtype.PreAuthVoid: msgs.NeedPrinter, txtype.PreAuthCompletion: msgs.NeedPrinter,
			txtype.PreAuthCompletionAdvice: msgs.NeedPrinter, txtype.CompletionVoid: msgs.NeedPrinter}},
		{"printer out, allowed without", report(true, "printer=failed"), nil},
		{"paper low is only a warning", report(false, "printer=warning"), nil},
		{"host down", report(false, "host=failed"), map[txtype.Type]msgs.Code{
			txtype.Sale: msgs.NeedHost, txtype.Void: msgs.NeedHost, txtype.Refund: msgs.NeedHost,
			txtype.PreAuth: msgs.NeedHost, txtype.PreAuthVoid: msgs.NeedHost, txtype.PreAuthCompletion: msgs.NeedHost,
			txtype.CompletionVoid: msgs.NeedHost, txtype.Balance: msgs.NeedHost, txtype.Settlement: msgs.NeedHost,
			txtype.SignIn: msgs.NeedHost, txtype.Echo: msgs.NeedHost}},
		{"no pin pad", report(false, "pin-pad=failed"), map[txtype.Type]msgs.Code{txtype.Balance: msgs.NeedPINPad}},
		{"no reader", report(false, "card-reader=failed"), map[txtype.Type]msgs.Code{
			txtype.Sale: msgs.NeedReader, txtype.Refund: msgs.NeedReader, txtype.PreAuth: msgs.NeedReader,
			txtype.PreAuthCompletion: msgs.NeedReader, txtype.Balance: msgs.NeedReader}},
		{"not signed in", report(false, "keys=warning"), map[txtype.Type]msgs.Code{
			txtype.Sale: msgs.NeedKeys, txtype.Void: msgs.NeedKeys, txtype.Refund: msgs.NeedKeys,
			txtype.PreAuth: msgs.NeedKeys, txtype.PreAuthVoid: msgs.NeedKeys, txtype.PreAuthCompletion: msgs.NeedKeys,
			txtype.CompletionVoid: msgs.NeedKeys, txtype.Balance: msgs.NeedKeys, txtype.Settlement: msgs.NeedKeys}},
		{"no master key", report(false, "keys=failed"), map[txtype.Type]msgs.Code{
			txtype.Sale: msgs.NeedTMK, txtype.Void: msgs.NeedTMK, txtype.Refund: msgs.NeedTMK,
			txtype.PreAuth: msgs.NeedTMK, txtype.PreAuthVoid: msgs.NeedTMK, txtype.PreAuthCompletion: msgs.NeedTMK,
			txtype.CompletionVoid: msgs.NeedTMK, txtype.Balance: msgs.NeedTMK, txtype.Settlement: msgs.NeedTMK,
			txtype.SignIn: msgs.NeedTMK}},
		{"journal broken", report(false, "journal=failed"), map[txtype.Type]msgs.Code{
			txtype.Sale: msgs.NeedJournal, txtype.Void: msgs.NeedJournal, txtype.Refund: msgs.NeedJournal,
			txtype.PreAuth: msgs.NeedJournal, txtype.PreAuthVoid: msgs.NeedJournal, txtype.PreAuthCompletion: msgs.NeedJournal,
			txtype.PreAuthCompletionAdvice: msgs.NeedJournal, txtype.CompletionVoid: msgs.NeedJournal, txtype.Settlement: msgs.NeedJournal}},
		{"clock wrong", report(false, "clock=failed"), map[txtype.Type]msgs.Code{
			txtype.Sale: msgs.NeedClock, txtype.Void: msgs.NeedClock, txtype.Refund: msgs.NeedClock,
			txtype.PreAuth: msgs.NeedClock, txtype.PreAuthVoid: msgs.NeedClock, txtype.PreAuthCompletion: msgs.NeedClock,
			txtype.PreAuthCompletionAdvice: msgs.NeedClock, txtype.CompletionVoid: msgs.NeedClock, txtype.Settlement: msgs.NeedClock}},
		{"clock behind is only a warning", report(false, "clock=warning"), nil},
		{"display broken", report(false, "display=failed"), map[txtype.Type]msgs.Code{
			txtype.Sale: msgs.NeedConsole, txtype.Void: msgs.NeedConsole, txtype.Refund: msgs.NeedConsole,
			txtype.PreAuth: msgs.NeedConsole, txtype.PreAuthVoid: msgs.NeedConsole, txtype.PreAuthCompletion: msgs.NeedConsole,
			txtype.PreAuthCompletionAdvice: msgs.NeedConsole, txtype.CompletionVoid: msgs.NeedConsole, txtype.Balance: msgs.NeedConsole}},
		{"the first reason wins", report(false, "journal=failed", "host=failed", "printer=failed"), map[txtype.Type]msgs.Code{
			txtype.Sale: msgs.NeedJournal, txtype.Void: msgs.NeedJournal, txtype.Refund: msgs.NeedJournal,
			txtype.PreAuth: msgs.NeedJournal, txtype.PreAuthVoid: msgs.NeedJournal, txtype.PreAuthCompletion: msgs.NeedJournal,
			txtype.PreAuthCompletionAdvice: msgs.NeedJournal, txtype.CompletionVoid: msgs.NeedJournal, txtype.Settlement: msgs.NeedJournal,
			txtype.Balance: msgs.NeedHost, txtype.SignIn: msgs.NeedHost, txtype.Echo: msgs.NeedHost}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[txtype.Type]msgs.Code{}
			for _, ty := range all {
				ok, why := tt.rep.Allows(ty)
				if ok != (why == "") {
					t.Errorf("Allows(%v) = %v, %q: reason must be given exactly when refused", ty, ok, why)
				}
				if !ok {
					got[ty] = why
				}
			}
			want := tt.refuse
			if want == nil {
				want = map[txtype.Type]msgs.Code{}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("refused (-want +got):\n%s", d)
			}
		})
	}
	for _, c := range []msgs.Code{msgs.NeedJournal, msgs.NeedClock, msgs.NeedConsole, msgs.NeedHost, msgs.NeedTMK,
		msgs.NeedKeys, msgs.NeedReader, msgs.NeedPINPad, msgs.NeedPrinter} {
		if !msgs.Known(c) {
			t.Errorf("reason %s is not in the catalogue", c)
		}
	}
}

func TestPINAndPrintAllowed(t *testing.T) {
	if ok, why := report(false, "pin-pad=failed").PINAllowed(); ok || why != msgs.NeedPINPad {
		t.Errorf("PINAllowed without a pin pad = %v, %q", ok, why)
	}
	if ok, why := report(false).PINAllowed(); !ok || why != "" {
		t.Errorf("PINAllowed = %v, %q", ok, why)
	}
	rep := Run(context.Background(), DefaultConfig(), Printer(&printer{status: hal.PrinterPaperOut}))
	if ok, why := rep.PrintAllowed(); ok || why != msgs.PrinterOutPaper {
		t.Errorf("PrintAllowed with paper out = %v, %q", ok, why)
	}
	// The merchant reloads paper; the application re-checks the printer.
	rep = rep.Rerun(context.Background(), DefaultConfig(), Printer(&printer{status: hal.PrinterReady}))
	if ok, why := rep.PrintAllowed(); !ok || why != "" || len(rep.Outcomes) != 1 {
		t.Errorf("PrintAllowed after reload = %v, %q (%d outcomes)", ok, why, len(rep.Outcomes))
	}
}

func TestWithAddsOrReplaces(t *testing.T) {
	r := Report{Outcomes: []Outcome{{Name: NameHost, Result: Result{Status: Failed}}}}
	r2 := r.With(Outcome{Name: NameHost, Result: Result{Status: OK}}).With(Outcome{Name: NameKeys, Result: Result{Status: Warning}})
	want := []Outcome{{Name: NameHost, Result: Result{Status: OK}}, {Name: NameKeys, Result: Result{Status: Warning}}}
	if d := cmp.Diff(want, r2.Outcomes); d != "" {
		t.Errorf("outcomes (-want +got):\n%s", d)
	}
	if r.Outcomes[0].Status != Failed {
		t.Error("With changed the original report")
	}
}

// sample is a report with one of each status.
func sample() Report {
	return Report{Outcomes: []Outcome{
		{Name: NameReader, Result: Result{OK, msgs.CheckReaderOK, ""}, Took: 3 * time.Millisecond},
		{Name: NamePrinter, Result: Result{Warning, msgs.CheckPaperNearEnd, "paper-near-end"}, Took: 10 * time.Millisecond},
		{Name: NameHost, Result: Result{Failed, msgs.CheckHostFailed, "echo test: connect: refused"}, Took: 2 * time.Second},
	}}
}

func TestRender(t *testing.T) {
	for _, tt := range []struct {
		lang      msgs.Lang
		lines     []string
		title     string
		summary   []string
		allOKLine string
	}{
		{msgs.ZH,
			[]string{"  读卡器正常", "! 打印纸将尽 请换纸", "X 主机连接失败 请检查网络"},
			"开机自检",
			[]string{"自检发现问题", "X 主机连接失败 请检查网络", "! 打印纸将尽 请换纸"},
			"自检通过"},
		{msgs.EN,
			[]string{"  CARD READER OK", "! PAPER LOW, REFILL SOON", "X HOST UNREACHABLE, CHECK NETWORK"},
			"SELF-CHECK",
			[]string{"SELF-CHECK FOUND PROBLEMS", "X HOST UNREACHABLE, CHECK NETWORK", "! PAPER LOW, REFILL SOON"},
			"ALL CHECKS PASSED"},
	} {
		t.Run(tt.lang.String(), func(t *testing.T) {
			r := sample()
			if d := cmp.Diff(tt.lines, r.Lines(tt.lang)); d != "" {
				t.Errorf("Lines (-want +got):\n%s", d)
			}
			title, lines := r.Summary(tt.lang)
			if d := cmp.Diff(append([]string{tt.title}, tt.summary...), append([]string{title}, lines...)); d != "" {
				t.Errorf("Summary (-want +got):\n%s", d)
			}
			r.Outcomes = r.Outcomes[:1]
			_, lines = r.Summary(tt.lang)
			if d := cmp.Diff([]string{tt.allOKLine}, lines); d != "" {
				t.Errorf("Summary when all passed (-want +got):\n%s", d)
			}
		})
	}
}

func TestLogValue(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
	log.Info("self-check", "report", sample())
	want := `level=INFO msg=self-check report.worst=failed` +
		` report.card-reader.status=ok report.card-reader.code=check-reader-ok report.card-reader.took=3ms` +
		` report.printer.status=warning report.printer.code=check-paper-near-end report.printer.detail=paper-near-end report.printer.took=10ms` +
		` report.host.status=failed report.host.code=check-host-failed report.host.detail="echo test: connect: refused" report.host.took=2s` + "\n"
	if d := cmp.Diff(want, buf.String()); d != "" {
		t.Errorf("log line (-want +got):\n%s", d)
	}
	if w := (Report{}).Worst(); w != OK {
		t.Errorf("empty report Worst = %v", w)
	}
}

func TestConfig(t *testing.T) {
	if err := DefaultConfig().Validate("selfcheck"); err != nil {
		t.Errorf("defaults: %v", err)
	}
	bad := Config{Timeout: 0, EchoTimeout: -time.Second, ClockTolerance: -1}
	err := bad.Validate("selfcheck")
	want := "selfcheck.timeout: 0s is not positive\nselfcheck.echo_timeout: -1s is not positive\nselfcheck.clock_tolerance: -1ns is negative"
	if err == nil || err.Error() != want {
		t.Errorf("Validate = %v, want\n%s", err, want)
	}
	got := DefaultConfig()
	md, err := toml.Decode("timeout = \"2s\"\necho_timeout = \"45s\"\nsale_without_printer = true\nclock_tolerance = \"10m\"\n", &got)
	if err != nil || len(md.Undecoded()) > 0 {
		t.Fatalf("decode: %v, undecoded %v", err, md.Undecoded())
	}
	if d := cmp.Diff(Config{Timeout: 2 * time.Second, EchoTimeout: 45 * time.Second, SaleWithoutPrinter: true, ClockTolerance: 10 * time.Minute}, got); d != "" {
		t.Errorf("decoded (-want +got):\n%s", d)
	}
}
