package emv

import (
	"context"
	"encoding/hex"
	"strings"
)

// PINFuncs adapts two functions to PINEntry, for callers that hold a PIN pad as
// closures. A nil function answers ErrPINPadUnavailable (TVR B3 10).
type PINFuncs struct {
	Offline func(ctx context.Context, req OfflinePINRequest) ([]byte, error)
	Online  func(ctx context.Context) ([]byte, error)
}

// OfflinePlaintextPIN calls Offline.
func (f PINFuncs) OfflinePlaintextPIN(ctx context.Context, req OfflinePINRequest) ([]byte, error) {
	if f.Offline == nil {
		return nil, ErrPINPadUnavailable
	}
	return f.Offline(ctx, req)
}

// OnlinePIN calls Online.
func (f PINFuncs) OnlinePIN(ctx context.Context) ([]byte, error) {
	if f.Online == nil {
		return nil, ErrPINPadUnavailable
	}
	return f.Online(ctx)
}

// Receipt is what a chip slip and the journal print about the card (checklist item
// 17): hex strings, upper case; no PAN (the caller masks its own).
type Receipt struct {
	AID       string // 4F/84
	Label     string // 50 (9F12 when the code table is supported is the caller's choice)
	AC        string // 9F26
	ACType    string // TC, ARQC or AAC
	TVR       string // 95
	TSI       string // 9B
	ATC       string // 9F36
	CVMResult string // 9F34
	Signature bool   // a signature line is needed
	ARC       string // 8A as text ("00", "Y1", "Z3")
}

// Receipt returns the slip data of the transaction as it stands.
func (t *Transaction) Receipt() Receipt {
	up := func(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
	r := Receipt{TVR: t.tvr.String(), TSI: t.tsi.String(), Signature: t.signature}
	if t.selected != nil {
		r.AID, r.Label = up(t.selected.AID), t.selected.Label
	}
	if a, ok := t.ACType(); ok {
		r.ACType = a.String()
	}
	if v, ok := t.Get(0x9F26); ok {
		r.AC = up(v)
	}
	if v, ok := t.Get(0x9F36); ok {
		r.ATC = up(v)
	}
	if v, ok := t.Get(0x9F34); ok {
		r.CVMResult = up(v)
	}
	if v, ok := t.Get(0x8A); ok {
		r.ARC = string(v)
	}
	return r
}
