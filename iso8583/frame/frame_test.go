package frame

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// realSale is a real CUP POS sale request frame (public Q&A, cnblogs q/128930).
const realSale = "007f600003000060321032007202003020048000c08015000000000000001234000002030099" +
	"3030303030303031393532373138313832323137383735313536001926000001000600000000" +
	"00435f01123238343431323334353637383930313233345f03063136303033365f0406323030" +
	"3832365c0230314233413039324145"

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadRealFrame(t *testing.T) {
	raw := unhex(t, realSale)
	f, err := Read(bytes.NewReader(raw), 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([5]byte{0x60, 0x00, 0x03, 0x00, 0x00}, f.TPDU); diff != "" {
		t.Errorf("TPDU (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([6]byte{0x60, 0x32, 0x10, 0x32, 0x00, 0x72}, f.Header); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if got := hex.EncodeToString(f.Body[:2]); got != "0200" {
		t.Errorf("body starts %s, want the MTI 0200", got)
	}
	if len(f.Body) != 0x7f-11 {
		t.Errorf("body is %d bytes, want %d", len(f.Body), 0x7f-11)
	}
	if f.ProcessingRequirement() != 0 || f.TerminalStatus() != 1 {
		t.Errorf("processing requirement %d status %d, want 0 and 1", f.ProcessingRequirement(), f.TerminalStatus())
	}
	var out bytes.Buffer
	if err := Write(&out, f); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(raw, out.Bytes()); diff != "" {
		t.Errorf("Write(Read(x)) (-want +got):\n%s", diff)
	}
	p, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f, p); diff != "" {
		t.Errorf("Parse differs from Read (-Read +Parse):\n%s", diff)
	}
}

func TestReadErrors(t *testing.T) {
	raw := unhex(t, realSale)
	tests := []struct {
		name string
		in   []byte
		max  int
		want error
	}{
		{"too long", raw, 100, ErrTooLong},
		{"short", []byte{0x00, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0, ErrShort},
		{"zero length", []byte{0x00, 0x00}, 0, ErrShort},
		{"truncated body", raw[:len(raw)-1], 0, ErrTruncated},
		{"truncated length", raw[:1], 0, ErrTruncated},
		{"clean eof", nil, 0, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tt.in), tt.max)
			if !errors.Is(err, tt.want) {
				t.Errorf("Read = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := Parse(append(raw, 0)); !errors.Is(err, ErrTrailing) {
		t.Errorf("Parse with a trailing byte = %v, want ErrTrailing", err)
	}
	if _, err := Parse(raw[:40]); !errors.Is(err, ErrTruncated) {
		t.Errorf("Parse truncated = %v, want ErrTruncated", err)
	}
}

// TestReadOneByteAtATime checks Read assembles a frame from a slow stream and
// leaves the next frame untouched.
func TestReadOneByteAtATime(t *testing.T) {
	raw := unhex(t, realSale)
	r := iotest.OneByteReader(bytes.NewReader(append(append([]byte(nil), raw...), raw...)))
	for i := 0; i < 2; i++ {
		f, err := Read(r, 0)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		b, _ := f.Bytes()
		if !bytes.Equal(b, raw) {
			t.Fatalf("frame %d differs", i)
		}
	}
	if _, err := Read(r, 0); err != io.EOF {
		t.Errorf("after two frames: %v, want io.EOF", err)
	}
}

type countingWriter struct {
	calls int
	buf   bytes.Buffer
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.calls++
	return w.buf.Write(p)
}

func TestWriteOneCall(t *testing.T) {
	f := Frame{TPDU: [5]byte{0x60, 0, 3, 0, 0}, Header: [6]byte{0x60, 0x31, 0, 0x31, 0, 0}, Body: []byte{0x08, 0x00}}
	var w countingWriter
	if err := Write(&w, f); err != nil {
		t.Fatal(err)
	}
	if w.calls != 1 {
		t.Errorf("Write made %d calls, want 1", w.calls)
	}
	if got := hex.EncodeToString(w.buf.Bytes()); got != "000d"+"6000030000"+"603100310000"+"0800" {
		t.Errorf("wire = %s", got)
	}
	big := Frame{Body: make([]byte, MaxLen)}
	if err := Write(&w, big); !errors.Is(err, ErrTooLong) {
		t.Errorf("Write of an oversized frame = %v, want ErrTooLong", err)
	}
}

func TestSwapAndHeader(t *testing.T) {
	tp, err := ParseTPDU("6006010000")
	if err != nil {
		t.Fatal(err)
	}
	req := Frame{TPDU: tp}
	rep := req.SwapTPDU()
	if got := hex.EncodeToString(rep.TPDU[:]); got != "6000000601" {
		t.Errorf("swapped TPDU = %s, want 6000000601", got)
	}
	if !Mirrors(req, rep) || Mirrors(req, req) {
		t.Error("Mirrors does not recognise the swap")
	}
	h, err := ParseHeader("603200310000")
	if err != nil {
		t.Fatal(err)
	}
	f := Frame{Header: h}.WithProcessingRequirement(3)
	if f.ProcessingRequirement() != 3 || f.TerminalStatus() != 0 || f.AppType() != 0x60 {
		t.Errorf("header %X: requirement %d status %d", f.Header, f.ProcessingRequirement(), f.TerminalStatus())
	}
	for _, bad := range []string{"60060100", "zz06010000", "600601000000"} {
		if _, err := ParseTPDU(bad); err == nil {
			t.Errorf("ParseTPDU(%q) accepted", bad)
		}
	}
	if _, err := ParseHeader(strings.Repeat("0", 10)); err == nil {
		t.Error("ParseHeader of 5 bytes accepted")
	}
}

// FuzzRead feeds garbage to Read: it must never panic, and whatever it accepts
// must write back byte for byte as the prefix it consumed.
func FuzzRead(f *testing.F) {
	f.Add(unhex(f, realSale), 0)
	f.Add([]byte{0x00, 0x0b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 64)
	f.Add([]byte{0xff, 0xff, 0}, 0)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		fr, err := Read(bytes.NewReader(in), max)
		if err != nil {
			return
		}
		out, err := fr.Bytes()
		if err != nil {
			t.Fatalf("Bytes of a frame Read accepted: %v", err)
		}
		if !bytes.HasPrefix(in, out) {
			t.Fatalf("Write(Read(x)) is not a prefix of x")
		}
		if max > 0 && fr.Len() > max {
			t.Fatalf("frame of %d bytes accepted with limit %d", fr.Len(), max)
		}
	})
}
