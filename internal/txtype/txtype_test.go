package txtype

import "testing"

func TestTypeNamesRoundTrip(t *testing.T) {
	for ty := Sale; ty <= ScriptAdvice; ty++ {
		b, _ := ty.MarshalText()
		var back Type
		if err := back.UnmarshalText(b); err != nil || back != ty {
			t.Errorf("%v: round trip gave %v, %v", ty, back, err)
		}
	}
	if _, err := Parse("unknown"); err == nil {
		t.Error("Parse(unknown) accepted")
	}
}

func TestEntryModeRoundTrip(t *testing.T) {
	for m := EntryNone; m <= EntryFallback; m++ {
		b, _ := m.MarshalText()
		var back EntryMode
		if err := back.UnmarshalText(b); err != nil || back != m {
			t.Errorf("%v: round trip gave %v, %v", m, back, err)
		}
	}
}

func TestSTANWraps(t *testing.T) {
	if got := STAN(999999).Next(); got != 1 {
		t.Errorf("Next(999999) = %v", got)
	}
	if got := STAN(41).Next().String(); got != "000042" {
		t.Errorf("Next(41) = %q", got)
	}
	if Batch(7).String() != "000007" {
		t.Error("batch format")
	}
}
