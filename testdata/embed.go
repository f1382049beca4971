// Package testdata embeds the shared fixtures — test-card profiles, scenarios, golden
// slips and host messages — so that `make run`, the simulators and the tests use the
// same files wherever the binary runs.
package testdata

import "embed"

// FS holds the fixtures.
//
//go:embed cards
var FS embed.FS
