package escpos

import (
	"fmt"

	"countertop/hal"
)

// Real-time status requests: DLE EOT n.
const (
	statusPrinter = 1 // n=1: printer status (bit 3 offline)
	statusOffline = 2 // n=2: offline cause (bit 2 cover open, bit 5 paper end stop, bit 6 error)
	statusPaper   = 4 // n=4: roll paper sensor (bits 2+3 near end, bits 5+6 paper end)
)

// ValidStatusByte reports whether b has the fixed bits of a DLE EOT reply
// (0xx1xx10: bit 1 and bit 4 set, bits 0 and 7 clear). Bytes that fail it are noise:
// automatic status back, a stray echo, line garbage.
func ValidStatusByte(b byte) bool { return b&0x93 == 0x12 }

// StatusBits are the three DLE EOT replies the driver reads.
type StatusBits struct {
	Printer byte // DLE EOT 1
	Offline byte // DLE EOT 2
	Paper   byte // DLE EOT 4
}

// ParseStatus maps the three DLE EOT replies to a hal.PrinterStatus. A fault that
// stops printing wins over near-end; cover open wins over paper out, which wins over
// a plain offline. It fails when a reply lacks the fixed bits.
func ParseStatus(s StatusBits) (hal.PrinterStatus, error) {
	for _, r := range []struct {
		n byte
		b byte
	}{{statusPrinter, s.Printer}, {statusOffline, s.Offline}, {statusPaper, s.Paper}} {
		if !ValidStatusByte(r.b) {
			return hal.PrinterOffline, fmt.Errorf("dle eot %d reply %#02x is not a status byte", r.n, r.b)
		}
	}
	switch {
	case s.Offline&0x04 != 0:
		return hal.PrinterCoverOpen, nil
	case s.Paper&0x60 != 0, s.Offline&0x20 != 0:
		return hal.PrinterPaperOut, nil
	case s.Printer&0x08 != 0, s.Offline&0x40 != 0:
		return hal.PrinterOffline, nil
	case s.Paper&0x0C != 0:
		return hal.PrinterPaperNearEnd, nil
	}
	return hal.PrinterReady, nil
}
