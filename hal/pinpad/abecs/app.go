package abecs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"countertop/hal"
)

// Command ids used by countertop. All but CmdCheckWorkingKey are ABECS commands.
const (
	CmdOpen     = "OPN" // open the pad (classic form, no secure channel)
	CmdClose    = "CLO" // close, leaving 2×16 idle text on the display
	CmdDisplay  = "DSP" // 2×16 text
	CmdDisplayX = "DEX" // free text, CR between lines, up to 160 characters
	CmdInfo     = "GIN" // maker, model, versions, serial number
	CmdGetKey   = "GKY" // wait for one key; the key comes back as the status
	CmdGetPIN   = "GPN" // encrypted PIN entry under an MK/WK or DUKPT key
	// CmdCheckWorkingKey is a countertop vendor extension, not ABECS: "ZWK" + length +
	// method N1 + MK index N2 + WK H32 + check value H8. The pad decrypts the working
	// key under the MK and answers 000 when its check value matches, 046 when it does
	// not, 042 when the MK slot is empty. An ABECS pad answers ERR010 (unknown).
	CmdCheckWorkingKey = "ZWK"
	// RspError is the response id of a command the pad does not know (ERR010) or a
	// secure-channel failure (ERR003, ERR009).
	RspError = "ERR"
	// RspNotify is a notification during a blocking command: 32 characters for the
	// operator; it is not the answer.
	RspNotify = "NTM"
)

// ErrMessage: a PKTDATA that does not parse as a command or response.
var ErrMessage = errors.New("abecs: malformed message")

// Status is a response's RSP_STAT.
type Status int

// ABECS statuses (section 3.1.1 of the specification), and one vendor extension.
const (
	StatusOK           Status = 0   // ST_OK
	StatusNoSecure     Status = 3   // ST_NOSEC: secure channel not established
	StatusF1           Status = 4   // ST_F1 (GKY)
	StatusF2           Status = 5   // ST_F2
	StatusF3           Status = 6   // ST_F3
	StatusF4           Status = 7   // ST_F4
	StatusBackspace    Status = 8   // ST_BACKSP: clear key (GKY)
	StatusSecurePacket Status = 9   // ST_ERRPKTSEC
	StatusInvalidCall  Status = 10  // ST_INVCALL (also ERR010: unknown command)
	StatusInvalidParam Status = 11  // ST_INVPARM
	StatusTimeout      Status = 12  // ST_TIMEOUT: nobody pressed a key
	StatusCancel       Status = 13  // ST_CANCEL: the cardholder pressed cancel
	StatusMandatory    Status = 19  // ST_MANDAT: a mandatory parameter is missing
	StatusInternal     Status = 40  // ST_INTERR
	StatusMagstripe    Status = 41  // ST_MCDATAERR
	StatusNoKey        Status = 42  // ST_ERRKEY: the MK/DUKPT slot is empty
	StatusNoCard       Status = 43  // ST_NOCARD
	StatusPINBusy      Status = 44  // ST_PINBUSY: PIN entries rate-limited
	StatusOverflow     Status = 45  // ST_RSPOVRFL
	StatusCrypto       Status = 46  // ST_ERRCRYPT
	StatusSecurity     Status = 47  // ST_SECURITY
	StatusMuteCard     Status = 60  // ST_DUMBCARD
	StatusCardComms    Status = 61  // ST_ERRCARD
	StatusCardBlocked  Status = 79  // ST_CARDBLOCKED
	StatusPINBypass    Status = 90  // countertop vendor extension: enter with no digits on a GPN sent with minimum 00
	statusMax          Status = 999 // three digits
)

var statusNames = map[Status]string{
	StatusOK: "ST_OK", StatusNoSecure: "ST_NOSEC", StatusF1: "ST_F1", StatusF2: "ST_F2",
	StatusF3: "ST_F3", StatusF4: "ST_F4", StatusBackspace: "ST_BACKSP",
	StatusSecurePacket: "ST_ERRPKTSEC", StatusInvalidCall: "ST_INVCALL",
	StatusInvalidParam: "ST_INVPARM", StatusTimeout: "ST_TIMEOUT", StatusCancel: "ST_CANCEL",
	StatusMandatory: "ST_MANDAT", StatusInternal: "ST_INTERR", StatusMagstripe: "ST_MCDATAERR",
	StatusNoKey: "ST_ERRKEY", StatusNoCard: "ST_NOCARD", StatusPINBusy: "ST_PINBUSY",
	StatusOverflow: "ST_RSPOVRFL", StatusCrypto: "ST_ERRCRYPT", StatusSecurity: "ST_SECURITY",
	StatusMuteCard: "ST_DUMBCARD", StatusCardComms: "ST_ERRCARD", StatusCardBlocked: "ST_CARDBLOCKED",
	StatusPINBypass: "X_PINBYPASS",
}

// String is the three digits and the specification's name: "013 ST_CANCEL".
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return fmt.Sprintf("%03d %s", int(s), n)
	}
	return fmt.Sprintf("%03d", int(s))
}

// Err is nil for StatusOK and a *StatusError for cmd otherwise.
func (s Status) Err(cmd string) error {
	if s == StatusOK {
		return nil
	}
	return &StatusError{Command: cmd, Status: s}
}

// StatusError is a response with a status other than 000. It unwraps to the hal
// sentinel a caller acts on, when there is one: 013 → hal.ErrCancelled, 012 →
// hal.ErrInputTimeout, 042 → hal.ErrNoKey, 090 (vendor) → hal.ErrPINBypassed.
type StatusError struct {
	Command string // the command id sent ("GPN"); the response id was ERR when Unknown
	Status  Status
	Unknown bool // the pad answered ERR: it does not know the command
}

func (e *StatusError) Error() string {
	if e.Unknown {
		return fmt.Sprintf("%s: pad answered ERR %v", e.Command, e.Status)
	}
	return fmt.Sprintf("%s: status %v", e.Command, e.Status)
}

// Unwrap returns the hal sentinel for the status, or nil.
func (e *StatusError) Unwrap() error {
	if e.Unknown {
		return nil
	}
	switch e.Status {
	case StatusCancel:
		return hal.ErrCancelled
	case StatusTimeout:
		return hal.ErrInputTimeout
	case StatusNoKey:
		return hal.ErrNoKey
	case StatusPINBypass:
		return hal.ErrPINBypassed
	}
	return nil
}

// Command is an application-layer command: CMD_ID and its blocks, each sent as a
// 3-digit length and the data. A command with no blocks has no length field at all
// ("OPN", "GKY").
type Command struct {
	ID     string
	Blocks [][]byte
}

// Payload is the command's PKTDATA.
func (c Command) Payload() ([]byte, error) {
	if !validID(c.ID) {
		return nil, fmt.Errorf("command id %q: %w", c.ID, ErrMessage)
	}
	out := []byte(c.ID)
	for i, b := range c.Blocks {
		if len(b) > 999 {
			return nil, fmt.Errorf("%s block %d of %d bytes: %w", c.ID, i+1, len(b), ErrMessage)
		}
		out = fmt.Appendf(out, "%03d", len(b))
		out = append(out, b...)
	}
	if len(out) > MaxData {
		return nil, fmt.Errorf("%s of %d bytes: %w", c.ID, len(out), ErrMessage)
	}
	return out, nil
}

// ParseCommand reads a command's PKTDATA (the pad's side).
func ParseCommand(b []byte) (Command, error) {
	if len(b) < 3 || !validID(string(b[:3])) {
		return Command{}, fmt.Errorf("command id %q: %w", clip(b, 3), ErrMessage)
	}
	blocks, err := parseBlocks(b[3:])
	if err != nil {
		return Command{}, fmt.Errorf("command %s: %w", b[:3], err)
	}
	return Command{ID: string(b[:3]), Blocks: blocks}, nil
}

// Response is an application-layer response: RSP_ID, RSP_STAT and blocks. A status
// other than 000 comes without blocks.
type Response struct {
	ID     string
	Status Status
	Blocks [][]byte
}

// Payload is the response's PKTDATA.
func (r Response) Payload() ([]byte, error) {
	if !validID(r.ID) || r.Status < 0 || r.Status > statusMax {
		return nil, fmt.Errorf("response %q status %d: %w", r.ID, r.Status, ErrMessage)
	}
	c, err := Command{ID: r.ID, Blocks: r.Blocks}.Payload()
	if err != nil {
		return nil, err
	}
	return append([]byte(fmt.Sprintf("%s%03d", r.ID, int(r.Status))), c[3:]...), nil
}

// ParseResponse reads a response's PKTDATA.
func ParseResponse(b []byte) (Response, error) {
	if len(b) < 6 || !validID(string(b[:3])) {
		return Response{}, fmt.Errorf("response header %q: %w", clip(b, 6), ErrMessage)
	}
	st, ok := digits(b[3:6])
	if !ok {
		return Response{}, fmt.Errorf("response %s status %q: %w", b[:3], b[3:6], ErrMessage)
	}
	blocks, err := parseBlocks(b[6:])
	if err != nil {
		return Response{}, fmt.Errorf("response %s: %w", b[:3], err)
	}
	return Response{ID: string(b[:3]), Status: Status(st), Blocks: blocks}, nil
}

func parseBlocks(b []byte) ([][]byte, error) {
	var blocks [][]byte
	for len(b) > 0 {
		if len(b) < 3 {
			return nil, fmt.Errorf("block length %q: %w", b, ErrMessage)
		}
		n, ok := digits(b[:3])
		if !ok {
			return nil, fmt.Errorf("block length %q: %w", b[:3], ErrMessage)
		}
		if len(b)-3 < n {
			return nil, fmt.Errorf("block of %d bytes with %d left: %w", n, len(b)-3, ErrMessage)
		}
		blocks = append(blocks, b[3:3+n])
		b = b[3+n:]
	}
	return blocks, nil
}

func validID(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func digits(b []byte) (int, bool) {
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(string(b))
	return n, err == nil
}

func clip(b []byte, n int) []byte { return b[:min(len(b), n)] }

// Text encodes s for an S field (ISO 8859-1): characters outside Latin-1 become '?'.
// Chinese text cannot be shown by an ABECS pad.
func Text(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			r = '?'
		}
		out = append(out, byte(r))
	}
	return out
}

// Field pads or cuts an S or A field to exactly n bytes, spaces on the right.
func Field(s string, n int) []byte {
	b := Text(s)
	if len(b) > n {
		return b[:n]
	}
	return append(b, []byte(strings.Repeat(" ", n-len(b)))...)
}

// String decodes an ISO 8859-1 field, without the trailing spaces.
func String(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return strings.TrimRight(string(r), " ")
}
