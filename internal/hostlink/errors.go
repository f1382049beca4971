package hostlink

import (
	"context"
	"errors"
	"fmt"

	"countertop/internal/msgs"
)

// Outcomes of an exchange that the caller (internal/txn) acts on. Every error Do
// returns wraps exactly one of them, so errors.Is answers "did it happen?":
//
//	sentinel        sent?        outcome   reversal reason  merchant message
//	ErrNotSignedIn  no           nothing   none             msgs.SignInNeeded
//	ErrNotSent      no           nothing   none             msgs.ConnectFailed / msgs.SendFailed
//	ErrNoAnswer     yes          unknown   "98"             msgs.ReceiveFailed
//	ErrBadReply     yes          unknown   "98"             msgs.HostUnknownReply
//	ErrBadMAC       yes          unknown   "A0"             msgs.MACFailed
//
// The rule for the caller: if OutcomeUnknown(err), the pending reversal written before
// the request stays and goes out (with ReversalReason(err) in field 39) before any other
// online transaction; otherwise the pending reversal is dropped.
var (
	// ErrNotSent: the request did not reach the host — the connection could not be
	// made, or the frame was not written completely (a host cannot act on a partial
	// frame), or ctx ended before the write. Safe: no reversal, the merchant may retry.
	ErrNotSent = errors.New("request not sent")

	// ErrNoAnswer: the whole request was written but no matching reply arrived before
	// the response timeout, ctx ended, or the host closed the connection without a
	// reply. The host may have approved it: outcome unknown, reverse with reason "98".
	ErrNoAnswer = errors.New("request sent, no answer")

	// ErrBadReply: the request was written and something came back, but not a usable
	// reply: a truncated frame, a body the dialect cannot unpack, a TPDU that does not
	// mirror the request, an oversized frame. Outcome unknown. We reverse with "98"
	// rather than "06": to the terminal an unreadable reply is no reply, and "98" is
	// what acquirers expect for "the terminal never learnt the result".
	ErrBadReply = errors.New("request sent, bad reply")

	// ErrBadMAC: a matching reply arrived but its MAC (field 64, computed over the raw
	// received body) is missing or wrong, so none of its fields can be trusted.
	// Outcome unknown, reverse with reason "A0", then sign in again. Do still returns
	// the unverified Reply alongside (for the log and for an "A0" response code); never
	// treat it as an approval.
	ErrBadMAC = errors.New("reply mac verification failed")

	// ErrNotSignedIn: a request that must carry a MAC was asked for before SetMACKey.
	// Nothing was sent; sign in first.
	ErrNotSignedIn = errors.New("no mac key: sign in first")
)

// Error is the error Do returns: the stage the exchange reached, the outcome sentinel
// (one of the Err* above) and the underlying cause (a net error, context.Canceled, a
// decode error …). errors.Is matches both the outcome and the cause.
type Error struct {
	Stage   Stage // the stage during which it failed
	Outcome error // ErrNotSent, ErrNoAnswer, ErrBadReply, ErrBadMAC or ErrNotSignedIn
	Err     error // the cause; may be nil
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("hostlink %s: %v", e.Stage, e.Outcome)
	}
	return fmt.Sprintf("hostlink %s: %v: %v", e.Stage, e.Outcome, e.Err)
}

// Unwrap returns the outcome and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Outcome}
	}
	return []error{e.Outcome, e.Err}
}

func fail(stage Stage, outcome, cause error) error {
	return &Error{Stage: stage, Outcome: outcome, Err: cause}
}

// OutcomeUnknown reports whether err means the request reached the host but the
// terminal does not know what the host did: the pending reversal must stand.
func OutcomeUnknown(err error) bool {
	return errors.Is(err, ErrNoAnswer) || errors.Is(err, ErrBadReply) || errors.Is(err, ErrBadMAC)
}

// ReversalReason is the field 39 reason code for the reversal that err calls for:
// "A0" for a bad reply MAC, "98" for no answer or an unusable reply, and "" when no
// reversal is needed (nil, not sent, not signed in).
func ReversalReason(err error) string {
	switch {
	case errors.Is(err, ErrBadMAC):
		return "A0"
	case errors.Is(err, ErrNoAnswer), errors.Is(err, ErrBadReply):
		return "98"
	}
	return ""
}

// MessageCode is the merchant message for err: msgs.ConnectFailed when the
// connection could not be made, msgs.SendFailed when the write failed,
// msgs.Cancelled when ctx ended before anything was sent, msgs.ReceiveFailed for no
// answer, msgs.HostUnknownReply for an unusable reply, msgs.MACFailed for a bad reply
// MAC, msgs.SignInNeeded without a MAC key. A nil or foreign error gives "".
func MessageCode(err error) msgs.Code {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNotSignedIn):
		return msgs.SignInNeeded
	case errors.Is(err, ErrNotSent):
		if errors.Is(err, context.Canceled) {
			return msgs.Cancelled
		}
		if e, ok := errors.AsType[*Error](err); ok && e.Stage == Sending {
			return msgs.SendFailed
		}
		return msgs.ConnectFailed
	case errors.Is(err, ErrNoAnswer):
		return msgs.ReceiveFailed
	case errors.Is(err, ErrBadReply):
		return msgs.HostUnknownReply
	case errors.Is(err, ErrBadMAC):
		return msgs.MACFailed
	}
	return ""
}

// Stage is how far an exchange got.
type Stage int

// Stages of an exchange, reported to Do's onStage callback as they begin.
const (
	Connecting Stage = iota // dialling the host (and the TLS handshake)
	Sending                 // writing the request frame
	Receiving               // waiting for the reply
)

func (s Stage) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Sending:
		return "sending"
	case Receiving:
		return "receiving"
	}
	return fmt.Sprintf("stage(%d)", int(s))
}

// MessageCode is the merchant message shown while the stage runs
// (msgs.Connecting, msgs.Sending, msgs.Receiving).
func (s Stage) MessageCode() msgs.Code {
	switch s {
	case Connecting:
		return msgs.Connecting
	case Sending:
		return msgs.Sending
	case Receiving:
		return msgs.Receiving
	}
	return msgs.Processing
}
