package pinpad_test

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"countertop/hal"
	"countertop/hal/haltest"
	"countertop/hal/pinpad"
	"countertop/hal/pinpad/abecs"
	"countertop/hal/pinpad/pinpadsim"
	"countertop/internal/carddata"
	"countertop/internal/keys"
	"countertop/internal/money"
)

// Test keys: the TMK in the pad's MK slot, and the PIK the host sends encrypted under it.
var (
	testTMK = mustKey("0123456789ABCDEFFEDCBA9876543210")
	testPIK = mustKey("11111111111111112222222222222222")
	testPAN = mustPAN("6222021234567890128")
	entry   = hal.PINEntry{PAN: testPAN, Amount: money.New(1234, money.CNY), MinLen: 4, MaxLen: 6}
)

const slot = 7

func mustKey(h string) keys.Key {
	k, err := keys.ParseHexKey(h)
	if err != nil {
		panic(err)
	}
	return k
}

func mustPAN(s string) carddata.PAN {
	p, err := carddata.ParsePAN(s)
	if err != nil {
		panic(err)
	}
	return p
}

// encryptedPIK is the PIK as a sign-in reply carries it: under the TMK, with its KCV.
func encryptedPIK(t testing.TB) (enc, kcv []byte) {
	t.Helper()
	enc, err := keys.EncryptECB(testTMK, testPIK.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return enc, keys.KCV(testPIK)
}

// fastTimeouts keep failure tests short; the pty answers in well under a millisecond.
var fastTimeouts = abecs.Timeouts{Ack: 300 * time.Millisecond, Byte: 300 * time.Millisecond,
	Silence: 50 * time.Millisecond, Response: time.Second, EOT: 300 * time.Millisecond}

type rig struct {
	pad *pinpad.PINPad
	sim *pinpadsim.PINPad
	pty *pinpadsim.PTY
}

// openPTY starts a simulated pad on a pseudo-terminal and opens the driver on it
// through go.bug.st/serial, as cmd/posd opens a real pad.
func openPTY(t testing.TB, so pinpadsim.Options, po pinpad.Options) rig {
	t.Helper()
	sim := pinpadsim.New(testTMK, slot, so)
	pt, err := sim.StartPTY()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pt.Close(); err != nil {
			t.Errorf("pty close: %v", err)
		}
	})
	po.KeySlot = slot
	pad, err := pinpad.Open(pt.Path(), 115200, po)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pad.Close() })
	return rig{pad, sim, pt}
}

// loaded is openPTY with the PIK loaded.
func loaded(t testing.TB, so pinpadsim.Options, po pinpad.Options) rig {
	t.Helper()
	r := openPTY(t, so, po)
	enc, kcv := encryptedPIK(t)
	if err := r.pad.LoadPINKey(testCtx(t), enc, kcv); err != nil {
		t.Fatalf("LoadPINKey: %v", err)
	}
	return r
}

func decrypt(enc []byte) ([]byte, error) { return keys.DecryptPINBlock(testPIK, enc) }

// TestConformance runs hal's PIN pad suite against the driver on a pty, talking to
// the simulated pad through go.bug.st/serial.
func TestConformance(t *testing.T) {
	haltest.TestPINPad(t, func(t *testing.T) (hal.PINPad, haltest.PINControls) {
		r := loaded(t, pinpadsim.Options{}, pinpad.Options{})
		t.Cleanup(func() {
			if err := r.sim.Err(); err != nil {
				t.Errorf("simulator: %v", err)
			}
		})
		return r.pad, haltest.PINControls{Enter: r.sim.Enter, Cancel: r.sim.Cancel, Bypass: r.sim.Bypass, Decrypt: decrypt}
	})
}

// checkPIN decrypts a block and recovers the PIN.
func checkPIN(t *testing.T, b carddata.PINBlock, want string) {
	t.Helper()
	clear, err := decrypt(b.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	got, err := keys.PINFromBlock(clear, testPAN)
	if err != nil || got != want {
		t.Errorf("PIN in block = %q, %v; want %q", got, err, want)
	}
}

func TestSessionAndInfo(t *testing.T) {
	r := openPTY(t, pinpadsim.Options{}, pinpad.Options{})
	info, err := r.pad.Info(testCtx(t))
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	want := pinpad.Info{Maker: "COUNTERTOP", Model: "PINPADSIM;1MB", OS: "pinpadsim 1", SpecVersion: "2.20",
		Manager: "001.00 261127", Serial: "SIM0000001"}
	if d := cmp.Diff(want, info); d != "" {
		t.Errorf("Info (-want +got):\n%s", d)
	}
	if err := r.pad.CloseSession(testCtx(t), "COUNTERTOP", "IDLE"); err != nil {
		t.Fatalf("CloseSession: %v", err)
	}
	if err := r.pad.Show(testCtx(t), "AGAIN"); err != nil {
		t.Fatalf("Show after CloseSession: %v", err)
	}
	if d := cmp.Diff([]string{"OPN", "GIN", "CLO", "OPN", "DSP"}, r.sim.Commands()); d != "" {
		t.Errorf("commands (-want +got):\n%s", d)
	}
	if got := r.sim.Idle(); got != "COUNTERTOP\nIDLE" {
		t.Errorf("idle text %q", got)
	}
	if s := r.pad.LinkStats(); s.Cancels != 2 {
		t.Errorf("%d CANs, want one before each OPN", s.Cancels)
	}
}

func TestShow(t *testing.T) {
	r := openPTY(t, pinpadsim.Options{}, pinpad.Options{})
	ctx := testCtx(t)
	for _, lines := range [][]string{
		{"RMB 12.34", "THANK YOU"},
		{"OPERAÇÃO"},
		{"AMOUNT", "RMB 1,234,567.89", "INSERT CARD"}, // three lines: DEX
		{"A LINE LONGER THAN SIXTEEN"},                // DEX
		{"金额 12.34"},                                  // not Latin-1
	} {
		if err := r.pad.Show(ctx, lines...); err != nil {
			t.Fatalf("Show(%q): %v", lines, err)
		}
	}
	want := []string{"RMB 12.34", "THANK YOU", "OPERAÇÃO", "AMOUNT", "RMB 1,234,567.89", "INSERT CARD",
		"A LINE LONGER THAN SIXTEEN", "?? 12.34"}
	if d := cmp.Diff(want, r.sim.Shown()); d != "" {
		t.Errorf("shown (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"OPN", "DSP", "DSP", "DEX", "DEX", "DSP"}, r.sim.Commands()); d != "" {
		t.Errorf("commands (-want +got):\n%s", d)
	}
}

func TestReadPINPromptAndBlock(t *testing.T) {
	r := loaded(t, pinpadsim.Options{}, pinpad.Options{Prompt: "SENHA / PIN"})
	r.sim.Enter("246813")
	b, err := r.pad.ReadPIN(testCtx(t), entry)
	if err != nil {
		t.Fatalf("ReadPIN: %v", err)
	}
	checkPIN(t, b, "246813")
	if d := cmp.Diff([]string{"RMB 12.34", "SENHA / PIN"}, r.sim.Shown()); d != "" {
		t.Errorf("prompt (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"OPN", "ZWK", "GPN"}, r.sim.Commands()); d != "" {
		t.Errorf("commands (-want +got):\n%s", d)
	}
}

func TestStatusesMapToSentinels(t *testing.T) {
	r := loaded(t, pinpadsim.Options{}, pinpad.Options{})
	ctx := testCtx(t)
	r.sim.Timeout()
	if _, err := r.pad.ReadPIN(ctx, entry); !errors.Is(err, hal.ErrInputTimeout) {
		t.Errorf("ReadPIN timed out on the pad = %v, want ErrInputTimeout", err)
	}
	r.sim.Cancel()
	_, err := r.pad.ReadPIN(ctx, entry)
	if de, ok := errors.AsType[*hal.DeviceError](err); !ok || de.Device != "pin pad" || de.Op != "read pin" || !errors.Is(err, hal.ErrCancelled) {
		t.Errorf("ReadPIN cancelled on the pad = %v, want a pin pad DeviceError wrapping ErrCancelled", err)
	}
	if se, ok := errors.AsType[*abecs.StatusError](err); !ok || se.Status != abecs.StatusCancel {
		t.Errorf("ReadPIN cancelled: %v carries no status 013", err)
	}
	r.sim.SetMasterKey(slot, keys.Key{}) // the TMK is gone from the pad
	r.sim.Enter("1234")
	if _, err := r.pad.ReadPIN(ctx, entry); !errors.Is(err, hal.ErrNoKey) {
		t.Errorf("ReadPIN with an empty MK slot = %v, want ErrNoKey", err)
	}
	if r.sim.Pending() != 1 {
		t.Errorf("the pad took a PIN with no key: %d inputs pending", r.sim.Pending())
	}
}

func TestReadPINWithoutKey(t *testing.T) {
	r := openPTY(t, pinpadsim.Options{}, pinpad.Options{})
	if _, err := r.pad.ReadPIN(testCtx(t), entry); !errors.Is(err, hal.ErrNoKey) {
		t.Errorf("ReadPIN before LoadPINKey = %v, want ErrNoKey", err)
	}
}

func TestLoadPINKey(t *testing.T) {
	ctx := testCtx(t)
	enc, kcv := encryptedPIK(t)
	t.Run("wrong check value keeps the old key", func(t *testing.T) {
		r := loaded(t, pinpadsim.Options{}, pinpad.Options{})
		other, err := keys.EncryptECB(testTMK, mustKey("33333333333333334444444444444444").Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if err := r.pad.LoadPINKey(ctx, other, kcv); !errors.Is(err, keys.ErrCheckValue) {
			t.Fatalf("LoadPINKey with a wrong check value = %v, want ErrCheckValue", err)
		}
		r.sim.Enter("1357")
		b, err := r.pad.ReadPIN(ctx, entry)
		if err != nil {
			t.Fatal(err)
		}
		checkPIN(t, b, "1357")
	})
	t.Run("empty MK slot", func(t *testing.T) {
		r := openPTY(t, pinpadsim.Options{}, pinpad.Options{})
		r.sim.SetMasterKey(slot, keys.Key{})
		if err := r.pad.LoadPINKey(ctx, enc, kcv); !errors.Is(err, hal.ErrNoKey) {
			t.Fatalf("LoadPINKey with no TMK = %v, want ErrNoKey", err)
		}
	})
	t.Run("bad lengths", func(t *testing.T) {
		r := openPTY(t, pinpadsim.Options{}, pinpad.Options{})
		if err := r.pad.LoadPINKey(ctx, enc[:12], kcv); !errors.Is(err, keys.ErrKeyLength) {
			t.Errorf("12-byte key = %v, want ErrKeyLength", err)
		}
		if err := r.pad.LoadPINKey(ctx, enc, kcv[:1]); !errors.Is(err, keys.ErrCheckValue) {
			t.Errorf("1-byte check value = %v, want ErrCheckValue", err)
		}
		conn, _ := net.Pipe()
		defer conn.Close()
		if err := pinpad.New(conn, pinpad.Options{KeySlot: 100}).LoadPINKey(ctx, enc, kcv); !errors.Is(err, pinpad.ErrKeySlot) {
			t.Errorf("key slot 100 = %v, want ErrKeySlot", err)
		}
		if n := len(r.sim.Commands()); n != 0 {
			t.Errorf("%d commands sent for invalid keys", n)
		}
	})
	t.Run("strict ABECS pad takes the key unchecked", func(t *testing.T) {
		r := openPTY(t, pinpadsim.Options{Strict: true}, pinpad.Options{})
		if err := r.pad.LoadPINKey(ctx, enc, kcv); err != nil {
			t.Fatalf("LoadPINKey on a pad without ZWK: %v", err)
		}
		if err := r.pad.LoadPINKey(ctx, enc, kcv); err != nil {
			t.Fatalf("second LoadPINKey: %v", err)
		}
		r.sim.Enter("8642")
		b, err := r.pad.ReadPIN(ctx, entry)
		if err != nil {
			t.Fatal(err)
		}
		checkPIN(t, b, "8642")
		if d := cmp.Diff([]string{"OPN", "ZWK", "GPN"}, r.sim.Commands()); d != "" {
			t.Errorf("commands (-want +got; ZWK asked once):\n%s", d)
		}
	})
}

func TestBypass(t *testing.T) {
	ctx := testCtx(t)
	e := entry
	e.AllowBypass = true
	t.Run("vendor extension", func(t *testing.T) {
		r := loaded(t, pinpadsim.Options{}, pinpad.Options{})
		r.sim.Enter("")
		if _, err := r.pad.ReadPIN(ctx, e); !errors.Is(err, hal.ErrPINBypassed) {
			t.Fatalf("enter alone = %v, want ErrPINBypassed", err)
		}
		r.sim.Enter("4455")
		b, err := r.pad.ReadPIN(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		checkPIN(t, b, "4455")
	})
	t.Run("strict pad falls back to minimum 04", func(t *testing.T) {
		r := loaded(t, pinpadsim.Options{Strict: true}, pinpad.Options{})
		r.sim.Enter("4455")
		r.sim.Enter("667788")
		for _, pin := range []string{"4455", "667788"} {
			b, err := r.pad.ReadPIN(ctx, e)
			if err != nil {
				t.Fatalf("ReadPIN on a strict pad: %v", err)
			}
			checkPIN(t, b, pin)
		}
		if d := cmp.Diff([]string{"OPN", "ZWK", "GPN", "GPN", "GPN"}, r.sim.Commands()); d != "" {
			t.Errorf("commands (-want +got; minimum 00 tried once):\n%s", d)
		}
	})
}

// TestNAKAndRetransmit: a command NAKed twice goes through on the third try; NAKed
// three times it fails without being gone, and the next call opens a new session.
func TestNAKAndRetransmit(t *testing.T) {
	r := openPTY(t, pinpadsim.Options{}, pinpad.Options{Timeouts: fastTimeouts})
	ctx := testCtx(t)
	if err := r.pad.Show(ctx, "FIRST"); err != nil {
		t.Fatal(err)
	}
	r.sim.NAKNext(2)
	if err := r.pad.Show(ctx, "NAKED TWICE"); err != nil {
		t.Fatalf("Show after 2 NAKs: %v", err)
	}
	if s := r.pad.LinkStats(); s.NAKsIn != 2 {
		t.Errorf("%d NAKs counted, want 2", s.NAKsIn)
	}
	r.sim.NAKNext(3)
	err := r.pad.Show(ctx, "NAKED THRICE")
	if !errors.Is(err, abecs.ErrNAK) || errors.Is(err, hal.ErrDeviceGone) {
		t.Fatalf("Show after 3 NAKs = %v, want ErrNAK (not gone)", err)
	}
	if err := r.pad.Show(ctx, "LAST"); err != nil {
		t.Fatalf("Show after a failed command: %v", err)
	}
	want := []string{"OPN", "DSP", "DSP", "DSP", "DSP", "DSP", "DSP", "DSP", "OPN", "DSP"}
	if d := cmp.Diff(want, r.sim.Commands()); d != "" {
		t.Errorf("commands (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"FIRST", "NAKED TWICE", "LAST"}, r.sim.Shown()); d != "" {
		t.Errorf("shown (-want +got):\n%s", d)
	}
}

// TestDamagedResponses: a response with a bad CRC is NAKed and resent; three bad
// ones fail the exchange.
func TestDamagedResponses(t *testing.T) {
	r := loaded(t, pinpadsim.Options{}, pinpad.Options{Timeouts: fastTimeouts})
	ctx := testCtx(t)
	r.sim.CorruptNext(2)
	r.sim.Enter("1234")
	b, err := r.pad.ReadPIN(ctx, entry)
	if err != nil {
		t.Fatalf("ReadPIN with 2 damaged responses: %v", err)
	}
	checkPIN(t, b, "1234")
	if s := r.pad.LinkStats(); s.NAKsOut != 2 {
		t.Errorf("%d NAKs sent, want 2", s.NAKsOut)
	}
	r.sim.CorruptNext(3)
	if err := r.pad.Show(ctx, "X"); !errors.Is(err, abecs.ErrBadResponse) {
		t.Fatalf("Show with 3 damaged responses = %v, want ErrBadResponse", err)
	}
	if err := r.pad.Show(ctx, "Y"); err != nil {
		t.Fatalf("Show afterwards: %v", err)
	}
}

func TestGarbageBetweenFrames(t *testing.T) {
	r := loaded(t, pinpadsim.Options{}, pinpad.Options{Timeouts: fastTimeouts})
	r.sim.SetGarbage([]byte{0xFF, 0x00, 'n', 'o', 'i', 's', 'e', 0x17, 0x13, 0x80})
	ctx := testCtx(t)
	r.sim.Enter("975310")
	b, err := r.pad.ReadPIN(ctx, entry)
	if err != nil {
		t.Fatalf("ReadPIN with garbage: %v", err)
	}
	checkPIN(t, b, "975310")
	if err := r.pad.Show(ctx, "STILL OK"); err != nil {
		t.Fatalf("Show with garbage: %v", err)
	}
	if s := r.pad.LinkStats(); s.Skipped < 20 || s.NAKsOut != 0 || s.NAKsIn != 0 {
		t.Errorf("link stats %+v: want garbage skipped, no NAKs", s)
	}
}

// TestSilentPadIsGoneAndComesBack: no ACK within the ACK timeout is ErrDeviceGone;
// when the pad answers again the next call reopens the session.
func TestSilentPadIsGoneAndComesBack(t *testing.T) {
	r := openPTY(t, pinpadsim.Options{}, pinpad.Options{Timeouts: fastTimeouts})
	ctx := testCtx(t)
	if err := r.pad.Show(ctx, "HELLO"); err != nil {
		t.Fatal(err)
	}
	r.sim.SetSilent(true)
	start := time.Now()
	err := r.pad.Show(ctx, "ANYONE")
	if !errors.Is(err, hal.ErrDeviceGone) || !errors.Is(err, abecs.ErrNoAck) {
		t.Fatalf("Show to a silent pad = %v, want ErrDeviceGone (no ack)", err)
	}
	if el := time.Since(start); el < fastTimeouts.Ack || el > fastTimeouts.Ack+time.Second {
		t.Errorf("gave up after %v, want the ACK timeout %v", el, fastTimeouts.Ack)
	}
	r.sim.SetSilent(false)
	if err := r.pad.Show(ctx, "BACK"); err != nil {
		t.Fatalf("Show after the pad came back: %v", err)
	}
	if d := cmp.Diff([]string{"OPN", "DSP", "OPN", "DSP"}, r.sim.Commands()); d != "" {
		t.Errorf("commands (-want +got):\n%s", d)
	}
}

// TestCancelSendsCAN: a cancelled ReadPIN aborts the GPN with CAN and the pad keeps
// the scripted PIN for the next entry.
func TestCancelSendsCAN(t *testing.T) {
	r := loaded(t, pinpadsim.Options{}, pinpad.Options{})
	ctx, cancel := context.WithTimeout(testCtx(t), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := r.pad.ReadPIN(ctx, entry)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadPIN past its deadline = %v", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("ReadPIN returned %v after its deadline", el)
	}
	if s := r.pad.LinkStats(); s.Cancels != 2 { // one opening the session, one aborting GPN
		t.Errorf("%d CANs, want 2", s.Cancels)
	}
	r.sim.Enter("2468")
	b, err := r.pad.ReadPIN(testCtx(t), entry)
	if err != nil {
		t.Fatalf("ReadPIN after a cancelled one: %v", err)
	}
	checkPIN(t, b, "2468")
	if d := cmp.Diff([]string{"OPN", "ZWK", "GPN", "GPN"}, r.sim.Commands()); d != "" {
		t.Errorf("commands (-want +got; no new session after a confirmed cancel):\n%s", d)
	}
}

// TestUnplugDuringPINEntry: the pty closing under a waiting ReadPIN is ErrDeviceGone,
// and so is every call after it while the port stays away.
func TestUnplugDuringPINEntry(t *testing.T) {
	r := loaded(t, pinpadsim.Options{}, pinpad.Options{Timeouts: fastTimeouts})
	done := make(chan error, 1)
	go func() {
		_, err := r.pad.ReadPIN(testCtx(t), entry)
		done <- err
	}()
	waitFor(t, func() bool { return len(r.sim.Shown()) == 2 }) // the prompt is up
	r.pty.Unplug()
	var err error
	select {
	case err = <-done:
	case <-time.After(haltest.Prompt):
		t.Fatal("ReadPIN did not return after the unplug")
	}
	de, ok := errors.AsType[*hal.DeviceError](err)
	if !ok || de.Device != "pin pad" || de.Op != "read pin" || !errors.Is(err, hal.ErrDeviceGone) {
		t.Fatalf("ReadPIN when unplugged = %v, want a pin pad DeviceError wrapping ErrDeviceGone", err)
	}
	if err := r.pad.Show(testCtx(t), "HELLO?"); !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("Show while unplugged = %v, want ErrDeviceGone", err)
	}
}

// waitFor polls cond until it holds or haltest.Prompt passes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(haltest.Prompt)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestOpenMissingPort(t *testing.T) {
	_, err := pinpad.Open("/dev/nonexistent-countertop-pinpad", 19200, pinpad.Options{})
	if !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("Open = %v, want ErrDeviceGone", err)
	}
}

// TestOverNetConn drives New over a plain byte stream with read deadlines (a
// net.Pipe), the simulator serving the other end.
func TestOverNetConn(t *testing.T) {
	host, padEnd := net.Pipe()
	sim := pinpadsim.New(testTMK, slot, pinpadsim.Options{})
	served := make(chan error, 1)
	go func() { served <- sim.Serve(padEnd) }()
	pad := pinpad.New(host, pinpad.Options{KeySlot: slot})
	enc, kcv := encryptedPIK(t)
	if err := pad.LoadPINKey(testCtx(t), enc, kcv); err != nil {
		t.Fatal(err)
	}
	sim.Enter("0000")
	b, err := pad.ReadPIN(testCtx(t), entry)
	if err != nil {
		t.Fatal(err)
	}
	checkPIN(t, b, "0000")
	pad.Close() // the simulator reads EOF and stops
	if err := <-served; err != nil {
		t.Errorf("simulator: %v", err)
	}
	padEnd.Close()
}

// testCtx bounds a test's calls, so a broken link fails the test instead of hanging it.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestCloseDuringReadPIN: the owner closing the pad ends a waiting ReadPIN with
// ErrDeviceGone, and the pad stays closed.
func TestCloseDuringReadPIN(t *testing.T) {
	r := loaded(t, pinpadsim.Options{}, pinpad.Options{Timeouts: fastTimeouts})
	done := make(chan error, 1)
	go func() {
		_, err := r.pad.ReadPIN(testCtx(t), entry)
		done <- err
	}()
	waitFor(t, func() bool { return len(r.sim.Shown()) == 2 })
	closed := make(chan error, 1)
	go func() { closed <- r.pad.Close() }()
	for _, ch := range []chan error{closed, done} {
		select {
		case err := <-ch:
			if ch == closed && err != nil {
				t.Errorf("Close: %v", err)
			}
			if ch == done && !errors.Is(err, hal.ErrDeviceGone) {
				t.Errorf("ReadPIN when closed = %v, want ErrDeviceGone", err)
			}
		case <-time.After(haltest.Prompt):
			t.Fatal("Close or ReadPIN did not return")
		}
	}
	if err := r.pad.Show(testCtx(t), "X"); !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("Show after Close = %v, want ErrDeviceGone", err)
	}
}

func TestWaitKey(t *testing.T) {
	r := openPTY(t, pinpadsim.Options{}, pinpad.Options{})
	ctx := testCtx(t)
	r.sim.Enter("")
	r.sim.Cancel()
	r.sim.Clear()
	r.sim.Function(3)
	var got []pinpad.Key
	for range 4 {
		k, err := r.pad.WaitKey(ctx)
		if err != nil {
			t.Fatalf("WaitKey: %v", err)
		}
		got = append(got, k)
	}
	if d := cmp.Diff([]pinpad.Key{pinpad.KeyEnter, pinpad.KeyCancel, pinpad.KeyClear, pinpad.KeyF3}, got); d != "" {
		t.Errorf("keys (-want +got):\n%s", d)
	}
	r.sim.Timeout()
	if _, err := r.pad.WaitKey(ctx); !errors.Is(err, hal.ErrInputTimeout) {
		t.Errorf("WaitKey timed out = %v, want ErrInputTimeout", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := r.pad.WaitKey(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitKey past its deadline = %v", err)
	}
	r.sim.Function(1)
	if k, err := r.pad.WaitKey(ctx); err != nil || k != pinpad.KeyF1 || k.String() != "F1" {
		t.Errorf("WaitKey after a cancelled one = %v, %v; want F1", k, err)
	}
	if err := r.sim.Err(); err != nil {
		t.Errorf("simulator: %v", err)
	}
}

// TestLogsHoldNoSecrets: with debug logging on, nothing logged contains the PIN key
// or a PIN block, in any case.
func TestLogsHoldNoSecrets(t *testing.T) {
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := loaded(t, pinpadsim.Options{Strict: true}, pinpad.Options{Logger: log, Timeouts: fastTimeouts})
	e := entry
	e.AllowBypass = true // a warning on a strict pad
	r.sim.Enter("246813")
	b, err := r.pad.ReadPIN(testCtx(t), e)
	if err != nil {
		t.Fatal(err)
	}
	r.sim.CorruptNext(3)
	r.pad.Show(testCtx(t), "X") // link failure
	enc, _ := encryptedPIK(t)
	logged := strings.ToUpper(buf.String())
	if !strings.Contains(logged, "WARN") {
		t.Fatalf("nothing logged:\n%s", logged)
	}
	for what, secret := range map[string][]byte{"pin key": enc, "pin block": b.Reveal(), "clear pin key": testPIK.Bytes()} {
		if h := strings.ToUpper(hex.EncodeToString(secret)); strings.Contains(logged, h) {
			t.Errorf("log holds the %s:\n%s", what, logged)
		}
	}
	if strings.Contains(logged, "246813") {
		t.Errorf("log holds the PIN:\n%s", logged)
	}
}

func TestProbe(t *testing.T) {
	r := openPTY(t, pinpadsim.Options{}, pinpad.Options{Timeouts: fastTimeouts})
	ctx := testCtx(t)
	if err := r.pad.Probe(ctx); !errors.Is(err, hal.ErrNoKey) || errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("Probe before sign-in = %v, want ErrNoKey", err)
	}
	enc, kcv := encryptedPIK(t)
	if err := r.pad.LoadPINKey(ctx, enc, kcv); err != nil {
		t.Fatal(err)
	}
	if err := r.pad.Probe(ctx); err != nil {
		t.Errorf("Probe after sign-in: %v", err)
	}
	r.sim.SetSilent(true)
	if err := r.pad.Probe(ctx); !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("Probe of a silent pad = %v, want ErrDeviceGone", err)
	}
}

// TestNotificationsDuringPINEntry: NTM frames while GPN waits are not its answer.
func TestNotificationsDuringPINEntry(t *testing.T) {
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, nil))
	r := loaded(t, pinpadsim.Options{}, pinpad.Options{Logger: log})
	r.sim.Notify("CARDHOLDER IS   TYPING")
	r.sim.Control("notify ALMOST DONE")
	r.sim.Enter("8080")
	b, err := r.pad.ReadPIN(testCtx(t), entry)
	if err != nil {
		t.Fatalf("ReadPIN with notifications: %v", err)
	}
	checkPIN(t, b, "8080")
	if !strings.Contains(buf.String(), `text="CARDHOLDER IS   TYPING"`) || !strings.Contains(buf.String(), `text="ALMOST DONE"`) {
		t.Errorf("notifications not logged:\n%s", buf.String())
	}
}

// TestCancelOnSilentPad: a caller's cancel returns within one EOT timeout even when
// the pad has gone quiet, and the next call opens a new session.
func TestCancelOnSilentPad(t *testing.T) {
	r := loaded(t, pinpadsim.Options{}, pinpad.Options{Timeouts: fastTimeouts})
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() {
		_, err := r.pad.ReadPIN(ctx, entry)
		done <- err
	}()
	waitFor(t, func() bool { return len(r.sim.Shown()) == 2 })
	r.sim.SetSilent(true)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ReadPIN cancelled = %v", err)
		}
		if el := time.Since(start); el > fastTimeouts.EOT+time.Second {
			t.Errorf("cancel took %v with a silent pad, want about one EOT timeout (%v)", el, fastTimeouts.EOT)
		}
	case <-time.After(haltest.Prompt):
		t.Fatal("ReadPIN did not return after cancel")
	}
	// The pad wakes up still in its GPN; the next call cancels it with CAN before
	// opening a new session, so the PIN goes to the new GPN.
	r.sim.SetSilent(false)
	type result struct {
		b   carddata.PINBlock
		err error
	}
	next := make(chan result, 1)
	go func() {
		b, err := r.pad.ReadPIN(testCtx(t), entry)
		next <- result{b, err}
	}()
	waitFor(t, func() bool { return len(r.sim.Commands()) == 5 })
	r.sim.Enter("1111")
	var got result
	select {
	case got = <-next:
	case <-time.After(haltest.Prompt):
		t.Fatal("ReadPIN after the pad woke up did not return")
	}
	if got.err != nil {
		t.Fatalf("ReadPIN after the pad woke up: %v", got.err)
	}
	checkPIN(t, got.b, "1111")
	if d := cmp.Diff([]string{"OPN", "ZWK", "GPN", "OPN", "GPN"}, r.sim.Commands()); d != "" {
		t.Errorf("commands (-want +got; a new session after an unconfirmed cancel):\n%s", d)
	}
}
