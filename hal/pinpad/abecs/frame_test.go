package abecs_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"countertop/hal/pinpad/abecs"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Frames printed in the specification (v2.20 section 2.2) and in devices.md.
var specFrames = []struct {
	name  string
	data  string // PKTDATA, hex
	frame string // on the wire, hex
}{
	{"OPN", "4F504E", "16 4F 50 4E 17 A8 A9"},
	{"DSP000", "445350303030", "16 44 53 50 30 30 30 17 39 63"},
	{"DSP032 OPERAÇÃO FINALIZADA",
		"44 53 50 30 33 32 20 20 20 20 4F 50 45 52 41 C7 C3 4F 20 20 20 20 20 20 20 46 49 4E 41 4C 49 5A 41 44 41 20 20 20",
		"16 44 53 50 30 33 32 20 20 20 20 4F 50 45 52 41 C7 C3 4F 20 20 20 20 20 20 20 46 49 4E 41 4C 49 5A 41 44 41 20 20 20 17 52 13"},
}

func TestCRCCheckValues(t *testing.T) {
	if got := abecs.CRC([]byte("OPN")); got != 0xA8A9 {
		t.Errorf("CRC(OPN) = %04X, want A8A9", got)
	}
	if got := abecs.CRC([]byte("DSP000")); got != 0x3963 {
		t.Errorf("CRC(DSP000) = %04X, want 3963", got)
	}
}

func TestEncodeSpecFrames(t *testing.T) {
	for _, f := range specFrames {
		t.Run(f.name, func(t *testing.T) {
			data, want := unhex(t, f.data), unhex(t, f.frame)
			got, err := abecs.Encode(data)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Encode = % X\nwant     % X", got, want)
			}
			back, n, err := abecs.Decode(want)
			if err != nil || n != len(want) || !bytes.Equal(back, data) {
				t.Errorf("Decode = % X, %d, %v; want % X, %d", back, n, err, data, len(want))
			}
		})
	}
}

func TestStuffing(t *testing.T) {
	data := []byte{'X', 0x13, 0x16, 0x17, 0x12, 0x33}
	got, err := abecs.Encode(data)
	if err != nil {
		t.Fatal(err)
	}
	crc := abecs.CRC(data) // over the unstuffed bytes
	want := []byte{0x16, 'X', 0x13, 0x33, 0x13, 0x36, 0x13, 0x37, 0x12, 0x33, 0x17, byte(crc >> 8), byte(crc)}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("stuffed frame (-want +got):\n%s", d)
	}
	back, _, err := abecs.Decode(got)
	if err != nil || !bytes.Equal(back, data) {
		t.Errorf("Decode = % X, %v", back, err)
	}
}

func TestCRCBytesNotStuffed(t *testing.T) {
	// Find a payload whose CRC contains a byte that would be stuffed inside PKTDATA.
	for i := 0; i < 1<<16; i++ {
		data := []byte{'A', byte(i >> 8), byte(i)}
		crc := abecs.CRC(data)
		if hi := byte(crc >> 8); hi != abecs.SYN && hi != abecs.ETB && hi != abecs.DC3 {
			continue
		}
		fr, err := abecs.Encode(data)
		if err != nil {
			t.Fatal(err)
		}
		if got := fr[len(fr)-2:]; got[0] != byte(crc>>8) || got[1] != byte(crc) {
			t.Fatalf("CRC bytes % X, want raw %04X", got, crc)
		}
		back, _, err := abecs.Decode(fr)
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("Decode of a frame whose CRC holds %02X = % X, %v", byte(crc>>8), back, err)
		}
		return
	}
	t.Fatal("no payload with a control byte in its CRC")
}

func TestDecodeErrors(t *testing.T) {
	opn := unhex(t, "16 4F 50 4E 17 A8 A9")
	for _, tc := range []struct {
		name string
		in   []byte
		err  error
		n    int
	}{
		{"bad crc", unhex(t, "16 4F 50 4E 17 00 00"), abecs.ErrCRC, 7},
		{"bad escape", unhex(t, "16 4F 13 41 4E 17 00 00"), abecs.ErrFrame, 4},
		{"syn inside", unhex(t, "16 4F 50 16 4E 17 A8 A9"), abecs.ErrFrame, 4},
		{"empty", unhex(t, "16 17 00 00"), abecs.ErrFrame, 2},
		{"cut short", opn[:5], io.ErrUnexpectedEOF, 5},
		{"garbage only", []byte("noise"), io.ErrUnexpectedEOF, 5},
		{"oversize", append([]byte{abecs.SYN}, bytes.Repeat([]byte{'A'}, abecs.MaxData+1)...), abecs.ErrFrame, abecs.MaxData + 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, n, err := abecs.Decode(tc.in)
			if !errors.Is(err, tc.err) || data != nil || n != tc.n {
				t.Errorf("Decode = % X, %d, %v; want nil, %d, %v", data, n, err, tc.n, tc.err)
			}
		})
	}
	// Garbage before the frame is skipped.
	data, n, err := abecs.Decode(append([]byte{0xFF, 0x00, 0x06, 0x17}, opn...))
	if err != nil || string(data) != "OPN" || n != 4+len(opn) {
		t.Errorf("Decode after garbage = %q, %d, %v", data, n, err)
	}
	if _, err := abecs.Encode(nil); !errors.Is(err, abecs.ErrFrame) {
		t.Errorf("Encode(nil) = %v, want ErrFrame", err)
	}
	if _, err := abecs.Encode(make([]byte, abecs.MaxData+1)); !errors.Is(err, abecs.ErrFrame) {
		t.Errorf("Encode(%d bytes) = %v, want ErrFrame", abecs.MaxData+1, err)
	}
}

func TestParserResyncsAfterDamage(t *testing.T) {
	var p abecs.Parser
	var got []string
	var errs int
	stream := append(unhex(t, "16 4F 50 4E 17 00 00 FF 16 4F 13 99"), unhex(t, "16 44 53 50 30 30 30 17 39 63")...)
	for _, c := range stream {
		data, err := p.Push(c)
		if err != nil {
			errs++
		}
		if data != nil {
			got = append(got, string(data))
		}
	}
	if d := cmp.Diff([]string{"DSP000"}, got); d != "" || errs != 2 || p.InFrame() {
		t.Errorf("frames (-want +got):\n%s errors %d, in frame %v", d, errs, p.InFrame())
	}
}

// FuzzDecode: any bytes decode to a frame, an error or a need for more, never a panic;
// a decoded PKTDATA encodes to a frame that decodes back to it.
func FuzzDecode(f *testing.F) {
	for _, s := range specFrames {
		f.Add(unhex(f, s.frame))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		data, n, err := abecs.Decode(b)
		if n < 0 || n > len(b) {
			t.Fatalf("Decode used %d of %d bytes", n, len(b))
		}
		if err != nil {
			if data != nil {
				t.Fatalf("Decode returned data with %v", err)
			}
			return
		}
		if len(data) == 0 || len(data) > abecs.MaxData {
			t.Fatalf("Decode returned %d bytes", len(data))
		}
		fr, err := abecs.Encode(data)
		if err != nil {
			t.Fatalf("Encode of decoded data: %v", err)
		}
		if bytes.IndexByte(fr[1:len(fr)-3], abecs.SYN) >= 0 || bytes.IndexByte(fr[1:len(fr)-3], abecs.ETB) >= 0 {
			t.Fatalf("raw SYN or ETB inside stuffed data: % X", fr)
		}
		back, _, err := abecs.Decode(fr)
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("round trip: % X, %v; want % X", back, err, data)
		}
	})
}

// FuzzResponse: any PKTDATA parses as a response or fails with ErrMessage; a parsed
// response encodes back to the same bytes.
func FuzzResponse(f *testing.F) {
	for _, s := range []string{"OPN000", "GPN000036BB6BE28FDF3522E900000000000000000000", "ERR010",
		"NTM000032RG: últimos 2   dígitos:        ", "GIN000100", "GPN013", "DSP0", "GIN000003AB"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := abecs.ParseResponse(b)
		if err != nil {
			if !errors.Is(err, abecs.ErrMessage) {
				t.Fatalf("ParseResponse error %v is not ErrMessage", err)
			}
			return
		}
		back, err := r.Payload()
		if err != nil && len(b) <= abecs.MaxData {
			t.Fatalf("Payload of a parsed response: %v", err)
		}
		if err == nil && !bytes.Equal(back, b) {
			t.Fatalf("round trip %q, want %q", back, b)
		}
	})
}
