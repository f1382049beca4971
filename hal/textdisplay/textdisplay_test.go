package textdisplay_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/google/go-cmp/cmp"

	"countertop/hal"
	"countertop/hal/haltest"
	"countertop/hal/textdisplay"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// screen is a minimal terminal: the sequences textdisplay writes, applied to a grid.
// A wide character fills its cell and the next ("" marks the second half).
type screen struct {
	cols, rows int
	cells      [][]string
	rev        [][]bool
	r, c       int
	reverse    bool
}

func newScreen(cols, rows int) *screen {
	s := &screen{cols: cols, rows: rows}
	for range rows {
		s.cells = append(s.cells, strings.Split(strings.Repeat(" ", cols), ""))
		s.rev = append(s.rev, make([]bool, cols))
	}
	return s
}

var seq = regexp.MustCompile(`^\x1b\[([0-9;?]*)([A-Za-z])`)

func (s *screen) apply(t *testing.T, out string) {
	t.Helper()
	for len(out) > 0 {
		if m := seq.FindStringSubmatch(out); m != nil {
			out = out[len(m[0]):]
			switch m[2] {
			case "H":
				s.r, s.c = 0, 0
				if m[1] != "" {
					rc := strings.Split(m[1], ";")
					r, _ := strconv.Atoi(rc[0])
					c, _ := strconv.Atoi(rc[1])
					s.r, s.c = r-1, c-1
				}
			case "m":
				s.reverse = m[1] == "7"
			case "K":
				for c := s.c; c < s.cols; c++ {
					s.cells[s.r][c], s.rev[s.r][c] = " ", false
				}
			case "J":
				for r := s.r; r < s.rows; r++ {
					for c := 0; c < s.cols; c++ {
						if r > s.r || c >= s.c {
							s.cells[r][c], s.rev[r][c] = " ", false
						}
					}
				}
			default:
				t.Fatalf("unexpected sequence %q", m[0])
			}
			continue
		}
		if out[0] == 0x1b || out[0] < 0x20 {
			t.Fatalf("stray control byte %#x in output", out[0])
		}
		r := []rune(out)[0]
		out = out[len(string(r)):]
		w := hal.RuneWidth(r)
		if s.c+w > s.cols {
			t.Fatalf("row %d: %q written past column %d", s.r+1, r, s.cols)
		}
		s.cells[s.r][s.c], s.rev[s.r][s.c] = string(r), s.reverse
		if w == 2 {
			s.cells[s.r][s.c+1], s.rev[s.r][s.c+1] = "", s.reverse
		}
		s.c += w
	}
}

func (s *screen) text() []string {
	var rows []string
	for _, r := range s.cells {
		rows = append(rows, strings.TrimRight(strings.Join(r, ""), " "))
	}
	return rows
}

var sale = hal.Screen{Title: "消费 SALE", Lines: []string{"金额 AMOUNT:", "RMB 12.34", "请刷卡或插卡 SWIPE OR INSERT CARD"}}

func TestShowDrawsTitleAndLines(t *testing.T) {
	var out strings.Builder
	d := textdisplay.New(&out, 20, 5)
	if err := d.Show(context.Background(), sale); err != nil {
		t.Fatal(err)
	}
	s := newScreen(20, 5)
	s.apply(t, out.String())
	want := []string{"     消费 SALE", "金额 AMOUNT:", "RMB 12.34", "请刷卡或插卡 SWIPE O", ""}
	if d := cmp.Diff(want, s.text()); d != "" {
		t.Errorf("screen (-want +got):\n%s", d)
	}
	for c := range 20 {
		if !s.rev[0][c] {
			t.Errorf("title row column %d not in reverse video", c+1)
		}
		if s.rev[1][c] {
			t.Errorf("body row column %d in reverse video", c+1)
		}
	}
}

func TestShowErasesThePreviousScreen(t *testing.T) {
	var out strings.Builder
	d := textdisplay.New(&out, 16, 4)
	ctx := context.Background()
	if err := d.Show(ctx, hal.Screen{Title: "MENU", Lines: []string{"1 SALE", "2 VOID", "3 SETTLEMENT", "4 MORE"}}); err != nil {
		t.Fatal(err)
	}
	if err := d.Show(ctx, hal.Screen{Title: "OK", Lines: []string{"DONE"}}); err != nil {
		t.Fatal(err)
	}
	s := newScreen(16, 4)
	s.apply(t, out.String())
	if d := cmp.Diff([]string{"       OK", "DONE", "", ""}, s.text()); d != "" {
		t.Errorf("screen after redraw (-want +got):\n%s", d)
	}
}

func TestWideCharactersNeverSplit(t *testing.T) {
	for _, tc := range []struct {
		cols int
		line string
		want string
	}{
		{5, "金额金额", "金额"}, // 4 columns; a third character would need 6
		{6, "金额金额", "金额金"},
		{4, "A金额", "A金"},
		{3, "ABCD", "ABC"},
	} {
		var out strings.Builder
		if err := textdisplay.New(&out, tc.cols, 2).Show(context.Background(), hal.Screen{Lines: []string{tc.line}}); err != nil {
			t.Fatal(err)
		}
		s := newScreen(tc.cols, 2)
		s.apply(t, out.String())
		if got := s.text()[1]; got != tc.want {
			t.Errorf("%q on %d columns = %q; want %q", tc.line, tc.cols, got, tc.want)
		}
	}
}

func TestTextCannotInjectSequences(t *testing.T) {
	var out strings.Builder
	err := textdisplay.New(&out, 30, 3).Show(context.Background(),
		hal.Screen{Title: "A\x1b[2JB", Lines: []string{"x\r\ny\x07\u009b31m", "bad \xff utf8"}})
	if err != nil {
		t.Fatal(err)
	}
	s := newScreen(30, 3)
	s.apply(t, out.String()) // fails on any stray control byte
	if d := cmp.Diff([]string{"            A [2JB", "x  y  31m", "bad \uFFFD utf8"}, s.text()); d != "" {
		t.Errorf("screen (-want +got):\n%s", d)
	}
}

func TestRenderGolden(t *testing.T) {
	var b strings.Builder
	for _, tc := range []struct {
		name       string
		s          hal.Screen
		cols, rows int
	}{
		{"sale", sale, 20, 5},
		{"too many lines", hal.Screen{Title: "LIST", Lines: []string{"1", "2", "3", "4"}}, 10, 3},
		{"empty", hal.Screen{}, 8, 2},
	} {
		b.WriteString("== " + tc.name + "\n")
		b.WriteString(strings.ReplaceAll(textdisplay.Render(tc.s, tc.cols, tc.rows), "\x1b", `\e`) + "\n")
	}
	const path = "testdata/render.golden"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), b.String()); d != "" {
		t.Errorf("rendered screens (-%s +got):\n%s", path, d)
	}
}

func TestShowHonoursContextOnABlockedTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := textdisplay.New(w, 200000, 2) // one frame is larger than the pipe holds
	defer d.Close()
	big := hal.Screen{Lines: []string{strings.Repeat("8", 200000)}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Show(ctx, big) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Show on a blocked terminal after cancel = %v; want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Show did not return after its context was cancelled")
	}
}

func TestOpenOnATerminal(t *testing.T) {
	m, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer m.Close()
	defer tty.Close()
	if err := pty.Setsize(m, &pty.Winsize{Cols: 32, Rows: 8}); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		var all []byte
		buf := make([]byte, 4096)
		for {
			n, err := m.Read(buf)
			all = append(all, buf[:n]...)
			if err != nil || strings.Contains(string(all), "\x1b[?25h") {
				got <- string(all)
				return
			}
		}
	}()
	d, err := textdisplay.Open(tty.Name())
	if err != nil {
		t.Fatal(err)
	}
	if c, r := d.Size(); c != 32 || r != 8 {
		t.Errorf("Size = %d×%d; want 32×8 from the terminal", c, r)
	}
	if err := d.Show(context.Background(), sale); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case out := <-got:
		for _, want := range []string{"\x1b%G", "\x1b[?25l", "消费 SALE", "请刷卡或插卡 SWIPE OR INSERT CAR\x1b[K", "\x1b[?25h"} {
			if !strings.Contains(out, want) {
				t.Errorf("terminal output lacks %q", want)
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("terminal output did not arrive")
	}
}

func TestOpenMissing(t *testing.T) {
	if _, err := textdisplay.Open("/dev/no-such-tty"); !errors.Is(err, hal.ErrDeviceGone) {
		t.Errorf("Open(missing) = %v; want ErrDeviceGone", err)
	}
}

// ansi matches the control sequences the display writes.
var ansi = regexp.MustCompile(`\x1b(\[[0-9;?]*[A-Za-z]|%G)`)

func TestDisplayConformance(t *testing.T) {
	haltest.TestDisplay(t, func(t *testing.T) (hal.Display, func() string) {
		var b strings.Builder
		d := textdisplay.New(&b, 40, 8)
		return d, func() string {
			frames := strings.Split(b.String(), "\x1b[1;1H") // each screen starts at the top left
			return ansi.ReplaceAllString(frames[len(frames)-1], "")
		}
	})
}
