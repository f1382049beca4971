package frame

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// dialUpOf wraps the TPDU, header and body of a length-prefixed frame by hand, as
// the dial-up framing defines it, independently of DialUp.
func dialUpOf(t testing.TB, lengthFramed []byte) []byte {
	t.Helper()
	inner := lengthFramed[2:]
	n := len(inner)
	out := []byte{0x02, byte((n/1000)<<4 | (n/100)%10), byte((n/10%10)<<4 | n%10)}
	out = append(out, inner...)
	out = append(out, 0x03)
	var x byte
	for _, c := range out[1:] {
		x ^= c
	}
	return append(out, x)
}

func TestDialUpRoundTrip(t *testing.T) {
	raw := unhex(t, realSale)
	want := dialUpOf(t, raw)
	if want[1] != 0x01 || want[2] != 0x27 { // 127 bytes after the length prefix
		t.Fatalf("hand-made length % X", want[1:3])
	}
	f, err := Length.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DialUp.Bytes(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("DialUp.Bytes:\n got % X\nwant % X", got, want)
	}
	back, err := DialUp.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := back.Bytes(); !bytes.Equal(again, raw) {
		t.Error("dial-up parse does not give the frame back")
	}
	// Two frames read a byte at a time, then a clean end.
	r := iotest.OneByteReader(bytes.NewReader(append(append([]byte(nil), want...), want...)))
	for i := range 2 {
		fr, err := DialUp.Read(r, 0)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if b, _ := fr.Bytes(); !bytes.Equal(b, raw) {
			t.Fatalf("frame %d differs", i)
		}
	}
	if _, err := DialUp.Read(r, 0); err != io.EOF {
		t.Errorf("after two frames: %v, want io.EOF", err)
	}
	var w countingWriter
	if err := DialUp.Write(&w, f); err != nil || w.calls != 1 || !bytes.Equal(w.buf.Bytes(), want) {
		t.Errorf("Write: %v, %d calls", err, w.calls)
	}
	if _, err := DialUp.Bytes(Frame{Body: make([]byte, 9999)}); !errors.Is(err, ErrTooLong) {
		t.Errorf("Bytes of 10010 bytes = %v, want ErrTooLong", err)
	}
}

func TestDialUpErrors(t *testing.T) {
	good := dialUpOf(t, unhex(t, realSale))
	mod := func(i int, b byte) []byte {
		c := append([]byte(nil), good...)
		c[i] = b
		return c
	}
	cases := map[string]struct {
		in   []byte
		max  int
		want error
	}{
		"no stx":         {mod(0, 0x60), 0, ErrFraming},
		"length not bcd": {mod(1, 0x0A), 0, ErrFraming},
		"no etx":         {mod(len(good)-2, 0x04), 0, ErrFraming},
		"bad lrc":        {mod(len(good)-1, good[len(good)-1]^0x01), 0, ErrFraming},
		"body changed":   {mod(20, good[20]^0x01), 0, ErrFraming},
		"truncated":      {good[:len(good)-1], 0, ErrTruncated},
		"short length":   {[]byte{0x02, 0x00, 0x05, 1, 2, 3, 4, 5, 0x03, 0}, 0, ErrShort},
		"over the limit": {good, 100, ErrTooLong},
	}
	for name, tc := range cases {
		if _, err := DialUp.Read(bytes.NewReader(tc.in), tc.max); !errors.Is(err, tc.want) {
			t.Errorf("Read(%s) = %v, want %v", name, err, tc.want)
		}
		if tc.max == 0 {
			if _, err := DialUp.Parse(tc.in); !errors.Is(err, tc.want) {
				t.Errorf("Parse(%s) = %v, want %v", name, err, tc.want)
			}
		}
	}
	if _, err := DialUp.Parse(append(append([]byte(nil), good...), 0)); !errors.Is(err, ErrTrailing) {
		t.Errorf("Parse with a trailing byte = %v, want ErrTrailing", err)
	}
	if len(Framings()) != 2 || Framings()["dialup"] != DialUp || Framings()["cup"] != Length {
		t.Error("Framings does not name both framings")
	}
}

// FuzzDialUp: Read and Parse never panic, agree, and what they accept writes back
// as the bytes consumed.
func FuzzDialUp(f *testing.F) {
	f.Add(dialUpOf(f, unhex(f, realSale)), 0)
	f.Add([]byte{0x02, 0x00, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x03, 0x12}, 64)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		fr, err := DialUp.Read(bytes.NewReader(in), max)
		if err != nil {
			return
		}
		out, err := DialUp.Bytes(fr)
		if err != nil {
			t.Fatalf("Bytes of a frame Read accepted: %v", err)
		}
		if !bytes.HasPrefix(in, out) {
			t.Fatalf("Bytes(Read(x)) is not a prefix of x")
		}
		if _, err := DialUp.Parse(out); err != nil {
			t.Fatalf("Parse refuses what Read accepted: %v", err)
		}
	})
}

// A gateway's pre-header between TPDU and header: written where it belongs under
// either framing, read back into PreHeader, and refused when a frame is too short
// for it or carries one of another size.
func TestPreHeader(t *testing.T) {
	f, err := Length.Parse(unhex(t, realSale))
	if err != nil {
		t.Fatal(err)
	}
	pre := append([]byte{0xFD}, bytes.Repeat([]byte{0x11}, 121)...)
	f.PreHeader = pre
	for name, base := range Framings() {
		fr := WithPreHeader(base, len(pre))
		wire, err := fr.Bytes(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Contains(wire, append(append(f.TPDU[:], pre...), f.Header[:]...)) {
			t.Errorf("%s: the pre-header is not between the TPDU and the header", name)
		}
		for _, read := range []func() (Frame, error){
			func() (Frame, error) { return fr.Parse(wire) },
			func() (Frame, error) { return fr.Read(bytes.NewReader(wire), 0) },
		} {
			got, err := read()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !bytes.Equal(got.PreHeader, pre) || got.Header != f.Header || !bytes.Equal(got.Body, f.Body) {
				t.Errorf("%s: read back pre-header %d bytes, header % X", name, len(got.PreHeader), got.Header)
			}
		}
		// The same bytes read without the pre-header rule give another header.
		if plain, err := base.Parse(wire); err != nil || plain.Header == f.Header {
			t.Errorf("%s: without WithPreHeader the header should be the pre-header's bytes (%v)", name, err)
		}
		short := f
		short.PreHeader = pre[:10]
		if _, err := fr.Bytes(short); !errors.Is(err, ErrShort) {
			t.Errorf("%s: a 10-byte pre-header on a 122-byte link: %v", name, err)
		}
		tiny, _ := base.Bytes(Frame{Body: []byte{0x08, 0x00}})
		if _, err := fr.Parse(tiny); !errors.Is(err, ErrShort) {
			t.Errorf("%s: a frame too short for the pre-header: %v", name, err)
		}
	}
	if WithPreHeader(Length, 0) != Length {
		t.Error("WithPreHeader(fr, 0) is not fr")
	}
}
