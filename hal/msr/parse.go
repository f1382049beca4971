package msr

import (
	"fmt"
	"strings"

	"countertop/hal"
	"countertop/internal/carddata"
)

// Why a swipe cannot be used. Each wraps carddata.ErrBadTrack, which is what the
// transaction acts on: it asks for the card again.
var (
	// ErrSentinel: text where a start sentinel (% ; +) should be, or tracks out of order.
	ErrSentinel = fmt.Errorf("missing or misplaced start sentinel: %w", carddata.ErrBadTrack)
	// ErrPartial: a track has no end sentinel (?): the card was pulled through badly
	// or the line was cut.
	ErrPartial = fmt.Errorf("track without end sentinel: %w", carddata.ErrBadTrack)
	// ErrCharset: a character outside the track's character set.
	ErrCharset = fmt.Errorf("character outside the track's set: %w", carddata.ErrBadTrack)
	// ErrLength: a track longer than ISO 7811 allows (76, 37, 104 data characters).
	ErrLength = fmt.Errorf("track too long: %w", carddata.ErrBadTrack)
	// ErrLRC: the LRC character the reader sent does not match the track.
	ErrLRC = fmt.Errorf("lrc mismatch: %w", carddata.ErrBadTrack)
	// ErrNoTrack2: track 2 is missing, or the reader marked it read in error (;E?).
	ErrNoTrack2 = fmt.Errorf("track 2 absent or unreadable: %w", carddata.ErrBadTrack)
	// ErrTrack1: track 1 says format B but does not follow its layout.
	ErrTrack1 = fmt.Errorf("track 1 not in format B layout: %w", carddata.ErrBadTrack)
	// ErrMismatch: tracks 1 and 2 carry different card numbers.
	ErrMismatch = fmt.Errorf("track 1 and track 2 card numbers differ: %w", carddata.ErrBadTrack)
)

// Framing bytes some serial readers add (MagTek: STX … CR ETX).
const (
	stx = 0x02
	etx = 0x03
)

// Maximum data characters per track (ISO 7811-2, sentinels and LRC excluded).
var maxData = [4]int{1: 76, 2: 37, 3: 104}

// track is one track as the reader sent it, sentinels stripped.
type track struct {
	num    int
	data   string
	unread bool // the reader sent "E": it could not read this track
}

// ParseSwipe reads the text a reader sends for one swipe: tracks in order 1, 2, 3,
// each as start sentinel (% for track 1, ; for track 2, ; or + for track 3), data, end
// sentinel ?, and optionally the track's LRC character; CR, LF, STX and ETX around
// or between tracks are ignored. Track 2 is required; track 1, when present in format
// B, gives the cardholder name and must carry the same card number; track 3 is
// checked and dropped. Errors wrap one of the package's sentinels and
// carddata.ErrBadTrack, and never contain track data.
func ParseSwipe(text []byte) (hal.Tracks, error) {
	tracks, err := splitTracks(text)
	if err != nil {
		return hal.Tracks{}, err
	}
	var t1, t2 *track
	for i := range tracks {
		switch tracks[i].num {
		case 1:
			t1 = &tracks[i]
		case 2:
			t2 = &tracks[i]
		}
	}
	if t2 == nil {
		return hal.Tracks{}, ErrNoTrack2
	}
	if t2.unread {
		return hal.Tracks{}, fmt.Errorf("reader marked it unreadable: %w", ErrNoTrack2)
	}
	tr2, err := carddata.ParseTrack2(t2.data)
	if err != nil {
		return hal.Tracks{}, fmt.Errorf("%w: %w", carddata.ErrBadTrack, err)
	}
	out := hal.Tracks{Track2: tr2}
	if t1 != nil && !t1.unread && strings.HasPrefix(t1.data, "B") {
		pan, name, err := formatB(t1.data)
		if err != nil {
			return hal.Tracks{}, err
		}
		if pan != tr2.PAN().Reveal() {
			return hal.Tracks{}, ErrMismatch
		}
		out.Name = name
	}
	return out, nil
}

// formatB splits track 1 format B: B PAN ^ NAME ^ YYMM SVC discretionary.
func formatB(data string) (pan, name string, err error) {
	f := strings.SplitN(data[1:], "^", 3)
	if len(f) != 3 {
		return "", "", fmt.Errorf("%d field separators: %w", len(f)-1, ErrTrack1)
	}
	pan = strings.ReplaceAll(f[0], " ", "")
	if len(pan) < 12 || len(pan) > 19 || strings.Trim(pan, "0123456789") != "" {
		return "", "", fmt.Errorf("card number field: %w", ErrTrack1)
	}
	if len(f[1]) > 26 {
		return "", "", fmt.Errorf("name field of %d characters: %w", len(f[1]), ErrTrack1)
	}
	if len(f[2]) < 7 || strings.Trim(f[2][:7], "0123456789") != "" {
		return "", "", fmt.Errorf("expiry and service code: %w", ErrTrack1)
	}
	return pan, strings.TrimSpace(f[1]), nil
}

func isStart(c byte) bool { return c == '%' || c == ';' || c == '+' }
func isFrame(c byte) bool { return c == '\r' || c == '\n' || c == stx || c == etx }

// inSet reports whether c may appear in a track's data.
func inSet(num int, c byte) bool {
	if num == 1 {
		return c >= 0x20 && c <= 0x5F && !isStart(c) && c != '?'
	}
	return (c >= '0' && c <= '9') || c == ':' || c == '<' || c == '=' || c == '>'
}

// splitTracks finds the tracks in a swipe's text and checks their framing and LRCs.
func splitTracks(b []byte) ([]track, error) {
	var out []track
	last := 0
	i := 0
	for {
		for i < len(b) && isFrame(b[i]) {
			i++
		}
		if i >= len(b) {
			return out, nil
		}
		ss := b[i]
		num := 0
		switch {
		case ss == '%':
			num = 1
		case ss == ';' && last < 2:
			num = 2
		case ss == '+' || ss == ';':
			num = 3
		default:
			return nil, fmt.Errorf("byte %d: %w", i, ErrSentinel)
		}
		if num <= last {
			return nil, fmt.Errorf("track %d after track %d: %w", num, last, ErrSentinel)
		}
		last = num
		j := i + 1
		for j < len(b) && b[j] != '?' && !isStart(b[j]) && !isFrame(b[j]) {
			j++
		}
		if j >= len(b) || b[j] != '?' {
			return nil, fmt.Errorf("track %d: %w", num, ErrPartial)
		}
		data := b[i+1 : j]
		t := track{num: num}
		switch {
		case string(data) == "E":
			t.unread = true
		default:
			for k, c := range data {
				if !inSet(num, c) {
					return nil, fmt.Errorf("track %d position %d: %w", num, k+1, ErrCharset)
				}
			}
			if len(data) > maxData[num] {
				return nil, fmt.Errorf("track %d: %d characters: %w", num, len(data), ErrLength)
			}
			t.data = string(data)
		}
		i = j + 1
		// An LRC character may follow. A start sentinel followed by data is the next
		// track instead (an LRC is followed only by a line end or a start sentinel).
		if i < len(b) && !isFrame(b[i]) {
			c := b[i]
			nextTrack := isStart(c) && i+1 < len(b) && !isFrame(b[i+1]) && !isStart(b[i+1]) && b[i+1] != '?'
			if !nextTrack {
				if !t.unread && c != LRC(num, ss, data) {
					return nil, fmt.Errorf("track %d: %w", num, ErrLRC)
				}
				i++
			}
		}
		out = append(out, t)
	}
}

// LRC returns the longitudinal redundancy check character of one track as a reader
// sends it after the end sentinel: the XOR of the data bits (parity excluded) of
// every character from the start sentinel ss through the end sentinel, as a
// character of the track's set. Track 3's "+" sentinel is ";" on the stripe.
func LRC(num int, ss byte, data []byte) byte {
	if num == 1 {
		v := (ss - 0x20) ^ ('?' - 0x20)
		for _, c := range data {
			v ^= c - 0x20
		}
		return v&0x3F + 0x20
	}
	if ss == '+' {
		ss = ';'
	}
	v := (ss - 0x30) ^ ('?' - 0x30)
	for _, c := range data {
		v ^= c - 0x30
	}
	return v&0x0F + 0x30
}
