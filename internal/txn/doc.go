// Package txn orchestrates one transaction at a time: reading the card data from a card
// event, confirmation, PIN entry on the PIN pad, the journal's intent before anything is
// sent, the exchange with the acquirer, automatic reversal when the outcome is unknown,
// the journal's result before the merchant is told, and the slips.
//
// It declares what it needs as small interfaces — Host, Journal, Prompter — and reaches
// the network only through internal/hostlink and bbolt only through store. It never
// imports a concrete device driver or simulator.
package txn
