package escpossim

import "countertop/hal/internal/ptyserve"

// PTY serves a Printer on a pseudo-terminal: a driver opens Path as its serial port.
type PTY struct {
	*ptyserve.PTY
	p *Printer
}

// StartPTY serves p on a new pseudo-terminal until Close.
func (p *Printer) StartPTY() (*PTY, error) {
	t, err := ptyserve.Start(p.Serve)
	if err != nil {
		return nil, err
	}
	return &PTY{PTY: t, p: p}, nil
}

// Printer is the simulated printer behind the pty.
func (t *PTY) Printer() *Printer { return t.p }
