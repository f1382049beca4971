package haltest

import (
	"context"
	"strings"
	"testing"

	"countertop/hal"
)

// TestDisplay runs the display conformance suite. newDisplay returns a fresh display
// and a function that reads back the text it shows now (the screen a person sees).
func TestDisplay(t *testing.T, newDisplay func(t *testing.T) (hal.Display, func() string)) {
	t.Run("ShowsTitleAndLines", func(t *testing.T) {
		d, shown := newDisplay(t)
		s := hal.Screen{Title: "消费 SALE", Lines: []string{"RMB 123.45", "请插卡/刷卡/挥卡"}}
		if err := d.Show(context.Background(), s); err != nil {
			t.Fatalf("Show: %v", err)
		}
		got := shown()
		for _, want := range append([]string{s.Title}, s.Lines...) {
			if !strings.Contains(got, want) {
				t.Errorf("%q is not shown; the display shows:\n%s", want, got)
			}
		}
	})
	t.Run("NextScreenReplacesThePrevious", func(t *testing.T) {
		d, shown := newDisplay(t)
		ctx := context.Background()
		if err := d.Show(ctx, hal.Screen{Title: "FIRST", Lines: []string{"OLD LINE"}}); err != nil {
			t.Fatal(err)
		}
		if err := d.Show(ctx, hal.Screen{Title: "SECOND", Lines: []string{"NEW"}}); err != nil {
			t.Fatal(err)
		}
		if got := shown(); strings.Contains(got, "OLD LINE") || !strings.Contains(got, "SECOND") {
			t.Errorf("after a second screen the display shows:\n%s", got)
		}
	})
	t.Run("LongLinesDoNotFail", func(t *testing.T) {
		d, _ := newDisplay(t)
		long := strings.Repeat("银联POS签购单 ", 20)
		if err := d.Show(context.Background(), hal.Screen{Title: long, Lines: []string{long, "", long}}); err != nil {
			t.Fatalf("Show of over-long text: %v", err)
		}
	})
	t.Run("CancelledContextReturnsPromptly", func(t *testing.T) {
		d, _ := newDisplay(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		await(t, "Show on a cancelled context", async(ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, d.Show(ctx, hal.Screen{Title: "X"})
		}))
	})
}
