package msgs

import "testing"

func TestEveryCodeHasBothLanguages(t *testing.T) {
	for c, e := range catalogue {
		if e.zh == "" || e.en == "" {
			t.Errorf("%s: missing text (zh %q, en %q)", c, e.zh, e.en)
		}
	}
	for rc, r := range responses {
		if r.zh == "" || r.en == "" || len(rc) != 2 {
			t.Errorf("response %q: bad entry %+v", rc, r)
		}
	}
}

func TestResponse(t *testing.T) {
	if got := ResponseText("51", ZH); got != "[51] 可用余额不足" {
		t.Errorf("ResponseText(51, zh) = %q", got)
	}
	if got := ResponseText("Q9", EN); got != "[Q9] DECLINED" {
		t.Errorf("unknown code: %q", got)
	}
	for rc, want := range map[string]Action{"00": ActApprove, "A2": ActApprove, "51": ActDecline, "A0": ActSignIn, "zz": ActDecline} {
		if got := ResponseAction(rc); got != want {
			t.Errorf("ResponseAction(%q) = %v, want %v", rc, got, want)
		}
	}
	if Text("no-such-code", ZH) != "no-such-code" {
		t.Error("unknown code should echo itself")
	}
}
