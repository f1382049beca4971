package pinpadsim

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrControl is returned for a control line Control does not understand.
var ErrControl = errors.New("pinpadsim: unknown control command")

// ControlHelp lists the control commands, one a line.
const ControlHelp = `enter [PIN]      cardholder types PIN (none: enter alone) and presses enter
cancel | bypass | timeout | clear | f1..f4
notify TEXT      a notification for the operator during GPN/GKY
nak N            NAK the next N commands
corrupt N        wrong CRC on the next N responses
garbage HEX|off  send HEX before every frame and control byte
silent on|off    ignore everything
shown | commands | pending
unplug           (PTY only) close the pseudo-terminal`

// Control runs one text command on the pad (see ControlHelp), for a person or a
// script driving the simulator from outside, such as cmd/devsim's standard input. It
// returns what a query asks for.
func (p *PINPad) Control(line string) (string, error) {
	f := strings.Fields(strings.ToLower(line))
	if len(f) == 0 {
		return "", nil
	}
	arg := func() (int, error) {
		if len(f) != 2 {
			return 0, fmt.Errorf("%s needs a count: %w", f[0], ErrControl)
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s count %q: %w", f[0], f[1], ErrControl)
		}
		return n, nil
	}
	switch f[0] {
	case "enter":
		if len(f) > 2 {
			return "", fmt.Errorf("enter takes one PIN: %w", ErrControl)
		}
		pin := ""
		if len(f) == 2 {
			pin = f[1]
		}
		p.Enter(pin)
	case "notify":
		p.Notify(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), strings.Fields(line)[0])))
	case "cancel":
		p.Cancel()
	case "bypass":
		p.Bypass()
	case "timeout":
		p.Timeout()
	case "clear":
		p.Clear()
	case "f1", "f2", "f3", "f4":
		p.Function(int(f[0][1] - '0'))
	case "nak":
		n, err := arg()
		if err != nil {
			return "", err
		}
		p.NAKNext(n)
	case "corrupt":
		n, err := arg()
		if err != nil {
			return "", err
		}
		p.CorruptNext(n)
	case "garbage":
		if len(f) != 2 {
			return "", fmt.Errorf("garbage needs HEX or off: %w", ErrControl)
		}
		if f[1] == "off" {
			p.SetGarbage(nil)
			break
		}
		b, err := hex.DecodeString(f[1])
		if err != nil {
			return "", fmt.Errorf("garbage %q: %w", f[1], ErrControl)
		}
		p.SetGarbage(b)
	case "silent":
		if len(f) != 2 || (f[1] != "on" && f[1] != "off") {
			return "", fmt.Errorf("silent on|off: %w", ErrControl)
		}
		p.SetSilent(f[1] == "on")
	case "shown":
		return strings.Join(p.Shown(), "\n"), nil
	case "commands":
		return strings.Join(p.Commands(), " "), nil
	case "pending":
		return strconv.Itoa(p.Pending()), nil
	default:
		return "", fmt.Errorf("%q: %w", f[0], ErrControl)
	}
	return "", nil
}

// Control is PINPad.Control plus "unplug".
func (t *PTY) Control(line string) (string, error) {
	if strings.TrimSpace(strings.ToLower(line)) == "unplug" {
		t.Unplug()
		return "", nil
	}
	return t.p.Control(line)
}
