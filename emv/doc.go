// Package emv is the terminal's EMV contact kernel (EMV 4.4 Books 1-4): application
// selection, initiate application processing, read application data, offline data
// authentication, processing restrictions, cardholder verification, terminal risk
// management, action analysis, GENERATE AC, issuer authentication and scripts, and the
// T=0 transport rules (61xx, 6Cxx) under them.
//
// The emv tree owns the kernel and its building blocks: emv/tlv (BER-TLV, DOLs, the
// tag dictionary), emv/apdu (command and response APDUs, status words), emv/magstripe,
// emv/card (a virtual ICC) and emv/emvtest (APDU transcript playback).
//
// emv never imports hal, store, internal/txn or the network (a test enforces it: only
// emv/tlv, emv/apdu, emv/emvtest and internal/carddata from countertop). The kernel
// declares the one thing it needs from a card itself:
//
//	type Card interface {
//		Transmit(ctx context.Context, capdu []byte) (rapdu []byte, err error)
//	}
//
// and cmd/ wires a hal.CardReader (PC/SC or simulated) to it. Everything external or
// non-deterministic (clock, random numbers, CA public keys, the transaction log, the
// cardholder's choices, PIN entry) comes in through small interfaces of the same kind.
//
// A chip sale, step by step (Run does the same up to a step):
//
//	k, _ := emv.New(cfg)                        // once: AIDs, terminal data, CA keys
//	tx := k.NewTransaction(card, emv.Params{Amount: 1234, PIN: pinpad, Cardholder: ui})
//	err := tx.Run(ctx, emv.StepGenAC1)          // selection ... first GENERATE AC
//	switch tx.Outcome() {
//	case emv.Online:                            // send tx.Field55() (and tx.OnlinePINBlock())
//		err = tx.CompleteOnline(ctx, emv.HostResponse{Approved: ok, ARC: f39, ICCData: f55})
//		// or, with no answer: tx.CompleteUnableOnline(ctx)
//	case emv.Approved, emv.Declined:            // offline decision
//	}
//
// Step errors wrap the outcome sentinels (ErrCardBlocked, ErrNotAccepted, ErrTryAgain,
// ErrGPONotAccepted, ErrCardError); Outcome tells the same as a value. Offline data
// authentication, restriction, CVM and risk failures are never errors: they are TVR
// bits, as the Book says.
package emv
