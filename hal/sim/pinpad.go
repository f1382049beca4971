package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"countertop/hal"
	"countertop/internal/carddata"
	"countertop/internal/keys"
)

var (
	_ hal.PINPad       = (*PINPad)(nil)
	_ hal.PINKeyLoader = (*PINPad)(nil)
)

// ErrScript is returned when a scripted input cannot be the answer to the call that
// took it (a PIN of the wrong length or with non-digits, a bypass the entry does not
// allow): the test script is wrong, not the terminal.
var ErrScript = errors.New("sim: scripted input does not fit the call")

type pinAction int

const (
	pinEnter pinAction = iota
	pinCancel
	pinBypass
)

type pinInput struct {
	action pinAction
	pin    string
}

// PINPad is a simulated PIN pad. Like a real pad it holds the terminal master key
// (TMK) and takes the PIN key (PIK) from the host's sign-in reply through LoadPINKey,
// so the PIN never leaves it in clear. ReadPIN takes the next scripted entry (Enter,
// Cancel, Bypass) and returns the ISO 9564 format 0 block encrypted under the PIK:
// 8 bytes under a DES or 3DES PIK, the 16-byte SM4 block when the TMK, and so the
// PIK, is an SM4 key (national cryptography).
type PINPad struct {
	// OnPrompt, when set (before the pad is shared), is called as each ReadPIN
	// starts; the console uses it to ask the person at the keyboard for the PIN and
	// then calls Enter. It must not block.
	OnPrompt func(hal.PINEntry)

	q *queue[pinInput]

	mu    sync.Mutex
	tmk   keys.Key
	pik   keys.Key
	gone  bool
	shown []string
}

// NewPINPad returns a pad holding tmk and no PIN key, reporting to a (nil allowed).
func NewPINPad(a *Activity, tmk keys.Key) *PINPad {
	return &PINPad{q: newQueue[pinInput](a, kindPIN), tmk: tmk}
}

// Enter scripts the cardholder typing pin and pressing enter ("" is enter alone).
func (p *PINPad) Enter(pin string) { p.q.push(pinInput{action: pinEnter, pin: pin}) }

// Cancel scripts the cardholder pressing cancel: ReadPIN fails with ErrCancelled.
func (p *PINPad) Cancel() { p.q.push(pinInput{action: pinCancel}) }

// Bypass scripts the cardholder confirming with no PIN: ReadPIN fails with
// ErrPINBypassed when the entry allows it.
func (p *PINPad) Bypass() { p.q.push(pinInput{action: pinBypass}) }

// Unplug is a fault: the pad goes away. Every call, including a ReadPIN already
// waiting, fails with a DeviceError wrapping ErrDeviceGone until Replug. Scripted
// entries stay queued.
func (p *PINPad) Unplug() {
	p.mu.Lock()
	p.gone = true
	p.mu.Unlock()
	p.q.setFail(errGone("read pin"))
}

// Replug brings the pad back after Unplug, with its keys.
func (p *PINPad) Replug() {
	p.mu.Lock()
	p.gone = false
	p.mu.Unlock()
	p.q.setFail(nil)
}

// Pending is the number of scripted entries not taken yet.
func (p *PINPad) Pending() int { return p.q.len() }

// Shown is every line shown on the pad's screen, oldest first.
func (p *PINPad) Shown() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.shown)
}

// Show records lines as shown on the pad.
func (p *PINPad) Show(ctx context.Context, lines ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gone {
		return errGone("show")
	}
	p.shown = append(p.shown, lines...)
	return nil
}

// LoadPINKey decrypts the PIN key under the TMK (3DES or SM4 ECB, by the TMK's
// kind; the PIK is of the same kind), checks it against checkValue and keeps it. A mismatch fails with keys.ErrCheckValue and keeps the
// previous key.
func (p *PINPad) LoadPINKey(ctx context.Context, encrypted, checkValue []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gone {
		return errGone("load pin key")
	}
	if p.tmk.IsZero() {
		return &hal.DeviceError{Device: "pin pad", Op: "load pin key", Err: fmt.Errorf("no master key: %w", hal.ErrNoKey)}
	}
	plain, err := keys.DecryptECB(p.tmk, encrypted)
	if err != nil {
		return &hal.DeviceError{Device: "pin pad", Op: "load pin key", Err: fmt.Errorf("decrypt under tmk: %w", err)}
	}
	newKey := keys.NewKey
	if p.tmk.Kind() == keys.KindSM4 {
		newKey = keys.NewSM4Key
	}
	pik, err := newKey(plain)
	if err != nil {
		return &hal.DeviceError{Device: "pin pad", Op: "load pin key", Err: err}
	}
	if err := keys.CheckKCV(pik, checkValue); err != nil {
		return &hal.DeviceError{Device: "pin pad", Op: "load pin key", Err: fmt.Errorf("pik %X: %w", checkValue, err)}
	}
	p.pik = pik
	return nil
}

// ReadPIN waits for the next scripted entry and returns the PIN block for it.
func (p *PINPad) ReadPIN(ctx context.Context, e hal.PINEntry) (carddata.PINBlock, error) {
	if err := ctx.Err(); err != nil {
		return carddata.PINBlock{}, err
	}
	p.mu.Lock()
	gone, pik := p.gone, p.pik
	p.mu.Unlock()
	if gone {
		return carddata.PINBlock{}, errGone("read pin")
	}
	if pik.IsZero() {
		return carddata.PINBlock{}, readPINError(hal.ErrNoKey)
	}
	if p.OnPrompt != nil {
		p.OnPrompt(e)
	}
	in, err := p.q.pop(ctx)
	if err != nil {
		return carddata.PINBlock{}, err
	}
	switch in.action {
	case pinCancel:
		return carddata.PINBlock{}, readPINError(hal.ErrCancelled)
	case pinBypass:
		if !e.AllowBypass {
			return carddata.PINBlock{}, fmt.Errorf("bypass on an entry that does not allow it: %w", ErrScript)
		}
		return carddata.PINBlock{}, readPINError(hal.ErrPINBypassed)
	}
	if in.pin == "" && e.AllowBypass {
		return carddata.PINBlock{}, readPINError(hal.ErrPINBypassed)
	}
	if n := len(in.pin); n < e.MinLen || (e.MaxLen > 0 && n > e.MaxLen) || !isDigits(in.pin) {
		return carddata.PINBlock{}, fmt.Errorf("pin of %d characters for an entry of %d-%d digits: %w", n, e.MinLen, e.MaxLen, ErrScript)
	}
	enc, err := keys.EncipherPIN(pik, in.pin, e.PAN)
	if err != nil {
		return carddata.PINBlock{}, readPINError(err)
	}
	return carddata.NewPINBlock(enc), nil
}

func readPINError(err error) error {
	return &hal.DeviceError{Device: "pin pad", Op: "read pin", Err: err}
}

func errGone(op string) error {
	return &hal.DeviceError{Device: "pin pad", Op: op, Err: hal.ErrDeviceGone}
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
