// Package emvdata embeds the EMV test fixtures: the test certification authority's,
// issuer's and ICC's RSA keys (keys/), the CA public keys the terminal trusts (capk/)
// and recorded APDU transcripts (transcripts/). See README.md for how they were made.
// Test material only: no key here protects anything real.
package emvdata

import "embed"

// FS holds keys/, capk/ and transcripts/.
//
//go:embed keys capk transcripts
var FS embed.FS
