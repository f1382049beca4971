package selfcheck

import (
	"countertop/internal/msgs"
	"countertop/internal/txtype"
)

// need is what a transaction type depends on.
type need struct {
	journal bool // writes the journal (and so needs a sane clock)
	console bool // the merchant confirms card and amount on the display with the keypad
	host    bool // goes online
	tmk     bool // needs the master key (sign-in decrypts the working keys under it)
	signIn  bool // needs the working keys of a sign-in (MAC, PIN key)
	reader  bool // reads a card
	pin     bool // always asks for a PIN
	slip    bool // prints a slip
}

func needs(t txtype.Type) need {
	switch t {
	case txtype.Sale, txtype.Refund, txtype.PreAuth, txtype.PreAuthCompletion:
		return need{journal: true, console: true, host: true, tmk: true, signIn: true, reader: true, slip: true}
	case txtype.Void, txtype.PreAuthVoid, txtype.CompletionVoid:
		// The original's card data is in the journal: no card needed.
		return need{journal: true, console: true, host: true, tmk: true, signIn: true, slip: true}
	case txtype.PreAuthCompletionAdvice:
		// Offline: stored now, sent later.
		return need{journal: true, console: true, slip: true}
	case txtype.Balance:
		return need{console: true, host: true, tmk: true, signIn: true, reader: true, pin: true}
	case txtype.Settlement, txtype.BatchUpload, txtype.Reversal:
		// The settlement slip can be reprinted: no printer needed.
		return need{journal: true, host: true, tmk: true, signIn: true}
	case txtype.SignIn:
		return need{host: true, tmk: true}
	case txtype.SignOff:
		return need{host: true, tmk: true, signIn: true}
	case txtype.Echo:
		return need{host: true}
	}
	return need{}
}

// failed reports whether the check called name ran and failed.
func (r Report) failed(name string) bool {
	o, ok := r.Result(name)
	return ok && o.Status == Failed
}

// Allows reports whether a transaction of type t may start, and if not, the coded
// reason to show. Only failed checks refuse (a check that did not run refuses
// nothing), with two exceptions on keys: not signed in (a warning) refuses what needs
// working keys. Without a printer, transactions with a slip go on only when the
// report's SaleWithoutPrinter is set (the slip then waits in the journal for a
// reprint). Transactions that depend on the card's verification method ask PINAllowed
// once the card says it wants an online PIN.
func (r Report) Allows(t txtype.Type) (bool, msgs.Code) {
	n := needs(t)
	keys, haveKeys := r.Result(NameKeys)
	switch {
	case n.journal && r.failed(NameJournal):
		return false, msgs.NeedJournal
	case n.journal && r.failed(NameClock):
		return false, msgs.NeedClock
	case n.console && (r.failed(NameDisplay) || r.failed(NameKeypad)):
		return false, msgs.NeedConsole
	case n.host && r.failed(NameHost):
		return false, msgs.NeedHost
	case n.tmk && haveKeys && keys.Status == Failed:
		return false, msgs.NeedTMK
	case n.signIn && haveKeys && keys.Status != OK:
		return false, msgs.NeedKeys
	case n.reader && r.failed(NameReader):
		return false, msgs.NeedReader
	case n.pin && r.failed(NamePINPad):
		return false, msgs.NeedPINPad
	case n.slip && !r.SaleWithoutPrinter && r.failed(NamePrinter):
		return false, msgs.NeedPrinter
	}
	return true, ""
}

// PINAllowed reports whether an online PIN can be taken: the transaction engine asks
// it when the card's verification method calls for a PIN, and declines with the code
// otherwise.
func (r Report) PINAllowed() (bool, msgs.Code) {
	if r.failed(NamePINPad) {
		return false, msgs.NeedPINPad
	}
	return true, ""
}

// PrintAllowed reports whether a slip can be printed now; when not, the slip stays in
// the journal for a reprint.
func (r Report) PrintAllowed() (bool, msgs.Code) {
	if o, ok := r.Result(NamePrinter); ok && o.Status == Failed {
		return false, o.Code
	}
	return true, ""
}
