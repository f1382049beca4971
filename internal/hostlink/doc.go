// Package hostlink owns the terminal's side of one exchange with the acquirer: it
// builds the request through an iso8583 dialect, MACs it, frames it (length, TPDU,
// header), sends it over one TCP (or TLS) connection per exchange, waits for the
// matching reply within the response timeout and ctx, skips late or unmatched
// replies, verifies the reply MAC over the raw received bytes and says, through its
// sentinel errors, whether the request reached the host (see ErrNotSent and
// OutcomeUnknown): the rule internal/txn follows for reversals.
//
// It never logs PAN, track, PIN block or key material: messages are logged only
// through the dialect's masked Describe, at debug level.
//
// It imports iso8583, iso8583/frame, internal/keys and L0 packages. It must not
// import hal (devices belong to the caller) nor store (persisting the pending
// reversal before sending is internal/txn's job, so the link stays testable without
// a journal), and never internal/acquirer outside tests.
package hostlink
