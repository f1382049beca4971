package pinpadsim

import "countertop/hal/internal/ptyserve"

// PTY serves a PINPad on a pseudo-terminal: a driver opens Path as its serial port.
type PTY struct {
	*ptyserve.PTY
	p *PINPad
}

// StartPTY serves p on a new pseudo-terminal until Close or Unplug.
func (p *PINPad) StartPTY() (*PTY, error) {
	t, err := ptyserve.Start(p.Serve)
	if err != nil {
		return nil, err
	}
	return &PTY{PTY: t, p: p}, nil
}

// PINPad is the simulated pad behind the pseudo-terminal.
func (t *PTY) PINPad() *PINPad { return t.p }

// Unplug pulls the cable: the pseudo-terminal goes away at once, so a driver's reads
// and writes on Path fail (EIO) and the path cannot be opened again.
func (t *PTY) Unplug() { t.Close() }
