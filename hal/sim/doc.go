// Package sim owns the in-process simulated devices — keypad, display, card reader,
// PIN pad and printer — with scriptable input and faults ("paper out after 12 lines",
// "card removed after 3 APDUs", "PIN pad unplugged"). `make run`, the scenario runner
// and fast tests use them; they pass the same hal/haltest suites as the real drivers.
//
// The input devices (Keypad, CardReader, PINPad) share an Activity, so a test driver
// can wait until the terminal is blocked on input before scripting the next step
// instead of sleeping.
//
// Every device is safe for concurrent use and honours ctx promptly. Hooks (OnShow,
// OnPrompt) are set before the device is shared and are called without locks held.
//
// sim imports hal, internal/keys and countertop's L0 packages only. It must not import
// internal/txn, store, internal/hostlink or net: a simulated device knows nothing of
// transactions, journals or hosts, and a test that uses it must stay in one process.
package sim
