// Package keys owns the terminal's symmetric key material and what is done with it:
// clear keys as a type that never prints, key check values, ECB helpers for DES, 3DES
// and SM4, the MAC algorithms of the acquirer dialects (CUP ECB, ANSI X9.19, X9.9,
// 3DES CBC, CUP SM4), ISO 9564 format 0 PIN blocks (and their 16-byte widening under
// SM4), the sign-in working keys of field 62 (3DES or SM4), and the terminal key file
// (keyfile.go): the TMK and the journal's PAN hash key at rest, wrapped under a
// key-encryption key kept in a separate file (see KeyFile for what that protects
// against and what it does not).
//
// It imports only L0 packages (internal/carddata for PANs); it must never import hal,
// store, the network or iso8583, so the same code serves the daemon, the acquirer
// simulator and posctl.
package keys
