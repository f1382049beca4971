package haltest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"countertop/hal"
)

// Controls play the paper and the operator's part for TestPrinter.
type Controls struct {
	// SetStatus makes the printer be in state s (paper out, cover open, offline,
	// paper near end, ready); ready after paper-out means paper reloaded. Required.
	SetStatus func(s hal.PrinterStatus)
	// PaperOutAfter makes the paper run out after n more printed lines. Nil skips
	// the paper-out-mid-slip subtest.
	PaperOutAfter func(lines int)
	// Printed returns the documents printed in full so far, oldest first. Only the
	// text of their lines is compared (a driver may not read back alignment or
	// fonts). Required.
	Printed func() []hal.Document
}

// TestPrinter runs the printer conformance suite. newPrinter returns a fresh, ready
// printer with nothing printed, and its controls.
func TestPrinter(t *testing.T, newPrinter func(t *testing.T) (hal.Printer, Controls)) {
	ctx := context.Background()

	t.Run("PrintsInOrder", func(t *testing.T) {
		p, c := newPrinter(t)
		docs := []hal.Document{testDoc("first", 3), testDoc("second", 2)}
		for _, d := range docs {
			if err := p.Print(ctx, d); err != nil {
				t.Fatalf("Print(%s): %v", d.Lines[0].Text, err)
			}
		}
		if d := cmp.Diff(docTexts(docs), docTexts(c.Printed())); d != "" {
			t.Errorf("printed (-sent +printed):\n%s", d)
		}
	})

	t.Run("ReadyAtStart", func(t *testing.T) {
		p, _ := newPrinter(t)
		if s, err := p.Status(ctx); err != nil || s != hal.PrinterReady {
			t.Errorf("Status = %v, %v; want ready", s, err)
		}
	})

	t.Run("NearEndStillPrints", func(t *testing.T) {
		p, c := newPrinter(t)
		c.SetStatus(hal.PrinterPaperNearEnd)
		if s, err := p.Status(ctx); err != nil || s != hal.PrinterPaperNearEnd {
			t.Errorf("Status = %v, %v; want paper-near-end", s, err)
		}
		if err := p.Print(ctx, testDoc("near end", 2)); err != nil {
			t.Errorf("Print with paper near end: %v", err)
		}
		if n := len(c.Printed()); n != 1 {
			t.Errorf("%d documents printed; want 1", n)
		}
	})

	for _, s := range []hal.PrinterStatus{hal.PrinterPaperOut, hal.PrinterCoverOpen, hal.PrinterOffline} {
		t.Run("Fault/"+s.String(), func(t *testing.T) {
			p, c := newPrinter(t)
			c.SetStatus(s)
			if got, err := p.Status(ctx); err != nil || got != s {
				t.Errorf("Status = %v, %v; want %v", got, err, s)
			}
			err := p.Print(ctx, testDoc("refused", 2))
			if !errors.Is(err, s.Err()) {
				t.Errorf("Print while %v = %v; want an error wrapping %v", s, err, s.Err())
			}
			if n := len(c.Printed()); n != 0 {
				t.Errorf("%d documents printed while %v; want 0", n, s)
			}
			c.SetStatus(hal.PrinterReady)
			if err := p.Print(ctx, testDoc("after", 2)); err != nil {
				t.Errorf("Print after the fault cleared: %v", err)
			}
			if n := len(c.Printed()); n != 1 {
				t.Errorf("%d documents printed after the fault cleared; want 1", n)
			}
		})
	}

	t.Run("PaperOutMidSlip", func(t *testing.T) {
		p, c := newPrinter(t)
		if c.PaperOutAfter == nil {
			t.Skip("no PaperOutAfter control")
		}
		c.PaperOutAfter(3)
		err := p.Print(ctx, testDoc("long", 8))
		if !errors.Is(err, hal.ErrPaperOut) {
			t.Fatalf("Print running out of paper = %v; want ErrPaperOut", err)
		}
		if s, err := p.Status(ctx); err != nil || s != hal.PrinterPaperOut {
			t.Errorf("Status after paper ran out = %v, %v; want paper-out", s, err)
		}
		if err := p.Print(ctx, testDoc("again", 1)); !errors.Is(err, hal.ErrPaperOut) {
			t.Errorf("Print with no paper = %v; want ErrPaperOut", err)
		}
		if n := len(c.Printed()); n != 0 {
			t.Errorf("%d documents printed in full; want 0", n)
		}
		c.SetStatus(hal.PrinterReady)
		retry := testDoc("long", 8)
		if err := p.Print(ctx, retry); err != nil {
			t.Fatalf("Print after reloading paper: %v", err)
		}
		if d := cmp.Diff(docTexts([]hal.Document{retry}), docTexts(c.Printed())); d != "" {
			t.Errorf("printed after reload (-sent +printed):\n%s", d)
		}
	})

	t.Run("CancelledContext", func(t *testing.T) {
		p, c := newPrinter(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		err := p.Print(cctx, testDoc("cancelled", 2))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Print with cancelled ctx = %v; want context.Canceled", err)
		}
		if n := len(c.Printed()); n != 0 {
			t.Errorf("%d documents printed with a cancelled ctx; want 0", n)
		}
	})
}

func testDoc(name string, lines int) hal.Document {
	d := hal.Document{Width: 32}
	for i := range lines {
		d.Lines = append(d.Lines, hal.Line{Text: fmt.Sprintf("%s %d", name, i)})
	}
	return d
}

func docTexts(ds []hal.Document) [][]string {
	out := make([][]string, 0, len(ds))
	for _, d := range ds {
		var ls []string
		for _, l := range d.Lines {
			ls = append(ls, l.Text)
		}
		out = append(out, ls)
	}
	return out
}
