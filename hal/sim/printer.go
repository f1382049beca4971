package sim

import (
	"context"
	"slices"
	"sync"

	"countertop/hal"
)

var _ hal.Printer = (*Printer)(nil)

// Printer is a simulated slip printer that records what it prints. Its status is
// scriptable, and PaperOutAfter makes the paper run out part-way through a slip.
type Printer struct {
	// Width is the columns of the normal font (32, 58 mm paper); informational.
	Width int

	mu       sync.Mutex
	status   hal.PrinterStatus
	paperFor int // lines left before the paper runs out; <0: unlimited
	printed  []hal.Document
	spoiled  []hal.Document
}

// NewPrinter returns a ready 58 mm printer (Width 32) with unlimited paper.
func NewPrinter() *Printer { return &Printer{Width: 32, paperFor: -1} }

// SetStatus sets what Status reports. Setting PrinterReady after a paper-out is
// reloading the paper: printing works again.
func (p *Printer) SetStatus(s hal.PrinterStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status = s
	if s == hal.PrinterReady || s == hal.PrinterPaperNearEnd {
		if p.paperFor == 0 {
			p.paperFor = -1
		}
	}
}

// PaperOutAfter makes the paper run out after n more printed lines: the Print in
// progress then fails with ErrPaperOut in a DeviceError and the status stays
// PrinterPaperOut until SetStatus(PrinterReady). A negative n means unlimited paper.
func (p *Printer) PaperOutAfter(lines int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paperFor = max(lines, -1)
}

// Printed is the documents printed in full, oldest first.
func (p *Printer) Printed() []hal.Document {
	p.mu.Lock()
	defer p.mu.Unlock()
	return cloneDocs(p.printed)
}

// Spoiled is the documents cut short by paper-out, each with the lines that came out.
func (p *Printer) Spoiled() []hal.Document {
	p.mu.Lock()
	defer p.mu.Unlock()
	return cloneDocs(p.spoiled)
}

// Status reports the printer's state.
func (p *Printer) Status(ctx context.Context) (hal.PrinterStatus, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status, nil
}

// Print prints d, or fails with a DeviceError wrapping the fault's sentinel when the
// status is a fault or the paper runs out part-way.
func (p *Printer) Print(ctx context.Context, d hal.Document) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.status.Err(); err != nil {
		return &hal.DeviceError{Device: "printer", Op: "print", Err: err}
	}
	d.Lines = slices.Clone(d.Lines)
	if p.paperFor >= 0 && len(d.Lines) > p.paperFor {
		part := d
		part.Lines = part.Lines[:p.paperFor]
		part.QR = ""
		p.spoiled = append(p.spoiled, part)
		p.paperFor = 0
		p.status = hal.PrinterPaperOut
		return &hal.DeviceError{Device: "printer", Op: "print", Err: hal.ErrPaperOut}
	}
	if p.paperFor >= 0 {
		p.paperFor -= len(d.Lines)
	}
	p.printed = append(p.printed, d)
	return nil
}

func cloneDocs(ds []hal.Document) []hal.Document {
	out := make([]hal.Document, len(ds))
	for i, d := range ds {
		d.Lines = slices.Clone(d.Lines)
		out[i] = d
	}
	return out
}
