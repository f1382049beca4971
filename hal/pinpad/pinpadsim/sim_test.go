package pinpadsim_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"countertop/hal/pinpad/abecs"
	"countertop/hal/pinpad/pinpadsim"
	"countertop/internal/carddata"
	"countertop/internal/keys"
)

var (
	tmk = mustKey("0123456789ABCDEFFEDCBA9876543210")
	pik = mustKey("11111111111111112222222222222222")
)

func mustKey(h string) keys.Key {
	k, err := keys.ParseHexKey(h)
	if err != nil {
		panic(err)
	}
	return k
}

// host is the SPE end of a pipe to a simulated pad, speaking raw bytes.
type host struct {
	t    *testing.T
	conn net.Conn
	sim  *pinpadsim.PINPad
}

func start(t *testing.T, opts pinpadsim.Options) *host {
	t.Helper()
	if opts.Silence == 0 {
		opts.Silence = 20 * time.Millisecond
	}
	a, b := net.Pipe()
	sim := pinpadsim.New(tmk, 8, opts)
	done := make(chan error, 1)
	go func() { done <- sim.Serve(b) }()
	t.Cleanup(func() {
		a.Close()
		b.Close()
		<-done
	})
	return &host{t: t, conn: a, sim: sim}
}

func (h *host) send(b []byte) {
	h.t.Helper()
	h.conn.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := h.conn.Write(b); err != nil {
		h.t.Fatalf("write: %v", err)
	}
}

// expect reads exactly len(want) bytes within a second.
func (h *host) expect(want []byte) {
	h.t.Helper()
	got := make([]byte, len(want))
	h.conn.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := io.ReadFull(h.conn, got); err != nil {
		h.t.Fatalf("read %d bytes: %v (got % X)", len(want), err, got)
	}
	if !bytes.Equal(got, want) {
		h.t.Fatalf("pad sent % X\nwant         % X", got, want)
	}
}

// quiet checks that the pad sends nothing for d.
func (h *host) quiet(d time.Duration) {
	h.t.Helper()
	var b [1]byte
	h.conn.SetReadDeadline(time.Now().Add(d))
	if n, err := h.conn.Read(b[:]); n > 0 {
		h.t.Fatalf("pad sent % X, want silence (%v)", b[:n], err)
	}
}

func frame(t *testing.T, s string) []byte {
	t.Helper()
	f, err := abecs.Encode([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// command sends cmd and expects ACK and then the response rsp.
func (h *host) command(cmd, rsp string) {
	h.t.Helper()
	h.send(frame(h.t, cmd))
	h.expect(append([]byte{abecs.ACK}, frame(h.t, rsp)...))
}

func TestSpecOPNAndDSP(t *testing.T) {
	h := start(t, pinpadsim.Options{})
	// Before OPN, other commands are an invalid call.
	h.command("DSP032"+strings.Repeat(" ", 32), "DSP010")
	// The specification's own frames (section 2.2.2).
	h.send([]byte{0x16, 0x4F, 0x50, 0x4E, 0x17, 0xA8, 0xA9})
	h.expect([]byte{abecs.ACK, 0x16, 'O', 'P', 'N', '0', '0', '0', 0x17, 0x77, 0x5E})
	dsp, _ := hex.DecodeString("1644535030333220202020" + "4F50455241C7C34F20202020202020" + "46494E414C495A41444120202017" + "5213")
	h.send(dsp)
	h.expect([]byte{abecs.ACK, 0x16, 0x44, 0x53, 0x50, 0x30, 0x30, 0x30, 0x17, 0x39, 0x63})
	if d := cmp.Diff([]string{"OPERAÇÃO", "FINALIZADA"}, h.sim.Shown()); d != "" {
		t.Errorf("shown (-want +got):\n%s", d)
	}
	h.command("XYZ", "ERR010")
	h.command("DEX016"+"013LINE 1\rLINE 2", "DEX000")
	h.command("CLO032"+"GOODBYE         SEE YOU         ", "CLO000")
	if h.sim.Idle() != "GOODBYE\nSEE YOU" {
		t.Errorf("idle %q", h.sim.Idle())
	}
	if d := cmp.Diff([]string{"DSP", "OPN", "DSP", "XYZ", "DEX", "CLO"}, h.sim.Commands()); d != "" {
		t.Errorf("commands (-want +got):\n%s", d)
	}
}

func TestGIN(t *testing.T) {
	h := start(t, pinpadsim.Options{})
	h.command("OPN", "OPN000")
	want := fmt.Sprintf("GIN000100%-20s%-19s %-20s%-4s%-16s%-20s", "COUNTERTOP", "PINPADSIM;1MB", "pinpadsim 1", "2.20", "001.00 261127", "SIM0000001")
	h.command("GIN00200", want)
	h.command("GIN00201", "GIN011")
}

func TestLinkRules(t *testing.T) {
	h := start(t, pinpadsim.Options{})
	// CAN is answered with EOT, whatever the state.
	h.send([]byte{abecs.CAN})
	h.expect([]byte{abecs.EOT})
	// A damaged command: the pad drains until silence, then NAKs.
	h.send([]byte{0x16, 'O', 'P', 'N', 0x17, 0x00, 0x00})
	h.send([]byte{0xAA, 0xBB}) // more noise, still draining
	h.expect([]byte{abecs.NAK})
	// A frame cut short: NAK after the inter-byte timeout and the silence.
	h2 := start(t, pinpadsim.Options{ByteTimeout: 30 * time.Millisecond})
	h2.send([]byte{0x16, 'O', 'P'})
	h2.expect([]byte{abecs.NAK})
	// A NAK while a new command has no answer yet resends nothing old.
	h.command("OPN", "OPN000")
	h.send(frame(t, "GKY"))
	h.expect([]byte{abecs.ACK})
	h.send([]byte{abecs.NAK})
	h.quiet(50 * time.Millisecond)
	h.send([]byte{abecs.CAN})
	h.expect([]byte{abecs.EOT})
	// A NAKed response is sent again, twice at most.
	h.command("OPN", "OPN000")
	for range 2 {
		h.send([]byte{abecs.NAK})
		h.expect(frame(t, "OPN000"))
	}
	h.send([]byte{abecs.NAK})
	h.quiet(50 * time.Millisecond)
	// Bytes outside frames are ignored.
	h.send([]byte("noise\x06\x04"))
	h.command("OPN", "OPN000")
}

func TestFaults(t *testing.T) {
	h := start(t, pinpadsim.Options{})
	h.sim.NAKNext(1)
	h.send(frame(t, "OPN"))
	h.expect([]byte{abecs.NAK})
	h.command("OPN", "OPN000")

	h.sim.CorruptNext(1)
	good := frame(t, "OPN000")
	bad := append([]byte(nil), good...)
	bad[len(bad)-1] ^= 0x5A
	h.send(frame(t, "OPN"))
	h.expect(append([]byte{abecs.ACK}, bad...))
	h.send([]byte{abecs.NAK})
	h.expect(good)

	h.sim.SetGarbage([]byte("zz"))
	h.send(frame(t, "OPN"))
	h.expect(append([]byte("zz\x06zz"), good...))
	h.sim.SetGarbage(nil)

	h.sim.SetSilent(true)
	h.send(frame(t, "OPN"))
	h.send([]byte{abecs.CAN})
	h.quiet(50 * time.Millisecond)
	h.sim.SetSilent(false)
	h.send([]byte{abecs.CAN})
	h.expect([]byte{abecs.EOT})
}

// gpn builds a GPN command as the specification lays it out (section 3.3.11).
func gpn(t *testing.T, method byte, slot int, wk keys.Key, pan string, minLen, maxLen int) string {
	t.Helper()
	enc, err := keys.EncryptECB(tmk, wk.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	wkHex := strings.ToUpper(hex.EncodeToString(enc))
	if len(wkHex) < 32 {
		wkHex += strings.Repeat("0", 32-len(wkHex))
	}
	body := fmt.Sprintf("%c%02d%s%02d%-19s1%02d%02d%-16s%-16s", method, slot, wkHex, len(pan), pan, minLen, maxLen, "R$ 34,56", "DIGITE A SENHA")
	return fmt.Sprintf("GPN%03d%s", len(body), body)
}

// readGPN reads ACK and a GPN response and returns its PIN block, decrypted under k.
func (h *host) readGPN(k keys.Key) []byte {
	h.t.Helper()
	h.expect([]byte{abecs.ACK})
	buf := make([]byte, 0, 64)
	h.conn.SetReadDeadline(time.Now().Add(time.Second))
	var b [64]byte
	for {
		n, err := h.conn.Read(b[:])
		buf = append(buf, b[:n]...)
		data, _, derr := abecs.Decode(buf)
		if derr == nil {
			r, err := abecs.ParseResponse(data)
			if err != nil || r.Status != abecs.StatusOK || len(r.Blocks) != 1 || len(r.Blocks[0]) != 36 {
				h.t.Fatalf("GPN response %q, %v", data, err)
			}
			if ksn := string(r.Blocks[0][16:]); ksn != strings.Repeat("0", 20) {
				h.t.Errorf("KSN %q for MK/WK, want zeros", ksn)
			}
			enc, _ := hex.DecodeString(string(r.Blocks[0][:16]))
			clear, err := keys.DecryptPINBlock(k, enc)
			if err != nil {
				h.t.Fatal(err)
			}
			return clear
		}
		if err != nil {
			h.t.Fatalf("reading GPN response: %v", err)
		}
	}
}

func TestGPN(t *testing.T) {
	h := start(t, pinpadsim.Options{})
	h.command("OPN", "OPN000")

	pan, _ := carddata.ParsePAN("4444333322221111")
	want, _ := keys.ClearPINBlock("1234", pan)
	h.sim.Enter("1234")
	h.send(frame(t, gpn(t, '1', 8, pik, "4444333322221111", 4, 12)))
	if got := h.readGPN(pik); !bytes.Equal(got, want) {
		t.Errorf("clear block % X, want % X", got, want)
	}

	// A 9-digit PAN takes zeros on the left: 0000 670192387 → 0000 0000 6701 9238.
	h.sim.Enter("98765")
	h.send(frame(t, gpn(t, '1', 8, pik, "670192387", 4, 12)))
	short, _ := hex.DecodeString("0598765FFFFFFFFF")
	for i, c := range []byte{0, 0, 0, 0, 0x67, 0x01, 0x92, 0x38} {
		short[i] ^= c
	}
	if got := h.readGPN(pik); !bytes.Equal(got, short) {
		t.Errorf("clear block for a 9-digit PAN % X, want % X", got, short)
	}

	// Single DES (method 0): the first 16 hex digits of the WK.
	des := mustKey("0123456789ABCDEF")
	h.sim.Enter("4321")
	h.send(frame(t, gpn(t, '0', 8, des, "4444333322221111", 4, 12)))
	want, _ = keys.ClearPINBlock("4321", pan)
	if got := h.readGPN(des); !bytes.Equal(got, want) {
		t.Errorf("DES clear block % X, want % X", got, want)
	}

	// Statuses.
	h.sim.Cancel()
	h.command(gpn(t, '1', 8, pik, "4444333322221111", 4, 12), "GPN013")
	h.sim.Timeout()
	h.command(gpn(t, '1', 8, pik, "4444333322221111", 4, 12), "GPN012")
	h.command(gpn(t, '1', 9, pik, "4444333322221111", 4, 12), "GPN042")
	h.command(gpn(t, '3', 8, pik, "4444333322221111", 4, 12), "GPN042")
	h.command(gpn(t, '1', 8, pik, "4444333322221111", 3, 12), "GPN011")
	h.command(gpn(t, '1', 8, pik, "", 4, 12), "GPN010")
	h.sim.Bypass()
	h.command(gpn(t, '1', 8, pik, "4444333322221111", 0, 12), "GPN090")
	// A script that does not fit the entry is the script's fault.
	h.sim.Enter("12")
	h.command(gpn(t, '1', 8, pik, "4444333322221111", 4, 12), "GPN040")
	if h.sim.Err() == nil {
		t.Error("a 2-digit PIN for a 4-12 entry recorded no script error")
	}
	if h.sim.Pending() != 0 {
		t.Errorf("%d scripted inputs left", h.sim.Pending())
	}
}

func TestGPNWaitsAndCANAborts(t *testing.T) {
	h := start(t, pinpadsim.Options{})
	h.command("OPN", "OPN000")
	h.send(frame(t, gpn(t, '1', 8, pik, "4444333322221111", 4, 12)))
	h.expect([]byte{abecs.ACK})
	h.quiet(50 * time.Millisecond) // blocking: waits for the cardholder
	h.send([]byte{abecs.CAN})
	h.expect([]byte{abecs.EOT})
	h.sim.Enter("5555") // not taken by the aborted GPN
	h.quiet(50 * time.Millisecond)
	if h.sim.Pending() != 1 {
		t.Fatalf("%d inputs pending after CAN, want 1", h.sim.Pending())
	}
	h.send(frame(t, gpn(t, '1', 8, pik, "4444333322221111", 4, 12)))
	pan, _ := carddata.ParsePAN("4444333322221111")
	want, _ := keys.ClearPINBlock("5555", pan)
	if got := h.readGPN(pik); !bytes.Equal(got, want) {
		t.Errorf("clear block % X, want % X", got, want)
	}
}

func TestZWK(t *testing.T) {
	enc, _ := keys.EncryptECB(tmk, pik.Bytes())
	wk := strings.ToUpper(hex.EncodeToString(enc))
	kcv := strings.ToUpper(hex.EncodeToString(keys.KCV(pik)))
	h := start(t, pinpadsim.Options{})
	h.command("OPN", "OPN000")
	h.command("ZWK043108"+wk+kcv, "ZWK000")
	h.command("ZWK043108"+wk+"00000000", "ZWK046")
	h.command("ZWK043109"+wk+kcv, "ZWK042")
	strict := start(t, pinpadsim.Options{Strict: true})
	strict.command("OPN", "OPN000")
	strict.command("ZWK043108"+wk+kcv, "ERR010")
}

func TestPTYUnplug(t *testing.T) {
	sim := pinpadsim.New(tmk, 8, pinpadsim.Options{})
	pt, err := sim.StartPTY()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pt.Path(), "/dev/pts/") || pt.PINPad() != sim {
		t.Errorf("pty path %q", pt.Path())
	}
	pt.Unplug()
	if err := pt.Close(); err != nil {
		t.Errorf("Close after Unplug: %v", err)
	}
}

func TestGKY(t *testing.T) {
	h := start(t, pinpadsim.Options{})
	h.command("OPN", "OPN000")
	h.send(frame(t, "GKY"))
	h.expect([]byte{abecs.ACK})
	h.quiet(50 * time.Millisecond) // blocking: waits for a key
	h.sim.Function(2)
	h.expect(frame(t, "GKY005"))
	for _, tc := range []struct {
		press func()
		rsp   string
	}{
		{func() { h.sim.Enter("") }, "GKY000"},
		{h.sim.Cancel, "GKY013"},
		{h.sim.Clear, "GKY008"},
		{h.sim.Timeout, "GKY012"},
		{func() { h.sim.Enter("1234") }, "GKY040"}, // digits are not keys GKY reports
	} {
		tc.press()
		h.command("GKY", tc.rsp)
	}
	if h.sim.Err() == nil {
		t.Error("a PIN scripted for GKY recorded no script error")
	}
}

func TestControl(t *testing.T) {
	h := start(t, pinpadsim.Options{})
	for _, line := range []string{"enter 1234", "ENTER", "cancel", "bypass", "timeout", "clear", "f4", "nak 0", "corrupt 0", "garbage 00ff", "garbage off", "silent off", ""} {
		if _, err := h.sim.Control(line); err != nil {
			t.Errorf("Control(%q): %v", line, err)
		}
	}
	if got, err := h.sim.Control("pending"); err != nil || got != "7" {
		t.Errorf("pending = %q, %v; want 7", got, err)
	}
	for _, line := range []string{"press 5", "nak", "nak -1", "garbage zz", "silent maybe", "enter 1 2", "unplug"} {
		if _, err := h.sim.Control(line); !errors.Is(err, pinpadsim.ErrControl) {
			t.Errorf("Control(%q) = %v, want ErrControl", line, err)
		}
	}
	h.command("OPN", "OPN000")
	if got, _ := h.sim.Control("commands"); got != "OPN" {
		t.Errorf("commands = %q", got)
	}
	sim := pinpadsim.New(tmk, 8, pinpadsim.Options{})
	pt, err := sim.StartPTY()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pt.Control("unplug"); err != nil {
		t.Errorf("unplug: %v", err)
	}
	if err := pt.Close(); err != nil {
		t.Errorf("Close after unplug: %v", err)
	}
}
