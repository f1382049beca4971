package pinpad

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"unicode/utf8"

	"go.bug.st/serial"

	"countertop/hal"
	"countertop/hal/pinpad/abecs"
	"countertop/internal/carddata"
	"countertop/internal/keys"
)

const device = "pin pad"

var (
	_ hal.PINPad       = (*PINPad)(nil)
	_ hal.PINKeyLoader = (*PINPad)(nil)
)

// ErrKeySlot: Options.KeySlot is outside the pad's 00–99.
var ErrKeySlot = errors.New("pinpad: key slot outside 00-99")

// DefaultBaud is the ABECS line rate. Pads on USB-CDC ignore it.
const DefaultBaud = 19200

// Options configure a PIN pad. The zero value works: MK slot 00, the
// specification's timeouts, English prompt, no logging.
type Options struct {
	// KeySlot is the pad's MK slot (GPN_KEYIDX, 00–99) holding the terminal master
	// key that the host's PIN keys are encrypted under.
	KeySlot int
	// Timeouts of the link; zero fields take abecs.DefaultTimeouts (2 s for ACK,
	// 10 s for a non-blocking response, 500 ms of silence after a damaged frame).
	Timeouts abecs.Timeouts
	// Prompt is the second line of the PIN prompt, under the amount ("ENTER PIN").
	// The pad shows ISO 8859-1 only: Chinese text would come out as '?'.
	Prompt string
	// Logger receives link events and warnings; nil discards them. PIN blocks and
	// keys are never logged.
	Logger *slog.Logger
}

// Info is what the pad says about itself (GIN, general information).
type Info struct {
	Maker       string
	Model       string // "name;memory"
	Contactless bool
	OS          string
	SpecVersion string // "2.12", "2.20"
	Manager     string // "VVV.VV AAMMDD"
	Serial      string
}

// PINPad is an ABECS PIN pad. Its methods are safe for concurrent use; exchanges
// are serialised.
type PINPad struct {
	opts Options
	log  *slog.Logger

	closeMu sync.Mutex // guards closer and closed; never held across I/O
	closer  io.Closer
	closed  bool

	mu       sync.Mutex // serialises exchanges
	link     *abecs.Link
	reopen   func() (io.ReadWriteCloser, error) // the serial port again (Open only)
	broken   bool                               // the port failed: reopen before the next command
	open     bool                               // OPN answered since the last failure
	wk       []byte                             // PIN key from the host, encrypted under the TMK
	noBypass bool                               // the pad refused a GPN minimum of 00
	noCheck  bool                               // the pad does not know ZWK
}

// Open opens the pad on a serial port (8N1 at baud, no flow control). It does not
// talk to the pad: the session (CAN, OPN) opens on the first call, which takes a
// context — call Info at start-up to probe the pad. Only cmd/ opens devices; the
// caller closes it.
func Open(port string, baud int, opts Options) (*PINPad, error) {
	if baud <= 0 {
		baud = DefaultBaud
	}
	openPort := func() (io.ReadWriteCloser, error) {
		return serial.Open(port, &serial.Mode{BaudRate: baud, DataBits: 8,
			Parity: serial.NoParity, StopBits: serial.OneStopBit})
	}
	rw, err := openPort()
	if err != nil {
		return nil, &hal.DeviceError{Device: device, Op: "open " + port,
			Err: fmt.Errorf("%w: %w", hal.ErrDeviceGone, err)}
	}
	p := New(rw, opts)
	p.reopen = openPort
	return p, nil
}

// New returns a pad speaking over rw, which may be a serial port (its read timeout
// is set short), an *os.File or net.Conn (read deadlines), or any io.ReadWriter (a
// goroutine reads it). Close closes rw when it is an io.Closer.
func New(rw io.ReadWriter, opts Options) *PINPad {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &PINPad{opts: opts, log: log, link: abecs.NewLink(newConn(rw), opts.Timeouts)}
	if c, ok := rw.(io.Closer); ok {
		p.closer = c
	}
	return p
}

// Close closes the port without a word to the pad (see CloseSession); a call in
// progress fails with hal.ErrDeviceGone and later calls do too. Only the owner (cmd/)
// calls it.
func (p *PINPad) Close() error {
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	p.closed = true
	if p.closer == nil {
		return nil
	}
	return p.closer.Close()
}

// LinkStats returns the link's counters (frames sent, NAKs, garbage skipped...). It
// waits for a call in progress.
func (p *PINPad) LinkStats() abecs.Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.link.Stats
}

// Info asks the pad who it is (GIN 00). It opens the session when needed, so it is
// also the start-up probe.
func (p *PINPad) Info(ctx context.Context) (Info, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, err := p.exchange(ctx, abecs.Command{ID: abecs.CmdInfo, Blocks: [][]byte{[]byte("00")}}, false)
	if err != nil {
		return Info{}, p.fail("info", err)
	}
	if len(r.Blocks) != 1 || len(r.Blocks[0]) < 100 {
		return Info{}, p.fail("info", fmt.Errorf("gin answer of %d blocks: %w", len(r.Blocks), abecs.ErrMessage))
	}
	b := r.Blocks[0]
	return Info{Maker: abecs.String(b[0:20]), Model: abecs.String(b[20:39]), Contactless: b[39] == 'C',
		OS: abecs.String(b[40:60]), SpecVersion: abecs.String(b[60:64]), Manager: abecs.String(b[64:80]),
		Serial: abecs.String(b[80:100])}, nil
}

// Probe is the start-up self-check (it satisfies internal/selfcheck's Prober): the
// pad must answer GIN, and a PIN key must have been loaded — hal.ErrNoKey otherwise,
// which the self-check shows as a warning until the sign-in loads one.
func (p *PINPad) Probe(ctx context.Context) error {
	if _, err := p.Info(ctx); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.wk == nil {
		return p.fail("probe", fmt.Errorf("no pin key loaded yet: %w", hal.ErrNoKey))
	}
	return nil
}

// Show puts lines on the pad's display: DSP when they fit 2×16, DEX (up to 160
// characters, CR between lines) otherwise. Characters outside ISO 8859-1 show as '?'.
func (p *PINPad) Show(ctx context.Context, lines ...string) error {
	cmd := abecs.Command{ID: abecs.CmdDisplay}
	fits := len(lines) <= 2
	for _, l := range lines {
		fits = fits && utf8.RuneCountInString(l) <= 16
	}
	if fits {
		lines = append(lines, "", "")
		cmd.Blocks = [][]byte{append(abecs.Field(lines[0], 16), abecs.Field(lines[1], 16)...)}
	} else {
		text := abecs.Text(strings.Join(lines, "\r"))
		text = text[:min(len(text), 160)]
		cmd = abecs.Command{ID: abecs.CmdDisplayX, Blocks: [][]byte{append(fmt.Appendf(nil, "%03d", len(text)), text...)}}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := p.exchange(ctx, cmd, false)
	return p.fail("show", err)
}

// CloseSession ends the session (CLO), leaving up to two 16-character lines on the
// display. The next call opens a new session.
func (p *PINPad) CloseSession(ctx context.Context, idle ...string) error {
	idle = append(idle, "", "")
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := p.exchange(ctx, abecs.Command{ID: abecs.CmdClose,
		Blocks: [][]byte{append(abecs.Field(idle[0], 16), abecs.Field(idle[1], 16)...)}}, false)
	p.open = false
	return p.fail("close session", err)
}

// LoadPINKey takes the PIN key from the host's sign-in reply, encrypted under the
// terminal master key in the pad's MK slot (Options.KeySlot), with its check value.
// ABECS has no working-key load: the key travels encrypted with every GPN. So the
// driver keeps it as it came (never clear) and, when the pad knows the countertop
// vendor command ZWK, first has the pad check it: a mismatch fails with
// keys.ErrCheckValue and keeps the previous key; an empty MK slot fails with
// hal.ErrNoKey. A pad without ZWK (ERR010) gets the key unchecked, with a warning.
func (p *PINPad) LoadPINKey(ctx context.Context, encrypted, checkValue []byte) error {
	if len(encrypted) != 8 && len(encrypted) != 16 {
		return p.fail("load pin key", fmt.Errorf("pin key of %d bytes: %w", len(encrypted), keys.ErrKeyLength))
	}
	if len(checkValue) < 2 || len(checkValue) > 8 {
		return p.fail("load pin key", fmt.Errorf("check value of %d bytes: %w", len(checkValue), keys.ErrCheckValue))
	}
	if err := p.checkSlot(); err != nil {
		return p.fail("load pin key", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.noCheck {
		method, wk := wkField(encrypted)
		block := fmt.Appendf(nil, "%c%02d%s%s", method, p.opts.KeySlot, wk, strings.ToUpper(hex.EncodeToString(checkValue)))
		_, err := p.exchange(ctx, abecs.Command{ID: abecs.CmdCheckWorkingKey, Blocks: [][]byte{block}}, false)
		se, isStatus := errors.AsType[*abecs.StatusError](err)
		switch {
		case err == nil:
		case isStatus && se.Unknown:
			p.noCheck = true
			p.log.Warn("pin pad cannot check working keys (no ZWK); pin key taken unchecked")
		case isStatus && se.Status == abecs.StatusCrypto:
			return p.fail("load pin key", fmt.Errorf("pad says %v: %w", se.Status, keys.ErrCheckValue))
		default:
			return p.fail("load pin key", err)
		}
	}
	p.wk = append([]byte(nil), encrypted...)
	return nil
}

func (p *PINPad) checkSlot() error {
	if p.opts.KeySlot < 0 || p.opts.KeySlot > 99 {
		return fmt.Errorf("key slot %d: %w", p.opts.KeySlot, ErrKeySlot)
	}
	return nil
}

// wkField is GPN_METHOD and GPN_WKENC for an encrypted working key: 3DES (1) for 16
// bytes, DES (0, only the first 16 hex digits used) for 8.
func wkField(enc []byte) (byte, string) {
	h := strings.ToUpper(hex.EncodeToString(enc))
	if len(enc) == 8 {
		return '0', h + strings.Repeat("0", 16)
	}
	return '1', h
}

// ReadPIN has the pad collect a PIN (GPN) and returns the ISO 9564 format 0 block it
// encrypted under the PIN key. The amount is the prompt's first line. Cancel on the
// pad is hal.ErrCancelled, its idle timeout (60 s) hal.ErrInputTimeout, an empty MK
// slot or no LoadPINKey hal.ErrNoKey. When e.AllowBypass, the GPN goes with minimum
// 00 (a countertop vendor extension) and enter with no digits is hal.ErrPINBypassed;
// a pad that refuses the minimum (011) is asked again with minimum 04 and never
// offered bypass again. Cancelling ctx sends CAN and returns ctx's error.
func (p *PINPad) ReadPIN(ctx context.Context, e hal.PINEntry) (carddata.PINBlock, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return carddata.PINBlock{}, p.fail("read pin", err)
	}
	if p.wk == nil {
		return carddata.PINBlock{}, p.fail("read pin", fmt.Errorf("no pin key loaded: %w", hal.ErrNoKey))
	}
	if err := p.checkSlot(); err != nil {
		return carddata.PINBlock{}, p.fail("read pin", err)
	}
	pan := e.PAN.Reveal()
	if len(pan) < 2 || len(pan) > 19 {
		return carddata.PINBlock{}, p.fail("read pin", fmt.Errorf("pan of %d digits: %w", len(pan), carddata.ErrBadPAN))
	}
	minLen, maxLen := max(e.MinLen, 4), e.MaxLen
	if maxLen <= 0 || maxLen > 12 {
		maxLen = 12
	}
	maxLen = max(maxLen, minLen)
	bypass := e.AllowBypass && !p.noBypass
	prompt := p.opts.Prompt
	if prompt == "" {
		prompt = "ENTER PIN"
	}
	amount := ""
	if !e.Amount.IsZero() {
		amount = e.Amount.String()
	}
	method, wk := wkField(p.wk)
	gpn := func(minLen int) abecs.Command {
		b := fmt.Appendf(nil, "%c%02d%s%02d", method, p.opts.KeySlot, wk, len(pan))
		b = append(b, abecs.Field(pan, 19)...)
		b = fmt.Appendf(b, "1%02d%02d", minLen, maxLen)
		b = append(b, abecs.Field(amount, 16)...)
		b = append(b, abecs.Field(prompt, 16)...)
		return abecs.Command{ID: abecs.CmdGetPIN, Blocks: [][]byte{b}}
	}
	first := minLen
	if bypass {
		first = 0
	}
	r, err := p.exchange(ctx, gpn(first), true)
	if se, ok := errors.AsType[*abecs.StatusError](err); ok && bypass && se.Status == abecs.StatusInvalidParam {
		p.noBypass = true
		p.log.Warn("pin pad refuses gpn minimum 00: pin bypass not offered on this pad")
		r, err = p.exchange(ctx, gpn(minLen), true)
	}
	if err != nil {
		return carddata.PINBlock{}, p.fail("read pin", err)
	}
	if len(r.Blocks) != 1 || len(r.Blocks[0]) != 36 {
		return carddata.PINBlock{}, p.fail("read pin", fmt.Errorf("gpn answer of %d blocks: %w", len(r.Blocks), abecs.ErrMessage))
	}
	block, err := hex.DecodeString(string(r.Blocks[0][:16]))
	if err != nil {
		return carddata.PINBlock{}, p.fail("read pin", fmt.Errorf("gpn pin block not hex: %w", abecs.ErrMessage))
	}
	return carddata.NewPINBlock(block), nil
}

// Key is a key the cardholder pressed on the pad, as GKY reports it.
type Key int

// Keys GKY reports. The pad ignores digits.
const (
	KeyEnter  Key = iota // [OK/ENTRA]
	KeyCancel            // [CANCELA]
	KeyClear             // [LIMPA]
	KeyF1
	KeyF2
	KeyF3
	KeyF4
)

func (k Key) String() string {
	if k >= KeyEnter && k <= KeyF4 {
		return [...]string{"ENTER", "CANCEL", "CLEAR", "F1", "F2", "F3", "F4"}[k]
	}
	return fmt.Sprintf("Key(%d)", int(k))
}

// WaitKey waits for enter, cancel, clear or a function key on the pad (GKY), for a
// "confirm on the pad" step. Cancel is a key here, not an error; the pad giving up
// is hal.ErrInputTimeout. Cancelling ctx sends CAN.
func (p *PINPad) WaitKey(ctx context.Context) (Key, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := p.exchange(ctx, abecs.Command{ID: abecs.CmdGetKey}, true)
	se, isStatus := errors.AsType[*abecs.StatusError](err)
	switch {
	case err == nil:
		return KeyEnter, nil
	case !isStatus || se.Unknown:
		return 0, p.fail("wait key", err)
	case se.Status == abecs.StatusCancel:
		return KeyCancel, nil
	case se.Status == abecs.StatusBackspace:
		return KeyClear, nil
	case se.Status >= abecs.StatusF1 && se.Status <= abecs.StatusF4:
		return KeyF1 + Key(se.Status-abecs.StatusF1), nil
	}
	return 0, p.fail("wait key", err)
}

// exchange runs one command: it opens the port and the session when needed, sends
// the command, and returns its response, skipping notifications (NTM) and stale
// answers to other commands. blocking commands wait for ever (until ctx ends).
// A pad status other than 000 is a *abecs.StatusError. Callers hold p.mu.
func (p *PINPad) exchange(ctx context.Context, cmd abecs.Command, blocking bool) (abecs.Response, error) {
	if err := ctx.Err(); err != nil {
		return abecs.Response{}, err
	}
	if err := p.ready(ctx); err != nil {
		return abecs.Response{}, err
	}
	return p.roundTrip(ctx, cmd, blocking)
}

// ready reopens a failed port and opens the session: CAN (abort whatever the pad was
// doing), then OPN.
func (p *PINPad) ready(ctx context.Context) error {
	if p.broken && p.reopen != nil {
		if err := p.reopenPort(); err != nil {
			return err
		}
	}
	if p.open {
		return nil
	}
	if err := p.link.Discard(); err != nil {
		return err
	}
	if err := p.link.Cancel(ctx); err != nil {
		return fmt.Errorf("open session: %w", err)
	}
	if _, err := p.roundTrip(ctx, abecs.Command{ID: abecs.CmdOpen}, false); err != nil {
		return fmt.Errorf("open session: %w", err)
	}
	p.open = true
	return nil
}

// reopenPort replaces a failed port with a newly opened one, unless Close was called.
func (p *PINPad) reopenPort() error {
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	if p.closed {
		return fmt.Errorf("port closed: %w", abecs.ErrTransport)
	}
	if p.closer != nil {
		p.closer.Close()
	}
	rw, err := p.reopen()
	if err != nil {
		return fmt.Errorf("reopen port: %w: %w", abecs.ErrTransport, err)
	}
	p.link, p.closer, p.broken, p.open = abecs.NewLink(newConn(rw), p.opts.Timeouts), rw, false, false
	p.log.Info("pin pad port reopened")
	return nil
}

func (p *PINPad) roundTrip(ctx context.Context, cmd abecs.Command, blocking bool) (abecs.Response, error) {
	payload, err := cmd.Payload()
	if err != nil {
		return abecs.Response{}, err
	}
	if err := p.link.Discard(); err != nil {
		return abecs.Response{}, err
	}
	if err := p.link.Send(ctx, payload); err != nil {
		p.abortIfCancelled(ctx)
		return abecs.Response{}, fmt.Errorf("send %s: %w", cmd.ID, err)
	}
	timeout := p.link.Timeouts().Response
	if blocking {
		timeout = 0
	}
	for {
		data, err := p.link.Receive(ctx, timeout)
		if err != nil {
			p.abortIfCancelled(ctx)
			return abecs.Response{}, fmt.Errorf("%s response: %w", cmd.ID, err)
		}
		r, err := abecs.ParseResponse(data)
		if err != nil {
			return abecs.Response{}, err
		}
		switch r.ID {
		case cmd.ID:
			return r, r.Status.Err(cmd.ID)
		case abecs.RspError:
			return r, &abecs.StatusError{Command: cmd.ID, Status: r.Status, Unknown: r.Status == abecs.StatusInvalidCall}
		case abecs.RspNotify:
			if len(r.Blocks) > 0 {
				p.log.Info("pin pad notification", "text", abecs.String(r.Blocks[0]))
			}
		default:
			p.log.Debug("pin pad: stale response skipped", "id", r.ID, "waiting for", cmd.ID)
		}
	}
}

// abortIfCancelled sends CAN when ctx ended mid-command, so the pad stops waiting
// for the cardholder. The caller is waiting, so it gives the pad one EOT timeout
// (2 s) rather than the specification's three: when no EOT comes the session is
// marked closed, and the next call repeats the CAN before OPN.
func (p *PINPad) abortIfCancelled(ctx context.Context) {
	if ctx.Err() == nil {
		return
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.link.Timeouts().EOT)
	defer cancel()
	if err := p.link.Cancel(actx); err != nil {
		p.log.Warn("pin pad did not confirm cancel", "err", err)
		p.open = false
		if errors.Is(err, abecs.ErrTransport) {
			p.broken = true
		}
	}
}

// fail wraps err in a DeviceError for op and updates the session state: a pad that
// answered (a status) keeps its session; silence and port failures are
// hal.ErrDeviceGone and reopen the port; other link failures reopen the session.
func (p *PINPad) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	_, answered := errors.AsType[*abecs.StatusError](err)
	switch {
	case answered, errors.Is(err, hal.ErrNoKey), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, keys.ErrKeyLength), errors.Is(err, keys.ErrCheckValue), errors.Is(err, carddata.ErrBadPAN),
		errors.Is(err, ErrKeySlot):
	case abecs.Silent(err):
		p.open = false
		if errors.Is(err, abecs.ErrTransport) {
			p.broken = true
		}
		err = fmt.Errorf("%w: %w", hal.ErrDeviceGone, err)
	default:
		p.open = false
	}
	return &hal.DeviceError{Device: device, Op: op, Err: err}
}
