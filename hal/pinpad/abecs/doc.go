// Package abecs owns the ABECS PIN pad protocol ("Pinpad Abecs – Protocolo de
// Comunicação e Funcionamento", v2.12/v2.20) as seen from either end of the cable:
//
//   - the frame: SYN, byte-stuffed PKTDATA, ETB and a CRC-16/XMODEM (Encode, Parser,
//     Decode, CRC);
//   - the link rules of the host side (SPE): a command is sent and acknowledged with
//     ACK or refused with NAK and resent (3 tries), responses are checked and NAKed when
//     damaged, garbage is drained until 500 ms of silence, and CAN aborts a blocking
//     command, confirmed by EOT (Link over a Conn);
//   - the application layer: a command is a 3-letter id and blocks of a 3-digit length
//     and data; a response is the id, a 3-digit status and blocks (Command, Response),
//     and statuses map to errors a caller acts on (Status, StatusError, which unwraps to
//     hal.ErrCancelled, hal.ErrInputTimeout, hal.ErrNoKey, hal.ErrPINBypassed).
//
// It also names the countertop vendor extensions (CmdCheckWorkingKey,
// StatusPINBypass), which are not part of ABECS; docs/pinpad.md says why they exist.
// The driver (hal/pinpad) and the simulator (hal/pinpad/pinpadsim) both speak through
// this package; its encoding is pinned by the byte examples printed in the
// specification itself, so a shared mistake cannot hide.
//
// abecs imports hal (for the sentinels) and the standard library only; it must not
// import a driver, a simulator, internal/txn, store or anything above L1.
package abecs
