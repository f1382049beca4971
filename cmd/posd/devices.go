package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"

	"golang.org/x/term"

	"countertop/emv/card"
	"countertop/hal"
	"countertop/hal/console"
	"countertop/hal/escpos"
	"countertop/hal/evdev"
	"countertop/hal/msr"
	"countertop/hal/pinpad"
	"countertop/hal/readers"
	"countertop/hal/sim"
	"countertop/hal/textdisplay"
	"countertop/internal/cardprofile"
	"countertop/internal/config"
	"countertop/internal/terminal"
)

// openDevices opens what cfg.Devices names. stop ends the daemon (Ctrl-C on the
// console). The returned function closes everything opened.
func openDevices(ctx context.Context, cfg config.Config, log *slog.Logger, stop func()) (terminal.Devices, func(), error) {
	var (
		dev     terminal.Devices
		closers []func()
	)
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	if cfg.Devices.Console != "console" {
		return dev, nil, errors.New("devices.console: posd needs \"console\" (\"sim\" is for scenario files)")
	}
	tmk, _, err := terminal.Keys(cfg)
	if err != nil {
		return dev, nil, err
	}
	cards, err := terminal.Cards(cfg)
	if err != nil {
		return dev, nil, err
	}
	// The picker lists the cards a swipe completes first, the chip card last.
	sort.SliceStable(cards, func(i, j int) bool { return chipOnly(cards[j]) && !chipOnly(cards[i]) })
	con, restore, err := openConsole()
	if err != nil {
		return dev, nil, err
	}
	closers = append(closers, restore)
	con.OnInterrupt = stop
	dev.Keypad, dev.Display = con, con
	if cfg.Devices.Keypad == "evdev" {
		keymap, err := evdev.ParseKeymap(cfg.Devices.Keymap, true)
		if err != nil {
			closeAll()
			return dev, nil, fmt.Errorf("devices.keymap: %w", err)
		}
		kp, err := evdev.Open(cfg.Devices.KeypadDevice, keymap)
		if err != nil {
			closeAll()
			return dev, nil, fmt.Errorf("open keypad %s: %w", cfg.Devices.KeypadDevice, err)
		}
		closers = append(closers, func() { kp.Close() })
		dev.Keypad = kp
	}
	if cfg.Devices.Display == "tty" {
		d, err := textdisplay.Open(cfg.Devices.DisplayDevice)
		if err != nil {
			closeAll()
			return dev, nil, fmt.Errorf("open display %s: %w", cfg.Devices.DisplayDevice, err)
		}
		closers = append(closers, func() { d.Close() })
		dev.Display = d
	}
	demo := &demo{con: con, cards: cards}

	switch cfg.Devices.CardReader {
	case "sim":
		r := sim.NewCardReader(nil)
		demo.reader = r
		dev.Reader = r
	case "pcsc":
		r, closeReader, err := openPCSC(ctx, cfg.Devices.ReaderPattern)
		if err != nil {
			closeAll()
			return dev, nil, err
		}
		closers = append(closers, closeReader)
		dev.Reader = r
	}
	extra := []hal.CardReader{}
	if cfg.Devices.Contactless == "pcsc" {
		cl, closeCL, err := openPCSCContactless(ctx, cfg.Devices.ContactlessPattern)
		if err != nil {
			closeAll()
			return dev, nil, err
		}
		closers = append(closers, closeCL)
		extra = append(extra, cl)
	}
	if cfg.Devices.Magstripe == "serial" {
		stripe, err := msr.Open(cfg.Devices.MagstripeDevice, cfg.Devices.MagstripeBaud, msr.Options{})
		if err != nil {
			closeAll()
			return dev, nil, fmt.Errorf("open magstripe reader %s: %w", cfg.Devices.MagstripeDevice, err)
		}
		closers = append(closers, func() { stripe.Close() })
		extra = append(extra, stripe)
	}
	if len(extra) > 0 {
		dev.Reader = readers.Combine(append([]hal.CardReader{dev.Reader}, extra...)...)
	}
	switch cfg.Devices.PINPad {
	case "serial":
		pad, err := pinpad.Open(cfg.Devices.PINPadPort, cfg.Devices.PINPadBaud, pinpad.Options{
			KeySlot: cfg.Devices.PINPadKeySlot, Logger: log.With("component", "pinpad")})
		if err != nil {
			closeAll()
			return dev, nil, fmt.Errorf("open pin pad %s: %w", cfg.Devices.PINPadPort, err)
		}
		closers = append(closers, func() { pad.Close() })
		dev.PINPad = pad
	default:
		pp := sim.NewPINPad(nil, tmk)
		pp.OnPrompt = demo.pinPrompt
		demo.pinpad = pp
		dev.PINPad = pp
	}

	switch cfg.Devices.Printer {
	case "sim":
		dev.Printer = &sidePrinter{Printer: sim.NewPrinter(), con: con}
	case "serial":
		p, err := escpos.Open(cfg.Devices.PrinterPort, cfg.Devices.PrinterBaud)
		if err != nil {
			closeAll()
			return dev, nil, fmt.Errorf("open printer %s: %w", cfg.Devices.PrinterPort, err)
		}
		closers = append(closers, func() { p.Close() })
		dev.Printer = p
	}
	con.Intercept = demo.intercept
	con.SetStatus(demo.idleHelp()...)
	log.Info("devices open", "card_reader", cfg.Devices.CardReader, "pinpad", cfg.Devices.PINPad, "printer", cfg.Devices.Printer)
	return dev, closeAll, nil
}

// chipOnly reports a card whose service code tells a terminal to use its chip.
func chipOnly(p cardprofile.Profile) bool {
	return strings.HasPrefix(p.ServiceCode, "2") || strings.HasPrefix(p.ServiceCode, "6")
}

// openConsole puts the terminal in raw mode when stdin is one.
func openConsole() (*console.Console, func(), error) {
	restore := func() {}
	fd := int(os.Stdin.Fd())
	if term.IsTerminal(fd) {
		old, err := term.MakeRaw(fd)
		if err != nil {
			return nil, nil, fmt.Errorf("console raw mode: %w", err)
		}
		os.Stdout.WriteString("\x1b[?25l") // hide the cursor
		restore = func() {
			term.Restore(fd, old)
			os.Stdout.WriteString("\x1b[?25h\r\n")
		}
	}
	help := []string{
		"Keys: 0-9  Enter=确认  Backspace=清除  Esc/x=取消  m=菜单",
		"s swipe / i insert chip / r remove a test card   Ctrl-C = quit",
	}
	return console.New(os.Stdin, os.Stdout, help), restore, nil
}

// demo lets the person at the keyboard play the cardholder in `make run`: present a
// test card to the simulated reader and type the PIN on the simulated PIN pad.
type demo struct {
	con    *console.Console
	cards  []cardprofile.Profile
	reader *sim.CardReader // nil with a real reader
	pinpad *sim.PINPad

	mu      sync.Mutex
	picking bool // choosing a card to swipe
	chips   bool // choosing a chip card to insert
	pinOn   bool
	pin     []byte
	emvKeys *card.Keys
}

func (d *demo) idleHelp() []string {
	if d.reader == nil {
		return nil
	}
	return []string{"Test cards: s swipe, i insert chip, r remove"}
}

// chipCards are the test cards with a chip, in the picker's order: working cards
// first, then the faulty ones.
func (d *demo) chipCards() []cardprofile.Profile {
	var good, faulty []cardprofile.Profile
	for _, c := range d.cards {
		switch {
		case c.Chip == nil:
		case len(c.Chip.Faults) > 0 || c.Chip.Decline:
			faulty = append(faulty, c)
		default:
			good = append(good, c)
		}
	}
	return append(good, faulty...)
}

// insert puts the virtual EMV card of p into the simulated reader.
func (d *demo) insert(p cardprofile.Profile) error {
	if d.emvKeys == nil {
		k, err := card.LoadKeys()
		if err != nil {
			return err
		}
		d.emvKeys = &k
	}
	c, err := card.New(p, *d.emvKeys)
	if err != nil {
		return err
	}
	d.reader.Insert(c, []byte{0x3B, 0x6E, 0x00, 0x00, 0x00, 0x31, 0xC0, 0x71, 0xD6, 0x65, 0x11, 0x16, 0x02, 0x01, 0x83, 0x90, 0x00})
	return nil
}

func (d *demo) pinPrompt(e hal.PINEntry) {
	d.mu.Lock()
	d.pinOn, d.pin = true, nil
	d.mu.Unlock()
	d.con.SetStatus("PIN pad: "+e.Amount.String(), "type the PIN and Enter (Enter alone: no PIN), Esc cancels")
}

// intercept sees every key first: while the PIN pad or the card picker is active it
// takes the keys.
func (d *demo) intercept(b byte) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.pinOn:
		switch {
		case b >= '0' && b <= '9' && len(d.pin) < 12:
			d.pin = append(d.pin, b)
		case b == 0x7f || b == 0x08:
			if len(d.pin) > 0 {
				d.pin = d.pin[:len(d.pin)-1]
			}
		case b == '\r' || b == '\n':
			d.pinpad.Enter(string(d.pin))
			d.pinOn, d.pin = false, nil
			d.con.SetStatus(d.idleHelp()...)
			return true
		case b == 0x1b || b == 'x':
			d.pinpad.Cancel()
			d.pinOn, d.pin = false, nil
			d.con.SetStatus(d.idleHelp()...)
			return true
		}
		d.con.SetStatus("PIN pad: "+strings.Repeat("*", len(d.pin)), "Enter to confirm, Esc cancels")
		return true
	case d.chips:
		d.chips = false
		chips := d.chipCards()
		if i := int(b - '1'); b >= '1' && b <= '9' && i < len(chips) {
			if err := d.insert(chips[i]); err != nil {
				d.con.SetStatus("cannot insert: " + err.Error())
				return true
			}
		}
		d.con.SetStatus(d.idleHelp()...)
		return true
	case (b == 'i' || b == 'I') && d.reader != nil:
		d.chips = true
		lines := []string{"Insert which chip card? (Esc: none)"}
		for i, c := range d.chipCards() {
			if i < 9 {
				lines = append(lines, fmt.Sprintf(" %d %s (PIN %s) — %s", i+1, c.Name, c.PIN, c.Label))
			}
		}
		d.con.SetStatus(lines...)
		return true
	case (b == 'r' || b == 'R') && d.reader != nil:
		d.reader.Remove()
		return true
	case d.picking:
		d.picking = false
		if i := int(b - '1'); b >= '1' && b <= '9' && i < len(d.cards) {
			if t2, err := d.cards[i].Track2(); err == nil {
				d.reader.Swipe(hal.Tracks{Track2: t2, Name: d.cards[i].Holder})
			}
		} else if b == 'b' {
			d.reader.SwipeError(errors.New("unreadable swipe"))
		}
		d.con.SetStatus(d.idleHelp()...)
		return true
	case (b == 's' || b == 'S') && d.reader != nil:
		d.picking = true
		lines := []string{"Swipe which test card? (b: a bad swipe, Esc: none)"}
		for i, c := range d.cards {
			if i < 9 {
				lines = append(lines, fmt.Sprintf(" %d %s (PIN %s) — %s", i+1, c.Name, c.PIN, c.Label))
			}
		}
		d.con.SetStatus(lines...)
		return true
	}
	return false
}

// sidePrinter is the simulated printer of `make run`: each slip also appears beside
// the screen.
type sidePrinter struct {
	*sim.Printer
	con *console.Console
}

func (p *sidePrinter) Print(ctx context.Context, d hal.Document) error {
	err := p.Printer.Print(ctx, d)
	if err == nil {
		p.con.SetSide(append([]string{"── printed ──"}, strings.Split(strings.TrimRight(d.Text(), "\n"), "\n")...))
	}
	return err
}
