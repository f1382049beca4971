package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// harness runs devsim in process, with stdin and stdout as pipes.
type harness struct {
	t     *testing.T
	in    *io.PipeWriter
	lines chan string
	done  chan int
}

func startDevsim(t *testing.T, args ...string) *harness {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	h := &harness{t: t, in: inW, lines: make(chan string, 100), done: make(chan int, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	var stderr strings.Builder
	go func() {
		code := run(ctx, args, inR, outW, &stderr)
		outW.Close()
		h.done <- code
	}()
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
	}()
	t.Cleanup(func() {
		cancel()
		inW.Close()
		select {
		case <-h.done:
		case <-time.After(5 * time.Second):
			t.Error("devsim did not stop within 5 s")
		}
	})
	return h
}

// expect reads lines until one starts with prefix (within 5 s) and returns it.
func (h *harness) expect(prefix string) string {
	h.t.Helper()
	deadline := time.After(5 * time.Second)
	var seen []string
	for {
		select {
		case l, ok := <-h.lines:
			if !ok {
				h.t.Fatalf("devsim stopped before %q; output:\n%s", prefix, strings.Join(seen, "\n"))
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
			seen = append(seen, l)
		case <-deadline:
			h.t.Fatalf("no %q from devsim within 5 s; output:\n%s", prefix, strings.Join(seen, "\n"))
		}
	}
}

func (h *harness) send(cmd string) {
	h.t.Helper()
	if _, err := io.WriteString(h.in, cmd+"\n"); err != nil {
		h.t.Fatal(err)
	}
}

// fakeVPCD is the reader side of vpcd: it accepts the card's connection.
type fakeVPCD struct {
	t  *testing.T
	ln net.Listener
}

func listenVPCD(t *testing.T) *fakeVPCD {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &fakeVPCD{t: t, ln: ln}
}

func (f *fakeVPCD) accept() net.Conn {
	f.t.Helper()
	f.ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
	c, err := f.ln.Accept()
	if err != nil {
		f.t.Fatalf("no card connected: %v", err)
	}
	f.t.Cleanup(func() { c.Close() })
	return c
}

// exchange sends one vpcd message and reads the card's answer.
func exchange(t *testing.T, c net.Conn, msg []byte) ([]byte, error) {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b := binary.BigEndian.AppendUint16(nil, uint16(len(msg)))
	if _, err := c.Write(append(b, msg...)); err != nil {
		return nil, err
	}
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return nil, err
	}
	r := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	_, err := io.ReadFull(c, r)
	return r, err
}

func hexOf(b []byte) string { return fmt.Sprintf("%X", b) }

func TestDevsim(t *testing.T) {
	vpcd := listenVPCD(t)
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.json")
	slips := filepath.Join(dir, "slips")
	h := startDevsim(t, "-vpcd", vpcd.ln.Addr().String(), "-state", statePath, "-slips", slips)
	h.expect("ready")

	var st State
	b, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.PID != os.Getpid() || st.VPCD != vpcd.ln.Addr().String() || !strings.HasPrefix(st.Printer, "/dev/pts/") ||
		!strings.HasPrefix(st.Magstripe, "/dev/pts/") || !strings.HasPrefix(st.PINPad, "/dev/pts/") {
		t.Errorf("state = %+v", st)
	}

	{ // insert, ATR, SELECT, remove
		h.send("insert cup-pboc-credit")
		h.expect("ok inserted cup-pboc-credit")
		c := vpcd.accept()
		atr, err := exchange(t, c, []byte{0x04})
		if err != nil || hexOf(atr) != hexOf(testATR) {
			t.Fatalf("ATR = %X, %v", atr, err)
		}
		// Power on: no answer is due; the next ATR request still answers.
		c.Write([]byte{0, 1, 1})
		if atr, err = exchange(t, c, []byte{0x04}); err != nil || len(atr) == 0 {
			t.Fatalf("ATR after power on = %X, %v", atr, err)
		}
		r, err := exchange(t, c, []byte{0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x00})
		if err != nil || !strings.HasSuffix(hexOf(r), "9000") || !strings.Contains(hexOf(r), "A000000333010102") {
			t.Fatalf("SELECT = %X, %v", r, err)
		}
		h.send("insert cup-chip-swiped")
		h.expect("error: insert: card cup-pboc-credit is in the reader")
		h.send("insert cup-debit")
		h.expect("error: insert: card cup-debit has no chip")
		h.send("remove")
		h.expect("ok removed cup-pboc-credit")
		if _, err := exchange(t, c, []byte{0x04}); !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !strings.Contains(fmt.Sprint(err), "reset") {
			t.Errorf("after remove: %v, want the connection closed", err)
		}
		h.send("remove")
		h.expect("error: remove: no card in the reader")
	}

	{ // card leaves at GENERATE AC
		h.send("insert cup-chip-removed")
		h.expect("ok inserted cup-chip-removed")
		c := vpcd.accept()
		_, err := exchange(t, c, []byte{0x80, 0xAE, 0x80, 0x00, 0x01, 0x00, 0x00})
		if err == nil {
			t.Error("GENERATE AC answered; want the connection closed")
		}
		h.expect("event card-gone cup-chip-removed")
		h.send("remove")
		h.expect("ok removed cup-chip-removed")
	}

	{ // swipe
		f, err := os.OpenFile(st.Magstripe, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		h.send("swipe cup-debit")
		h.expect("ok swiped cup-debit")
		f.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(f).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if want := "%B6222021234567890128^ZHANG/SAN^"; !strings.HasPrefix(line, want) || !strings.Contains(line, "?;6222021234567890128=") {
			t.Errorf("swipe = %q, want %q... and track 2", line, want)
		}
		h.send("swipe no-such-card")
		if l := h.expect("error:"); !strings.Contains(l, "cup-debit") {
			t.Errorf("unknown card: %q does not list the cards", l)
		}
	}

	{ // printer and pin pad
		h.send("paper-out")
		h.expect("ok printer paper-out")
		h.send("cover-open")
		h.expect("ok printer cover-open")
		h.send("status")
		if l := h.expect("printer "); !strings.Contains(l, "paper_out=true cover_open=true") {
			t.Errorf("status: %q", l)
		}
		h.send("paper-out-after x")
		h.expect("error: paper-out-after takes a number")
		h.send("paper-out-after 3")
		h.expect("ok printer paper-out-after 3")
		h.send("paper-in")
		h.expect("ok printer paper-in")
		h.send("cover-closed")
		h.expect("ok printer cover-closed")
		h.send("status")
		if l := h.expect("printer "); !strings.Contains(l, "paper_out=false cover_open=false") {
			t.Errorf("status: %q", l)
		}
		h.send("pin 12x4")
		h.expect("error: pin takes the digits")
		h.send("pin 123456")
		if l := h.expect("ok pin"); l != "ok pin entered (6 digits)" || strings.Contains(l, "123456") {
			t.Errorf("pin answer %q", l)
		}
		h.send("pinpad-unplug")
		h.expect("ok pinpad unplugged")
		if _, err := os.Stat(st.PINPad); err == nil {
			t.Errorf("%s still exists after unplug", st.PINPad)
		}
		h.send("pin 1234")
		h.expect("error: pin: the PIN pad is unplugged")
		h.send("bogus")
		h.expect(`error: unknown command "bogus"`)
	}

	h.send("quit")
	h.expect("ok quit")
	select {
	case code := <-h.done:
		if code != 0 {
			t.Errorf("exit %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("devsim did not stop on quit")
	}
	h.done <- 0 // for the cleanup
	if _, err := os.Stat(statePath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file left after quit: %v", err)
	}
}

func TestDevsimFlags(t *testing.T) {
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"-vpcd", "10.0.0.1:31963"}, 2, "only a loopback address"},
		{[]string{"-tmk", "0011"}, 2, "-tmk"},
		{[]string{"extra"}, 2, "unexpected arguments"},
		{[]string{"-h"}, 0, "insert CARD"},
	}
	for _, tc := range tests {
		var out, errOut strings.Builder
		code := run(context.Background(), tc.args, strings.NewReader(""), &out, &errOut)
		if code != tc.code || !strings.Contains(errOut.String(), tc.err) {
			t.Errorf("devsim %v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut.String(), tc.code, tc.err)
		}
	}
}

// The built command stops cleanly on SIGTERM: exit status 0, state file removed.
func TestDevsimSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds devsim")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "devsim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	statePath := filepath.Join(dir, "state.json")
	cmd := exec.Command(bin, "-vpcd", "", "-state", statePath, "-stay")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "ready" {
				close(ready)
			}
		}
		done <- cmd.Wait()
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("devsim not ready within 10 s")
	}
	if _, err := os.Stat(statePath); err != nil {
		t.Fatalf("state file: %v", err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatal("devsim did not stop within 5 s of SIGTERM")
	}
	if _, err := os.Stat(statePath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file left after SIGTERM: %v", err)
	}
}
