//go:build pcsc

package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"countertop/emv"
	"countertop/emv/card"
	"countertop/hal/pcsc/vpcd"
)

var (
	vpcdAddr   = "127.0.0.1:" + cmp.Or(os.Getenv("COUNTERTOP_VPCD_PORT"), "31963")
	readerName = cmp.Or(os.Getenv("COUNTERTOP_READER"), "Virtual PCD 00 00")
)

// needPCSCD starts pcscd with scripts/pcscd/start.sh when none runs (stopping it when
// the test ends), or skips with COUNTERTOP_SKIP_PCSC=1.
func needPCSCD(t *testing.T) {
	t.Helper()
	if c, err := scard.EstablishContext(); err == nil {
		c.Release()
		return
	}
	if os.Getenv("COUNTERTOP_SKIP_PCSC") == "1" {
		t.Skip("COUNTERTOP_SKIP_PCSC=1 and no pcscd running")
	}
	scripts, _ := filepath.Abs(filepath.Join("..", "..", "scripts", "pcscd"))
	if out, err := exec.Command(filepath.Join(scripts, "start.sh")).CombinedOutput(); err != nil {
		t.Fatalf("scripts/pcscd/start.sh: %v\n%s\n(make test installs pcscd and vsmartcard-vpcd; COUNTERTOP_SKIP_PCSC=1 skips)", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(filepath.Join(scripts, "stop.sh")).CombinedOutput(); err != nil {
			t.Errorf("scripts/pcscd/stop.sh: %v\n%s", err, out)
		}
	})
}

// served is a virtual EMV card behind vpcd; a failed exchange (the card "pulled out")
// closes the connection as devsim does.
type served struct {
	c       *card.Card
	cancel  context.CancelFunc
	release chan struct{} // closed at cleanup: a card that left stops waiting
	once    sync.Once
}

func (s *served) ATR() []byte {
	return []byte{0x3B, 0x6E, 0x00, 0x00, 0x00, 0x31, 0xC0, 0x71, 0xD6, 0x65, 0x11, 0x16, 0x02, 0x01, 0x83, 0x90, 0x00}
}

func (s *served) Transmit(apdu []byte) []byte {
	r, err := s.c.Transmit(context.Background(), apdu)
	if err != nil {
		// No answer: the connection closes (cancel) while this exchange waits.
		s.once.Do(s.cancel)
		<-s.release
		return nil
	}
	return r
}

func (s *served) PowerOn()  { s.c.Reset() }
func (s *served) PowerOff() {}
func (s *served) Reset()    { s.c.Reset() }

// insertCard serves the profile's virtual card to vpcd until the test ends and waits
// until pcscd reports it present.
func insertCard(t *testing.T, profile string) {
	t.Helper()
	waitState(t, scard.StateEmpty)
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{c: virtualCard(t, profile), cancel: cancel, release: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		vpcd.Serve(ctx, vpcdAddr, s)
	}()
	t.Cleanup(func() {
		cancel()
		close(s.release)
		<-done
		waitState(t, scard.StateEmpty)
	})
	waitState(t, scard.StatePresent)
}

// waitState waits up to 10 s until the reader's state has flag.
func waitState(t *testing.T, flag scard.StateFlag) {
	t.Helper()
	c, err := scard.EstablishContext()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	rs := []scard.ReaderState{{Reader: readerName, CurrentState: scard.StateUnaware}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := c.GetStatusChange(rs, time.Until(deadline)); err != nil {
			t.Fatalf("reader %q: no state %#x within 10 s: %v (state %#x)", readerName, uint32(flag), err, uint32(rs[0].EventState))
		}
		if rs[0].EventState&flag != 0 {
			return
		}
		rs[0].CurrentState = rs[0].EventState &^ scard.StateChanged
	}
}

func run(t *testing.T, f func([]string, *bytes.Buffer, *bytes.Buffer) int, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := f(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func runCardBuf(args []string, out, errOut *bytes.Buffer) int { return runCard(args, out, errOut) }
func runDevicesBuf(args []string, out, errOut *bytes.Buffer) int {
	return runDevices(args, out, errOut)
}

// TestCardOverPCSC runs devices, card apdu and card read against the virtual EMV card
// through pcscd and vpcd.
func TestCardOverPCSC(t *testing.T) {
	needPCSCD(t)
	insertCard(t, "cup-pboc-credit")

	code, out, errOut := run(t, runDevicesBuf)
	if code != exitOK || !strings.Contains(out, readerName) || !strings.Contains(out, "card present  ATR 3B6E00000031C071D66511160201839000") {
		t.Errorf("devices: exit %d\n%s%s", code, out, errOut)
	}

	selectAID := "00A4040008A00000033301010200"
	for _, raw := range []bool{false, true} {
		args := []string{"apdu", "--reader", readerName, selectAID, "00B2010C00"}
		if raw {
			args = append(args[:1], append([]string{"--raw"}, args[1:]...)...)
		}
		code, out, errOut = run(t, runCardBuf, args...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != exitOK || len(lines) != 2 || !strings.HasPrefix(lines[0], "6F") || !strings.HasSuffix(lines[0], "9000") ||
			!strings.Contains(lines[0], "A000000333010102") || lines[0] != strings.ToUpper(lines[0]) {
			t.Errorf("card apdu (raw %t): exit %d\n%s%s", raw, code, out, errOut)
		}
	}

	code, out, errOut = run(t, runCardBuf, "read", "--reader", readerName, "--amount", "12800")
	var res emv.ReplayResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitOK {
		t.Fatalf("card read: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if res.Outcome != "ONLINE" || res.SelectedAID != "A000000333010102" || res.ACType != "ARQC" || res.ODA != "CDA" ||
		res.Tags["5A"] != "622588******0019" || res.APDUs == 0 {
		t.Errorf("card read = %+v", res)
	}
	if strings.Contains(out, "6225880000000019") {
		t.Error("card read printed the full PAN")
	}
}

// A card that leaves the reader at GENERATE AC: card read prints what it did and fails.
func TestCardReadRemoved(t *testing.T) {
	needPCSCD(t)
	insertCard(t, "cup-chip-removed")
	code, out, errOut := run(t, runCardBuf, "read", "--reader", readerName, "--amount", "100")
	var res emv.ReplayResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("card read: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if code != exitError || res.Outcome != "CARD_ERROR" || res.ACType != "" ||
		!strings.Contains(errOut, "card removed") && !strings.Contains(errOut, "no status word") {
		t.Errorf("card read of a card that leaves: exit %d, outcome %s, error %q, stderr %q", code, res.Outcome, res.Error, errOut)
	}
}

// Without a card, card apdu says so within --wait.
func TestCardNoCard(t *testing.T) {
	needPCSCD(t)
	waitState(t, scard.StateEmpty)
	code, _, errOut := run(t, runCardBuf, "apdu", "--reader", readerName, "--wait", "300ms", "00A40400")
	if code != exitError || !strings.Contains(errOut, "no card in reader") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}
