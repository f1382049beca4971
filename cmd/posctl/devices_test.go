package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"countertop/hal/escpos/escpossim"
	"countertop/hal/msr/msrsim"
	"countertop/hal/pinpad/pinpadsim"
	"countertop/internal/keys"
)

// TestDevicesProbe probes a printer, a stripe reader and a PIN pad that a posd
// configuration names, each a simulator on a pseudo-terminal; a printer out of paper
// fails the probe.
func TestDevicesProbe(t *testing.T) {
	pr, err := escpossim.New(32).StartPTY()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close() })
	stripe, err := msrsim.Start(msrsim.Format{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stripe.Close() })
	tmk, err := keys.ParseHexKey("0123456789ABCDEFFEDCBA9876543210")
	if err != nil {
		t.Fatal(err)
	}
	pad, err := pinpadsim.New(tmk, 0, pinpadsim.Options{}).StartPTY()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pad.Close() })
	cfgPath := filepath.Join(t.TempDir(), "posd.toml")
	cfg := fmt.Sprintf("[devices]\nprinter = \"serial\"\nprinter_port = %q\nmagstripe = \"serial\"\nmagstripe_device = %q\npinpad = \"serial\"\npinpad_port = %q\n",
		pr.Path(), stripe.Path(), pad.Path())
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	probeOnce := func() (int, []probe) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := runDevices([]string{"--json", "--config", cfgPath, "--timeout", "5s"}, &out, &errOut)
		var rep devicesReport
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("exit %d: %v\n%s%s", code, err, out.String(), errOut.String())
		}
		return code, rep.Probes
	}
	code, probes := probeOnce()
	want := []probe{
		{Device: "magstripe", Driver: "serial", Port: stripe.Path(), OK: true, Detail: "port opens (a stripe reader only speaks when swiped)"},
		{Device: "pinpad", Driver: "serial", Port: pad.Path(), OK: true, Detail: "COUNTERTOP PINPADSIM;1MB, ABECS 2.20, serial SIM0000001"},
		{Device: "printer", Driver: "serial", Port: pr.Path(), OK: true, Detail: "status ready"},
	}
	if diff := cmp.Diff(want, probes); code != exitOK || diff != "" {
		t.Errorf("exit %d; probes (-want +got):\n%s", code, diff)
	}

	pr.Printer().SetState(escpossim.State{PaperOut: true})
	code, probes = probeOnce()
	if code != exitError || len(probes) != 3 || probes[2].OK {
		t.Errorf("paper out: exit %d, probes %+v", code, probes)
	}
}

func TestDevicesUsage(t *testing.T) {
	for _, args := range [][]string{{"extra"}, {"--config", filepath.Join(t.TempDir(), "none.toml")}, {"--bogus"}} {
		var out, errOut bytes.Buffer
		if code := runDevices(args, &out, &errOut); code != exitUsage {
			t.Errorf("devices %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
