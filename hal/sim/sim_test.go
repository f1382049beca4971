package sim_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"countertop/hal"
	"countertop/hal/haltest"
	"countertop/hal/sim"
	"countertop/internal/carddata"
	"countertop/internal/keys"
	"countertop/internal/money"
)

func TestActivityWaitIdle(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	a := sim.NewActivity()
	kp := sim.NewKeypad(a)
	pad := newLoadedPad(t, a)
	cr := sim.NewCardReader(a)

	if g := a.Generation(); g != 0 {
		t.Fatalf("Generation at start = %d; want 0", g)
	}
	// A queued key does not block, so it does not count.
	kp.Press(hal.Key1)
	if k, err := kp.ReadKey(ctx); err != nil || k != hal.Key1 {
		t.Fatalf("ReadKey = %v, %v", k, err)
	}
	if g := a.Generation(); g != 0 {
		t.Errorf("Generation after a read that did not block = %d; want 0", g)
	}

	keys := make(chan hal.Key)
	go func() {
		for {
			k, err := kp.ReadKey(ctx)
			if err != nil {
				return
			}
			keys <- k
		}
	}()
	w, err := a.WaitIdle(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(sim.Waiting{Keypad: true}, w); d != "" {
		t.Errorf("WaitIdle (-want +got):\n%s", d)
	}
	since := a.Generation()
	kp.Press(hal.Key2)
	if k := <-keys; k != hal.Key2 {
		t.Errorf("read %v; want 2", k)
	}
	// The reader goes back to waiting: a new generation.
	if _, err := a.WaitIdle(ctx, since); err != nil {
		t.Fatal(err)
	}
	if g := a.Generation(); g <= since {
		t.Errorf("Generation = %d after another wait; want > %d", g, since)
	}

	// WaitIdle with a generation already reached waits for the next one.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a.WaitIdle(cctx, a.Generation()); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitIdle with no new wait and a cancelled ctx = %v; want context.Canceled", err)
	}

	// Card and PIN waits are reported too.
	since = a.Generation()
	go func() { _, _ = cr.WaitCard(ctx) }()
	waitFor(t, a, since, func(w sim.Waiting) bool { return w.Card })
	since = a.Generation()
	pan, _ := carddata.ParsePAN("6222021234567890128")
	go func() { _, _ = pad.ReadPIN(ctx, hal.PINEntry{PAN: pan, MinLen: 4, MaxLen: 6}) }()
	w = waitFor(t, a, since, func(w sim.Waiting) bool { return w.PIN })
	if d := cmp.Diff(sim.Waiting{Keypad: true, Card: true, PIN: true}, w); d != "" {
		t.Errorf("WaitIdle with all three waiting (-want +got):\n%s", d)
	}
	cr.Swipe(hal.Tracks{})
	pad.Cancel()
	kp.Press(hal.Key3)
	<-keys
}

// waitFor calls WaitIdle until ok accepts what is waiting.
func waitFor(t *testing.T, a *sim.Activity, since uint64, ok func(sim.Waiting) bool) sim.Waiting {
	t.Helper()
	for {
		w, err := a.WaitIdle(context.Background(), since)
		if err != nil {
			t.Fatal(err)
		}
		if ok(w) {
			return w
		}
		since = a.Generation()
	}
}

func TestDisplayTranscript(t *testing.T) {
	ctx := context.Background()
	d := sim.NewDisplay()
	var mirrored []hal.Screen
	d.OnShow = func(s hal.Screen) { mirrored = append(mirrored, s) }
	if d.Len() != 0 || d.Current().Title != "" {
		t.Fatalf("new display: Len %d Current %+v", d.Len(), d.Current())
	}
	lines := []string{"请插卡/刷卡/挥卡"}
	s1 := hal.Screen{Title: "消费", Lines: lines}
	s2 := hal.Screen{Title: "消费", Lines: []string{"请输入金额:", "0.00"}}
	for _, s := range []hal.Screen{s1, s2} {
		if err := d.Show(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	lines[0] = "changed by the caller"
	want := []hal.Screen{{Title: "消费", Lines: []string{"请插卡/刷卡/挥卡"}}, s2}
	if diff := cmp.Diff(want, d.Transcript()); diff != "" {
		t.Errorf("Transcript (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, mirrored); diff != "" {
		t.Errorf("OnShow (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[1:], d.Since(1)); diff != "" {
		t.Errorf("Since(1) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(s2, d.Current()); diff != "" || d.Len() != 2 {
		t.Errorf("Current (-want +got):\n%s; Len %d", diff, d.Len())
	}
	if err := d.Beep(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{3}, d.Beeps()); diff != "" {
		t.Errorf("Beeps (-want +got):\n%s", diff)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := d.Show(cctx, s1); !errors.Is(err, context.Canceled) || d.Len() != 2 {
		t.Errorf("Show with cancelled ctx = %v, Len %d; want context.Canceled, 2", err, d.Len())
	}
}

type fixedChip struct{ calls int }

func (c *fixedChip) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	c.calls++
	return []byte{0x90, 0x00}, nil
}

// blockingChip answers only when ctx is done, like a card that never responds.
type blockingChip struct{}

func (blockingChip) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestCardReaderFaults(t *testing.T) {
	ctx := context.Background()
	cmd := []byte{0x00, 0xB2, 0x01, 0x0C, 0x00}

	t.Run("RemoveAfter", func(t *testing.T) {
		r := sim.NewCardReader(nil)
		chip := &fixedChip{}
		r.Insert(chip, []byte{0x3B, 0x00})
		r.RemoveAfter(2)
		for i := range 2 {
			if _, err := r.Transmit(ctx, cmd); err != nil {
				t.Fatalf("APDU %d: %v", i+1, err)
			}
		}
		_, err := r.Transmit(ctx, cmd)
		var de *hal.DeviceError
		if !errors.Is(err, hal.ErrCardRemoved) || !errors.As(err, &de) || de.Device != "card reader" {
			t.Errorf("third APDU = %v; want a card reader DeviceError wrapping ErrCardRemoved", err)
		}
		if chip.calls != 2 {
			t.Errorf("chip answered %d APDUs; want 2", chip.calls)
		}
		var kinds []hal.CardEventKind
		for r.Pending() > 0 {
			ev, err := r.WaitCard(ctx)
			if err != nil {
				t.Fatal(err)
			}
			kinds = append(kinds, ev.Kind)
		}
		if d := cmp.Diff([]hal.CardEventKind{hal.CardInserted, hal.CardRemoved}, kinds); d != "" {
			t.Errorf("events (-want +got):\n%s", d)
		}
		if _, err := r.Transmit(ctx, cmd); !errors.Is(err, hal.ErrCardRemoved) {
			t.Errorf("Transmit after removal = %v; want ErrCardRemoved", err)
		}
		r.Tap(chip, []byte{0x3B, 0x01})
		if _, err := r.Transmit(ctx, cmd); err != nil {
			t.Errorf("Transmit after a tap: %v", err)
		}
	})

	t.Run("SwipeError", func(t *testing.T) {
		r := sim.NewCardReader(nil)
		r.SwipeError(carddata.ErrBadTrack)
		ev, err := r.WaitCard(ctx)
		if err != nil || ev.Kind != hal.CardSwiped || !errors.Is(ev.Err, carddata.ErrBadTrack) {
			t.Errorf("WaitCard = %v (Err %v), %v; want a swipe carrying ErrBadTrack", ev.Kind, ev.Err, err)
		}
	})

	t.Run("TransmitHonoursCtx", func(t *testing.T) {
		r := sim.NewCardReader(nil)
		r.Insert(blockingChip{}, []byte{0x3B, 0x00})
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { _, err := r.Transmit(cctx, cmd); done <- err }()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Transmit to a silent chip after cancel = %v; want context.Canceled", err)
		}
	})
}

func TestPINPadKeys(t *testing.T) {
	ctx := context.Background()
	pan, _ := carddata.ParsePAN("6222021234567890128")
	entry := hal.PINEntry{PAN: pan, Amount: money.New(1234, money.CNY), MinLen: 4, MaxLen: 6}

	t.Run("NoKey", func(t *testing.T) {
		p := sim.NewPINPad(nil, testTMK)
		p.Enter("1234")
		if _, err := p.ReadPIN(ctx, entry); !errors.Is(err, hal.ErrNoKey) {
			t.Errorf("ReadPIN with no PIK = %v; want ErrNoKey", err)
		}
		if p.Pending() != 1 {
			t.Errorf("ReadPIN with no key took the scripted entry")
		}
	})

	t.Run("BadCheckValue", func(t *testing.T) {
		p := sim.NewPINPad(nil, testTMK)
		enc, kcv := encryptedPIK(t)
		kcv[0] ^= 1
		if err := p.LoadPINKey(ctx, enc, kcv); !errors.Is(err, keys.ErrCheckValue) {
			t.Errorf("LoadPINKey with a wrong KCV = %v; want ErrCheckValue", err)
		}
		other := sim.NewPINPad(nil, mustKey("FEDCBA98765432100123456789ABCDEF"))
		_, kcv = encryptedPIK(t)
		if err := other.LoadPINKey(ctx, enc, kcv); !errors.Is(err, keys.ErrCheckValue) {
			t.Errorf("LoadPINKey under the wrong TMK = %v; want ErrCheckValue", err)
		}
		p.Enter("1234")
		if _, err := p.ReadPIN(ctx, entry); !errors.Is(err, hal.ErrNoKey) {
			t.Errorf("ReadPIN after a rejected key = %v; want ErrNoKey", err)
		}
	})

	t.Run("LengthChecked", func(t *testing.T) {
		p := newLoadedPad(t, nil)
		for _, pin := range []string{"123", "1234567", "12a4", ""} {
			p.Enter(pin)
			if _, err := p.ReadPIN(ctx, entry); !errors.Is(err, sim.ErrScript) {
				t.Errorf("ReadPIN of %q for 4-6 digits = %v; want ErrScript", pin, err)
			}
		}
		p.Bypass()
		if _, err := p.ReadPIN(ctx, entry); !errors.Is(err, sim.ErrScript) {
			t.Errorf("Bypass where not allowed = %v; want ErrScript", err)
		}
	})

	t.Run("UnplugWakesReader", func(t *testing.T) {
		a := sim.NewActivity()
		p := newLoadedPad(t, a)
		var prompted []hal.PINEntry
		p.OnPrompt = func(e hal.PINEntry) { prompted = append(prompted, e) }
		done := make(chan error, 1)
		go func() { _, err := p.ReadPIN(ctx, entry); done <- err }()
		if _, err := a.WaitIdle(ctx, 0); err != nil {
			t.Fatal(err)
		}
		p.Unplug()
		err := <-done
		var de *hal.DeviceError
		if !errors.Is(err, hal.ErrDeviceGone) || !errors.As(err, &de) || de.Device != "pin pad" {
			t.Errorf("ReadPIN when unplugged = %v; want a pin pad DeviceError wrapping ErrDeviceGone", err)
		}
		if err := p.Show(ctx, "RMB 12.34"); !errors.Is(err, hal.ErrDeviceGone) {
			t.Errorf("Show when unplugged = %v; want ErrDeviceGone", err)
		}
		if len(prompted) != 1 || prompted[0].Amount != entry.Amount {
			t.Errorf("OnPrompt saw %v; want the one entry", prompted)
		}
		p.Replug()
		p.Enter("1234")
		if _, err := p.ReadPIN(ctx, entry); err != nil {
			t.Errorf("ReadPIN after Replug: %v", err)
		}
	})

	t.Run("Shown", func(t *testing.T) {
		p := newLoadedPad(t, nil)
		_ = p.Show(ctx, "RMB 12.34")
		_ = p.Show(ctx, "谢谢", "THANK YOU")
		if d := cmp.Diff([]string{"RMB 12.34", "谢谢", "THANK YOU"}, p.Shown()); d != "" {
			t.Errorf("Shown (-want +got):\n%s", d)
		}
	})
}

func TestPrinterPaperOut(t *testing.T) {
	ctx := context.Background()
	p := sim.NewPrinter()
	doc := func(n int) hal.Document {
		d := hal.Document{Width: 32, QR: "ref"}
		for i := range n {
			d.Lines = append(d.Lines, hal.Line{Text: strconv.Itoa(i)})
		}
		return d
	}
	p.PaperOutAfter(5)
	if err := p.Print(ctx, doc(3)); err != nil {
		t.Fatal(err)
	}
	err := p.Print(ctx, doc(4))
	var de *hal.DeviceError
	if !errors.Is(err, hal.ErrPaperOut) || !errors.As(err, &de) || de.Device != "printer" {
		t.Fatalf("Print past the paper = %v; want a printer DeviceError wrapping ErrPaperOut", err)
	}
	want := []hal.Document{{Width: 32, Lines: []hal.Line{{Text: "0"}, {Text: "1"}}}}
	if d := cmp.Diff(want, p.Spoiled()); d != "" {
		t.Errorf("Spoiled (-want +got):\n%s", d)
	}
	if n := len(p.Printed()); n != 1 {
		t.Errorf("%d documents printed in full; want 1", n)
	}
	p.SetStatus(hal.PrinterReady)
	if err := p.Print(ctx, doc(40)); err != nil {
		t.Errorf("Print after reloading paper: %v", err)
	}
}

func TestDisplayConformance(t *testing.T) {
	haltest.TestDisplay(t, func(t *testing.T) (hal.Display, func() string) {
		d := sim.NewDisplay()
		return d, func() string {
			s := d.Current()
			return s.Title + "\n" + strings.Join(s.Lines, "\n")
		}
	})
}
