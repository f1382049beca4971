// Package risk owns the alarms on abnormal transactions that the seed document asks a
// terminal to raise in real time: a single amount above a threshold, too many
// transactions on one card within minutes, repeated declines or wrong PINs on one
// card, refunds beyond the day's approved sales, and transactions outside business
// hours. Each rule is configured (Config, under [risk] in the terminal's TOML), can be
// disabled, and has an action: alarm (shown to the merchant, written to the audit log
// and logged) or block (the transaction is refused before it goes online).
//
// The transaction engine calls Engine.Check with a Candidate before a transaction goes
// online and Engine.CheckResult with the journal record once its result is known (the
// decline and wrong-PIN rules). The rules read past transactions through History, which
// *store.DB satisfies, and write alarms through Auditor.
//
// risk imports only store's types, msgs and the L0 value packages (money, txtype). It
// must not import hal or any device driver, internal/hostlink, net, or bbolt: it works
// on journal records, never on devices or the network.
package risk
