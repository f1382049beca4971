package iso8583

import (
	"fmt"
	"strconv"

	"github.com/moov-io/iso8583/encoding"
	"github.com/moov-io/iso8583/prefix"
)

// The CUP dialect's own encoders and prefixer. moov's BCD and LBCD build hash-table
// decoders on every call (the doc measured 77 % of unpack CPU); these are table-free
// and strict: a nibble above 9 in a digit field, or a pad nibble that is not 0, is an
// error, so every accepted body re-packs to the same bytes. Errors never quote the
// data (PANs and tracks go through these encoders).
var (
	// BCD packs digits two per byte, right-aligned: an odd count gets a leading 0
	// nibble ("001" → 00 01).
	BCD encoding.Encoder = &bcdEncoder{}
	// LBCD packs digits two per byte, left-aligned: an odd count gets a trailing 0
	// nibble ("071" → 07 10).
	LBCD encoding.Encoder = &bcdEncoder{left: true}
	// Track packs track data as nibbles, left-aligned with a 0 pad nibble; '=' or
	// 'D' is the separator (nibble D) and A–F pass through for TDK-encrypted
	// tracks. Decoded values spell the separator as 'D'.
	Track encoding.Encoder = &trackEncoder{}
	// BCDLen is the CUP LLVAR (1 byte BCD) and LLLVAR (2 bytes BCD) length prefix.
	BCDLen = prefix.Prefixers{LL: &bcdLenPrefixer{digits: 2}, LLL: &bcdLenPrefixer{digits: 3}}
)

// Encodings names the custom encoders for spec files (moov's
// specs.EncodingsExtToInt / EncodingsIntToExt, keyed by Go type name). They are not
// registered automatically: moov's specs package needs gopkg.in/yaml.v3, which is not
// in go.sum.
var Encodings = map[string]encoding.Encoder{"CUPBCD": BCD, "CUPLBCD": LBCD, "CUPTrack": Track}

type bcdEncoder struct{ left bool }

func (e *bcdEncoder) Encode(src []byte) ([]byte, error) {
	n := len(src)
	out := make([]byte, (n+1)/2)
	shift := 0
	if !e.left {
		shift = n % 2
	}
	for i, c := range src {
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("bcd: non-digit at position %d", i+1)
		}
		p := i + shift
		if p%2 == 0 {
			out[p/2] |= (c - '0') << 4
		} else {
			out[p/2] |= c - '0'
		}
	}
	return out, nil
}

func (e *bcdEncoder) Decode(src []byte, length int) ([]byte, int, error) {
	if length < 0 {
		return nil, 0, fmt.Errorf("bcd: negative length %d", length)
	}
	nb := (length + 1) / 2
	if len(src) < nb {
		return nil, 0, fmt.Errorf("bcd: %d digits need %d bytes, %d left", length, nb, len(src))
	}
	shift := 0
	if length%2 == 1 {
		if e.left {
			if src[nb-1]&0x0F != 0 {
				return nil, 0, fmt.Errorf("bcd: pad nibble not 0")
			}
		} else {
			if src[0]>>4 != 0 {
				return nil, 0, fmt.Errorf("bcd: pad nibble not 0")
			}
			shift = 1
		}
	}
	out := make([]byte, length)
	for i := range out {
		p := i + shift
		v := src[p/2]
		if p%2 == 0 {
			v >>= 4
		} else {
			v &= 0x0F
		}
		if v > 9 {
			return nil, 0, fmt.Errorf("bcd: nibble %X at position %d is not a digit", v, i+1)
		}
		out[i] = '0' + v
	}
	return out, nb, nil
}

type trackEncoder struct{}

const hexDigits = "0123456789ABCDEF"

func (e *trackEncoder) Encode(src []byte) ([]byte, error) {
	out := make([]byte, (len(src)+1)/2)
	for i, c := range src {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c == '=':
			v = 0x0D
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		default:
			return nil, fmt.Errorf("track: bad character at position %d", i+1)
		}
		if i%2 == 0 {
			out[i/2] |= v << 4
		} else {
			out[i/2] |= v
		}
	}
	return out, nil
}

func (e *trackEncoder) Decode(src []byte, length int) ([]byte, int, error) {
	if length < 0 {
		return nil, 0, fmt.Errorf("track: negative length %d", length)
	}
	nb := (length + 1) / 2
	if len(src) < nb {
		return nil, 0, fmt.Errorf("track: %d nibbles need %d bytes, %d left", length, nb, len(src))
	}
	if length%2 == 1 && src[nb-1]&0x0F != 0 {
		return nil, 0, fmt.Errorf("track: pad nibble not 0")
	}
	out := make([]byte, length)
	for i := range out {
		v := src[i/2]
		if i%2 == 0 {
			v >>= 4
		} else {
			v &= 0x0F
		}
		out[i] = hexDigits[v]
	}
	return out, nb, nil
}

type bcdLenPrefixer struct{ digits int }

func (p *bcdLenPrefixer) EncodeLength(maxLen, dataLen int) ([]byte, error) {
	if dataLen > maxLen {
		return nil, fmt.Errorf("length %d above maximum %d", dataLen, maxLen)
	}
	s := strconv.Itoa(dataLen)
	if len(s) > p.digits {
		return nil, fmt.Errorf("length %d does not fit %d digits", dataLen, p.digits)
	}
	for len(s) < p.digits {
		s = "0" + s
	}
	return BCD.Encode([]byte(s))
}

func (p *bcdLenPrefixer) DecodeLength(maxLen int, data []byte) (int, int, error) {
	d, read, err := BCD.Decode(data, p.digits)
	if err != nil {
		return 0, 0, fmt.Errorf("length prefix: %w", err)
	}
	n, _ := strconv.Atoi(string(d))
	if n > maxLen {
		return 0, 0, fmt.Errorf("length %d above maximum %d", n, maxLen)
	}
	return n, read, nil
}

func (p *bcdLenPrefixer) Inspect() string {
	if p.digits == 2 {
		return "CUPBCD.LL"
	}
	return "CUPBCD.LLL"
}
