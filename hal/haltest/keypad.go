package haltest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"countertop/hal"
)

// TestKeypad runs the keypad conformance suite. newKeypad returns a fresh keypad with
// nothing pressed and a function that presses keys on it, in order.
func TestKeypad(t *testing.T, newKeypad func(t *testing.T) (hal.Keypad, func(keys ...hal.Key))) {
	t.Run("DeliversInOrder", func(t *testing.T) {
		kp, press := newKeypad(t)
		want := []hal.Key{hal.Key1, hal.Key2, hal.KeyDot, hal.Key0, hal.KeyEnter, hal.KeyCancel, hal.KeyClear, hal.KeyMenu}
		press(want...)
		var got []hal.Key
		for range want {
			k, err := kp.ReadKey(context.Background())
			if err != nil {
				t.Fatalf("ReadKey after %v: %v", got, err)
			}
			got = append(got, k)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("keys read (-pressed +read):\n%s", d)
		}
	})

	t.Run("BlocksUntilPressed", func(t *testing.T) {
		kp, press := newKeypad(t)
		ch := async(context.Background(), kp.ReadKey)
		press(hal.Key7)
		k, err := await(t, "ReadKey", ch)
		if err != nil || k != hal.Key7 {
			t.Errorf("ReadKey = %v, %v; want 7", k, err)
		}
	})

	t.Run("CancelWhileWaiting", func(t *testing.T) {
		kp, press := newKeypad(t)
		ctx, cancel := context.WithCancel(context.Background())
		ch := async(ctx, kp.ReadKey)
		cancel()
		k, err := await(t, "ReadKey after cancel", ch)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("ReadKey after cancel = %v, %v; want context.Canceled", k, err)
		}
		press(hal.Key5)
		k, err = await(t, "ReadKey", async(context.Background(), kp.ReadKey))
		if err != nil || k != hal.Key5 {
			t.Errorf("key pressed after a cancelled read: ReadKey = %v, %v; want 5", k, err)
		}
	})

	t.Run("DeadlineWhileWaiting", func(t *testing.T) {
		kp, _ := newKeypad(t)
		ctx, cancel := context.WithTimeout(context.Background(), 0)
		defer cancel()
		_, err := await(t, "ReadKey past deadline", async(ctx, kp.ReadKey))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("ReadKey past deadline = %v; want context.DeadlineExceeded", err)
		}
	})

	t.Run("CancelLosesNoQueuedKey", func(t *testing.T) {
		kp, press := newKeypad(t)
		press(hal.Key1, hal.Key2)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var got []hal.Key
		if k, err := kp.ReadKey(ctx); err == nil {
			got = append(got, k) // taking a queued key despite ctx is allowed
		} else if !errors.Is(err, context.Canceled) {
			t.Fatalf("ReadKey with cancelled ctx = %v; want a key or context.Canceled", err)
		}
		for len(got) < 2 {
			k, err := await(t, "ReadKey", async(context.Background(), kp.ReadKey))
			if err != nil {
				t.Fatalf("ReadKey after %v: %v", got, err)
			}
			got = append(got, k)
		}
		if d := cmp.Diff([]hal.Key{hal.Key1, hal.Key2}, got); d != "" {
			t.Errorf("keys read around a cancelled read (-pressed +read):\n%s", d)
		}
	})
}
