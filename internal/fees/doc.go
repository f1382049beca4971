// Package fees owns the merchant's estimate of what the acquirer keeps: merchant
// discount rates per card organisation (CUP, VIS, MCC, JCB, AMX) and card kind (debit
// or credit) in basis points, with an optional per-transaction cap on debit cards,
// from the [fees] configuration; Estimator.Estimate turns journal records into gross,
// fees and net per organisation for the settlement slip and the journal export.
//
// Money stays in integer minor units. Each transaction's fee is rounded half-up (half
// a minor unit goes up, away from zero) on its own, then capped; totals are sums of
// those per-transaction fees, as the acquirer's statement lists them.
//
// fees imports only store's record type and the L0 value packages (money, txtype). It
// must not import hal, internal/hostlink, net or bbolt.
package fees
