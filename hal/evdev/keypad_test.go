package evdev_test

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"countertop/hal"
	"countertop/hal/evdev"
	"countertop/hal/haltest"
)

// codeOf is the key code a test presses for each hal key under DefaultKeymap, keypad
// keys where the keypad has them.
var codeOf = map[hal.Key]uint16{
	hal.Key0: evdev.KeyKP0, hal.Key1: evdev.KeyKP1, hal.Key2: evdev.KeyKP2, hal.Key3: evdev.KeyKP3,
	hal.Key4: evdev.KeyKP4, hal.Key5: evdev.KeyKP5, hal.Key6: evdev.KeyKP6, hal.Key7: evdev.KeyKP7,
	hal.Key8: evdev.KeyKP8, hal.Key9: evdev.KeyKP9, hal.KeyEnter: evdev.KeyKPEnter,
	hal.KeyCancel: evdev.KeyEsc, hal.KeyClear: evdev.KeyBackspace, hal.KeyMenu: evdev.KeyF1,
	hal.KeyUp: evdev.KeyUp, hal.KeyDown: evdev.KeyDown, hal.KeyDot: evdev.KeyKPDot,
}

// records encodes events as the kernel writes them.
func records(t testing.TB, evs ...evdev.Event) []byte {
	t.Helper()
	var out []byte
	for _, e := range evs {
		b, err := e.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

// stroke is what a keyboard sends for one key: scan code, press, report, release, report.
func stroke(code uint16) []evdev.Event {
	now := time.Now()
	return []evdev.Event{
		{Time: now, Type: evdev.EvMsc, Code: 4, Value: 0x70059},
		{Time: now, Type: evdev.EvKey, Code: code, Value: evdev.KeyPressed},
		{Time: now, Type: evdev.EvSyn, Code: evdev.SynReport},
		{Time: now, Type: evdev.EvKey, Code: code, Value: evdev.KeyReleased},
		{Time: now, Type: evdev.EvSyn, Code: evdev.SynReport},
	}
}

// pipeKeypad returns a keypad reading the read end of a pipe, and the write end.
func pipeKeypad(t *testing.T, keymap map[uint16]hal.Key) (*evdev.Keypad, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	kp := evdev.New(r, keymap)
	t.Cleanup(func() {
		w.Close()
		kp.Close()
	})
	return kp, w
}

func write(t *testing.T, w io.Writer, b []byte) {
	t.Helper()
	if _, err := w.Write(b); err != nil {
		t.Fatalf("write events: %v", err)
	}
}

func TestConformance(t *testing.T) {
	haltest.TestKeypad(t, func(t *testing.T) (hal.Keypad, func(keys ...hal.Key)) {
		kp, w := pipeKeypad(t, nil)
		return kp, func(keys ...hal.Key) {
			for _, k := range keys {
				code, ok := codeOf[k]
				if !ok {
					t.Fatalf("no key code for %v", k)
				}
				write(t, w, records(t, stroke(code)...))
			}
		}
	})
}

func readKeys(t *testing.T, kp hal.Keypad, n int) []hal.Key {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []hal.Key
	for range n {
		k, err := kp.ReadKey(ctx)
		if err != nil {
			t.Fatalf("ReadKey after %v: %v", got, err)
		}
		got = append(got, k)
	}
	return got
}

func TestDefaultKeymapBothRowsRepeatsAndUnmapped(t *testing.T) {
	kp, w := pipeKeypad(t, nil)
	var evs []evdev.Event
	for _, c := range []uint16{evdev.Key1 + 6, evdev.KeyKP7, evdev.KeyLeftShift, evdev.Key0, evdev.KeyEnter,
		evdev.KeyKPEnter, evdev.KeyMenu, evdev.KeyDot, evdev.KeyF1 + 1, evdev.KeyBackspace} {
		evs = append(evs, stroke(c)...)
	}
	// Held 5: one press, auto-repeats, release — one key.
	evs = append(evs,
		evdev.Event{Type: evdev.EvKey, Code: evdev.KeyKP5, Value: evdev.KeyPressed},
		evdev.Event{Type: evdev.EvKey, Code: evdev.KeyKP5, Value: evdev.KeyRepeated},
		evdev.Event{Type: evdev.EvKey, Code: evdev.KeyKP5, Value: evdev.KeyRepeated},
		evdev.Event{Type: evdev.EvKey, Code: evdev.KeyKP5, Value: evdev.KeyReleased},
		evdev.Event{Type: evdev.EvSyn, Code: evdev.SynDropped},
	)
	evs = append(evs, stroke(evdev.KeyEsc)...)
	write(t, w, records(t, evs...))
	want := []hal.Key{hal.Key7, hal.Key7, hal.Key0, hal.KeyEnter, hal.KeyEnter, hal.KeyMenu, hal.KeyDot,
		hal.KeyClear, hal.Key5, hal.KeyCancel}
	if d := cmp.Diff(want, readKeys(t, kp, len(want))); d != "" {
		t.Errorf("keys (-want +got):\n%s", d)
	}
}

func TestRecordsSplitAcrossWrites(t *testing.T) {
	kp, w := pipeKeypad(t, nil)
	b := records(t, append(stroke(evdev.KeyKP1), stroke(evdev.KeyKP2)...)...)
	ch := make(chan []hal.Key, 1)
	go func() { ch <- readKeys(t, kp, 2) }()
	for len(b) > 0 { // 7 bytes at a time: no write is a whole record
		n := min(7, len(b))
		write(t, w, b[:n])
		b = b[n:]
	}
	if d := cmp.Diff([]hal.Key{hal.Key1, hal.Key2}, <-ch); d != "" {
		t.Errorf("keys (-want +got):\n%s", d)
	}
}

func TestCustomKeymap(t *testing.T) {
	m, err := evdev.ParseKeymap(map[string]string{"KEY_F2": "cancel", "0x160": "ENTER", "KEY_ESC": "none"}, true)
	if err != nil {
		t.Fatal(err)
	}
	kp, w := pipeKeypad(t, m)
	var evs []evdev.Event
	for _, c := range []uint16{evdev.KeyEsc, evdev.KeyF1 + 1, evdev.KeyOK, evdev.KeyKP3} {
		evs = append(evs, stroke(c)...)
	}
	write(t, w, records(t, evs...))
	if d := cmp.Diff([]hal.Key{hal.KeyCancel, hal.KeyEnter, hal.Key3}, readKeys(t, kp, 3)); d != "" {
		t.Errorf("keys (-want +got):\n%s", d)
	}
}

func TestParseKeymapReportsEveryProblem(t *testing.T) {
	_, err := evdev.ParseKeymap(map[string]string{"KEY_NOPE": "5", "KEY_F3": "F13", "77": "7"}, false)
	if err == nil {
		t.Fatal("ParseKeymap accepted an unknown code and an unknown key")
	}
	want := `keymap: KEY_F3: unknown key "F13"; unknown key code "KEY_NOPE" (a KEY_ name or a number below 0x300)`
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
	m, err := evdev.ParseKeymap(map[string]string{"77": "7", "key_kp8": "8"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[uint16]hal.Key{77: hal.Key7, evdev.KeyKP8: hal.Key8}, m); d != "" {
		t.Errorf("keymap (-want +got):\n%s", d)
	}
}

func TestParseCode(t *testing.T) {
	for s, want := range map[string]uint16{"KEY_KP0": 82, "KEY_KPENTER": 96, "KEY_MENU": 139,
		"KEY_9": 10, "KEY_F10": 68, "KEY_NUMERIC_5": 0x205, "KEY_A": 30, "0x1df": 0x1df, "28": 28} {
		if got, err := evdev.ParseCode(s); err != nil || got != want {
			t.Errorf("ParseCode(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "0", "KEY_", "0x300", "-1", "KEY_28"} {
		if got, err := evdev.ParseCode(s); err == nil {
			t.Errorf("ParseCode(%q) = %d; want an error", s, got)
		}
	}
}

func TestDeviceGone(t *testing.T) {
	for name, end := range map[string]func(w *os.File, kp *evdev.Keypad){
		"writer closed": func(w *os.File, _ *evdev.Keypad) { w.Close() },
		"keypad closed": func(_ *os.File, kp *evdev.Keypad) { kp.Close() },
	} {
		t.Run(name, func(t *testing.T) {
			kp, w := pipeKeypad(t, nil)
			write(t, w, records(t, stroke(evdev.KeyKP9)...))
			if got := readKeys(t, kp, 1); got[0] != hal.Key9 {
				t.Fatalf("ReadKey = %v; want 9", got[0])
			}
			ch := make(chan error, 1)
			go func() {
				_, err := kp.ReadKey(context.Background())
				ch <- err
			}()
			end(w, kp)
			select {
			case err := <-ch:
				var de *hal.DeviceError
				if !errors.Is(err, hal.ErrDeviceGone) || !errors.As(err, &de) || de.Device != "keypad" {
					t.Errorf("ReadKey on a gone device = %v; want a keypad DeviceError wrapping ErrDeviceGone", err)
				}
			case <-time.After(haltest.Prompt):
				t.Fatal("ReadKey did not return after the device went away")
			}
		})
	}
}

func TestKeysBeforeRemovalAreDelivered(t *testing.T) {
	kp, w := pipeKeypad(t, nil)
	write(t, w, records(t, append(stroke(evdev.KeyKP4), stroke(evdev.KeyKPEnter)...)...))
	w.Close()
	if d := cmp.Diff([]hal.Key{hal.Key4, hal.KeyEnter}, readKeys(t, kp, 2)); d != "" {
		t.Errorf("keys (-want +got):\n%s", d)
	}
	if _, err := kp.ReadKey(context.Background()); !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("ReadKey after the last key = %v; want ErrDeviceGone", err)
	}
}

func TestOpenErrors(t *testing.T) {
	_, err := evdev.Open("/dev/input/no-such-event99", nil)
	if !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("Open(missing) = %v; want ErrDeviceGone", err)
	}
	f, err := os.CreateTemp(t.TempDir(), "notadevice")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := evdev.Open(f.Name(), nil); err == nil {
		t.Error("Open(regular file) succeeded; want a not-an-event-device error")
	}
}

func TestEventRoundTrip(t *testing.T) {
	e := evdev.Event{Time: time.Unix(1764200000, 123456000), Type: evdev.EvKey, Code: evdev.KeyKPEnter, Value: -7}
	b, err := e.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != evdev.EventSize {
		t.Fatalf("%d bytes; want %d", len(b), evdev.EventSize)
	}
	var back evdev.Event
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !back.Time.Equal(e.Time) || back.Type != e.Type || back.Code != e.Code || back.Value != e.Value {
		t.Errorf("round trip = %+v; want %+v", back, e)
	}
	if err := back.UnmarshalBinary(b[1:]); err == nil {
		t.Error("UnmarshalBinary accepted a short record")
	}
}
