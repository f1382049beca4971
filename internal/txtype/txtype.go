// Package txtype names the kinds of transaction a terminal performs and how a card was
// read. The journal, the host dialect, the slip and the menus all speak these names.
// It imports nothing of countertop.
package txtype

import "fmt"

// Type is a kind of transaction.
type Type int

// The transaction types, in menu order.
const (
	Unknown Type = iota
	Sale
	Void
	Refund
	PreAuth
	PreAuthVoid
	PreAuthCompletion
	PreAuthCompletionAdvice
	CompletionVoid
	Balance
	Reversal
	Settlement
	BatchUpload
	SignIn
	SignOff
	Echo
	BatchEnd      // the 0320 that closes a batch upload
	TCUpload      // the advice of a chip transaction the card approved offline
	ScriptAdvice  // the results of issuer scripts the card ran
	ParamDownload // the terminal parameters the host asks the terminal to fetch
)

var names = [...]string{"unknown", "sale", "void", "refund", "preauth", "preauth-void",
	"preauth-completion", "preauth-completion-advice", "completion-void", "balance",
	"reversal", "settlement", "batch-upload", "sign-in", "sign-off", "echo", "batch-end", "tc-upload", "script-advice", "param-download"}

func (t Type) String() string {
	if t < 0 || int(t) >= len(names) {
		return fmt.Sprintf("txtype(%d)", int(t))
	}
	return names[t]
}

// Parse finds a type by its String name.
func Parse(s string) (Type, error) {
	for i, n := range names {
		if n == s && i != 0 {
			return Type(i), nil
		}
	}
	return Unknown, fmt.Errorf("unknown transaction type %q", s)
}

// MarshalText writes the type's name (journal JSON, exports).
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a type's name.
func (t *Type) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	*t = v
	return err
}

// Financial reports whether the type moves money and so needs a reversal when its
// outcome is unknown.
func (t Type) Financial() bool {
	switch t {
	case Sale, Void, PreAuth, PreAuthVoid, PreAuthCompletion, CompletionVoid:
		return true
	}
	return false
}

// EntryMode is how the card data was captured.
type EntryMode int

// Entry modes.
const (
	EntryNone EntryMode = iota
	EntryManual
	EntryMagstripe
	EntryChip
	EntryContactless
	EntryFallback // magstripe after a failed chip read
)

var entryNames = [...]string{"none", "manual", "magstripe", "chip", "contactless", "fallback"}

func (m EntryMode) String() string {
	if m < 0 || int(m) >= len(entryNames) {
		return fmt.Sprintf("entrymode(%d)", int(m))
	}
	return entryNames[m]
}

// Letter is the entry-mode letter printed after the card number on slips.
func (m EntryMode) Letter() string {
	return [...]string{"", "M", "S", "I", "C", "F"}[m]
}

// MarshalText writes the mode's name.
func (m EntryMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a mode's name.
func (m *EntryMode) UnmarshalText(b []byte) error {
	for i, n := range entryNames {
		if n == string(b) {
			*m = EntryMode(i)
			return nil
		}
	}
	return fmt.Errorf("unknown entry mode %q", b)
}

// STAN is the system trace audit number (ISO 8583 field 11), which CUP terminals also
// print as the voucher number (凭证号): 000001–999999, never reused within a batch.
type STAN uint32

// String formats the STAN as six digits.
func (s STAN) String() string { return fmt.Sprintf("%06d", uint32(s)) }

// Next returns the STAN after s, wrapping from 999999 to 000001.
func (s STAN) Next() STAN {
	if s >= 999999 {
		return 1
	}
	return s + 1
}

// Batch is the settlement batch number (field 60.2), six digits.
type Batch uint32

// String formats the batch as six digits.
func (b Batch) String() string { return fmt.Sprintf("%06d", uint32(b)) }
