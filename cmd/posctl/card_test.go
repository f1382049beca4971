package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"countertop/emv"
	"countertop/emv/card"
	"countertop/hal"
	"countertop/internal/cardprofile"
	"countertop/testdata"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in   string
		want string // apdu.Command.String(), or the error
	}{
		{"00A40400", "00 A4 04 00"},
		{"00B2010C00", "00 B2 01 0C Le=0"},
		{"00A4040007A0000003330101", "00 A4 04 00 Lc=7 A0000003330101"},
		{"00A4040007A000000333010100", "00 A4 04 00 Lc=7 A0000003330101 Le=0"},
		{"0020008008241234FFFFFFFFFF", "00 20 00 80 Lc=8 ****************"},
		{"00A4", "2 bytes: a command APDU has at least CLA INS P1 P2"},
		{"00A4040000", "00 A4 04 00 Le=0"},
		{"00A404000001", "extended lengths (Lc 00) are not supported"},
		{"00A4040007A00000", "length byte Lc 7 does not match the 3 bytes after it"},
	}
	for _, tc := range tests {
		c, err := parseCommand(mustHex(t, tc.in))
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = c.String()
			if !bytes.Equal(c.Bytes(), mustHex(t, tc.in)) {
				t.Errorf("%s: re-encoded as %X", tc.in, c.Bytes())
			}
		}
		if got != tc.want {
			t.Errorf("parseCommand(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// procCard answers like a T=0 card: the first command gets 61xx (response waiting),
// a READ RECORD with the wrong Le gets 6Cxx, GET RESPONSE the data; it logs what it
// received.
type procCard struct{ got []string }

func (p *procCard) Transmit(ctx context.Context, c []byte) ([]byte, error) {
	p.got = append(p.got, strings.ToUpper(hex.EncodeToString(c)))
	switch {
	case c[1] == 0xA4:
		return []byte{0x61, 0x03}, nil
	case c[1] == 0xC0:
		return []byte{0x6F, 0x01, 0x84, 0x90, 0x00}, nil
	case c[1] == 0xB2 && c[4] != 0x05:
		return []byte{0x6C, 0x05}, nil
	case c[1] == 0xB2:
		return []byte{0x70, 0x03, 0x5A, 0x01, 0x99, 0x90, 0x00}, nil
	case c[1] == 0xEE:
		return nil, &hal.DeviceError{Device: "card reader", Op: "transmit", Err: hal.ErrCardRemoved}
	}
	return []byte{0x6D, 0x00}, nil
}

func TestExchangeAll(t *testing.T) {
	cmds := [][]byte{mustHex(t, "00A4040007A000000333010100"), mustHex(t, "00B2010C00")}
	t.Run("transport rules", func(t *testing.T) {
		c := &procCard{}
		var out bytes.Buffer
		if err := exchangeAll(context.Background(), c, false, cmds, &out); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff("6F01849000\n70035A01999000\n", out.String()); diff != "" {
			t.Errorf("output (-want +got):\n%s", diff)
		}
		want := []string{"00A4040007A000000333010100", "00C0000003", "00B2010C00", "00B2010C05"}
		if diff := cmp.Diff(want, c.got); diff != "" {
			t.Errorf("commands sent (-want +got):\n%s", diff)
		}
	})
	t.Run("raw", func(t *testing.T) {
		c := &procCard{}
		var out bytes.Buffer
		if err := exchangeAll(context.Background(), c, true, cmds, &out); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff("6103\n6C05\n", out.String()); diff != "" {
			t.Errorf("output (-want +got):\n%s", diff)
		}
	})
	t.Run("card removed", func(t *testing.T) {
		var out bytes.Buffer
		err := exchangeAll(context.Background(), &procCard{}, false, append(cmds, mustHex(t, "00EE0000")), &out)
		if !errors.Is(err, hal.ErrCardRemoved) || !strings.HasPrefix(err.Error(), "apdu 3:") {
			t.Errorf("err = %v, want apdu 3 wrapping hal.ErrCardRemoved", err)
		}
	})
}

func virtualCard(t *testing.T, name string) *card.Card {
	t.Helper()
	ps, err := cardprofile.Load(testdata.FS, "cards")
	if err != nil {
		t.Fatal(err)
	}
	p, err := cardprofile.Find(ps, name)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := card.LoadKeys()
	if err != nil {
		t.Fatal(err)
	}
	c, err := card.New(p, keys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// readCard on the in-process virtual card: the same JSON as a replay, masked.
func TestReadCard(t *testing.T) {
	kf := kernelFlags{amount: 12800}
	opts, err := kf.options()
	if err != nil {
		t.Fatal(err)
	}
	out, err := readCard(context.Background(), virtualCard(t, "cup-pboc-credit"), opts)
	if err != nil {
		t.Fatalf("readCard: %v\n%s", err, out)
	}
	var res emv.ReplayResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	got := []string{res.Outcome, res.SelectedAID, res.ACType, res.ODA, res.TVR, res.Tags["5A"], res.Tags["9F02"]}
	want := []string{"ONLINE", "A000000333010102", "ARQC", "CDA", "0000008000", "622588******0019", "000000012800"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcome, aid, ac, oda, tvr, pan, amount (-want +got):\n%s", diff)
	}
	if strings.Contains(string(out), "6225880000000019") {
		t.Error("output holds the full PAN")
	}

	// A card that leaves at GENERATE AC: the JSON so far and an error.
	opts.Until = emv.StepComplete
	out, err = readCard(context.Background(), removedCard{virtualCard(t, "cup-chip-removed")}, opts)
	if !errors.Is(err, hal.ErrCardRemoved) {
		t.Fatalf("err = %v, want hal.ErrCardRemoved", err)
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Outcome != "CARD_ERROR" || res.ACType != "" {
		t.Errorf("result %+v, %v", res, err)
	}
}

// removedCard reports the virtual card's removal as a reader does.
type removedCard struct{ c *card.Card }

func (r removedCard) Transmit(ctx context.Context, b []byte) ([]byte, error) {
	resp, err := r.c.Transmit(ctx, b)
	if errors.Is(err, card.ErrRemoved) {
		return nil, &hal.DeviceError{Device: "card reader", Op: "transmit", Err: hal.ErrCardRemoved}
	}
	return resp, err
}

var _ emv.Card = removedCard{}
