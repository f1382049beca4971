package msr_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"countertop/hal"
	"countertop/hal/evdev"
	"countertop/hal/haltest"
	"countertop/hal/msr"
	"countertop/hal/msr/msrsim"
)

// pipeWedge returns a wedge reader on input events written to a pipe, and a function
// that types text on it.
func pipeWedge(t *testing.T, opts msr.Options) (*msr.Reader, *os.File, func(evs []evdev.Event)) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r := msr.NewWedge(evdev.NewDevice(pr), opts)
	t.Cleanup(func() {
		pw.Close()
		r.Close()
	})
	return r, pw, func(evs []evdev.Event) {
		if _, err := pw.Write(msrsim.Records(evs)); err != nil {
			t.Fatalf("write input events: %v", err)
		}
	}
}

func keystrokes(t *testing.T, text string) []evdev.Event {
	t.Helper()
	evs, err := msrsim.Keystrokes(text)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestWedgeConformance runs hal's card reader suite against the keyboard-wedge
// reader fed input_event records through a pipe (Swipe, TransmitWithoutCard and
// CancelWhileWaiting apply; the chip subtests skip).
func TestWedgeConformance(t *testing.T) {
	haltest.TestCardReader(t, func(t *testing.T) (hal.CardReader, haltest.CardControls) {
		r, _, typ := pipeWedge(t, msr.Options{})
		return r, haltest.CardControls{Swipe: func(tr hal.Tracks) {
			typ(keystrokes(t, msrsim.WedgeText(msrsim.CardOf(tr))))
		}}
	})
}

func TestWedgeTypesEveryTrackCharacter(t *testing.T) {
	r, _, typ := pipeWedge(t, msr.Options{})
	// Track 1 set characters a name or discretionary data may use, and all of track 2's.
	t1 := "B" + pan + "^O'NEIL-SMITH/J.R.<&>#@!$*^3012101:<>()_[]\\0"
	typ(keystrokes(t, "%"+t1+"?;"+pan+"=30121014567890?+"+track3+"?\r"))
	ev := wait(t, r)
	if ev.Err != nil || ev.Tracks.Name != "O'NEIL-SMITH/J.R.<&>#@!$*" || ev.Tracks.Track2.Reveal() != pan+"=30121014567890" {
		t.Errorf("swipe = %v %q (err %v)", ev.Tracks.Track2, ev.Tracks.Name, ev.Err)
	}
}

func TestWedgeShiftOnTheRightAndCapsLock(t *testing.T) {
	r, _, typ := pipeWedge(t, msr.Options{})
	var evs []evdev.Event
	key := func(code uint16, v int32) {
		evs = append(evs, evdev.Event{Type: evdev.EvKey, Code: code, Value: v})
	}
	key(evdev.KeyCapsLock, evdev.KeyPressed)
	key(evdev.KeyCapsLock, evdev.KeyReleased)
	evs = append(evs, keystrokes(t, ";"+track2)...)
	key(evdev.KeyRightShift, evdev.KeyPressed)
	key(evdev.KeySlash, evdev.KeyPressed)
	key(evdev.KeySlash, evdev.KeyRepeated) // a repeat types nothing
	key(evdev.KeySlash, evdev.KeyReleased)
	key(evdev.KeyRightShift, evdev.KeyReleased)
	key(evdev.KeyKPEnter, evdev.KeyPressed)
	typ(evs)
	wantSwipe(t, wait(t, r), "")
}

func TestWedgeBadSwipes(t *testing.T) {
	r, _, typ := pipeWedge(t, msr.Options{Gap: 100 * time.Millisecond})
	good := keystrokes(t, msrsim.WedgeText(card))
	steps := []struct {
		name string
		evs  []evdev.Event
		want error
	}{
		{"reader marks track 2 bad", keystrokes(t, "%"+track1+"?;E?\r"), msr.ErrNoTrack2},
		{"good", good, nil},
		{"a key the layout lacks", append(keystrokes(t, ";6222"), append([]evdev.Event{{Type: evdev.EvKey, Code: evdev.KeyTab, Value: 1}},
			keystrokes(t, "021234567890128=30121010000000000?\r")...)...), msr.ErrCharset},
		{"good", good, nil},
		{"events dropped by the kernel", append(keystrokes(t, ";62220212345"), append([]evdev.Event{{Type: evdev.EvSyn, Code: evdev.SynDropped}},
			keystrokes(t, "67890128=30121010000000000?\r")...)...), msr.ErrCharset},
		{"partial, no Enter", keystrokes(t, ";622202123"), msr.ErrPartial},
		{"good", good, nil},
	}
	for _, s := range steps {
		typ(s.evs)
		ev := wait(t, r)
		if s.want == nil {
			wantSwipe(t, ev, "ZHANG/SAN")
		} else {
			wantBad(t, ev, s.want)
		}
	}
}

func TestWedgeGone(t *testing.T) {
	r, pw, typ := pipeWedge(t, msr.Options{})
	typ(keystrokes(t, msrsim.WedgeText(card)))
	pw.Close()
	wantSwipe(t, wait(t, r), "ZHANG/SAN")
	if _, err := r.WaitCard(context.Background()); !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("WaitCard after the device went away = %v; want ErrDeviceGone", err)
	}
}

func TestOpenWedgeMissing(t *testing.T) {
	if _, err := msr.OpenWedge("/dev/input/no-such-event", msr.Options{}); !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("OpenWedge(missing) = %v; want ErrDeviceGone", err)
	}
}

// TestKeystrokesLayout pins msrsim's US layout against a hand-written sequence, so
// the two layouts (simulator, driver) are each checked against something fixed.
func TestKeystrokesLayout(t *testing.T) {
	var got []string
	for _, e := range keystrokes(t, "%B^;=?a") {
		if e.Type == evdev.EvKey {
			got = append(got, map[int32]string{0: "-", 1: "+"}[e.Value]+codeName[e.Code])
		}
	}
	want := []string{"+SHIFT", "+5", "-5", "-SHIFT", "+SHIFT", "+B", "-B", "-SHIFT", "+SHIFT", "+6", "-6", "-SHIFT",
		"+;", "-;", "+=", "-=", "+SHIFT", "+/", "-/", "-SHIFT", "+A", "-A"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("key events (-want +got):\n%s", d)
	}
}

var codeName = map[uint16]string{evdev.KeyLeftShift: "SHIFT", evdev.Key1 + 4: "5", evdev.Key1 + 5: "6", 48: "B",
	evdev.KeySemicolon: ";", evdev.KeyEqual: "=", evdev.KeySlash: "/", 30: "A"}
