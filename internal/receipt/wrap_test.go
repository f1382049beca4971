package receipt

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWrap(t *testing.T) {
	for _, c := range []struct {
		s     string
		width int
		want  []string
	}{
		{"RMB 12.34", 32, []string{"RMB 12.34"}},
		{"预授权完成请求(AUTH COMPLETE)", 24, []string{"预授权完成请求", "(AUTH COMPLETE)"}},
		{"持卡人签名(CARDHOLDER SIGNATURE)", 24, []string{"持卡人签名", "(CARDHOLDER SIGNATURE)"}},
		{"持卡人签名(CARDHOLDER SIGNATURE)", 16, []string{"持卡人签名", "(CARDHOLDER", "SIGNATURE)"}},
		{"本人确认以上交易，同意将其记入本卡账户", 32, []string{"本人确认以上交易，同意将其记入本", "卡账户"}},
		{"I ACKNOWLEDGE SATISFACTORY RECEIPT OF RELATIVE GOODS/SERVICES", 32,
			[]string{"I ACKNOWLEDGE SATISFACTORY", "RECEIPT OF RELATIVE", "GOODS/SERVICES"}},
		{"ABCDEFGHIJ", 4, []string{"ABCD", "EFGH", "IJ"}},
		{"好", 1, []string{"好"}},
		{"a (b", 2, []string{"a", "(b"}},
	} {
		if d := cmp.Diff(c.want, wrap(c.s, c.width)); d != "" {
			t.Errorf("wrap(%q, %d) (-want +got):\n%s", c.s, c.width, d)
		}
	}
}

func TestMaskPAN(t *testing.T) {
	for in, want := range map[string]string{
		"6222021234567890128":     "622202*********0128",
		"622202*********0128":     "622202*********0128",
		"***************0128":     "***************0128",
		"6222 0212 3456 7890 128": "6222 02** **** ***0 128",
		"":                        "",
	} {
		if got := maskPAN(in); got != want {
			t.Errorf("maskPAN(%q) = %q; want %q", in, got, want)
		}
	}
}
