package evdev

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"countertop/hal"
)

// TestKeypadReopened: after the device goes away, the next ReadKey opens it again
// (Open's path; here each open is a new pipe with a key press already in it).
func TestKeypadReopened(t *testing.T) {
	var writers []*os.File
	opens := 0
	open := func() (*Device, error) {
		opens++
		if opens == 2 {
			return nil, &hal.DeviceError{Device: keypadDevice, Op: "open", Err: hal.ErrDeviceGone}
		}
		pr, pw, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		writers = append(writers, pw)
		for _, e := range []Event{{Type: EvKey, Code: map[int]uint16{1: KeyKP7, 3: KeyKP3}[opens], Value: KeyPressed}, {Type: EvSyn}} {
			b, _ := e.MarshalBinary()
			if _, err := pw.Write(b); err != nil {
				return nil, err
			}
		}
		return NewDevice(pr), nil
	}
	k, err := openFunc(open, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		k.Close()
		for _, w := range writers {
			w.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	want := []struct {
		key hal.Key
		err error
	}{{hal.Key7, nil}, {0, hal.ErrDeviceGone}, {0, hal.ErrDeviceGone}, {hal.Key3, nil}}
	for i, w := range want {
		if i == 1 {
			writers[0].Close() // unplugged
		}
		key, err := k.ReadKey(ctx)
		if w.err != nil {
			if !errors.Is(err, w.err) {
				t.Fatalf("step %d: ReadKey = %v, %v; want %v", i, key, err, w.err)
			}
			continue
		}
		if err != nil || key != w.key {
			t.Fatalf("step %d: ReadKey = %v, %v; want %v", i, key, err, w.key)
		}
	}
	if opens != 3 {
		t.Errorf("%d opens; want 3 (start, failed reopen, reopen)", opens)
	}
	k.Close()
	if _, err := k.ReadKey(ctx); !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("ReadKey after Close = %v; want ErrDeviceGone", err)
	}
}
