package msr_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"countertop/hal"
	"countertop/hal/haltest"
	"countertop/hal/msr"
	"countertop/hal/msr/msrsim"
	"countertop/internal/carddata"
)

// openPTY starts a simulated reader on a pty and opens the driver on it through
// go.bug.st/serial.
func openPTY(t *testing.T, f msrsim.Format, opts msr.Options) (*msr.Reader, *msrsim.Reader) {
	t.Helper()
	sim, err := msrsim.Start(f)
	if err != nil {
		t.Fatalf("start simulated reader: %v", err)
	}
	r, err := msr.Open(sim.Path(), 9600, opts)
	if err != nil {
		sim.Close()
		t.Fatalf("open driver on %s: %v", sim.Path(), err)
	}
	t.Cleanup(func() {
		r.Close()
		sim.Close()
	})
	return r, sim
}

// TestConformance runs hal's card reader suite against the serial driver on a pty.
// A stripe reader has no Insert or Remove control, so the suite skips
// InsertAndTransmit, Remove and TransmitCancelled; Swipe, TransmitWithoutCard and
// CancelWhileWaiting apply and run.
func TestConformance(t *testing.T) {
	for name, f := range map[string]msrsim.Format{
		"plain":          {},
		"lrc stx":        {LRC: true, STX: true},
		"line per track": {LRC: true, LinePerTrack: true},
	} {
		t.Run(name, func(t *testing.T) {
			haltest.TestCardReader(t, func(t *testing.T) (hal.CardReader, haltest.CardControls) {
				r, sim := openPTY(t, f, msr.Options{LinePerTrack: f.LinePerTrack, Gap: 100 * time.Millisecond})
				return r, haltest.CardControls{Swipe: func(tr hal.Tracks) {
					if err := sim.Swipe(msrsim.CardOf(tr)); err != nil {
						t.Fatal(err)
					}
				}}
			})
		})
	}
}

// wait calls WaitCard with a deadline, failing the test when it errs.
func wait(t *testing.T, r hal.CardReader) hal.CardEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), haltest.Prompt)
	defer cancel()
	ev, err := r.WaitCard(ctx)
	if err != nil {
		t.Fatalf("WaitCard: %v", err)
	}
	if ev.Kind != hal.CardSwiped {
		t.Fatalf("WaitCard kind = %v; want swiped", ev.Kind)
	}
	return ev
}

func wantSwipe(t *testing.T, ev hal.CardEvent, name string) {
	t.Helper()
	if ev.Err != nil || ev.Tracks.Track2.Reveal() != track2 || ev.Tracks.Name != name {
		t.Errorf("swipe = %v %q (err %v); want %v %q", ev.Tracks.Track2, ev.Tracks.Name, ev.Err, track2, name)
	}
}

func wantBad(t *testing.T, ev hal.CardEvent, want error) {
	t.Helper()
	if !errors.Is(ev.Err, want) || !errors.Is(ev.Err, carddata.ErrBadTrack) {
		t.Errorf("swipe error = %v; want one wrapping %v and carddata.ErrBadTrack", ev.Err, want)
	}
	if !ev.Tracks.Track2.IsZero() {
		t.Errorf("a bad swipe carries track 2 %v", ev.Tracks.Track2)
	}
}

// TestSwipeAgainAfterBadSwipes: garbage, a bad LRC, a partial swipe, an unreadable
// track 2 each give one event with Err, and the next good swipe reads cleanly.
func TestSwipeAgainAfterBadSwipes(t *testing.T) {
	r, sim := openPTY(t, msrsim.Format{LRC: true}, msr.Options{Gap: 100 * time.Millisecond})
	steps := []struct {
		name string
		send func() error
		want error // nil: a good swipe
	}{
		{"garbage", func() error { return sim.Send([]byte("\x00\xff#garbage\r\n")) }, msr.ErrSentinel},
		{"good", func() error { return sim.Swipe(card) }, nil},
		{"bad lrc", func() error { return sim.SwipeBadLRC(card) }, msr.ErrLRC},
		{"good", func() error { return sim.Swipe(card) }, nil},
		{"partial, then silence", func() error { return sim.SwipePartial(card, 60) }, msr.ErrPartial},
		{"good", func() error { return sim.Swipe(card) }, nil},
		{"track 2 unreadable", func() error { return sim.Swipe(msrsim.Card{Track1: track1, Track2: "E"}) }, msr.ErrNoTrack2},
		{"track 1 only", func() error { return sim.Swipe(msrsim.Card{Track1: track1}) }, msr.ErrNoTrack2},
		{"good", func() error { return sim.Swipe(card) }, nil},
	}
	for _, s := range steps {
		if err := s.send(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		ev := wait(t, r)
		if s.want == nil {
			wantSwipe(t, ev, "ZHANG/SAN")
		} else {
			wantBad(t, ev, s.want)
		}
	}
}

// TestSwipesQueued: swipes sent before anyone waits are each delivered, in order, and
// CRLF endings give no empty events.
func TestSwipesQueued(t *testing.T) {
	r, sim := openPTY(t, msrsim.Format{}, msr.Options{})
	for range 3 {
		if err := sim.Swipe(card); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		wantSwipe(t, wait(t, r), "ZHANG/SAN")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if ev, err := r.WaitCard(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitCard with nothing swiped = %v, %v; want DeadlineExceeded", ev.Kind, err)
	}
}

// TestCancelKeepsSwipeInProgress: a wait cancelled while half a swipe has arrived
// leaves it for the next wait, which completes it.
func TestCancelKeepsSwipeInProgress(t *testing.T) {
	r, sim := openPTY(t, msrsim.Format{LRC: true}, msr.Options{Gap: time.Minute})
	b := msrsim.Encode(card, msrsim.Format{LRC: true})
	if err := sim.Send(b[:50]); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := r.WaitCard(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitCard mid-swipe = %v; want DeadlineExceeded", err)
	}
	if err := sim.Send(b[50:]); err != nil {
		t.Fatal(err)
	}
	wantSwipe(t, wait(t, r), "ZHANG/SAN")
}

func TestTransmitHasNoChip(t *testing.T) {
	r, _ := openPTY(t, msrsim.Format{}, msr.Options{})
	if _, err := r.Transmit(context.Background(), []byte{0x00, 0xA4, 0x04, 0x00, 0x00}); !errors.Is(err, hal.ErrNoCard) {
		t.Errorf("Transmit = %v; want ErrNoCard", err)
	}
}

func TestDeviceGone(t *testing.T) {
	for name, end := range map[string]func(r *msr.Reader, sim *msrsim.Reader){
		"unplugged": func(_ *msr.Reader, sim *msrsim.Reader) { sim.Unplug() },
		"closed":    func(r *msr.Reader, _ *msrsim.Reader) { r.Close() },
	} {
		t.Run(name, func(t *testing.T) {
			r, sim := openPTY(t, msrsim.Format{}, msr.Options{})
			ch := make(chan error, 1)
			go func() {
				_, err := r.WaitCard(context.Background())
				ch <- err
			}()
			end(r, sim)
			select {
			case err := <-ch:
				var de *hal.DeviceError
				if !errors.Is(err, hal.ErrDeviceGone) || !errors.As(err, &de) || de.Device != "magstripe reader" {
					t.Errorf("WaitCard = %v; want a magstripe reader DeviceError wrapping ErrDeviceGone", err)
				}
			case <-time.After(haltest.Prompt):
				t.Fatal("WaitCard did not return after the reader went away")
			}
		})
	}
}

func TestClosedStaysClosed(t *testing.T) {
	r, _ := openPTY(t, msrsim.Format{}, msr.Options{})
	r.Close()
	for range 2 {
		if _, err := r.WaitCard(context.Background()); !errors.Is(err, hal.ErrDeviceGone) {
			t.Errorf("WaitCard after Close = %v; want ErrDeviceGone", err)
		}
	}
}

// TestReplugged: a reader unplugged and plugged back in at the same path (a
// /dev/serial/by-id link) is reopened by the next WaitCard, without a restart.
func TestReplugged(t *testing.T) {
	link := filepath.Join(t.TempDir(), "usb-msr")
	sim1, err := msrsim.Start(msrsim.Format{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim1.Close()
	if err := os.Symlink(sim1.Path(), link); err != nil {
		t.Fatal(err)
	}
	r, err := msr.Open(link, 9600, msr.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := sim1.Swipe(card); err != nil {
		t.Fatal(err)
	}
	wantSwipe(t, wait(t, r), "ZHANG/SAN")

	sim1.Unplug()
	os.Remove(link)
	ctx, cancel := context.WithTimeout(context.Background(), haltest.Prompt)
	defer cancel()
	if _, err := r.WaitCard(ctx); !errors.Is(err, hal.ErrDeviceGone) {
		t.Fatalf("WaitCard after unplugging = %v; want ErrDeviceGone", err)
	}
	if _, err := r.WaitCard(ctx); !errors.Is(err, hal.ErrDeviceGone) {
		t.Fatalf("WaitCard while unplugged = %v; want ErrDeviceGone", err)
	}

	sim2, err := msrsim.Start(msrsim.Format{LRC: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sim2.Close()
	if err := os.Symlink(sim2.Path(), link); err != nil {
		t.Fatal(err)
	}
	if err := sim2.Swipe(card); err != nil {
		t.Fatal(err)
	}
	wantSwipe(t, wait(t, r), "ZHANG/SAN")
}

func TestOpenMissingPort(t *testing.T) {
	_, err := msr.Open("/dev/no-such-msr", 9600, msr.Options{})
	if !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("Open(missing) = %v; want ErrDeviceGone", err)
	}
}
