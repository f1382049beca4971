//go:build pcsc

package pcsc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ebfe/scard"

	"countertop/hal"
)

const device = "card reader"

// waitSlice bounds one SCardGetStatusChange, so that a cancel that races with the
// start of a wait still ends it within this time.
const waitSlice = time.Second

// cancelRetry is the pause between SCardCancel calls while a cancelled wait has not
// returned yet.
const cancelRetry = 50 * time.Millisecond

var _ hal.CardReader = (*Reader)(nil)

// Reader is one PC/SC reader. WaitCard and Transmit may run concurrently (they use
// separate PC/SC contexts); calls of each kind are serialised.
type Reader struct {
	name string

	waitMu  sync.Mutex     // one WaitCard at a time
	waitCtx *scard.Context // status waits only, so that Transmit never queues behind one
	known   scard.StateFlag

	mu       sync.Mutex // guards the fields below; held during an APDU exchange
	cardCtx  *scard.Context
	card     *scard.Card // connected card; nil when none or after a failed exchange
	inserted bool        // CardInserted reported and CardRemoved not yet
	closed   bool

	// contactless marks a reader whose cards arrive by a tap (a PICC reader): a card
	// in its field is reported as hal.CardTapped.
	contactless bool
}

// OpenContactless is Open for a contactless reader: a card entering its field is
// reported as hal.CardTapped (and leaving it as hal.CardRemoved).
func OpenContactless(ctx context.Context, readerPattern string) (*Reader, error) {
	r, err := Open(ctx, readerPattern)
	if err != nil {
		return nil, err
	}
	r.contactless = true
	return r, nil
}

// Open connects to pcscd and picks the reader named readerPattern, or else the first
// whose name contains it ("" takes the first reader). Only cmd/ opens devices; the
// caller closes the reader.
func Open(ctx context.Context, readerPattern string) (*Reader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fail := func(err error) error {
		return &hal.DeviceError{Device: device, Op: "open " + readerPattern, Err: err}
	}
	waitCtx, err := scard.EstablishContext()
	if err != nil {
		return nil, fail(mapErr(err, "establish pc/sc context (is pcscd running? see scripts/pcscd/start.sh)"))
	}
	cardCtx, err := scard.EstablishContext()
	if err != nil {
		waitCtx.Release()
		return nil, fail(mapErr(err, "establish pc/sc context"))
	}
	names, err := waitCtx.ListReaders()
	if err != nil && !errors.Is(err, scard.ErrNoReadersAvailable) {
		waitCtx.Release()
		cardCtx.Release()
		return nil, fail(mapErr(err, "list readers"))
	}
	name := pick(names, readerPattern)
	if name == "" {
		waitCtx.Release()
		cardCtx.Release()
		return nil, fail(fmt.Errorf("%w: no reader matches %q (readers: %q)", hal.ErrDeviceGone, readerPattern, names))
	}
	return &Reader{name: name, waitCtx: waitCtx, cardCtx: cardCtx, known: scard.StateUnaware}, nil
}

func pick(names []string, pattern string) string {
	for _, n := range names {
		if n == pattern {
			return n
		}
	}
	for _, n := range names {
		if strings.Contains(n, pattern) {
			return n
		}
	}
	return ""
}

// Name is the PC/SC name of the reader ("Virtual PCD 00 00").
func (r *Reader) Name() string { return r.name }

// Close disconnects the card and releases the PC/SC contexts. Only the owner (cmd/)
// calls it.
func (r *Reader) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.disconnect()
	err := release(r.cardCtx)
	r.mu.Unlock()
	r.waitCtx.Cancel() // a WaitCard in progress sees closed and returns
	r.waitMu.Lock()
	defer r.waitMu.Unlock()
	return errors.Join(err, release(r.waitCtx))
}

// release releases a PC/SC context; one that died with pcscd is not an error.
func release(c *scard.Context) error {
	err := c.Release()
	if errors.Is(err, scard.ErrNoService) || errors.Is(err, scard.ErrServiceStopped) ||
		errors.Is(err, scard.ErrInvalidHandle) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("release pc/sc context: %w", err)
	}
	return nil
}

func (r *Reader) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// WaitCard blocks until a card is inserted (it is connected, and its ATR returned) or
// the inserted card is removed. A card already in the reader at the first call is
// reported as inserted at once.
func (r *Reader) WaitCard(ctx context.Context) (hal.CardEvent, error) {
	r.waitMu.Lock()
	defer r.waitMu.Unlock()
	for {
		ev, ok, err := r.act()
		if err != nil || ok {
			return ev, err
		}
		if err := r.waitChange(ctx); err != nil {
			return hal.CardEvent{}, &hal.DeviceError{Device: device, Op: "wait card", Err: err}
		}
	}
}

// act turns the last known reader state into an event, if one is due.
func (r *Reader) act() (hal.CardEvent, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return hal.CardEvent{}, false, &hal.DeviceError{Device: device, Op: "wait card", Err: hal.ErrDeviceGone}
	}
	s := r.known
	switch {
	case s&(scard.StateUnknown|scard.StateUnavailable) != 0:
		return hal.CardEvent{}, false, &hal.DeviceError{Device: device, Op: "wait card",
			Err: fmt.Errorf("%w: reader %q unavailable", hal.ErrDeviceGone, r.name)}
	case s&scard.StateEmpty != 0 && r.inserted:
		r.inserted = false
		r.disconnect()
		return hal.CardEvent{Kind: hal.CardRemoved}, true, nil
	case s&scard.StatePresent != 0 && r.inserted && r.stale():
		// Removed and inserted again between two waits, or lost in an exchange.
		r.inserted = false
		r.disconnect()
		return hal.CardEvent{Kind: hal.CardRemoved}, true, nil
	case s&scard.StatePresent != 0 && s&scard.StateMute == 0 && !r.inserted:
		card, err := r.cardCtx.Connect(r.name, scard.ShareShared, scard.ProtocolAny)
		if errors.Is(err, scard.ErrRemovedCard) || errors.Is(err, scard.ErrNoSmartcard) {
			return hal.CardEvent{}, false, nil // gone again already; keep waiting
		}
		if err != nil {
			return hal.CardEvent{}, false, &hal.DeviceError{Device: device, Op: "connect card", Err: mapErr(err, "connect")}
		}
		st, err := card.Status()
		if err != nil {
			card.Disconnect(scard.LeaveCard)
			return hal.CardEvent{}, false, nil
		}
		r.card, r.inserted = card, true
		kind := hal.CardInserted
		if r.contactless {
			kind = hal.CardTapped
		}
		return hal.CardEvent{Kind: kind, ATR: st.Atr}, true, nil
	}
	return hal.CardEvent{}, false, nil
}

// stale reports whether the connected card is no longer the one in the reader.
func (r *Reader) stale() bool {
	if r.card == nil {
		return true
	}
	_, err := r.card.Status()
	return err != nil
}

func (r *Reader) disconnect() {
	if r.card != nil {
		r.card.Disconnect(scard.LeaveCard)
		r.card = nil
	}
}

// waitChange blocks until the reader state differs from r.known or ctx ends.
func (r *Reader) waitChange(ctx context.Context) error {
	// SCardCancel only ends a wait already under way; one that lands between two waits
	// is lost, so the cancel is repeated until this function returns.
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTicker(cancelRetry)
		defer t.Stop()
		for {
			r.waitCtx.Cancel()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	defer func() {
		close(done)
		stop()
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if r.isClosed() {
			return fmt.Errorf("%w: reader closed", hal.ErrDeviceGone)
		}
		rs := []scard.ReaderState{{Reader: r.name, CurrentState: r.known}}
		err := r.waitCtx.GetStatusChange(rs, waitSlice)
		if r.isClosed() {
			return fmt.Errorf("%w: reader closed", hal.ErrDeviceGone)
		}
		switch {
		case errors.Is(err, scard.ErrTimeout):
			continue
		case errors.Is(err, scard.ErrCancelled):
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue // Close, or a cancel meant for an earlier wait
		case err != nil:
			return mapErr(err, "get status change")
		}
		ev := rs[0].EventState
		if ev&scard.StateChanged == 0 {
			continue
		}
		r.mu.Lock()
		r.known = ev &^ scard.StateChanged
		r.mu.Unlock()
		return nil
	}
}

// Transmit sends a command APDU to the inserted card and returns its response, SW1 SW2
// last, exactly as the card answered. PC/SC cannot abort an exchange in flight: ctx is
// checked before it, and the reader's own timeouts bound it.
func (r *Reader) Transmit(ctx context.Context, command []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fail := func(err error) ([]byte, error) {
		return nil, &hal.DeviceError{Device: device, Op: "transmit", Err: err}
	}
	if r.closed {
		return fail(hal.ErrDeviceGone)
	}
	if r.card == nil {
		if r.inserted {
			return fail(hal.ErrCardRemoved)
		}
		return fail(hal.ErrNoCard)
	}
	resp, err := r.card.Transmit(command)
	if err == nil && len(resp) >= 2 {
		return resp, nil
	}
	if err == nil {
		// An answer without SW1 SW2: vpcd (and some readers) report a card that
		// left mid-command this way. Find out as for a failed exchange.
		err = fmt.Errorf("response of %d bytes, no status word", len(resp))
	}
	err = r.whyFailed(ctx, err)
	if errors.Is(err, hal.ErrCardRemoved) || errors.Is(err, hal.ErrDeviceGone) {
		r.disconnect()
	}
	return fail(err)
}

// removalGrace is how long a failed exchange waits for the reader to report the card
// gone: vpcd, like a real reader between polls, first reports a card that left as a
// failed transaction and shows the slot empty only at its next presence poll (400 ms).
const removalGrace = time.Second

// whyFailed maps a failed exchange to a sentinel. When the error itself does not say,
// it watches the reader state for up to removalGrace (or until ctx ends).
func (r *Reader) whyFailed(ctx context.Context, err error) error {
	if m := mapErr(err, "transmit"); errors.Is(m, hal.ErrCardRemoved) || errors.Is(m, hal.ErrDeviceGone) {
		return m
	}
	stop := context.AfterFunc(ctx, func() { r.cardCtx.Cancel() })
	defer stop()
	rs := []scard.ReaderState{{Reader: r.name, CurrentState: scard.StateUnaware}}
	deadline := time.Now().Add(removalGrace)
	for {
		serr := r.cardCtx.GetStatusChange(rs, 0)
		if serr == nil {
			switch s := rs[0].EventState; {
			case s&(scard.StateUnknown|scard.StateUnavailable) != 0:
				return fmt.Errorf("%w: transmit: %w", hal.ErrDeviceGone, err)
			case s&scard.StateEmpty != 0:
				return fmt.Errorf("%w: transmit: %w", hal.ErrCardRemoved, err)
			}
			rs[0].CurrentState = rs[0].EventState &^ scard.StateChanged
			left := time.Until(deadline)
			if left <= 0 || ctx.Err() != nil {
				break
			}
			serr = r.cardCtx.GetStatusChange(rs, left)
			if serr == nil {
				rs[0].CurrentState = scard.StateUnaware // look again at the new state
				continue
			}
		}
		if serr != nil && !errors.Is(serr, scard.ErrTimeout) && !errors.Is(serr, scard.ErrCancelled) {
			return mapErr(serr, fmt.Sprintf("transmit: %v; reader state", err))
		}
		break
	}
	if _, serr := r.card.Status(); serr != nil {
		return fmt.Errorf("%w: transmit: %w (card status: %v)", hal.ErrCardRemoved, err, serr)
	}
	return fmt.Errorf("transmit: %w", err)
}

// mapErr wraps a PC/SC error with the hal sentinel a caller acts on.
func mapErr(err error, op string) error {
	switch {
	case errors.Is(err, scard.ErrRemovedCard), errors.Is(err, scard.ErrNoSmartcard),
		errors.Is(err, scard.ErrResetCard), errors.Is(err, scard.ErrUnpoweredCard):
		return fmt.Errorf("%w: %s: %w", hal.ErrCardRemoved, op, err)
	case errors.Is(err, scard.ErrNoService), errors.Is(err, scard.ErrServiceStopped),
		errors.Is(err, scard.ErrReaderUnavailable), errors.Is(err, scard.ErrUnknownReader),
		errors.Is(err, scard.ErrNoReadersAvailable), errors.Is(err, scard.ErrInvalidHandle):
		return fmt.Errorf("%w: %s: %w", hal.ErrDeviceGone, op, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
