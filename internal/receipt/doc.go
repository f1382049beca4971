// Package receipt owns the layout of the UnionPay sale slip (签购单): which fields are
// printed in which order, with which labels (Chinese, bilingual "中文(ENGLISH)" or
// English), in which font, wrapped to the paper width, for each copy (merchant,
// cardholder, bank). Build turns a Slip — the transaction engine's mapping of a
// journal record — into a hal.Document; printing it is the caller's business.
//
// The slip never carries a clear card number: Slip holds the masked number only, and
// Build masks it again should more than ten digits reach it.
//
// receipt imports hal and countertop's L0 packages (money, msgs, txtype) only. It must
// not import hal/sim or any driver (a slip is the same whatever prints it), store or
// internal/txn (the engine maps its record into a Slip, not the other way round).
package receipt
