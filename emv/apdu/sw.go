package apdu

import (
	"errors"
	"fmt"
)

// SW is a status word, SW1 in the high byte: 0x6A82.
type SW uint16

// Status words EMV gives a meaning to (Book 3 Table 4 and section 10; Book 1 12).
const (
	Success                 SW = 0x9000 // process completed
	SelectedFileInvalidated SW = 0x6283 // SELECT: application (or PSE) blocked
	AuthenticationFailed    SW = 0x6300 // EXTERNAL AUTHENTICATE: issuer authentication failed
	AuthMethodBlocked       SW = 0x6983 // VERIFY: PIN try limit exceeded, PIN blocked
	DataInvalidated         SW = 0x6984 // VERIFY: referenced data invalidated (PIN blocked)
	ConditionsNotSatisfied  SW = 0x6985 // GPO: conditions of use not satisfied
	FunctionNotSupported    SW = 0x6A81 // SELECT: card blocked or command not supported
	FileNotFound            SW = 0x6A82 // SELECT: no such PSE or application
	RecordNotFound          SW = 0x6A83 // READ RECORD: no such record
	DataNotFound            SW = 0x6A88 // GET DATA: referenced data not found
)

// String returns the status word as four upper-case hex digits.
func (sw SW) String() string { return fmt.Sprintf("%04X", uint16(sw)) }

// Warning reports whether sw is a warning (SW1 62 or 63): the command was processed.
// Issuer scripts go on after warnings (Book 3 10.10).
func (sw SW) Warning() bool { return sw>>8 == 0x62 || sw>>8 == 0x63 }

// TriesLeft returns x of 63Cx, the number of tries a counter (the PIN's) has left.
func (sw SW) TriesLeft() (int, bool) {
	if sw&0xFFF0 == 0x63C0 {
		return int(sw & 0x0F), true
	}
	return 0, false
}

// Errors a StatusError unwraps to, for status words a caller acts on.
var (
	// ErrNotFound: 6A82, no such file or application. On SELECT PSE, build the
	// candidate list from the terminal's AIDs instead; on SELECT AID with P2=02, the
	// end of the partial-match loop.
	ErrNotFound = errors.New("file or application not found")
	// ErrFunctionNotSupported: 6A81. On SELECT PSE (or SELECT AID), the card is
	// blocked or does not support the command: terminate the transaction.
	ErrFunctionNotSupported = errors.New("function not supported")
	// ErrSelectedFileInvalidated: 6283 on SELECT, the application is blocked: skip it.
	ErrSelectedFileInvalidated = errors.New("selected file invalidated")
	// ErrConditionsNotSatisfied: 6985. On GET PROCESSING OPTIONS, remove the
	// application from the candidate list and go back to selection.
	ErrConditionsNotSatisfied = errors.New("conditions of use not satisfied")
	// ErrRecordNotFound: 6A83, READ RECORD past the last record (end of a PSE
	// directory).
	ErrRecordNotFound = errors.New("record not found")
	// ErrWrongPIN: 63Cx after VERIFY, the PIN was wrong; StatusError.SW.TriesLeft says
	// how many tries remain.
	ErrWrongPIN = errors.New("verification failed")
	// ErrBlocked: 6983 or 6984 after VERIFY, or 63C0: the PIN try limit is exceeded.
	ErrBlocked = errors.New("authentication method blocked")
	// ErrAuthenticationFailed: 6300, EXTERNAL AUTHENTICATE refused the issuer's
	// cryptogram: set "issuer authentication failed" in the TVR.
	ErrAuthenticationFailed = errors.New("authentication failed")
)

// StatusError is a status word other than 9000 returned by the card. It unwraps to
// the sentinel above that says what to do, if there is one; match with errors.Is, or
// errors.AsType[*StatusError] for the word itself.
type StatusError struct {
	SW SW
}

func (e *StatusError) Error() string {
	if s := e.meaning(); s != "" {
		return fmt.Sprintf("card status %v: %s", e.SW, s)
	}
	return fmt.Sprintf("card status %v", e.SW)
}

func (e *StatusError) meaning() string {
	if n, ok := e.SW.TriesLeft(); ok {
		return fmt.Sprintf("wrong, tries left: %d", n)
	}
	if err := e.sentinel(); err != nil {
		return err.Error()
	}
	return ""
}

func (e *StatusError) sentinel() error {
	switch e.SW {
	case FileNotFound:
		return ErrNotFound
	case FunctionNotSupported:
		return ErrFunctionNotSupported
	case SelectedFileInvalidated:
		return ErrSelectedFileInvalidated
	case ConditionsNotSatisfied:
		return ErrConditionsNotSatisfied
	case RecordNotFound:
		return ErrRecordNotFound
	case AuthMethodBlocked, DataInvalidated:
		return ErrBlocked
	case AuthenticationFailed:
		return ErrAuthenticationFailed
	}
	return nil
}

// Unwrap returns the sentinels for e.SW: 63C0 is both ErrWrongPIN and ErrBlocked.
func (e *StatusError) Unwrap() []error {
	if n, ok := e.SW.TriesLeft(); ok {
		if n == 0 {
			return []error{ErrWrongPIN, ErrBlocked}
		}
		return []error{ErrWrongPIN}
	}
	if err := e.sentinel(); err != nil {
		return []error{err}
	}
	return nil
}
