package escpossim

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"os"
	"testing"

	"countertop/hal"
)

func font(t *testing.T) *Font {
	t.Helper()
	f, err := LoadFont(DefaultFontPath)
	if errors.Is(err, ErrNoFont) {
		t.Fatalf("%v: run make test, which installs it", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// The slip comes out 384 dots wide, and the Chinese characters are drawn dot for dot
// from the font where the layout puts them.
func TestRenderPNG(t *testing.T) {
	f := font(t)
	d := hal.Document{Width: 32, Lines: []hal.Line{
		{Text: "金额", Align: hal.AlignLeft},
		{Text: "RMB 12.34", Align: hal.AlignRight, Bold: true},
		{Text: "签购单", Align: hal.AlignCenter, Large: true},
	}, QR: "REF1"}
	b, err := RenderPNG(d, f, 384)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w != 384 {
		t.Fatalf("width %d dots, want 384", w)
	}
	// 金 is 16×16, centred in its 24-dot cell at column 0 of the first line: x 4, y 24+4.
	g := f.glyphs['金']
	for row := 0; row < 16; row++ {
		for col := 0; col < 16; col++ {
			want := g[row*2+col/8]&(0x80>>(col%8)) != 0
			if got := dark(img, 4+col, 28+row); got != want {
				t.Fatalf("金 at row %d col %d: dark %v, want %v", row, col, got, want)
			}
		}
	}
	// Right alignment: the last character ends at the right edge of the paper.
	if !inkIn(img, 384-colDots, 2*lineDots, 384, 3*lineDots) || inkIn(img, 0, 2*lineDots, 12*colDots, 3*lineDots) {
		t.Error("the right-aligned amount is not at the right")
	}
}

func TestLoadFontRefusesGarbage(t *testing.T) {
	path := t.TempDir() + "/bad.hex"
	if err := writeFile(path, "0041:ZZ\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFont(path); err == nil {
		t.Error("LoadFont accepted a malformed line")
	}
	if _, err := LoadFont(t.TempDir() + "/none.hex"); !errors.Is(err, ErrNoFont) {
		t.Errorf("missing font: %v", err)
	}
}

func dark(img image.Image, x, y int) bool {
	r, _, _, _ := img.At(x, y).RGBA()
	return r < 0x8000
}

func inkIn(img image.Image, x0, y0, x1, y1 int) bool {
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			if dark(img, x, y) {
				return true
			}
		}
	}
	return false
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o600) }
