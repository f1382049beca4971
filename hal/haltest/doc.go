// Package haltest owns the conformance suites every implementation of a hal device
// interface must pass — the in-process simulators in hal/sim and the real drivers over
// their real stacks alike — so the two cannot drift apart. A suite asserts only what
// holds for any implementation: delivery in order, prompt return with ctx.Err() on
// cancellation without losing queued input, and the mapping of faults to the hal
// sentinels.
//
// Each suite takes a constructor returning a fresh device and the controls that play
// the world's part (keys pressed, a card swiped, paper running out). Controls left nil
// skip the subtests that need them.
//
// haltest imports hal, countertop's L0 packages and the standard testing package
// only; it must not import a concrete driver (hal/sim, hal/pcsc...), internal/keys or
// anything above L1.
package haltest
