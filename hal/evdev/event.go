package evdev

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"countertop/hal"
)

// Event types and codes this package acts on (linux/input-event-codes.h).
const (
	EvSyn = 0x00 // synchronisation events
	EvKey = 0x01 // key and button state changes
	EvMsc = 0x04 // miscellaneous (MSC_SCAN carries the raw scan code)

	SynReport  = 0 // end of one batch of events
	SynDropped = 3 // the kernel's buffer overran: events were lost

	// Values of an EvKey event.
	KeyReleased = 0
	KeyPressed  = 1
	KeyRepeated = 2
)

// EventSize is the size of struct input_event on this platform: a struct timeval (two
// C longs) then type u16, code u16, value s32 — 24 bytes on 64-bit Linux, 16 on 32-bit
// ARM and x86.
const EventSize = 2*strconv.IntSize/8 + 8

// Event is one struct input_event.
type Event struct {
	Time  time.Time
	Type  uint16
	Code  uint16
	Value int32
}

// MarshalBinary encodes e as the kernel writes it: native byte order, EventSize bytes.
func (e Event) MarshalBinary() ([]byte, error) {
	b := make([]byte, EventSize)
	var sec, usec int64
	if !e.Time.IsZero() {
		sec, usec = e.Time.Unix(), int64(e.Time.Nanosecond()/1000)
	}
	o := binary.NativeEndian
	if strconv.IntSize == 64 {
		o.PutUint64(b[0:], uint64(sec))
		o.PutUint64(b[8:], uint64(usec))
	} else {
		o.PutUint32(b[0:], uint32(sec))
		o.PutUint32(b[4:], uint32(usec))
	}
	n := EventSize - 8
	o.PutUint16(b[n:], e.Type)
	o.PutUint16(b[n+2:], e.Code)
	o.PutUint32(b[n+4:], uint32(e.Value))
	return b, nil
}

// UnmarshalBinary decodes one EventSize record.
func (e *Event) UnmarshalBinary(b []byte) error {
	if len(b) != EventSize {
		return fmt.Errorf("input event: %d bytes, want %d", len(b), EventSize)
	}
	o := binary.NativeEndian
	var sec, usec int64
	if strconv.IntSize == 64 {
		sec, usec = int64(o.Uint64(b[0:])), int64(o.Uint64(b[8:]))
	} else {
		sec, usec = int64(int32(o.Uint32(b[0:]))), int64(int32(o.Uint32(b[4:])))
	}
	e.Time = time.Time{}
	if sec != 0 || usec != 0 {
		e.Time = time.Unix(sec, usec*1000)
	}
	n := EventSize - 8
	e.Type = o.Uint16(b[n:])
	e.Code = o.Uint16(b[n+2:])
	e.Value = int32(o.Uint32(b[n+4:]))
	return nil
}

// ioctl numbers from linux/input.h.
const (
	eviocgrab = 0x40044590 // _IOW('E', 0x90, int)
)

// Device reads input events from an event device node or any byte stream carrying
// struct input_event records. It is safe for concurrent use; each event goes to one
// reader.
type Device struct {
	name   string // for errors: the path, or "input events"
	closer io.Closer
	events chan Event
	done   chan struct{} // closed when the read loop ends
	quit   chan struct{} // closed by Close: the read loop stops delivering
	err    error         // why it ended; read after done
	once   sync.Once
}

// OpenDevice opens an event device node and grabs it, so its events reach this
// process only. The caller (cmd/) closes it.
func OpenDevice(path string) (*Device, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open input device %s: %w: %w", path, hal.ErrDeviceGone, err)
	}
	rc, err := f.SyscallConn()
	if err == nil {
		cerr := rc.Control(func(fd uintptr) {
			err = unix.IoctlSetInt(int(fd), eviocgrab, 1)
		})
		if cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EINVAL) {
			return nil, fmt.Errorf("input device %s: not an event device (/dev/input/eventN): %w", path, err)
		}
		return nil, fmt.Errorf("grab input device %s (another program holds it?): %w", path, err)
	}
	d := NewDevice(f)
	d.name = path
	return d, nil
}

// NewDevice reads input_event records from r, for tests and for event streams that
// are not device nodes. Close closes r when it is an io.Closer.
func NewDevice(r io.Reader) *Device {
	d := &Device{name: "input events", events: make(chan Event, 64), done: make(chan struct{}), quit: make(chan struct{})}
	if c, ok := r.(io.Closer); ok {
		d.closer = c
	}
	go d.read(r)
	return d
}

func (d *Device) read(r io.Reader) {
	defer close(d.done)
	buf := make([]byte, EventSize*16)
	have := 0
	for {
		n, err := r.Read(buf[have:])
		have += n
		whole := have - have%EventSize
		for i := 0; i < whole; i += EventSize {
			var e Event
			_ = e.UnmarshalBinary(buf[i : i+EventSize]) // always EventSize bytes
			select {
			case d.events <- e:
			case <-d.quit:
				d.err = os.ErrClosed
				return
			}
		}
		have = copy(buf, buf[whole:have])
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
				if have == 0 {
					err = io.EOF
				}
			}
			d.err = err
			return
		}
	}
}

// ReadEvent returns the next event. It returns ctx.Err() when ctx ends first, and an
// error wrapping hal.ErrDeviceGone once the device is gone and its events are used up.
func (d *Device) ReadEvent(ctx context.Context) (Event, error) {
	select {
	case e := <-d.events:
		return e, nil
	default:
	}
	select {
	case e := <-d.events:
		return e, nil
	case <-ctx.Done():
		return Event{}, ctx.Err()
	case <-d.done:
		select {
		case e := <-d.events:
			return e, nil
		default:
		}
		return Event{}, fmt.Errorf("read %s: %w: %w", d.name, hal.ErrDeviceGone, d.err)
	}
}

// Close closes the underlying file; pending and later reads return an error wrapping
// hal.ErrDeviceGone. Only the owner (cmd/) calls it.
func (d *Device) Close() error {
	var err error
	d.once.Do(func() {
		close(d.quit)
		if d.closer != nil {
			err = d.closer.Close()
		}
	})
	return err
}
