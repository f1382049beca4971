//go:build linux

package evdev_test

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"countertop/hal"
	"countertop/hal/evdev"
)

// uinput ioctls (linux/uinput.h).
const (
	uiSetEvBit   = 0x40045564 // _IOW('U', 100, int)
	uiSetKeyBit  = 0x40045565 // _IOW('U', 101, int)
	uiDevSetup   = 0x405c5503 // _IOW('U', 3, struct uinput_setup), 92 bytes
	uiDevCreate  = 0x5501     // _IO('U', 1)
	uiDevDestroy = 0x5502     // _IO('U', 2)
	uiGetSysname = 0x8040552c // _IOC(_IOC_READ, 'U', 44, 64)
)

// TestUinputKeypad drives the keypad through a real kernel input device made with
// uinput: the grab, the kernel's own input_event records, and removal (ENODEV).
func TestUinputKeypad(t *testing.T) {
	fd, err := unix.Open("/dev/uinput", unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no usable /dev/uinput (%v): load the uinput module (modprobe uinput) and run as root to test against a kernel input device; the pipe tests cover the rest", err)
	}
	defer unix.Close(fd)
	ioctl := func(req, arg uintptr) error {
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, arg); e != 0 {
			return e
		}
		return nil
	}
	if err := ioctl(uiSetEvBit, evdev.EvKey); err != nil {
		t.Skipf("uinput UI_SET_EVBIT: %v", err)
	}
	codes := []uint16{evdev.KeyKP1, evdev.KeyKP2, evdev.KeyKPEnter, evdev.KeyEsc}
	for _, c := range codes {
		if err := ioctl(uiSetKeyBit, uintptr(c)); err != nil {
			t.Fatalf("UI_SET_KEYBIT %d: %v", c, err)
		}
	}
	var setup [92]byte                             // struct input_id (bustype, vendor, product, version), name[80], ff_effects_max
	binary.NativeEndian.PutUint16(setup[0:], 0x06) // BUS_VIRTUAL
	binary.NativeEndian.PutUint16(setup[2:], 0x1234)
	binary.NativeEndian.PutUint16(setup[4:], 0x5678)
	copy(setup[8:], "countertop test keypad")
	if err := ioctl(uiDevSetup, uintptr(unsafe.Pointer(&setup[0]))); err != nil {
		t.Skipf("uinput UI_DEV_SETUP (kernel older than 4.5?): %v", err)
	}
	if err := ioctl(uiDevCreate, 0); err != nil {
		t.Fatalf("UI_DEV_CREATE: %v", err)
	}
	destroyed := false
	defer func() {
		if !destroyed {
			ioctl(uiDevDestroy, 0)
		}
	}()
	var name [64]byte
	if err := ioctl(uiGetSysname, uintptr(unsafe.Pointer(&name[0]))); err != nil {
		t.Skipf("UI_GET_SYSNAME: %v", err)
	}
	sys := filepath.Join("/sys/devices/virtual/input", strings.TrimRight(string(name[:]), "\x00"))
	node := ""
	deadline := time.Now().Add(5 * time.Second)
	for node == "" && time.Now().Before(deadline) {
		if m, _ := filepath.Glob(filepath.Join(sys, "event*")); len(m) > 0 {
			if _, err := os.Stat("/dev/input/" + filepath.Base(m[0])); err == nil {
				node = "/dev/input/" + filepath.Base(m[0])
			}
		}
		if node == "" {
			time.Sleep(10 * time.Millisecond) // waiting on the kernel and devtmpfs, not on our code
		}
	}
	if node == "" {
		t.Skipf("uinput device %s made no /dev/input/event* node within 5s (no devtmpfs/udev here)", sys)
	}
	kp, err := evdev.Open(node, nil)
	if err != nil {
		t.Fatalf("Open(%s): %v", node, err)
	}
	defer kp.Close()

	var recs []byte
	for _, c := range []uint16{evdev.KeyKP1, evdev.KeyKP2, evdev.KeyKPEnter} {
		recs = append(recs, records(t, stroke(c)...)...)
	}
	if _, err := unix.Write(fd, recs); err != nil {
		t.Fatalf("write to uinput: %v", err)
	}
	got := readKeys(t, kp, 3)
	if d := cmp.Diff([]hal.Key{hal.Key1, hal.Key2, hal.KeyEnter}, got); d != "" {
		t.Errorf("keys from the kernel device (-want +got):\n%s", d)
	}

	ch := make(chan error, 1)
	go func() {
		_, err := kp.ReadKey(context.Background())
		ch <- err
	}()
	destroyed = true
	if err := ioctl(uiDevDestroy, 0); err != nil {
		t.Fatalf("UI_DEV_DESTROY: %v", err)
	}
	select {
	case err := <-ch:
		if !errors.Is(err, hal.ErrDeviceGone) {
			t.Errorf("ReadKey after the device was removed = %v; want ErrDeviceGone", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadKey did not return after the device was removed")
	}
}
