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
// emv never imports hal. The kernel declares the one thing it needs from a card itself:
//
//	type Card interface {
//		Transmit(ctx context.Context, capdu []byte) (rapdu []byte, err error)
//	}
//
// and cmd/ wires a hal.CardReader (PC/SC or simulated) to it. Everything external or
// non-deterministic (clock, random numbers, CA public keys, the transaction log, the
// cardholder's choices, PIN entry) comes in through small interfaces of the same kind.
package emv
