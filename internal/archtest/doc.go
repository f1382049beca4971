// Package archtest holds no code: its test keeps the architecture's conventions for
// the whole module in one place — every package documented, and the import rules of
// ARCHITECTURE.md's layers (the kernel never imports hal, nothing outside cmd/
// imports a concrete driver, the transaction engine reaches the network and bbolt
// only through hostlink and store, and so on).
package archtest
