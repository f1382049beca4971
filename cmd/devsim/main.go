// Command devsim runs countertop's simulated devices behind real transports, in one
// process, so posd (or posctl, opensc-tool, a serial terminal) reaches them through
// the same operating-system stacks as real devices:
//
//   - the virtual EMV card (emv/card, a chip profile of testdata/cards) behind pcscd,
//     through vsmartcard's vpcd socket protocol (hal/pcsc/vpcd): devsim dials vpcd at
//     -vpcd (127.0.0.1:31963, slot 0 "Virtual PCD 00 00", as scripts/pcscd/start.sh
//     configures it); each insert connects a card, remove closes the connection. The
//     card answers vpcd's ATR requests at any time.
//   - the ESC/POS printer simulator (hal/escpos/escpossim) on a pseudo-terminal;
//   - the magnetic stripe reader simulator (hal/msr/msrsim) on a pseudo-terminal
//     (ISO 7811 track text, CR LF after each swipe, no LRC characters);
//   - the ABECS PIN pad simulator (hal/pinpad/pinpadsim) on a pseudo-terminal, holding
//     the terminal master key (-tmk) in MK slot -pinpad-slot.
//
// At start it prints one line per device ("printer /dev/pts/3") and, with -state FILE,
// writes the same as JSON for scripts and tests:
//
//	{"pid": 4242, "vpcd": "127.0.0.1:31963", "printer": "/dev/pts/3",
//	 "magstripe": "/dev/pts/4", "pinpad": "/dev/pts/5"}
//
// then "ready". The file is removed at exit.
//
// Commands, one per line on stdin; each is answered by one line on stdout, "ok ..." or
// "error: ...":
//
//	insert CARD     put the chip card CARD (a profile name) into the vpcd reader
//	remove          pull the card out (the vpcd connection closes)
//	swipe CARD      swipe CARD's stripe (track 1 with the holder's name, track 2)
//	swipe-bad       a swipe the reader could not read (%E?;E?)
//	paper-out       the printer runs out of paper; paper-in loads a new roll
//	paper-out-after N  the paper runs out after N more printed lines
//	cover-open      the printer's cover opens; cover-closed closes it
//	pin DIGITS      the cardholder types DIGITS on the PIN pad and presses enter
//	pin-cancel      the cardholder presses cancel on the PIN pad
//	pinpad-unplug   pull the PIN pad's cable (its pseudo-terminal closes)
//	slips           print every slip cut so far (each line prefixed "| ", then "ok N")
//	status          print the devices' state
//	cards           list the test cards
//	help            this list
//	quit            stop (so do SIGINT, SIGTERM and the end of stdin, unless -stay)
//
// Asynchronous events are printed as "event ..." lines: a slip cut by the printer
// ("event slip N"), a card that left the reader by itself ("event card-gone ...", the
// cup-chip-removed profile at GENERATE AC). With -slips DIR every slip is also written
// to DIR/slip-NNN.txt (and a 384-dot PNG, slip-NNN.png, drawn with GNU Unifont when
// the unifont package is installed) as it is cut. Nothing devsim prints contains a card number, track
// or PIN in clear: cards are named by profile, PIN digits are never echoed.
//
// devsim is a test tool for development machines and CI: never run it, or install
// vsmartcard-vpcd, on a production terminal (vpcd accepts a card from any host that
// reaches its port).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"countertop/emv/card"
	"countertop/hal"
	"countertop/hal/escpos/escpossim"
	"countertop/hal/msr/msrsim"
	"countertop/hal/pcsc/vpcd"
	"countertop/hal/pinpad/pinpadsim"
	"countertop/internal/cardprofile"
	"countertop/internal/config"
	"countertop/internal/keys"
	"countertop/testdata"
)

// testATR is the virtual cards' answer to reset (the one internal/scenario uses): T=0
// and T=1, historical bytes.
var testATR = []byte{0x3B, 0x6E, 0x00, 0x00, 0x00, 0x31, 0xC0, 0x71, 0xD6, 0x65, 0x11, 0x16, 0x02, 0x01, 0x83, 0x90, 0x00}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// State is what -state FILE holds.
type State struct {
	PID       int    `json:"pid"`
	VPCD      string `json:"vpcd,omitempty"`
	Printer   string `json:"printer"`
	Magstripe string `json:"magstripe"`
	PINPad    string `json:"pinpad,omitempty"`
}

const usageText = `usage: devsim [flags]

Simulated devices behind real transports: the virtual EMV card behind pcscd (vpcd),
an ESC/POS printer, a magstripe reader and an ABECS PIN pad on pseudo-terminals.

Commands on stdin (one per line; answered "ok ..." or "error: ..."):
  insert CARD     put chip card CARD into the vpcd reader
  remove          pull the card out
  swipe CARD      swipe CARD's stripe
  swipe-bad       an unreadable swipe
  paper-out       printer out of paper (paper-in: new roll)
  paper-out-after N  the paper runs out after N more lines
  cover-open      printer cover open (cover-closed)
  pin DIGITS      type DIGITS on the PIN pad and press enter
  pin-cancel      press cancel on the PIN pad
  pinpad-unplug   pull the PIN pad's cable
  slips           print the slips cut so far
  status          the devices' state
  cards           list the test cards
  help            this list
  quit            stop (also SIGINT, SIGTERM, end of stdin unless -stay)

Flags:
`

// sim is devsim's devices and the state of the card slot.
type sim struct {
	out   *lineWriter
	addr  string
	cards []cardprofile.Profile
	ckeys card.Keys

	printer *escpossim.PTY
	stripe  *msrsim.Reader
	pad     *pinpadsim.PTY // nil with -pinpad=false

	mu       sync.Mutex
	slot     *inserted // nil when empty
	padGone  bool
	slipsDir string
	font     *escpossim.Font // for PNG slips; nil when the font is not installed
	nslips   int
}

// inserted is a card in the vpcd reader.
type inserted struct {
	name    string
	cancel  context.CancelFunc
	release chan struct{} // closed by remove: a card that left stops waiting
	done    chan struct{} // closed when vpcd.Serve has returned
	left    bool          // the card left by itself (guarded by sim.mu)
}

// lineWriter serialises whole lines to stdout.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", a...)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("devsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	addr := fs.String("vpcd", "127.0.0.1:31963", "vpcd address of the reader slot the card goes into (loopback only); empty: no card")
	statePath := fs.String("state", "", "write the device paths as JSON to this file (removed at exit)")
	cardsDir := fs.String("cards", "", "directory of test-card profiles (default: the embedded testdata/cards)")
	width := fs.Int("width", 32, "printer columns (32: 58 mm paper)")
	withPad := fs.Bool("pinpad", true, "serve the ABECS PIN pad simulator on a pseudo-terminal")
	tmkHex := fs.String("tmk", config.Default().Keys.TMK, "terminal master key the PIN pad holds, 32 hex digits (default: the simulators' test TMK); - reads it from stdin's first line")
	slot := fs.Int("pinpad-slot", 0, "the PIN pad's MK slot for -tmk (00-99)")
	slipsDir := fs.String("slips", "", "write every cut slip to DIR/slip-NNN.txt and, with the unifont font installed, slip-NNN.png")
	stay := fs.Bool("stay", false, "keep running at the end of stdin (stop with quit, SIGINT or SIGTERM)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "devsim: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return 2
	}
	if *addr != "" {
		if err := loopback(*addr); err != nil {
			fmt.Fprintf(stderr, "devsim: -vpcd: %v\n", err)
			return 2
		}
	}
	in := bufio.NewScanner(stdin)
	if *tmkHex == "-" {
		if !in.Scan() {
			fmt.Fprintln(stderr, "devsim: -tmk -: no key on stdin")
			return 2
		}
		*tmkHex = strings.TrimSpace(in.Text())
	}
	tmk, err := keys.ParseHexKey(*tmkHex)
	if err != nil {
		fmt.Fprintf(stderr, "devsim: -tmk: %v\n", err)
		return 2
	}
	s, err := start(*addr, *cardsDir, *width, *withPad, tmk, *slot, *slipsDir, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "devsim: %v\n", err)
		return 1
	}
	defer s.close()
	st := s.state()
	if *statePath != "" {
		if err := writeState(*statePath, st); err != nil {
			fmt.Fprintf(stderr, "devsim: %v\n", err)
			return 1
		}
		defer os.Remove(*statePath)
	}
	s.out.printf("printer %s", st.Printer)
	s.out.printf("magstripe %s", st.Magstripe)
	if st.PINPad != "" {
		s.out.printf("pinpad %s", st.PINPad)
	}
	if st.VPCD != "" {
		s.out.printf("vpcd %s", st.VPCD)
	}
	s.out.printf("ready")

	lines := make(chan string)
	go func() {
		defer close(lines)
		for in.Scan() {
			select {
			case lines <- in.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			s.out.printf("event stopping: %v", context.Cause(ctx))
			return 0
		case <-tick.C:
			s.pollSlips()
		case line, ok := <-lines:
			if !ok {
				if *stay {
					lines = nil
					continue
				}
				return 0
			}
			s.pollSlips()
			if quit := s.command(line); quit {
				s.out.printf("ok quit")
				return 0
			}
		}
	}
}

// loopback refuses a vpcd address other than 127.0.0.1 or ::1: vpcd listens on every
// interface, and devsim's card is for this machine only.
func loopback(addr string) error {
	host, port, err := splitHostPort(addr)
	if err != nil {
		return err
	}
	if host != "127.0.0.1" && host != "::1" && host != "localhost" {
		return fmt.Errorf("%q: only a loopback address (127.0.0.1:PORT)", addr)
	}
	if _, err := strconv.Atoi(port); err != nil {
		return fmt.Errorf("%q: port %q", addr, port)
	}
	return nil
}

func splitHostPort(addr string) (string, string, error) {
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		return "", "", fmt.Errorf("%q: want HOST:PORT", addr)
	}
	return strings.Trim(addr[:i], "[]"), addr[i+1:], nil
}

func start(addr, cardsDir string, width int, withPad bool, tmk keys.Key, slot int, slipsDir string, stdout io.Writer) (_ *sim, err error) {
	var profiles []cardprofile.Profile
	if cardsDir != "" {
		profiles, err = cardprofile.Load(os.DirFS(cardsDir), ".")
	} else {
		profiles, err = cardprofile.Load(testdata.FS, "cards")
	}
	if err != nil {
		return nil, fmt.Errorf("load test cards: %w", err)
	}
	ck, err := card.LoadKeys()
	if err != nil {
		return nil, fmt.Errorf("load the virtual cards' keys: %w", err)
	}
	if slipsDir != "" {
		if err := os.MkdirAll(slipsDir, 0o755); err != nil {
			return nil, fmt.Errorf("slips directory: %w", err)
		}
	}
	s := &sim{out: &lineWriter{w: stdout}, addr: addr, cards: profiles, ckeys: ck, slipsDir: slipsDir}
	if slipsDir != "" {
		if s.font, err = escpossim.LoadFont(escpossim.DefaultFontPath); err != nil {
			s.out.printf("event no PNG slips: %v", err)
			s.font, err = nil, nil
		}
	}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if s.printer, err = escpossim.New(width).StartPTY(); err != nil {
		return nil, fmt.Errorf("printer: %w", err)
	}
	if s.stripe, err = msrsim.Start(msrsim.Format{}); err != nil {
		return nil, fmt.Errorf("magstripe reader: %w", err)
	}
	if withPad {
		if slot < 0 || slot > 99 {
			return nil, fmt.Errorf("-pinpad-slot %d: want 0-99", slot)
		}
		if s.pad, err = pinpadsim.New(tmk, slot, pinpadsim.Options{}).StartPTY(); err != nil {
			return nil, fmt.Errorf("pin pad: %w", err)
		}
	}
	return s, nil
}

func (s *sim) state() State {
	st := State{PID: os.Getpid(), VPCD: s.addr, Printer: s.printer.Path(), Magstripe: s.stripe.Path()}
	if s.pad != nil {
		st.PINPad = s.pad.Path()
	}
	return st
}

func writeState(path string, st State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// close removes the card and closes every device.
func (s *sim) close() {
	s.remove()
	if s.pad != nil {
		s.pad.Close()
	}
	if s.stripe != nil {
		s.stripe.Close()
	}
	if s.printer != nil {
		s.printer.Close()
	}
}

// command runs one stdin line and reports whether it was quit.
func (s *sim) command(line string) (quit bool) {
	f := strings.Fields(line)
	if len(f) == 0 || strings.HasPrefix(f[0], "#") {
		return false
	}
	arg := func() (string, bool) {
		if len(f) != 2 {
			s.out.printf("error: %s takes one argument", f[0])
			return "", false
		}
		return f[1], true
	}
	noArg := func() bool {
		if len(f) != 1 {
			s.out.printf("error: %s takes no argument", f[0])
			return false
		}
		return true
	}
	report := func(err error, ok string, a ...any) {
		if err != nil {
			s.out.printf("error: %s: %v", f[0], err)
			return
		}
		s.out.printf("ok "+ok, a...)
	}
	switch f[0] {
	case "quit", "exit":
		return noArg()
	case "help":
		if noArg() {
			for _, l := range strings.Split(strings.TrimSpace(usageText[strings.Index(usageText, "Commands"):strings.Index(usageText, "Flags:")]), "\n") {
				s.out.printf("%s", l)
			}
			s.out.printf("ok help")
		}
	case "insert":
		if name, ok := arg(); ok {
			report(s.insert(name), "inserted %s", name)
		}
	case "remove":
		if noArg() {
			name := s.remove()
			if name == "" {
				s.out.printf("error: remove: no card in the reader")
			} else {
				s.out.printf("ok removed %s", name)
			}
		}
	case "swipe":
		if name, ok := arg(); ok {
			report(s.swipe(name), "swiped %s", name)
		}
	case "swipe-bad":
		if noArg() {
			report(s.stripe.Send([]byte("%E?;E?\r\n")), "swiped unreadable")
		}
	case "paper-out", "paper-in", "cover-open", "cover-closed":
		if noArg() {
			st := s.printer.Printer().State()
			switch f[0] {
			case "paper-out":
				st.PaperOut = true
			case "paper-in":
				st.PaperOut, st.PaperNearEnd, st.PaperOutAfter = false, false, 0
			case "cover-open":
				st.CoverOpen = true
			case "cover-closed":
				st.CoverOpen = false
			}
			s.printer.Printer().SetState(st)
			s.out.printf("ok printer %s", f[0])
		}
	case "paper-out-after":
		if a, ok := arg(); ok {
			n, err := strconv.Atoi(a)
			if err != nil || n < 1 {
				s.out.printf("error: paper-out-after takes a number of lines")
				break
			}
			st := s.printer.Printer().State()
			st.PaperOutAfter = n
			s.printer.Printer().SetState(st)
			s.out.printf("ok printer paper-out-after %d", n)
		}
	case "pin", "pin-cancel", "pinpad-unplug":
		s.pinCommand(f)
	case "slips":
		if noArg() {
			slips := s.printer.Printer().Slips()
			for _, d := range slips {
				for _, l := range strings.Split(strings.TrimRight(d.Text(), "\n"), "\n") {
					s.out.printf("| %s", l)
				}
				s.out.printf("|--- cut ---")
			}
			s.out.printf("ok %d slips", len(slips))
		}
	case "status":
		if noArg() {
			s.status()
		}
	case "cards":
		if noArg() {
			for _, p := range s.cards {
				kind := "stripe"
				if p.Chip != nil {
					kind = "chip+stripe"
				}
				s.out.printf("%s\t%s\t%s", p.Name, kind, p.Label)
			}
			s.out.printf("ok %d cards", len(s.cards))
		}
	default:
		s.out.printf("error: unknown command %q (help lists them)", f[0])
	}
	return false
}

func (s *sim) pinCommand(f []string) {
	if s.pad == nil {
		s.out.printf("error: %s: no PIN pad (devsim -pinpad=false)", f[0])
		return
	}
	s.mu.Lock()
	gone := s.padGone
	s.mu.Unlock()
	if gone {
		s.out.printf("error: %s: the PIN pad is unplugged", f[0])
		return
	}
	switch f[0] {
	case "pin":
		if len(f) != 2 || !digits(f[1]) {
			s.out.printf("error: pin takes the digits the cardholder types")
			return
		}
		s.pad.PINPad().Enter(f[1])
		s.out.printf("ok pin entered (%d digits)", len(f[1]))
	case "pin-cancel":
		s.pad.PINPad().Cancel()
		s.out.printf("ok pin cancelled")
	case "pinpad-unplug":
		s.pad.Unplug()
		s.mu.Lock()
		s.padGone = true
		s.mu.Unlock()
		s.out.printf("ok pinpad unplugged")
	}
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func (s *sim) profile(name string) (cardprofile.Profile, error) {
	p, err := cardprofile.Find(s.cards, name)
	if err != nil {
		names := make([]string, len(s.cards))
		for i, c := range s.cards {
			names[i] = c.Name
		}
		sort.Strings(names)
		return p, fmt.Errorf("no test card %q (cards: %s)", name, strings.Join(names, " "))
	}
	return p, nil
}

func (s *sim) swipe(name string) error {
	p, err := s.profile(name)
	if err != nil {
		return err
	}
	t2, err := p.Track2()
	if err != nil {
		return fmt.Errorf("card %s: %w", name, err)
	}
	return s.stripe.Swipe(msrsim.CardOf(hal.Tracks{Track2: t2, Name: p.Holder}))
}

// insert connects a new virtual card of the profile to vpcd.
func (s *sim) insert(name string) error {
	if s.addr == "" {
		return errors.New("no card reader (devsim -vpcd \"\")")
	}
	p, err := s.profile(name)
	if err != nil {
		return err
	}
	if p.Chip == nil {
		return fmt.Errorf("card %s has no chip (swipe it)", name)
	}
	c, err := card.New(p, s.ckeys)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.slot != nil {
		return fmt.Errorf("card %s is in the reader; remove it first", s.slot.name)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &inserted{name: name, cancel: cancel, release: make(chan struct{}), done: make(chan struct{})}
	vc := &vcard{c: c, release: in.release, gone: func() {
		cancel()
		s.mu.Lock()
		in.left = true
		s.mu.Unlock()
		s.out.printf("event card-gone %s (the card left the reader; remove it before the next insert)", name)
	}}
	go func() {
		defer close(in.done)
		err := vpcd.Serve(ctx, s.addr, vc)
		if err != nil && ctx.Err() == nil {
			s.out.printf("event card-error %s: %v", name, err)
		}
		cancel()
	}()
	s.slot = in
	return nil
}

// remove pulls the card out and waits until its connection is closed; it returns the
// card's name, "" when the reader was empty.
func (s *sim) remove() string {
	s.mu.Lock()
	in := s.slot
	s.slot = nil
	s.mu.Unlock()
	if in == nil {
		return ""
	}
	in.cancel()
	close(in.release)
	<-in.done
	return in.name
}

func (s *sim) status() {
	s.mu.Lock()
	card, padGone := "", s.padGone
	if s.slot != nil {
		card = s.slot.name
		if s.slot.left {
			card += " (left the reader)"
		}
	}
	s.mu.Unlock()
	if card == "" {
		card = "empty"
	}
	s.out.printf("reader %s: %s", s.addr, card)
	ps := s.printer.Printer().State()
	s.out.printf("printer %s: paper_out=%t cover_open=%t slips=%d", s.printer.Path(), ps.PaperOut, ps.CoverOpen, len(s.printer.Printer().Slips()))
	s.out.printf("magstripe %s", s.stripe.Path())
	if s.pad != nil {
		s.out.printf("pinpad %s: unplugged=%t pending_inputs=%d", s.pad.Path(), padGone, s.pad.PINPad().Pending())
	}
	s.out.printf("ok status")
}

// pollSlips reports slips cut since the last call and writes them to -slips DIR.
func (s *sim) pollSlips() {
	slips := s.printer.Printer().Slips()
	s.mu.Lock()
	from := s.nslips
	s.nslips = len(slips)
	s.mu.Unlock()
	for i := from; i < len(slips); i++ {
		if s.slipsDir != "" {
			name := filepath.Join(s.slipsDir, fmt.Sprintf("slip-%03d.txt", i+1))
			if err := os.WriteFile(name, []byte(slips[i].Text()), 0o644); err != nil {
				s.out.printf("event error writing %s: %v", name, err)
			}
			if s.font != nil {
				// The slip as the paper shows it: 384 dots, 58 mm.
				img, err := escpossim.RenderPNG(slips[i], s.font, 384)
				if err == nil {
					err = os.WriteFile(strings.TrimSuffix(name, ".txt")+".png", img, 0o644)
				}
				if err != nil {
					s.out.printf("event error rendering slip %d: %v", i+1, err)
				}
			}
		}
		s.out.printf("event slip %d", i+1)
	}
}

// vcard is the virtual EMV card as vpcd's Card: an exchange the card fails (it was
// "pulled out", the removed_at_genac fault) closes the vpcd connection without an
// answer, which is what a reader sees when a card leaves.
type vcard struct {
	c       *card.Card
	gone    func()          // cancels the connection
	release <-chan struct{} // closed when devsim's slot is emptied
	once    sync.Once
}

var (
	_ vpcd.Card         = (*vcard)(nil)
	_ vpcd.PowerHandler = (*vcard)(nil)
)

func (v *vcard) ATR() []byte { return testATR }

func (v *vcard) Transmit(apdu []byte) []byte {
	r, err := v.c.Transmit(context.Background(), apdu)
	if err != nil {
		// No answer: the connection closes (gone cancels Serve's context) while
		// this exchange waits, so vpcd sees the card leave mid-exchange.
		v.once.Do(v.gone)
		<-v.release
		return nil
	}
	return r
}

// PowerOn is a cold reset: the card forgets its selection and transaction state.
func (v *vcard) PowerOn() { v.reset() }

// PowerOff keeps the card's state until the next power-on.
func (v *vcard) PowerOff() {}

// Reset is a warm reset.
func (v *vcard) Reset() { v.reset() }

func (v *vcard) reset() { v.c.Reset() }
