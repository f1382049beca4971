//go:build pcsc

// Package pcscdtest brings up the PC/SC stack the tests of the real card-reader path
// run on: pcscd with the vsmartcard vpcd driver, started by scripts/pcscd when no
// pcscd runs and stopped again by whoever started it. The PC/SC driver's tests and
// the integration suite share it.
package pcscdtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ebfe/scard"
)

// Stack is the pcscd a test binary uses.
type Stack struct {
	scripts string // scripts/pcscd
	started bool   // Start started pcscd: this binary may stop and restart it
}

// Start checks that pcscd and vsmartcard-vpcd are installed and, when no pcscd
// answers, starts one with root's scripts/pcscd/start.sh. The Stack is usable for
// Stop even when the error is not nil.
func Start(root string) (*Stack, error) {
	s := &Stack{scripts: filepath.Join(root, "scripts", "pcscd")}
	if err := installed(); err != nil {
		return s, err
	}
	if running() {
		return s, nil
	}
	if err := s.Script("start.sh"); err != nil {
		return s, err
	}
	s.started = true
	return s, nil
}

// Started reports whether Start started pcscd (and so it is this binary's to stop).
func (s *Stack) Started() bool { return s.started }

// Script runs scripts/pcscd/name (start.sh, stop.sh).
func (s *Stack) Script(name string) error {
	if out, err := exec.Command(filepath.Join(s.scripts, name)).CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/pcscd/%s: %w\n%s", name, err, out)
	}
	return nil
}

// Stop stops pcscd if Start started it.
func (s *Stack) Stop() error {
	if !s.started {
		return nil
	}
	return s.Script("stop.sh")
}

func installed() error {
	var missing []string
	if _, err := exec.LookPath("pcscd"); err != nil {
		missing = append(missing, "pcscd")
	}
	if _, err := os.Stat("/usr/lib/pcsc/drivers/serial/libifdvpcd.so"); err != nil {
		missing = append(missing, "vsmartcard-vpcd")
	}
	if len(missing) > 0 {
		return errors.New(strings.Join(missing, " and ") + " not installed")
	}
	return nil
}

func running() bool {
	c, err := scard.EstablishContext()
	if err != nil {
		return false
	}
	c.Release()
	return true
}
