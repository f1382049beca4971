// Package integration runs whole transactions through the real processes on the real
// device stacks: posd (built with -tags pcsc) with its card reader on PC/SC — pcscd
// with vsmartcard's vpcd reader "Virtual PCD 00 00", into which cmd/devsim inserts the
// virtual EMV card — its printer and magnetic stripe reader (and PIN pad, when posd
// drives a serial one) on devsim's pseudo-terminals, and cmd/acquirer-sim over TCP on
// 127.0.0.1. The tests type on posd's console as a merchant would, play the
// cardholder through devsim's stdin, and check the screens, the slips the simulated
// printer cut and the journal (opened read-only after posd stopped).
//
// The tests carry the build tag "pcsc" (cgo, libpcsclite) and need pcscd and
// vsmartcard-vpcd (make test installs them); they start pcscd with
// scripts/pcscd/start.sh when none runs and stop it at the end. Run them with
//
//	go test -tags pcsc ./internal/integration/
//
// COUNTERTOP_SKIP_PCSC=1 skips them where the PC/SC stack cannot be installed.
// COUNTERTOP_VPCD_PORT and COUNTERTOP_READER pick another vpcd slot (default 31963,
// "Virtual PCD 00 00"); tests that use the same slot concurrently (hal/pcsc's) must
// not run at the same time.
//
// BenchmarkAPDURoundTrip compares one APDU on the virtual EMV card called in process
// with the same exchange through hal/pcsc, pcscd and vpcd (go test -tags pcsc -run '^$'
// -bench . ./internal/integration/).
//
// The tests import only the standard library, go-cmp, ebfe/scard (pcscd's state) and
// store (to read the journal); everything else they reach through the binaries they
// build. The benchmark also imports emv/card, hal/pcsc and its vpcd.
package integration
