package console

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"countertop/hal"
	"countertop/hal/haltest"
)

func TestKeysFromKeyboard(t *testing.T) {
	pr, pw := io.Pipe()
	c := New(pr, io.Discard, nil)
	var intercepted []byte
	c.Intercept = func(b byte) bool {
		if b == 'a' {
			intercepted = append(intercepted, b)
			return true
		}
		return false
	}
	go pw.Write([]byte("12a\r\x7fmx\x1b[A"))
	want := []hal.Key{hal.Key1, hal.Key2, hal.KeyEnter, hal.KeyClear, hal.KeyMenu, hal.KeyCancel, hal.KeyUp}
	var got []hal.Key
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range want {
		k, err := c.ReadKey(ctx)
		if err != nil {
			t.Fatalf("ReadKey after %v: %v", got, err)
		}
		got = append(got, k)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if string(intercepted) != "a" {
		t.Errorf("intercepted %q, want \"a\"", intercepted)
	}
}

func TestCtrlCInterrupts(t *testing.T) {
	done := make(chan struct{})
	c := New(strings.NewReader("1\x03"), io.Discard, nil)
	c.OnInterrupt = func() { close(done) }
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Ctrl-C did not call OnInterrupt")
	}
}

func TestReadKeyHonoursContext(t *testing.T) {
	pr, _ := io.Pipe()
	c := New(pr, io.Discard, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ReadKey(ctx); err != context.Canceled {
		t.Fatalf("ReadKey on cancelled ctx = %v", err)
	}
}

func TestRenderBoxesWideText(t *testing.T) {
	var out strings.Builder
	pr, _ := io.Pipe()
	c := New(pr, &out, []string{"help line"})
	c.Show(context.Background(), hal.Screen{Title: "消费 SALE", Lines: []string{"RMB 12.34"}})
	c.SetSide([]string{"SLIP"})
	lines := c.Render()
	for i, l := range lines[:10] {
		left := strings.TrimSuffix(strings.TrimRight(strings.TrimSuffix(l, "SLIP"), " "), "")
		if w := hal.TextWidth(left); w != boxWidth+2 {
			t.Errorf("line %d %q is %d columns wide, want %d", i, left, w, boxWidth+2)
		}
	}
	if !strings.Contains(out.String(), "消费 SALE") || !strings.Contains(strings.Join(lines, "\n"), "help line") {
		t.Errorf("render lost text:\n%s", strings.Join(lines, "\n"))
	}
}

func TestDisplayConformance(t *testing.T) {
	haltest.TestDisplay(t, func(t *testing.T) (hal.Display, func() string) {
		pr, _ := io.Pipe()
		c := New(pr, io.Discard, nil)
		return c, func() string { return strings.Join(c.Render(), "\n") }
	})
}
