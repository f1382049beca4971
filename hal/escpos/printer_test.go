package escpos_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"countertop/hal"
	"countertop/hal/escpos"
	"countertop/hal/escpos/escpossim"
)

// slip is a cardholder copy as internal/receipt lays it out: Chinese and ASCII, every
// line attribute, and a QR code.
var slip = hal.Document{Width: 32, Lines: []hal.Line{
	{Text: "签购单", Align: hal.AlignCenter, Large: true},
	{Text: "持卡人存根 CARDHOLDER COPY", Align: hal.AlignCenter},
	{Text: "商户名称(MERCHANT):测试商户"},
	{Text: "卡号(CARD NO):6225 88** **** 1234", Bold: true},
	{Text: "金额(AMOUNT): RMB 12.34", Bold: true, Large: true},
	{Text: "参考号:000123456789", Align: hal.AlignRight},
	{Text: "𠀀𪚥 GB18030 四字节"}, // 4-byte GB18030 sequences
	{Text: ""},
	{Text: "本人确认以上交易,同意将其记入本卡账户"},
}, QR: "https://example.invalid/r/000123456789"}

// openPTY starts a simulated printer on a pseudo-terminal and opens the driver on it
// through go.bug.st/serial, as cmd/posd would open a real printer.
func openPTY(t *testing.T) (*escpos.Printer, *escpossim.Printer) {
	t.Helper()
	sim := escpossim.New(32)
	pt, err := sim.StartPTY()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pt.Close(); err != nil {
			t.Errorf("pty close: %v", err)
		}
	})
	p, err := escpos.Open(pt.Path(), 115200)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, sim
}

func TestPrintChineseSlipThroughPTY(t *testing.T) {
	p, sim := openPTY(t)
	ctx := t.Context()
	if err := p.Print(ctx, slip); err != nil {
		t.Fatalf("Print: %v", err)
	}
	if err := p.Print(ctx, hal.Document{Lines: []hal.Line{{Text: "第二张 2"}}}); err != nil {
		t.Fatalf("Print second: %v", err)
	}
	got := sim.Slips()
	want := []hal.Document{slip, {Width: 32, Lines: []hal.Line{{Text: "第二张 2"}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("slips (-sent +printed):\n%s", diff)
	}
	if len(got) > 0 && got[0].Text() != slip.Text() {
		t.Errorf("printed text:\n%s\nwant:\n%s", got[0].Text(), slip.Text())
	}
	if u := sim.Uncut(); len(u.Lines) != 0 || u.QR != "" {
		t.Errorf("uncut paper after the last cut: %+v", u)
	}
}

func TestPrinterFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		state  escpossim.State
		status hal.PrinterStatus
		err    error
	}{
		{"ready", escpossim.State{}, hal.PrinterReady, nil},
		{"near end", escpossim.State{PaperNearEnd: true}, hal.PrinterPaperNearEnd, nil},
		{"paper out", escpossim.State{PaperOut: true}, hal.PrinterPaperOut, hal.ErrPaperOut},
		{"cover open", escpossim.State{CoverOpen: true}, hal.PrinterCoverOpen, hal.ErrCoverOpen},
		{"offline", escpossim.State{Offline: true}, hal.PrinterOffline, hal.ErrPrinterOffline},
		{"cover open and paper out", escpossim.State{CoverOpen: true, PaperOut: true}, hal.PrinterCoverOpen, hal.ErrCoverOpen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, sim := openPTY(t)
			sim.SetState(tc.state)
			st, err := p.Status(t.Context())
			if err != nil || st != tc.status {
				t.Fatalf("Status = %v, %v; want %v", st, err, tc.status)
			}
			err = p.Print(t.Context(), slip)
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("Print error = %v, want %v", err, tc.err)
			}
			if tc.err == nil {
				return
			}
			if de, ok := errors.AsType[*hal.DeviceError](err); !ok || de.Device != "printer" || de.Op != "print" {
				t.Errorf("Print error %v is not a printer DeviceError", err)
			}
			if n := len(sim.Slips()); n != 0 || sim.Lost() != 0 {
				t.Errorf("a faulted printer was sent the slip: %d slips, %d lines lost", n, sim.Lost())
			}
		})
	}
}

func TestPaperRunsOutDuringSlip(t *testing.T) {
	p, sim := openPTY(t)
	sim.SetState(escpossim.State{PaperOutAfter: 3})
	err := p.Print(t.Context(), slip)
	if !errors.Is(err, hal.ErrPaperOut) {
		t.Fatalf("Print error = %v, want ErrPaperOut", err)
	}
	if got := len(sim.Uncut().Lines); got != 3 {
		t.Errorf("%d lines printed before the paper ran out, want 3", got)
	}
	if sim.Lost() == 0 {
		t.Error("simulator lost no lines")
	}
}

func TestGarbageBeforeStatusTolerated(t *testing.T) {
	p, sim := openPTY(t)
	// ASB bytes (bit 1 clear), bit-4-clear bytes, NUL, 0xFF: none has the DLE EOT shape.
	sim.SetState(escpossim.State{PaperNearEnd: true, Noise: []byte{0xFF, 0x00, 0x08, 0x01, 0x0C, 0x80, 0x93}})
	st, err := p.Status(t.Context())
	if err != nil || st != hal.PrinterPaperNearEnd {
		t.Fatalf("Status = %v, %v; want paper-near-end", st, err)
	}
	if err := p.Print(t.Context(), slip); err != nil {
		t.Fatalf("Print: %v", err)
	}
	if n := len(sim.Slips()); n != 1 {
		t.Errorf("%d slips, want 1", n)
	}
}

func TestStatusHonoursContext(t *testing.T) {
	p, sim := openPTY(t)
	sim.SetState(escpossim.State{Silent: true})
	p.SetReplyTimeout(time.Hour)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Status(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Status error = %v, want deadline exceeded", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Status returned %v after its context ended", el)
	}

	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	if err := p.Print(ctx, slip); !errors.Is(err, context.Canceled) {
		t.Errorf("Print with a cancelled context = %v", err)
	}
}

func TestSilentPrinterIsGone(t *testing.T) {
	p, sim := openPTY(t)
	sim.SetState(escpossim.State{Silent: true})
	p.SetReplyTimeout(50 * time.Millisecond)
	_, err := p.Status(t.Context())
	if !errors.Is(err, hal.ErrDeviceGone) {
		t.Fatalf("Status error = %v, want ErrDeviceGone", err)
	}
	if err := p.Print(t.Context(), slip); !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("Print error = %v, want ErrDeviceGone", err)
	}
}

func TestOpenMissingPort(t *testing.T) {
	_, err := escpos.Open("/dev/nonexistent-countertop-printer", 9600)
	if !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("Open error = %v, want ErrDeviceGone", err)
	}
}

// TestPrintOverTCP drives the io.ReadWriter constructor over a loopback TCP connection
// (a network printer on port 9100), where reads are bounded by deadlines.
func TestPrintOverTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sim := escpossim.New(48)
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		served <- sim.Serve(c)
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	p := escpos.New(conn, 48)
	doc := hal.Document{Lines: []hal.Line{{Text: "网络打印机 9100", Align: hal.AlignCenter}}, QR: "Q1"}
	if err := p.Print(t.Context(), doc); err != nil {
		t.Fatalf("Print: %v", err)
	}
	doc.Width = 48
	if diff := cmp.Diff([]hal.Document{doc}, sim.Slips()); diff != "" {
		t.Errorf("slips (-sent +printed):\n%s", diff)
	}
	sim.SetState(escpossim.State{Silent: true})
	p.SetReplyTimeout(time.Hour)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := p.Status(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Status on a silent printer = %v, want deadline exceeded", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("simulator: %v", err)
	}
}
