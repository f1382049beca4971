package hal

import (
	"errors"
	"testing"
)

func TestTextWidth(t *testing.T) {
	for s, want := range map[string]int{"AMOUNT": 6, "金额": 4, "金额(AMOUNT)": 12, "（": 2} {
		if got := TextWidth(s); got != want {
			t.Errorf("TextWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestDocumentText(t *testing.T) {
	d := Document{Width: 10, Lines: []Line{
		{Text: "ab", Align: AlignCenter},
		{Text: "签购", Align: AlignRight},
		{Text: "x", Align: AlignCenter, Large: true},
	}, QR: "REF1"}
	want := "    ab\n      签购\n  x\n[QR REF1]\n"
	if got := d.Text(); got != want {
		t.Errorf("Text() =\n%q\nwant\n%q", got, want)
	}
}

func TestKeyNames(t *testing.T) {
	for _, k := range []Key{Key0, Key9, KeyEnter, KeyCancel, KeyClear, KeyMenu, KeyUp, KeyDown, KeyDot} {
		back, err := ParseKey(k.String())
		if err != nil || back != k {
			t.Errorf("%v: ParseKey gave %v, %v", k, back, err)
		}
	}
	if _, err := ParseKey("F13"); err == nil {
		t.Error("ParseKey(F13) accepted")
	}
}

func TestPrinterStatusErr(t *testing.T) {
	if PrinterReady.Err() != nil || PrinterPaperNearEnd.Err() != nil {
		t.Error("ready states must not be errors")
	}
	if !errors.Is(PrinterPaperOut.Err(), ErrPaperOut) || !errors.Is(PrinterOffline.Err(), ErrPrinterOffline) {
		t.Error("fault states must map to their sentinels")
	}
	err := &DeviceError{Device: "printer", Op: "print", Err: ErrPaperOut}
	if !errors.Is(err, ErrPaperOut) || err.Error() != "printer print: printer out of paper" {
		t.Errorf("DeviceError = %v", err)
	}
}
