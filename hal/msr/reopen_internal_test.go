package msr

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"countertop/hal"
	"countertop/hal/evdev"
	"countertop/hal/msr/msrsim"
)

// TestWedgeReopened: after the input device goes away, the next WaitCard opens it
// again (OpenWedge's path; here each open is a new pipe).
func TestWedgeReopened(t *testing.T) {
	var writers []*os.File
	opens := 0
	open := func() (source, error) {
		opens++
		if opens == 2 {
			return nil, &hal.DeviceError{Device: device, Op: "open", Err: hal.ErrDeviceGone}
		}
		pr, pw, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		writers = append(writers, pw)
		// Each device, once open, has a swipe waiting in it.
		evs, err := msrsim.Keystrokes(";6222021234567890128=30121010000000000?\r")
		if err != nil {
			return nil, err
		}
		if _, err := pw.Write(msrsim.Records(evs)); err != nil {
			return nil, err
		}
		return &wedge{dev: evdev.NewDevice(pr)}, nil
	}
	r, err := openReopening(open, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		r.Close()
		for _, w := range writers {
			w.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i, want := range []error{nil, hal.ErrDeviceGone, hal.ErrDeviceGone, nil} {
		if i == 1 {
			writers[0].Close() // unplugged
		}
		ev, err := r.WaitCard(ctx)
		if want != nil {
			if !errors.Is(err, want) {
				t.Fatalf("step %d: WaitCard = %v; want %v", i, err, want)
			}
			continue
		}
		if err != nil || ev.Err != nil || ev.Tracks.Track2.IsZero() {
			t.Fatalf("step %d: WaitCard = %v (swipe err %v), %v; want a good swipe", i, ev.Kind, ev.Err, err)
		}
	}
	if opens != 3 {
		t.Errorf("%d opens; want 3 (start, failed reopen, reopen)", opens)
	}
}
