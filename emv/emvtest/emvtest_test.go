package emvtest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func tr() Transcript {
	return Transcript{Exchanges: []Exchange{
		{C: "00A404000E315041592E5359532E444446303100", R: "6A82"},
		{C: "00 A4 04 00 07 A0000003330101 00", R: "6F 03 84 01 01 9000"},
	}}
}

func TestPlayback_AnswersInOrderAndCloseClean(t *testing.T) {
	p := New(tr())
	ctx := context.Background()
	r, err := p.Transmit(ctx, []byte{0x00, 0xA4, 0x04, 0x00, 0x0E, '1', 'P', 'A', 'Y', '.', 'S', 'Y', 'S', '.', 'D', 'D', 'F', '0', '1', 0x00})
	if err != nil || !cmp.Equal(r, []byte{0x6A, 0x82}) {
		t.Fatalf("exchange 0 = %X, %v", r, err)
	}
	r, err = p.Transmit(ctx, []byte{0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0, 0, 3, 0x33, 1, 1, 0})
	if diff := cmp.Diff([]byte{0x6F, 3, 0x84, 1, 1, 0x90, 0}, r); err != nil || diff != "" {
		t.Fatalf("exchange 1: %v %s", err, diff)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestPlayback_DeviationNamesExchange(t *testing.T) {
	p := New(tr())
	_, err := p.Transmit(context.Background(), []byte{0x00, 0xA4, 0x04, 0x00, 0x00})
	me, ok := errors.AsType[*MismatchError](err)
	if !ok || me.Kind != KindDeviation || me.Index != 0 || !errors.Is(err, ErrMismatch) {
		t.Fatalf("err = %v", err)
	}
	if _, err2 := p.Transmit(context.Background(), nil); err2 != err {
		t.Errorf("after a mismatch, Transmit = %v, want the first mismatch", err2)
	}
	if err := p.Close(); !errors.Is(err, ErrMismatch) {
		t.Errorf("Close = %v", err)
	}
}

func TestPlayback_ExtraCommandAndLeftovers(t *testing.T) {
	p := New(Transcript{Exchanges: []Exchange{{C: "0084000008", R: "01020304050607089000"}}})
	ctx := context.Background()
	if err := p.Close(); err == nil {
		t.Fatal("Close before use: no leftover error")
	} else if me, _ := errors.AsType[*MismatchError](err); me == nil || me.Kind != KindLeftover || me.Left != 1 {
		t.Fatalf("Close = %v", err)
	}
	if _, err := p.Transmit(ctx, []byte{0x00, 0x84, 0x00, 0x00, 0x08}); err != nil {
		t.Fatal(err)
	}
	_, err := p.Transmit(ctx, []byte{0x00, 0x84, 0x00, 0x00, 0x08})
	if me, _ := errors.AsType[*MismatchError](err); me == nil || me.Kind != KindExtra || me.Index != 1 {
		t.Fatalf("extra: %v", err)
	}
}

func TestMismatchError_MasksVERIFYData(t *testing.T) {
	e := &MismatchError{Kind: KindDeviation, Got: []byte{0x00, 0x20, 0x00, 0x80, 0x08, 0x24, 0x12, 0x34, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, Want: []byte{0}}
	if got, want := e.Error(), "apdu transcript: exchange 0: got command 0020008008****************, want 00"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestParseTranscript_RejectsBadHexAndShortResponses(t *testing.T) {
	for name, s := range map[string]string{
		"bad hex":  `{"exchanges":[{"c":"0G","r":"9000"}]}`,
		"short r":  `{"exchanges":[{"c":"00","r":"90"}]}`,
		"unknown":  `{"exchanges":[],"x":1}`,
		"not json": `[`,
	} {
		if _, err := ParseTranscript([]byte(s)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if got, err := ParseTranscript([]byte(`{"exchanges":[{"c":"00 a4","r":"90 00"}]}`)); err != nil || len(got.Exchanges) != 1 {
		t.Errorf("good transcript: %v %v", got, err)
	}
}

func TestRecorder_RecordsWhatPlaybackReplays(t *testing.T) {
	rec := &Recorder{Card: New(tr())}
	ctx := context.Background()
	for _, e := range tr().Exchanges {
		c, _ := decodeHex(e.C)
		if _, err := rec.Transmit(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	p := New(rec.T)
	for _, e := range tr().Exchanges {
		c, _ := decodeHex(e.C)
		if _, err := p.Transmit(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}
