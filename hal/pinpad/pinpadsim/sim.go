package pinpadsim

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"countertop/hal/pinpad/abecs"
	"countertop/internal/keys"
)

// ErrScript is recorded (Err) when a scripted input cannot answer the GPN that took
// it — a PIN outside the entry's lengths, a bypass on an entry that does not allow it.
// The pad answers 040 (ST_INTERR): the test script is wrong, not the driver.
var ErrScript = errors.New("pinpadsim: scripted input does not fit the command")

// Info is what the pad reports to GIN.
type Info struct {
	Maker, Model, OS, SpecVersion, Manager, Serial string
	Contactless                                    bool
}

// DefaultInfo is the simulator's GIN answer.
var DefaultInfo = Info{Maker: "COUNTERTOP", Model: "PINPADSIM;1MB", OS: "pinpadsim 1",
	SpecVersion: "2.20", Manager: "001.00 261127", Serial: "SIM0000001"}

// Options shape a simulated pad.
type Options struct {
	// Strict makes a plain ABECS pad without countertop's vendor extensions: ZWK
	// answers ERR010 and a GPN minimum of 00 (bypass allowed) answers 011.
	Strict bool
	// Baud, when set, makes the pad take as long as a serial line at that rate:
	// a frame is handled only when its last byte would have arrived, and every
	// write waits for its bytes to be sent (10 bits a byte). Zero: no pacing.
	Baud int
	// ByteTimeout is the pad's inter-byte timeout inside a frame (1.5 s, v2.20).
	ByteTimeout time.Duration
	// Silence is the quiet that ends draining after a damaged frame (500 ms).
	Silence time.Duration
	// Info is the GIN answer (DefaultInfo when zero).
	Info Info
}

type action int

const (
	actEnter action = iota
	actCancel
	actBypass
	actTimeout
	actClear
	actFunction
	actNotify
)

type input struct {
	act action
	pin string
	fn  int    // 1–4 for actFunction
	msg string // actNotify
}

// PINPad is a simulated ABECS PIN pad. Its methods are safe for concurrent use while
// it serves.
type PINPad struct {
	opts Options
	wake chan struct{} // a scripted input or a fault arrived

	mu       sync.Mutex
	mk       map[int]keys.Key
	script   []input
	nakNext  int
	corrupt  int
	garbage  []byte
	silent   bool
	shown    []string
	idle     string
	commands []string
	err      error
}

// New returns a pad holding tmk in MK slot (00–99) and nothing scripted.
func New(tmk keys.Key, slot int, opts Options) *PINPad {
	if opts.ByteTimeout <= 0 {
		opts.ByteTimeout = 1500 * time.Millisecond
	}
	if opts.Silence <= 0 {
		opts.Silence = 500 * time.Millisecond
	}
	if opts.Info == (Info{}) {
		opts.Info = DefaultInfo
	}
	p := &PINPad{opts: opts, wake: make(chan struct{}, 1), mk: map[int]keys.Key{}}
	if !tmk.IsZero() {
		p.mk[slot] = tmk
	}
	return p
}

// SetMasterKey puts k in MK slot; the zero Key empties the slot.
func (p *PINPad) SetMasterKey(slot int, k keys.Key) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k.IsZero() {
		delete(p.mk, slot)
		return
	}
	p.mk[slot] = k
}

func (p *PINPad) push(in input) {
	p.mu.Lock()
	p.script = append(p.script, in)
	p.mu.Unlock()
	p.poke()
}

func (p *PINPad) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Enter scripts the cardholder typing pin and pressing enter ("" is enter alone: a
// bypass when the GPN allows it).
func (p *PINPad) Enter(pin string) { p.push(input{act: actEnter, pin: pin}) }

// Cancel scripts the cardholder pressing cancel: GPN answers 013.
func (p *PINPad) Cancel() { p.push(input{act: actCancel}) }

// Bypass scripts enter with no digits: GPN answers 090 (vendor) when it was sent with
// minimum 00.
func (p *PINPad) Bypass() { p.push(input{act: actBypass}) }

// Timeout scripts the cardholder walking away: GPN answers 012.
func (p *PINPad) Timeout() { p.push(input{act: actTimeout}) }

// Clear scripts the clear key: GKY answers 008 (a GPN takes it as a script error).
func (p *PINPad) Clear() { p.push(input{act: actClear}) }

// Function scripts function key F1–F4: GKY answers 004–007.
func (p *PINPad) Function(n int) { p.push(input{act: actFunction, fn: n}) }

// Notify scripts a notification (NTM, 32 characters for the operator) that the pad
// sends while a GPN or GKY waits; the command keeps waiting for the next input.
func (p *PINPad) Notify(text string) { p.push(input{act: actNotify, msg: text}) }

// NAKNext makes the pad answer the next n intact command frames with NAK.
func (p *PINPad) NAKNext(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nakNext = n
}

// CorruptNext makes the pad send the next n response frames (resends included) with
// a wrong CRC.
func (p *PINPad) CorruptNext(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.corrupt = n
}

// SetGarbage makes the pad send b before every frame, ACK, NAK and EOT it writes (nil
// stops it). b should not hold SYN, ACK, NAK or EOT, or it stops being garbage.
func (p *PINPad) SetGarbage(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.garbage = slices.Clone(b)
}

// SetSilent makes the pad hang — it ignores every byte and the scripted cardholder,
// and keeps whatever command it was running — or wakes it up again.
func (p *PINPad) SetSilent(on bool) {
	p.mu.Lock()
	p.silent = on
	p.mu.Unlock()
	p.poke()
}

// Shown is every non-blank line shown on the pad's display by DSP, DEX and the GPN
// prompt, spaces trimmed, oldest first.
func (p *PINPad) Shown() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.shown)
}

// Idle is the text CLO left on the display.
func (p *PINPad) Idle() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.idle
}

// Commands is the id of every intact command frame received, NAKed ones included.
func (p *PINPad) Commands() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.commands)
}

// Pending is the number of scripted inputs not taken yet.
func (p *PINPad) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.script)
}

// Err is the first script error (ErrScript), or nil.
func (p *PINPad) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Serve speaks the pad's side of the link over rw until reading fails; it returns nil
// at io.EOF.
func (p *PINPad) Serve(rw io.ReadWriter) error {
	in := make(chan []byte)
	rerr := make(chan error, 1)
	done := make(chan struct{})
	defer close(done)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := rw.Read(buf)
			if n > 0 {
				select {
				case in <- slices.Clone(buf[:n]):
				case <-done:
					return
				}
			}
			if err != nil {
				rerr <- err
				return
			}
		}
	}()
	s := &server{p: p, w: rw}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var tc <-chan time.Time
		if at := s.deadline(); !at.IsZero() {
			timer.Reset(time.Until(at))
			tc = timer.C
		}
		select {
		case b := <-in:
			now := time.Now()
			for _, c := range b {
				s.byte(c, now)
			}
		case err := <-rerr:
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		case <-p.wake:
			s.answer()
		case <-tc:
			s.timeout()
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		if s.werr != nil {
			return fmt.Errorf("write: %w", s.werr)
		}
	}
}

// gpn is a PIN entry waiting for the scripted cardholder.
type gpn struct {
	pik      keys.Key
	pan      string
	min, max int
}

// server is one Serve's link and command state.
type server struct {
	p      *PINPad
	w      io.Writer
	werr   error
	parser abecs.Parser

	frameStart time.Time // first byte of the frame being received
	frameLen   int       // its bytes on the wire so far
	byteBy     time.Time // inter-byte deadline inside a frame
	drainBy    time.Time // draining ends (NAK) when no byte comes before this

	last    []byte // last response frame, for resends on NAK
	resends int
	opened  bool
	pending *gpn // a GPN waiting for the cardholder
	key     bool // a GKY waiting for a key
}

func (s *server) deadline() time.Time {
	switch {
	case !s.drainBy.IsZero():
		return s.drainBy
	case s.parser.InFrame():
		return s.byteBy
	}
	return time.Time{}
}

func (s *server) timeout() {
	switch {
	case !s.drainBy.IsZero() && !time.Now().Before(s.drainBy):
		s.drainBy = time.Time{}
		s.write([]byte{abecs.NAK})
	case s.parser.InFrame() && !time.Now().Before(s.byteBy):
		s.parser.Reset()
		s.drain()
	}
}

func (s *server) drain() { s.drainBy = time.Now().Add(s.p.opts.Silence) }

func (s *server) byte(c byte, now time.Time) {
	s.p.mu.Lock()
	silent := s.p.silent
	s.p.mu.Unlock()
	if silent {
		return
	}
	if !s.drainBy.IsZero() {
		s.drainBy = now.Add(s.p.opts.Silence)
		return
	}
	if s.parser.InFrame() {
		s.byteBy = now.Add(s.p.opts.ByteTimeout)
		s.frameLen++
		data, err := s.parser.Push(c)
		if err != nil {
			s.drain()
			return
		}
		if data != nil {
			s.pace(s.frameStart, s.frameLen)
			s.command(data)
		}
		return
	}
	switch c {
	case abecs.CAN:
		s.pending, s.key, s.last = nil, false, nil
		s.write([]byte{abecs.EOT})
	case abecs.NAK:
		if s.last != nil && s.resends < 2 {
			s.resends++
			s.sendFrame(s.last)
		}
	case abecs.SYN:
		s.parser.Push(c)
		s.frameStart, s.frameLen, s.byteBy = now, 1, now.Add(s.p.opts.ByteTimeout)
	}
}

// pace waits until n bytes that started arriving at start would have arrived.
func (s *server) pace(start time.Time, n int) {
	if s.p.opts.Baud > 0 {
		waitUntil(start.Add(byteTime(s.p.opts.Baud, n)))
	}
}

// waitUntil returns at t. Timers on a loaded machine overshoot by up to a
// millisecond, a dozen byte times at 115200 baud, so the last stretch is spun.
func waitUntil(t time.Time) {
	if d := time.Until(t) - 2*time.Millisecond; d > 0 {
		time.Sleep(d)
	}
	for time.Now().Before(t) {
		runtime.Gosched()
	}
}

func byteTime(baud, n int) time.Duration {
	return time.Duration(n) * 10 * time.Second / time.Duration(baud)
}

func (s *server) write(b []byte) {
	if s.werr != nil {
		return
	}
	s.p.mu.Lock()
	g := s.p.garbage
	s.p.mu.Unlock()
	out := append(slices.Clone(g), b...)
	if s.p.opts.Baud > 0 {
		waitUntil(time.Now().Add(byteTime(s.p.opts.Baud, len(out))))
	}
	_, s.werr = s.w.Write(out)
}

func (s *server) sendFrame(f []byte) {
	s.p.mu.Lock()
	if s.p.corrupt > 0 {
		s.p.corrupt--
		f = slices.Clone(f)
		f[len(f)-1] ^= 0x5A
	}
	s.p.mu.Unlock()
	s.write(f)
}

func (s *server) respond(r abecs.Response) {
	payload, err := r.Payload()
	if err != nil {
		payload = []byte(r.ID + "040")
	}
	f, err := abecs.Encode(payload)
	if err != nil {
		return
	}
	s.last, s.resends = f, 0
	s.sendFrame(f)
}

func (s *server) command(data []byte) {
	p := s.p
	p.mu.Lock()
	id := string(data[:min(3, len(data))])
	p.commands = append(p.commands, id)
	nak := p.nakNext > 0
	if nak {
		p.nakNext--
	}
	p.mu.Unlock()
	if nak {
		s.write([]byte{abecs.NAK})
		return
	}
	s.write([]byte{abecs.ACK})
	s.pending, s.key = nil, false // a new command ends a blocking one
	s.last = nil                  // and a NAK now can only be for its answer
	cmd, err := abecs.ParseCommand(data)
	if err != nil {
		if len(id) == 3 && strings.ToUpper(id) == id {
			s.status(id, abecs.StatusInvalidParam)
		} else {
			s.status(abecs.RspError, abecs.StatusInvalidCall)
		}
		return
	}
	if !s.opened && cmd.ID != abecs.CmdOpen && known(cmd.ID, p.opts.Strict) {
		s.status(cmd.ID, abecs.StatusInvalidCall)
		return
	}
	switch cmd.ID {
	case abecs.CmdOpen:
		s.opened = true // the secure form is answered like a pre-2.x pad: bare OPN000
		s.status(cmd.ID, abecs.StatusOK)
	case abecs.CmdClose:
		if len(cmd.Blocks) != 1 || len(cmd.Blocks[0]) != 32 {
			s.status(cmd.ID, abecs.StatusInvalidParam)
			return
		}
		p.mu.Lock()
		p.idle = strings.TrimRight(abecs.String(cmd.Blocks[0][:16])+"\n"+abecs.String(cmd.Blocks[0][16:]), "\n")
		p.mu.Unlock()
		s.opened = false
		s.status(cmd.ID, abecs.StatusOK)
	case abecs.CmdDisplay:
		if len(cmd.Blocks) != 1 || len(cmd.Blocks[0]) != 32 {
			s.status(cmd.ID, abecs.StatusInvalidParam)
			return
		}
		s.show(abecs.String(cmd.Blocks[0][:16]), abecs.String(cmd.Blocks[0][16:]))
		s.status(cmd.ID, abecs.StatusOK)
	case abecs.CmdDisplayX:
		s.dex(cmd)
	case abecs.CmdInfo:
		s.info(cmd)
	case abecs.CmdGetPIN:
		s.gpn(cmd)
	case abecs.CmdGetKey:
		if len(cmd.Blocks) != 0 {
			s.status(cmd.ID, abecs.StatusInvalidParam)
			return
		}
		s.key = true
		s.answer()
	case abecs.CmdCheckWorkingKey:
		if p.opts.Strict {
			s.status(abecs.RspError, abecs.StatusInvalidCall)
			return
		}
		s.zwk(cmd)
	default:
		s.status(abecs.RspError, abecs.StatusInvalidCall)
	}
}

func known(id string, strict bool) bool {
	switch id {
	case abecs.CmdOpen, abecs.CmdClose, abecs.CmdDisplay, abecs.CmdDisplayX, abecs.CmdInfo, abecs.CmdGetPIN, abecs.CmdGetKey:
		return true
	case abecs.CmdCheckWorkingKey:
		return !strict
	}
	return false
}

func (s *server) status(id string, st abecs.Status) { s.respond(abecs.Response{ID: id, Status: st}) }

func (s *server) show(lines ...string) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			s.p.shown = append(s.p.shown, l)
		}
	}
}

func (s *server) dex(cmd abecs.Command) {
	if len(cmd.Blocks) != 1 || len(cmd.Blocks[0]) < 3 {
		s.status(cmd.ID, abecs.StatusInvalidParam)
		return
	}
	b := cmd.Blocks[0]
	n, err := strconv.Atoi(string(b[:3]))
	if err != nil || n > 160 || (len(b) != 3+n && len(b) != 3+n+6) {
		s.status(cmd.ID, abecs.StatusInvalidParam)
		return
	}
	s.show(strings.Split(abecs.String(b[3:3+n]), "\r")...)
	s.status(cmd.ID, abecs.StatusOK)
}

func (s *server) info(cmd abecs.Command) {
	if len(cmd.Blocks) != 1 || string(cmd.Blocks[0]) != "00" {
		s.status(cmd.ID, abecs.StatusInvalidParam)
		return
	}
	i := s.p.opts.Info
	ctls := " "
	if i.Contactless {
		ctls = "C"
	}
	var b []byte
	b = append(b, abecs.Field(i.Maker, 20)...)
	b = append(b, abecs.Field(i.Model, 19)...)
	b = append(b, ctls...)
	b = append(b, abecs.Field(i.OS, 20)...)
	b = append(b, abecs.Field(i.SpecVersion, 4)...)
	b = append(b, abecs.Field(i.Manager, 16)...)
	b = append(b, abecs.Field(i.Serial, 20)...)
	s.respond(abecs.Response{ID: cmd.ID, Blocks: [][]byte{b}})
}

// workingKey decrypts a working key under an MK slot.
func (s *server) workingKey(method byte, slot string, wkHex []byte) (keys.Key, abecs.Status) {
	idx, err := strconv.Atoi(slot)
	if err != nil || len(slot) != 2 {
		return keys.Key{}, abecs.StatusInvalidParam
	}
	s.p.mu.Lock()
	mk, ok := s.p.mk[idx]
	s.p.mu.Unlock()
	switch method {
	case '0':
		wkHex = wkHex[:min(16, len(wkHex))]
	case '1':
	case '2', '3':
		return keys.Key{}, abecs.StatusNoKey // no DUKPT registers in the simulator
	default:
		return keys.Key{}, abecs.StatusInvalidParam
	}
	if !ok {
		return keys.Key{}, abecs.StatusNoKey
	}
	enc, err := hex.DecodeString(string(wkHex))
	if err != nil {
		return keys.Key{}, abecs.StatusInvalidParam
	}
	clear, err := keys.DecryptECB(mk, enc)
	if err != nil {
		return keys.Key{}, abecs.StatusCrypto
	}
	wk, err := keys.NewKey(clear)
	if err != nil {
		return keys.Key{}, abecs.StatusCrypto
	}
	return wk, abecs.StatusOK
}

// gpn starts a PIN entry: GPN + len + method N1 + MK N2 + WK H32 + PAN length N2 +
// PAN A19 + entries N1 + min N2 + max N2 + prompt S32.
func (s *server) gpn(cmd abecs.Command) {
	if len(cmd.Blocks) != 1 || len(cmd.Blocks[0]) != 93 {
		s.status(cmd.ID, abecs.StatusInvalidParam)
		return
	}
	b := cmd.Blocks[0]
	wk, st := s.workingKey(b[0], string(b[1:3]), b[3:35])
	if st != abecs.StatusOK {
		s.status(cmd.ID, st)
		return
	}
	panLen, err1 := strconv.Atoi(string(b[35:37]))
	minLen, err2 := strconv.Atoi(string(b[57:59]))
	maxLen, err3 := strconv.Atoi(string(b[59:61]))
	if err1 != nil || err2 != nil || err3 != nil {
		s.status(cmd.ID, abecs.StatusInvalidParam)
		return
	}
	if panLen == 0 {
		s.status(cmd.ID, abecs.StatusInvalidCall) // no card read by CEX/GCX
		return
	}
	pan := string(b[37 : 37+min(panLen, 19)])
	okMin := minLen >= 4 || (minLen == 0 && !s.p.opts.Strict)
	if panLen < 2 || panLen > 19 || !digitsOnly(pan) || b[56] != '1' || !okMin || maxLen < max(minLen, 4) || maxLen > 12 {
		s.status(cmd.ID, abecs.StatusInvalidParam)
		return
	}
	s.show(abecs.String(b[61:77]), abecs.String(b[77:93]))
	s.pending = &gpn{pik: wk, pan: pan, min: minLen, max: maxLen}
	s.answer()
}

// answer completes a waiting GPN or GKY with the next scripted input, if there is
// one.
func (s *server) answer() {
	if s.pending == nil && !s.key {
		return
	}
	p := s.p
	p.mu.Lock()
	if len(p.script) == 0 || p.silent {
		p.mu.Unlock()
		return
	}
	in := p.script[0]
	p.script = p.script[1:]
	p.mu.Unlock()
	if in.act == actNotify {
		s.respond(abecs.Response{ID: abecs.RspNotify, Blocks: [][]byte{abecs.Field(in.msg, 32)}})
		s.answer()
		return
	}
	if s.key {
		s.key = false
		s.answerKey(in)
		return
	}
	g := s.pending
	s.pending = nil
	switch {
	case in.act == actClear || in.act == actFunction:
		s.scriptError(abecs.CmdGetPIN, fmt.Errorf("clear or function key during a gpn: %w", ErrScript))
	case in.act == actCancel:
		s.status(abecs.CmdGetPIN, abecs.StatusCancel)
	case in.act == actTimeout:
		s.status(abecs.CmdGetPIN, abecs.StatusTimeout)
	case in.act == actBypass || in.pin == "":
		if g.min != 0 {
			s.scriptError(abecs.CmdGetPIN, fmt.Errorf("bypass on a gpn with minimum %02d: %w", g.min, ErrScript))
			return
		}
		s.status(abecs.CmdGetPIN, abecs.StatusPINBypass)
	default:
		if n := len(in.pin); n < max(g.min, 4) || n > g.max || !digitsOnly(in.pin) {
			s.scriptError(abecs.CmdGetPIN, fmt.Errorf("pin of %d characters for a gpn of %d-%d digits: %w", n, g.min, g.max, ErrScript))
			return
		}
		enc, err := keys.EncryptPINBlock(g.pik, format0(in.pin, g.pan))
		if err != nil {
			s.status(abecs.CmdGetPIN, abecs.StatusCrypto)
			return
		}
		data := strings.ToUpper(hex.EncodeToString(enc)) + strings.Repeat("0", 20)
		s.respond(abecs.Response{ID: abecs.CmdGetPIN, Blocks: [][]byte{[]byte(data)}})
	}
}

// answerKey answers GKY: the key is the status (digits are ignored by the pad, so
// Enter must carry no PIN).
func (s *server) answerKey(in input) {
	switch {
	case in.act == actEnter && in.pin == "":
		s.status(abecs.CmdGetKey, abecs.StatusOK)
	case in.act == actCancel:
		s.status(abecs.CmdGetKey, abecs.StatusCancel)
	case in.act == actClear:
		s.status(abecs.CmdGetKey, abecs.StatusBackspace)
	case in.act == actFunction && in.fn >= 1 && in.fn <= 4:
		s.status(abecs.CmdGetKey, abecs.StatusF1+abecs.Status(in.fn-1))
	case in.act == actTimeout:
		s.status(abecs.CmdGetKey, abecs.StatusTimeout)
	default:
		s.scriptError(abecs.CmdGetKey, fmt.Errorf("input %d for a gky: %w", in.act, ErrScript))
	}
}

func (s *server) scriptError(id string, err error) {
	s.p.mu.Lock()
	if s.p.err == nil {
		s.p.err = err
	}
	s.p.mu.Unlock()
	s.status(id, abecs.StatusInternal)
}

// zwk checks a working key against its check value (vendor extension): ZWK + len +
// method N1 + MK N2 + WK H32 + KCV H4..H16.
func (s *server) zwk(cmd abecs.Command) {
	if len(cmd.Blocks) != 1 || len(cmd.Blocks[0]) < 35+4 || len(cmd.Blocks[0]) > 35+16 {
		s.status(cmd.ID, abecs.StatusInvalidParam)
		return
	}
	b := cmd.Blocks[0]
	wk, st := s.workingKey(b[0], string(b[1:3]), b[3:35])
	if st != abecs.StatusOK {
		s.status(cmd.ID, st)
		return
	}
	kcv, err := hex.DecodeString(string(b[35:]))
	if err != nil {
		s.status(cmd.ID, abecs.StatusInvalidParam)
		return
	}
	if keys.CheckKCV(wk, kcv) != nil {
		s.status(cmd.ID, abecs.StatusCrypto)
		return
	}
	s.status(cmd.ID, abecs.StatusOK)
}

// format0 is the clear ISO 9564 format 0 block as the pad builds it: PANs shorter
// than 13 digits are left-padded with zeros (section 6.5.11).
func format0(pin, pan string) []byte {
	pf := fmt.Sprintf("0%X%s", len(pin), pin) + strings.Repeat("F", 14-len(pin))
	if len(pan) < 13 {
		pan = strings.Repeat("0", 13-len(pan)) + pan
	}
	af := "0000" + pan[len(pan)-13:len(pan)-1]
	p, _ := hex.DecodeString(pf)
	a, _ := hex.DecodeString(af)
	for i := range p {
		p[i] ^= a[i]
	}
	return p
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
