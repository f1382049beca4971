package selfcheck

import (
	"context"
	"sync"
	"time"

	"countertop/hal"
	"countertop/internal/carddata"
	"countertop/store"
)

// reader is a card reader whose Transmit answers resp or err.
type reader struct {
	resp []byte
	err  error
	sent [][]byte
}

func (r *reader) WaitCard(ctx context.Context) (hal.CardEvent, error) {
	<-ctx.Done()
	return hal.CardEvent{}, ctx.Err()
}

func (r *reader) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	r.sent = append(r.sent, cmd)
	return r.resp, r.err
}

// probing adds a Prober answering err to a device.
type probingReader struct {
	reader
	probeErr error
}

func (p *probingReader) Probe(context.Context) error { return p.probeErr }

type pad struct {
	showErr error
	shown   []string
}

func (p *pad) ReadPIN(context.Context, hal.PINEntry) (carddata.PINBlock, error) {
	return carddata.PINBlock{}, hal.ErrCancelled
}

func (p *pad) Show(_ context.Context, lines ...string) error {
	p.shown = append(p.shown, lines...)
	return p.showErr
}

type probingPad struct {
	pad
	probeErr error
}

func (p *probingPad) Probe(context.Context) error { return p.probeErr }

type printer struct {
	status hal.PrinterStatus
	err    error
}

func (p *printer) Print(context.Context, hal.Document) error { return p.status.Err() }
func (p *printer) Status(context.Context) (hal.PrinterStatus, error) {
	return p.status, p.err
}

type keypad struct{}

func (keypad) ReadKey(ctx context.Context) (hal.Key, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

type probingKeypad struct {
	keypad
	probeErr error
}

func (p probingKeypad) Probe(context.Context) error { return p.probeErr }

type display struct {
	err     error
	screens []hal.Screen
}

func (d *display) Show(_ context.Context, s hal.Screen) error {
	d.screens = append(d.screens, s)
	return d.err
}

type journal struct{ err error }

func (j journal) Check() error { return j.err }

type last struct {
	rec store.Record
	err error
}

func (l last) Last() (store.Record, error) { return l.rec, l.err }

// echoer answers err, or blocks until ctx is done when block is set.
type echoer struct {
	err   error
	block bool
	mu    sync.Mutex
	calls int
}

func (e *echoer) Echo(ctx context.Context) error {
	e.mu.Lock()
	e.calls++
	e.mu.Unlock()
	if e.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return e.err
}

type keys struct{ tmk, signedIn bool }

func (k keys) TMKLoaded() bool { return k.tmk }
func (k keys) SignedIn() bool  { return k.signedIn }

// fixed returns a clock stopped at t.
func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }

var (
	_ hal.CardReader = (*reader)(nil)
	_ hal.PINPad     = (*pad)(nil)
	_ hal.Printer    = (*printer)(nil)
	_ hal.Keypad     = keypad{}
	_ hal.Display    = (*display)(nil)
	_ Prober         = (*probingReader)(nil)
	_ Journal        = journal{}
	_ LastRecord     = last{}
	_ Echoer         = (*echoer)(nil)
	_ KeyStatus      = keys{}
)

// The journal satisfies the journal interfaces.
var (
	_ Journal    = (*store.DB)(nil)
	_ LastRecord = (*store.DB)(nil)
)
