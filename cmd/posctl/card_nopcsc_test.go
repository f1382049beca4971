//go:build !pcsc

package main

import (
	"bytes"
	"strings"
	"testing"
)

// Without the pcsc tag the PC/SC commands say how to get them.
func TestCardWithoutPCSC(t *testing.T) {
	for _, args := range [][]string{{"apdu", "00A40400"}, {"read"}} {
		var out, errOut bytes.Buffer
		code := runCard(args, &out, &errOut)
		if code != exitError || !strings.Contains(errOut.String(), "built without PC/SC (make build-pcsc)") {
			t.Errorf("card %v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := runDevices(nil, &out, &errOut); code != exitOK || !strings.Contains(out.String(), "PC/SC readers:\n  (built without PC/SC (make build-pcsc))\nSerial ports:\n") {
		t.Errorf("devices: exit %d, output %q, stderr %q", code, out.String(), errOut.String())
	}
}

func TestCardUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"apdu"}, {"apdu", "00A4"}, {"apdu", "XYZ"}, {"read", "extra"}, {"read", "--until", "never"}, {"write"}} {
		var out, errOut bytes.Buffer
		if code := runCard(args, &out, &errOut); code != exitUsage {
			t.Errorf("card %v: exit %d, want %d (stderr %q)", args, code, exitUsage, errOut.String())
		}
	}
}
