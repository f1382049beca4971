package selfcheck

import (
	"context"
	"errors"
	"fmt"
	"time"

	"countertop/hal"
	"countertop/internal/msgs"
	"countertop/store"
)

// Names of the built-in checks: Allows looks for these.
const (
	NameReader  = "card-reader"
	NamePINPad  = "pin-pad"
	NamePrinter = "printer"
	NameKeypad  = "keypad"
	NameDisplay = "display"
	NameJournal = "journal"
	NameClock   = "clock"
	NameHost    = "host"
	NameKeys    = "keys"
)

// groupJournal serialises the journal check and the clock check, which reads the
// journal's last record.
const groupJournal = "journal"

// groupScreen serialises the checks that draw on the display (the display check's
// own screen, the host check's progress), so their screens do not interleave.
const groupScreen = "screen"

// Prober is implemented by devices that can test themselves without a person (a
// firmware self-test, a status query). The device checks use it when present.
type Prober interface {
	Probe(ctx context.Context) error
}

// Journal is the journal's integrity check. *store.DB satisfies it.
type Journal interface {
	Check() error
}

// LastRecord gives the journal's most recent record, or an error wrapping
// store.ErrNotFound when it is empty. *store.DB satisfies it.
type LastRecord interface {
	Last() (store.Record, error)
}

// Echoer tests the link to the acquirer (the CUP 0820 echo test).
type Echoer interface {
	Echo(ctx context.Context) error
}

// KeyStatus reports the terminal's keys: the master key (TMK) is loaded, and the
// working keys of a sign-in are.
type KeyStatus interface {
	TMKLoaded() bool
	SignedIn() bool
}

// failCode is the code of a failed check by name, for panics.
func failCode(name string) msgs.Code {
	switch name {
	case NameReader:
		return msgs.CheckReaderFailed
	case NamePINPad:
		return msgs.PINPadFailed
	case NamePrinter:
		return msgs.PrinterFailed
	case NameKeypad:
		return msgs.CheckKeypadFailed
	case NameDisplay:
		return msgs.CheckDisplayFailed
	case NameJournal:
		return msgs.JournalFailed
	case NameClock:
		return msgs.CheckClockWrong
	case NameHost:
		return msgs.CheckHostFailed
	case NameKeys:
		return msgs.KeyCheckFailed
	}
	return msgs.CheckProblems
}

func ok(c msgs.Code, detail string) Result { return Result{Status: OK, Code: c, Detail: detail} }
func warn(c msgs.Code, detail string) Result {
	return Result{Status: Warning, Code: c, Detail: detail}
}
func fail(c msgs.Code, err error) Result {
	return Result{Status: Failed, Code: c, Detail: err.Error()}
}

// probe runs dev's Prober if it has one; tested reports whether it did.
func probe(ctx context.Context, dev any) (tested bool, err error) {
	p, isProber := dev.(Prober)
	if !isProber {
		return false, nil
	}
	return true, p.Probe(ctx)
}

// getChallenge is the APDU the reader check sends when the reader has no Prober: GET
// CHALLENGE changes nothing on a card, and with no card the reader must answer
// ErrNoCard, which proves it is there and answering.
var getChallenge = []byte{0x00, 0x84, 0x00, 0x00, 0x08}

// CardReader checks the card reader: its Prober when it has one, otherwise an
// exchange with no card expected (ErrNoCard is the good answer).
func CardReader(r hal.CardReader) Check {
	return Check{Name: NameReader, Run: func(ctx context.Context) Result {
		if r == nil {
			return fail(msgs.CheckReaderMissing, errors.New("no card reader configured"))
		}
		if tested, err := probe(ctx, r); tested {
			return deviceResult(err, msgs.CheckReaderOK, msgs.CheckReaderMissing, msgs.CheckReaderFailed)
		}
		_, err := r.Transmit(ctx, getChallenge)
		switch {
		case err == nil:
			return ok(msgs.CheckReaderOK, "a card is in the reader")
		case errors.Is(err, hal.ErrNoCard), errors.Is(err, hal.ErrCardRemoved):
			return ok(msgs.CheckReaderOK, "")
		}
		return deviceResult(err, msgs.CheckReaderOK, msgs.CheckReaderMissing, msgs.CheckReaderFailed)
	}}
}

// deviceResult maps a device error: nil is good, ErrDeviceGone is missing, anything
// else (a timeout included) is a fault.
func deviceResult(err error, good, missing, bad msgs.Code) Result {
	switch {
	case err == nil:
		return ok(good, "")
	case errors.Is(err, hal.ErrDeviceGone):
		return fail(missing, err)
	}
	return fail(bad, err)
}

// PINPad checks the PIN pad: its Prober when it has one, otherwise by showing the
// self-check title on the pad's own screen. A pad that says it has no key is a
// warning (signing in loads one).
func PINPad(p hal.PINPad) Check {
	return Check{Name: NamePINPad, Run: func(ctx context.Context) Result {
		if p == nil {
			return fail(msgs.CheckPINPadMissing, errors.New("no pin pad configured"))
		}
		tested, err := probe(ctx, p)
		if !tested {
			err = p.Show(ctx, msgs.Text(msgs.CheckTitle, msgs.EN))
		}
		if errors.Is(err, hal.ErrNoKey) {
			return warn(msgs.CheckPINPadNoKey, err.Error())
		}
		return deviceResult(err, msgs.CheckPINPadOK, msgs.CheckPINPadMissing, msgs.PINPadFailed)
	}}
}

// Printer checks the printer's status: paper near its end is a warning; paper out,
// cover open, offline or no answer is a failure.
func Printer(p hal.Printer) Check {
	return Check{Name: NamePrinter, Run: func(ctx context.Context) Result {
		if p == nil {
			return fail(msgs.CheckPrinterMissing, errors.New("no printer configured"))
		}
		s, err := p.Status(ctx)
		if err != nil {
			return deviceResult(fmt.Errorf("printer status: %w", err), msgs.PrinterOK, msgs.PrinterOffline, msgs.PrinterFailed)
		}
		switch s {
		case hal.PrinterReady:
			return ok(msgs.PrinterOK, "")
		case hal.PrinterPaperNearEnd:
			return warn(msgs.CheckPaperNearEnd, s.String())
		case hal.PrinterPaperOut:
			return fail(msgs.PrinterOutPaper, s.Err())
		case hal.PrinterCoverOpen:
			return fail(msgs.PrinterCoverOpen, s.Err())
		case hal.PrinterOffline:
			return fail(msgs.PrinterOffline, s.Err())
		}
		return fail(msgs.PrinterFailed, fmt.Errorf("unknown printer status %d", int(s)))
	}}
}

// Keypad checks the keypad. Without a person only its presence and its own Prober
// can be checked: a keypad with no Prober is reported present but untested (OK), and
// the merchant's first key press is the real test.
func Keypad(k hal.Keypad) Check {
	return Check{Name: NameKeypad, Run: func(ctx context.Context) Result {
		if k == nil {
			return fail(msgs.CheckKeypadMissing, errors.New("no keypad configured"))
		}
		tested, err := probe(ctx, k)
		if !tested {
			return ok(msgs.CheckKeypadUntested, "no self-test: checked on the first key press")
		}
		return deviceResult(err, msgs.CheckKeypadOK, msgs.CheckKeypadMissing, msgs.CheckKeypadFailed)
	}}
}

// Display checks the display by showing the self-check screen in l (and its Prober
// first, when it has one). Whether a person can read it is left to the person.
func Display(d hal.Display, l msgs.Lang) Check {
	return Check{Name: NameDisplay, Group: groupScreen, Run: func(ctx context.Context) Result {
		if d == nil {
			return fail(msgs.CheckDisplayMissing, errors.New("no display configured"))
		}
		if tested, err := probe(ctx, d); tested && err != nil {
			return deviceResult(err, msgs.CheckDisplayOK, msgs.CheckDisplayMissing, msgs.CheckDisplayFailed)
		}
		err := d.Show(ctx, hal.Screen{Title: msgs.Text(msgs.CheckTitle, l), Lines: []string{msgs.Text(msgs.Processing, l)}})
		return deviceResult(err, msgs.CheckDisplayOK, msgs.CheckDisplayMissing, msgs.CheckDisplayFailed)
	}}
}

// JournalIntegrity runs the journal's full check. It cannot be interrupted: on
// timeout the check goes on in the background and the report says it timed out.
func JournalIntegrity(j Journal) Check {
	return Check{Name: NameJournal, Group: groupJournal, Run: func(ctx context.Context) Result {
		if j == nil {
			return fail(msgs.JournalFailed, errors.New("no journal"))
		}
		if err := j.Check(); err != nil {
			return fail(msgs.JournalFailed, err)
		}
		return ok(msgs.CheckJournalOK, "")
	}}
}

// Latest is the end of the clock's sane range: a clock at or after it is wrong.
var Latest = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

// Clock checks the system clock: not before notBefore (the build date; a clock reset
// to 1970 or to the board's factory date fails), not after Latest, and not behind
// the journal's last record by more than tolerance (a warning: the clock was set back).
// last may be nil; now nil means time.Now.
func Clock(now func() time.Time, notBefore time.Time, last LastRecord, tolerance time.Duration) Check {
	if now == nil {
		now = time.Now
	}
	return Check{Name: NameClock, Group: groupJournal, Run: func(ctx context.Context) Result {
		t := now()
		switch {
		case t.Before(notBefore):
			return fail(msgs.CheckClockWrong, fmt.Errorf("clock %s is before the build date %s",
				t.Format(time.RFC3339), notBefore.Format(time.RFC3339)))
		case !t.Before(Latest):
			return fail(msgs.CheckClockWrong, fmt.Errorf("clock %s is not before %s",
				t.Format(time.RFC3339), Latest.Format(time.RFC3339)))
		}
		if last == nil {
			return ok(msgs.CheckClockOK, "")
		}
		rec, err := last.Last()
		switch {
		case errors.Is(err, store.ErrNotFound):
			return ok(msgs.CheckClockOK, "empty journal")
		case err != nil:
			// The journal check reports the journal; the clock itself is in range.
			return ok(msgs.CheckClockOK, fmt.Sprintf("last record unreadable: %v", err))
		}
		if behind := rec.CreatedAt.Sub(t); behind > tolerance {
			return warn(msgs.CheckClockBehind, fmt.Sprintf("clock %s is %v behind the last record %d (%s)",
				t.Format(time.RFC3339), behind, rec.ID, rec.CreatedAt.Format(time.RFC3339)))
		}
		return ok(msgs.CheckClockOK, "")
	}}
}

// Host runs an echo test with the acquirer under timeout (zero: the runner's default).
func Host(h Echoer, timeout time.Duration) Check {
	return Check{Name: NameHost, Group: groupScreen, Timeout: timeout, Run: func(ctx context.Context) Result {
		if h == nil {
			return fail(msgs.CheckHostFailed, errors.New("no host link configured"))
		}
		if err := h.Echo(ctx); err != nil {
			return fail(msgs.CheckHostFailed, fmt.Errorf("echo test: %w", err))
		}
		return ok(msgs.CheckHostOK, "")
	}}
}

// Keys checks the key status: no master key fails (the terminal cannot sign in); not
// signed in is a warning (the terminal signs in next).
func Keys(k KeyStatus) Check {
	return Check{Name: NameKeys, Run: func(ctx context.Context) Result {
		switch {
		case k == nil:
			return fail(msgs.CheckNoTMK, errors.New("no key status"))
		case !k.TMKLoaded():
			return fail(msgs.CheckNoTMK, errors.New("terminal master key not loaded"))
		case !k.SignedIn():
			return warn(msgs.CheckNotSignedIn, "no working keys")
		}
		return ok(msgs.CheckKeysOK, "")
	}}
}
