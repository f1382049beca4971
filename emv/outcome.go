package emv

import (
	"errors"
	"fmt"
)

// Outcome is where a transaction stands, as the kernel reports it (the outcome names of
// openemv/emv-utils plus the three final decisions).
type Outcome int

// Outcomes.
const (
	OK             Outcome = iota // steps so far succeeded; the transaction goes on
	CardBlocked                   // SELECT PSE or an AID answered 6A81: terminate
	NotAccepted                   // no application both sides support: terminate (maybe fallback)
	TryAgain                      // final SELECT failed; choose again from the remaining candidates
	GPONotAccepted                // GET PROCESSING OPTIONS answered 6985; candidate removed
	CardError                     // the card answered wrongly or went away: terminate (maybe fallback)
	Declined                      // the card's cryptogram is an AAC
	Approved                      // the card's cryptogram is a TC
	Online                        // the card asks to go online (ARQC)
)

var outcomeNames = [...]string{"OK", "CARD_BLOCKED", "NOT_ACCEPTED", "TRY_AGAIN", "GPO_NOT_ACCEPTED", "CARD_ERROR", "DECLINED", "APPROVED", "ONLINE"}

func (o Outcome) String() string {
	if o >= 0 && int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// MarshalText writes the name.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// Sentinel errors a step returns; each maps to an Outcome (see OutcomeOf).
var (
	// ErrCardBlocked: the card (PSE or every AID) is blocked, 6A81. Terminate; no fallback.
	ErrCardBlocked = errors.New("card blocked")
	// ErrNotAccepted: the candidate list is empty. Terminate; magstripe fallback allowed.
	ErrNotAccepted = errors.New("no mutually supported application")
	// ErrTryAgain: the final SELECT of the chosen candidate failed and it was removed;
	// call Select again (Candidates holds what is left).
	ErrTryAgain = errors.New("application selection failed, try again")
	// ErrGPONotAccepted: GET PROCESSING OPTIONS answered 6985; the candidate was removed,
	// go back to Select.
	ErrGPONotAccepted = errors.New("conditions of use not satisfied at get processing options")
	// ErrCardError: the card answered something the Book does not allow (bad status,
	// malformed data, missing mandatory data) or a transmit failed. Terminate.
	ErrCardError = errors.New("card error")
	// ErrStep: a step was called out of order (programming error of the caller).
	ErrStep = errors.New("emv step out of order")
)

// OutcomeOf maps an error from a step to its Outcome (nil is OK).
func OutcomeOf(err error) Outcome {
	switch {
	case err == nil:
		return OK
	case errors.Is(err, ErrCardBlocked):
		return CardBlocked
	case errors.Is(err, ErrNotAccepted):
		return NotAccepted
	case errors.Is(err, ErrTryAgain):
		return TryAgain
	case errors.Is(err, ErrGPONotAccepted):
		return GPONotAccepted
	}
	return CardError
}

// Step names one step of the kernel, in the order a transaction runs them.
type Step int

// Steps.
const (
	StepCandidates Step = iota + 1
	StepSelect
	StepGPO
	StepRecords
	StepODA
	StepRestrictions
	StepCVM
	StepTRM
	StepTAA
	StepGenAC1
	StepComplete
)

var stepNames = [...]string{"", "candidates", "select", "gpo", "records", "oda", "restrictions", "cvm", "trm", "taa", "genac1", "complete"}

func (s Step) String() string {
	if s > 0 && int(s) < len(stepNames) {
		return stepNames[s]
	}
	return fmt.Sprintf("Step(%d)", int(s))
}

// ParseStep reads a step name ("gpo", "genac1", ...).
func ParseStep(name string) (Step, error) {
	for i, n := range stepNames {
		if i > 0 && n == name {
			return Step(i), nil
		}
	}
	return 0, fmt.Errorf("unknown step %q (want one of candidates, select, gpo, records, oda, restrictions, cvm, trm, taa, genac1, complete)", name)
}

// ACType is the cryptogram type of GENERATE AC (P1 and CID bits 8-7).
type ACType byte

// Cryptogram types.
const (
	AAC  ACType = 0x00
	TC   ACType = 0x40
	ARQC ACType = 0x80
)

func (a ACType) String() string {
	switch a {
	case AAC:
		return "AAC"
	case TC:
		return "TC"
	case ARQC:
		return "ARQC"
	}
	return fmt.Sprintf("ACType(%02X)", byte(a))
}
