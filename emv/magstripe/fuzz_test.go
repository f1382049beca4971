package magstripe

import "testing"

func FuzzRead(f *testing.F) {
	f.Add("%B6228480000000007^WANG/WU^3106201?", ";6228480000000007=3106201?")
	f.Add("", ";6250941234567898=2912101?")
	f.Fuzz(func(t *testing.T, t1, t2 string) {
		c, err := Read(t1, t2)
		if err == nil && c.Track2.IsZero() {
			t.Fatal("no error and no track 2")
		}
	})
}
