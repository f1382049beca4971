package pinpadsim

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// PTY serves a PINPad on a pseudo-terminal: a driver opens Path as its serial port.
type PTY struct {
	p      *PINPad
	master *os.File
	tty    *os.File // held open so the master sees no hang-up while the driver reopens
	done   chan struct{}
	err    error // why the serve loop ended; read after done
	once   sync.Once
}

// StartPTY serves p on a new pseudo-terminal until Close or Unplug.
func (p *PINPad) StartPTY() (*PTY, error) {
	m, tty, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("open pty: %w", err)
	}
	// pty.Open leaves the master blocking; a non-blocking duplicate goes through the
	// runtime poller, so closing it interrupts the serve loop's Read.
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
	if err := makeRaw(tty); err != nil {
		master.Close()
		tty.Close()
		return nil, err
	}
	t := &PTY{p: p, master: master, tty: tty, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		t.err = p.Serve(master)
	}()
	return t, nil
}

// Path is the device node a driver opens (/dev/pts/N).
func (t *PTY) Path() string { return t.tty.Name() }

// PINPad is the simulated pad behind the pseudo-terminal.
func (t *PTY) PINPad() *PINPad { return t.p }

// Unplug pulls the cable: the pseudo-terminal goes away at once, so a driver's reads
// and writes on Path fail (EIO) and the path cannot be opened again.
func (t *PTY) Unplug() { t.Close() }

// Close stops serving and closes the pseudo-terminal. It returns the serve loop's
// error when it ended for another reason than Close.
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

// makeRaw turns off echo and line editing on the slave side until the driver sets
// its own mode, so nothing the pad writes is echoed back to it.
func makeRaw(f *os.File) error {
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
