package escpos_test

import (
	"testing"

	"countertop/hal"
	"countertop/hal/escpos/escpossim"
	"countertop/hal/haltest"
)

// TestConformance runs hal's printer suite against the driver on a pty, talking to the
// simulated printer through go.bug.st/serial.
func TestConformance(t *testing.T) {
	haltest.TestPrinter(t, func(t *testing.T) (hal.Printer, haltest.Controls) {
		p, sim := openPTY(t)
		return p, haltest.Controls{
			SetStatus: func(s hal.PrinterStatus) {
				var st escpossim.State
				switch s {
				case hal.PrinterPaperNearEnd:
					st.PaperNearEnd = true
				case hal.PrinterPaperOut:
					st.PaperOut = true
				case hal.PrinterCoverOpen:
					st.CoverOpen = true
				case hal.PrinterOffline:
					st.Offline = true
				}
				sim.SetState(st)
			},
			PaperOutAfter: func(lines int) { sim.SetState(escpossim.State{PaperOutAfter: lines}) },
			Printed:       sim.Slips,
		}
	})
}
