// Package pinpadsim is a simulated ABECS PIN pad for tests and cmd/devsim. It speaks
// the pad's side of the protocol — frames, ACK/NAK, CAN/EOT, OPN, CLO, DSP, DEX, GIN,
// GKY, GPN and the countertop vendor command ZWK — over any byte stream (Serve) or on a
// pseudo-terminal (StartPTY), so the driver in hal/pinpad reaches it through a real
// serial device node.
//
// Like a real pad it holds master keys (the TMK) in numbered slots and never lets a
// PIN out in clear: GPN decrypts the working key sent with the command under the MK
// slot it names and answers with the ISO 9564 format 0 block encrypted under it. The
// cardholder is scripted (Enter, Cancel, Bypass, Timeout, Clear, Function, taken in
// order by each GPN or GKY), and faults are injected on the wire: NAK the next commands, corrupt the CRC of
// the next responses, garbage before every frame, silence, and an unplugged cable
// (PTY.Unplug closes the pseudo-terminal). Control runs the same as text commands
// (ControlHelp), for cmd/devsim's standard input.
//
// pinpadsim imports hal/pinpad/abecs (the frame and message codec, pinned to the
// specification's own examples), internal/keys, internal/carddata, github.com/creack/pty
// and golang.org/x/sys; it must not import the driver hal/pinpad or any L2+ package.
package pinpadsim
