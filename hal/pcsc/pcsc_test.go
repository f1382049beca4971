//go:build pcsc

package pcsc_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"countertop/hal"
	"countertop/hal/pcsc"
	"countertop/hal/pcsc/pcscdtest"
	"countertop/hal/pcsc/vpcd"
)

// Packages the integration tests need; make test installs them.
const aptPackages = "pcscd libpcsclite-dev pkg-config vsmartcard-vpcd pcsc-tools gcc"

const readerName = "Virtual PCD 00 00"

// vpcdAddr is where scripts/pcscd/start.sh makes vpcd listen for slot 0.
var vpcdAddr = "127.0.0.1:" + cmp.Or(os.Getenv("COUNTERTOP_VPCD_PORT"), "31963")

var (
	setupErr error            // why the PC/SC stack is unusable
	stack    *pcscdtest.Stack // pcscd, started by TestMain when none ran
)

// TestMain checks the installation and starts pcscd when none runs, stopping it at the
// end (scripts/pcscd/start.sh and stop.sh).
func TestMain(m *testing.M) {
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	stack, setupErr = pcscdtest.Start(root)
	code := m.Run()
	if err := stack.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// needPCSC fails the test when the stack is missing, unless COUNTERTOP_SKIP_PCSC=1.
func needPCSC(t testing.TB) {
	t.Helper()
	if setupErr == nil {
		return
	}
	if os.Getenv("COUNTERTOP_SKIP_PCSC") == "1" {
		t.Skipf("COUNTERTOP_SKIP_PCSC=1: %v", setupErr)
	}
	t.Fatalf("PC/SC test stack unusable: %v\nRun `make test`, which installs it (apt-get install -y %s) "+
		"and starts pcscd, or set COUNTERTOP_SKIP_PCSC=1 to skip.", setupErr, aptPackages)
}

// selectCard answers SELECT with FCI data and 9000, anything else with 6D00.
type selectCard struct{}

var (
	atr       = []byte{0x3B, 0x80, 0x80, 0x01, 0x01}
	selectPSE = []byte{0x00, 0xA4, 0x04, 0x00, 0x0E, '1', 'P', 'A', 'Y', '.', 'S', 'Y', 'S', '.', 'D', 'D', 'F', '0', '1', 0x00}
	fci       = []byte{0x6F, 0x03, 0x84, 0x01, 0x01, 0x90, 0x00}
)

func (selectCard) ATR() []byte { return atr }

func (selectCard) Transmit(apdu []byte) []byte {
	if len(apdu) >= 4 && apdu[0] == 0x00 && apdu[1] == 0xA4 {
		return bytes.Clone(fci)
	}
	return []byte{0x6D, 0x00}
}

// insert serves card through vpcd until the returned remove is called.
func insert(t testing.TB, card vpcd.Card) (remove func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- vpcd.Serve(ctx, vpcdAddr, card) }()
	removed := false
	remove = func() {
		if removed {
			return
		}
		removed = true
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("vpcd.Serve: %v", err)
		}
	}
	t.Cleanup(remove)
	return remove
}

func open(t testing.TB) *pcsc.Reader {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := pcsc.Open(ctx, "Virtual PCD")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if r.Name() != readerName {
		t.Fatalf("Open picked %q, want %q", r.Name(), readerName)
	}
	return r
}

func waitKind(t *testing.T, r *pcsc.Reader, want hal.CardEventKind) hal.CardEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ev, err := r.WaitCard(ctx)
	if err != nil || ev.Kind != want {
		t.Fatalf("WaitCard = %v, %v; want %v", ev.Kind, err, want)
	}
	return ev
}

func TestInsertTransmitRemove(t *testing.T) {
	needPCSC(t)
	r := open(t)
	if _, err := r.Transmit(t.Context(), selectPSE); !errors.Is(err, hal.ErrNoCard) {
		t.Errorf("Transmit with no card = %v, want ErrNoCard", err)
	}
	remove := insert(t, selectCard{})
	ev := waitKind(t, r, hal.CardInserted)
	if !bytes.Equal(ev.ATR, atr) {
		t.Errorf("ATR % x, want % x", ev.ATR, atr)
	}
	resp, err := r.Transmit(t.Context(), selectPSE)
	if err != nil {
		t.Fatalf("Transmit SELECT: %v", err)
	}
	if diff := gocmp.Diff(fci, resp); diff != "" {
		t.Errorf("SELECT response (-want +got):\n%s", diff)
	}
	remove()
	waitKind(t, r, hal.CardRemoved)
	if _, err := r.Transmit(t.Context(), selectPSE); !errors.Is(err, hal.ErrNoCard) {
		t.Errorf("Transmit after removal = %v, want ErrNoCard", err)
	}

	// A second card in the same reader.
	insert(t, selectCard{})
	waitKind(t, r, hal.CardInserted)
	if _, err := r.Transmit(t.Context(), selectPSE); err != nil {
		t.Errorf("Transmit to the second card: %v", err)
	}
}

func TestRemovedDuringExchange(t *testing.T) {
	needPCSC(t)
	r := open(t)
	remove := insert(t, selectCard{})
	waitKind(t, r, hal.CardInserted)
	remove()
	// Until vpcd notices, an exchange fails as a removal, never as success.
	_, err := r.Transmit(t.Context(), selectPSE)
	if !errors.Is(err, hal.ErrCardRemoved) {
		t.Errorf("Transmit to a removed card = %v, want ErrCardRemoved", err)
	}
	if de, ok := errors.AsType[*hal.DeviceError](err); !ok || de.Op != "transmit" {
		t.Errorf("error %v is not a transmit DeviceError", err)
	}
	waitKind(t, r, hal.CardRemoved)
}

func TestWaitCardCancel(t *testing.T) {
	needPCSC(t)
	r := open(t)
	for _, d := range []time.Duration{0, 200 * time.Millisecond} {
		ctx, cancel := context.WithTimeout(t.Context(), d)
		start := time.Now()
		_, err := r.WaitCard(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WaitCard = %v, want deadline exceeded", err)
		}
		if el := time.Since(start); el > d+time.Second {
			t.Errorf("WaitCard took %v to honour a %v deadline", el, d)
		}
	}
	// The reader still works after a cancelled wait.
	insert(t, selectCard{})
	waitKind(t, r, hal.CardInserted)
}

func TestOpenUnknownReader(t *testing.T) {
	needPCSC(t)
	_, err := pcsc.Open(t.Context(), "No Such Reader")
	if !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("Open = %v, want ErrDeviceGone", err)
	}
}

func script(t testing.TB, name string) {
	t.Helper()
	if err := stack.Script(name); err != nil {
		t.Fatal(err)
	}
}

// TestPCSCDGone stops pcscd under an open reader: waits and exchanges fail with
// ErrDeviceGone, and a reader opened after the restart works again.
func TestPCSCDGone(t *testing.T) {
	needPCSC(t)
	if !stack.Started() {
		t.Skip("pcscd was not started by this test binary; not stopping someone else's")
	}
	r := open(t)
	insert(t, selectCard{})
	waitKind(t, r, hal.CardInserted)
	script(t, "stop.sh")
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			script(t, "start.sh")
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := r.Transmit(ctx, selectPSE); !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("Transmit after pcscd stopped = %v, want ErrDeviceGone", err)
	}
	// pcscd may report the card removed as it shuts its readers down; then the reader
	// is gone.
	ev, err := r.WaitCard(ctx)
	if err == nil && ev.Kind == hal.CardRemoved {
		ev, err = r.WaitCard(ctx)
	}
	if !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("WaitCard after pcscd stopped = %v, %v; want ErrDeviceGone", ev.Kind, err)
	}
	if _, err := pcsc.Open(ctx, "Virtual PCD"); !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("Open without pcscd = %v, want ErrDeviceGone", err)
	}
	script(t, "start.sh")
	restarted = true
	r2 := open(t)
	waitKind(t, r2, hal.CardInserted) // vpcd.Serve dialled again by itself
}

// BenchmarkTransmit compares one SELECT through pcscd and vpcd with a direct call.
func BenchmarkTransmit(b *testing.B) {
	b.Run("direct", func(b *testing.B) {
		var c vpcd.Card = selectCard{}
		for b.Loop() {
			if r := c.Transmit(selectPSE); len(r) < 2 {
				b.Fatal("no answer")
			}
		}
	})
	b.Run("pcscd+vpcd", func(b *testing.B) {
		needPCSC(b)
		r := open(b)
		insert(b, selectCard{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if ev, err := r.WaitCard(ctx); err != nil || ev.Kind != hal.CardInserted {
			b.Fatalf("WaitCard = %v, %v", ev.Kind, err)
		}
		for b.Loop() {
			if _, err := r.Transmit(ctx, selectPSE); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A contactless reader reports a card in its field as a tap. vpcd's second slot
// ("Virtual PCD 00 01", the next port) stands in for the PICC reader.
func TestContactlessReaderReportsTaps(t *testing.T) {
	needPCSC(t)
	host, port, err := net.SplitHostPort(vpcdAddr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	r, err := pcsc.OpenContactless(ctx, "Virtual PCD 00 01")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	serveCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- vpcd.Serve(serveCtx, net.JoinHostPort(host, strconv.Itoa(n+1)), selectCard{}) }()
	ev := waitKind(t, r, hal.CardTapped)
	if !bytes.Equal(ev.ATR, atr) {
		t.Errorf("ATR %X, want %X", ev.ATR, atr)
	}
	resp, err := r.Transmit(ctx, selectPSE)
	if err != nil || !bytes.Equal(resp, fci) {
		t.Errorf("Transmit = %X, %v", resp, err)
	}
	stop()
	<-done
	waitKind(t, r, hal.CardRemoved)
}
