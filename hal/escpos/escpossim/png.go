package escpossim

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"strconv"
	"strings"

	"countertop/hal"
)

// DefaultFontPath is GNU Unifont's bitmap font as Debian's package unifont installs
// it: every character of the Basic Multilingual Plane, Chinese included, as 8×16
// (half width) or 16×16 (full width) glyphs.
const DefaultFontPath = "/usr/share/unifont/unifont.hex"

// ErrNoFont: the font file is missing (apt-get install unifont; make test does).
var ErrNoFont = errors.New("no bitmap font (apt-get install unifont)")

// Font is a bitmap font in GNU Unifont's .hex format: one glyph a line,
// "CODEPOINT:BITMAP", the bitmap 16 rows of 8 or 16 pixels, most significant bit
// leftmost.
type Font struct {
	glyphs map[rune][]byte // 16 or 32 bytes
}

// LoadFont reads a .hex font.
func LoadFont(path string) (*Font, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNoFont)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	font := &Font{glyphs: make(map[rune][]byte, 60000)}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		cp, bits, ok := strings.Cut(sc.Text(), ":")
		r, err := strconv.ParseUint(cp, 16, 32)
		if !ok || err != nil {
			return nil, fmt.Errorf("%s line %d: not CODEPOINT:BITMAP", path, n)
		}
		b, err := hex.DecodeString(bits)
		if err != nil || (len(b) != 16 && len(b) != 32) {
			return nil, fmt.Errorf("%s line %d: bitmap of %d characters", path, n, len(bits))
		}
		font.glyphs[rune(r)] = b
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(font.glyphs) == 0 {
		return nil, fmt.Errorf("%s: %w", path, ErrNoFont)
	}
	return font, nil
}

// Geometry of the rendering: a 58 mm printer's 384 dots, the normal font's columns
// 12 dots wide (32 columns), lines 24 dots high; large text doubles both.
const (
	colDots  = 12
	lineDots = 24
)

// RenderPNG draws d as the printer would print it, black on white, dots wide (384
// on 58 mm paper): each glyph centred in its columns, large lines at double size,
// bold lines overstruck, alignment applied. A QR code is drawn as a framed box with
// its text underneath (the simulator does not encode QR symbols).
func RenderPNG(d hal.Document, f *Font, dots int) ([]byte, error) {
	width := d.Width
	if width <= 0 {
		width = dots / colDots
	}
	height := lineDots // a top margin
	for _, l := range d.Lines {
		height += lineDots * scaleOf(l)
	}
	if d.QR != "" {
		height += 6*lineDots + lineDots
	}
	img := image.NewGray(image.Rect(0, 0, dots, height+lineDots))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	y := lineDots
	for _, l := range d.Lines {
		s := scaleOf(l)
		cols := width / s
		pad := 0
		switch tw := hal.TextWidth(l.Text); l.Align {
		case hal.AlignCenter:
			pad = (cols - tw) / 2
		case hal.AlignRight:
			pad = cols - tw
		}
		x := max(pad, 0) * colDots * s
		for _, r := range l.Text {
			cw := hal.RuneWidth(r) * colDots * s
			if g, ok := f.glyphs[r]; ok {
				drawGlyph(img, g, x+(cw-glyphWidth(g)*s)/2, y+(lineDots*s-16*s)/2, s, l.Bold)
			}
			x += cw
		}
		y += lineDots * s
	}
	if d.QR != "" {
		box := 5 * lineDots
		x0 := (dots - box) / 2
		for i := 0; i < box; i++ {
			for _, p := range [][2]int{{x0 + i, y}, {x0 + i, y + box - 1}, {x0, y + i}, {x0 + box - 1, y + i}} {
				img.SetGray(p[0], p[1], color.Gray{})
			}
		}
		y += box
		x := 0
		for _, r := range d.QR {
			if g, ok := f.glyphs[r]; ok && x+colDots <= dots {
				drawGlyph(img, g, x+(colDots-glyphWidth(g))/2, y+4, 1, false)
			}
			x += colDots
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func scaleOf(l hal.Line) int {
	if l.Large {
		return 2
	}
	return 1
}

func glyphWidth(g []byte) int { return len(g) / 2 } // 16 bytes: 8 wide; 32: 16 wide

// drawGlyph draws g at (x, y) scaled by s; bold overstrikes one dot to the right.
func drawGlyph(img *image.Gray, g []byte, x, y, s int, bold bool) {
	w := glyphWidth(g)
	bytesPerRow := w / 8
	for row := 0; row < 16; row++ {
		for col := 0; col < w; col++ {
			if g[row*bytesPerRow+col/8]&(0x80>>(col%8)) == 0 {
				continue
			}
			for dy := 0; dy < s; dy++ {
				for dx := 0; dx < s; dx++ {
					img.SetGray(x+col*s+dx, y+row*s+dy, color.Gray{})
					if bold {
						img.SetGray(x+col*s+dx+1, y+row*s+dy, color.Gray{})
					}
				}
			}
		}
	}
}
