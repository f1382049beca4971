// Package ptyserve runs a device simulator on a pseudo-terminal, so a driver is tested
// through a real serial device node: the simulators of hal/escpos and hal/pinpad
// serve their wire protocol on the master side while the driver opens the slave's
// path. It imports nothing of countertop.
package ptyserve

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// PTY is a pseudo-terminal with a serve loop on its master side.
type PTY struct {
	master *os.File
	tty    *os.File // kept open so the master never sees a hang-up between the driver's opens
	done   chan struct{}
	err    error // why the serve loop ended; read after done
	once   sync.Once
}

// Start opens a pseudo-terminal in raw mode and runs serve on its master side until
// Close.
func Start(serve func(io.ReadWriter) error) (*PTY, error) {
	m, tty, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("open pty: %w", err)
	}
	// pty.Open leaves the master blocking (it calls Fd); a non-blocking duplicate goes
	// through the runtime poller, so Close interrupts the serve loop's Read.
	fd, err := unix.Dup(int(m.Fd()))
	m.Close()
	if err != nil {
		tty.Close()
		return nil, fmt.Errorf("dup pty master: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		tty.Close()
		return nil, fmt.Errorf("pty master non-blocking: %w", err)
	}
	master := os.NewFile(uintptr(fd), "/dev/ptmx")
	if err := MakeRaw(tty); err != nil {
		master.Close()
		tty.Close()
		return nil, err
	}
	t := &PTY{master: master, tty: tty, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		t.err = serve(master)
	}()
	return t, nil
}

// Path is the device node a driver opens (/dev/pts/N).
func (t *PTY) Path() string { return t.tty.Name() }

// Close stops serving and closes the pseudo-terminal: a driver's reads and writes on
// Path fail from then on (a pulled cable). It returns the serve loop's error when it
// ended for another reason than Close.
func (t *PTY) Close() error {
	t.once.Do(func() {
		t.master.Close()
		<-t.done
		t.tty.Close()
	})
	if errors.Is(t.err, os.ErrClosed) {
		return nil
	}
	return t.err
}

// MakeRaw turns off echo and line editing on the slave side until the driver sets its
// own mode, so the simulator's bytes are never echoed back to it or translated (CR
// to LF) on the way. Start does it; a simulator that only writes (hal/msr/msrsim)
// calls it on its own pseudo-terminal.
func MakeRaw(f *os.File) error {
	fd := int(f.Fd())
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("get pty termios: %w", err)
	}
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	tio.Cflag &^= unix.CSIZE | unix.PARENB
	tio.Cflag |= unix.CS8
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, tio); err != nil {
		return fmt.Errorf("set pty termios: %w", err)
	}
	return nil
}
