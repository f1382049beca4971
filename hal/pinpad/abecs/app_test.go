package abecs_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"countertop/hal"
	"countertop/hal/pinpad/abecs"
)

// The GPN example of the specification (section 3.3.11): MK/WK 3DES, MK slot 08.
const (
	specGPNCommand  = "GPN0931084135EA58BA13E262F44C59ED7899AA3C164444333322221111   10412R$         34,56DIGITE SUA SENHA"
	specGPNResponse = "GPN000036BB6BE28FDF3522E900000000000000000000"
)

func TestCommandPayload(t *testing.T) {
	gpn := "1" + "08" + "4135EA58BA13E262F44C59ED7899AA3C" + "16" + "4444333322221111   " + "1" + "04" + "12" +
		"R$         34,56" + "DIGITE SUA SENHA"
	for _, tc := range []struct {
		cmd  abecs.Command
		want string
	}{
		{abecs.Command{ID: "OPN"}, "OPN"},
		{abecs.Command{ID: "GIN", Blocks: [][]byte{[]byte("00")}}, "GIN00200"},
		{abecs.Command{ID: "GPN", Blocks: [][]byte{[]byte(gpn)}}, specGPNCommand},
		// The DSP example of section 3.3.5, in ISO 8859-1.
		{abecs.Command{ID: "DSP", Blocks: [][]byte{append(abecs.Field("ERRO DE OPERAÇÃO", 16), abecs.Field("CÓDIGO:  2112/76", 16)...)}},
			"DSP032ERRO DE OPERA\xc7\xc3OC\xd3DIGO:  2112/76"},
	} {
		got, err := tc.cmd.Payload()
		if err != nil {
			t.Errorf("%s: %v", tc.cmd.ID, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("%s payload %q, want %q", tc.cmd.ID, got, tc.want)
		}
		back, err := abecs.ParseCommand(got)
		if err != nil {
			t.Errorf("ParseCommand(%q): %v", got, err)
		}
		if d := cmp.Diff(tc.cmd, back); d != "" && len(tc.cmd.Blocks) > 0 {
			t.Errorf("ParseCommand(%q) (-sent +parsed):\n%s", got, d)
		}
	}
	for _, bad := range []abecs.Command{{ID: "gpn"}, {ID: "GP"}, {ID: "GPN", Blocks: [][]byte{make([]byte, 1000)}}} {
		if _, err := bad.Payload(); !errors.Is(err, abecs.ErrMessage) {
			t.Errorf("Payload of %q with %d blocks = %v, want ErrMessage", bad.ID, len(bad.Blocks), err)
		}
	}
}

func TestParseResponse(t *testing.T) {
	r, err := abecs.ParseResponse([]byte(specGPNResponse))
	if err != nil {
		t.Fatal(err)
	}
	want := abecs.Response{ID: "GPN", Status: abecs.StatusOK, Blocks: [][]byte{[]byte("BB6BE28FDF3522E900000000000000000000")}}
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("GPN response (-want +got):\n%s", d)
	}
	if p, err := r.Payload(); err != nil || string(p) != specGPNResponse {
		t.Errorf("Payload = %q, %v", p, err)
	}
	for _, bad := range []string{"", "GPN", "GPN00", "GPN0A0", "gpn000", "GPN000036BB", "GPN00003", "GPN000x36"} {
		if _, err := abecs.ParseResponse([]byte(bad)); !errors.Is(err, abecs.ErrMessage) {
			t.Errorf("ParseResponse(%q) = %v, want ErrMessage", bad, err)
		}
	}
}

func TestStatusErrors(t *testing.T) {
	for _, tc := range []struct {
		st   abecs.Status
		want error
		text string
	}{
		{abecs.StatusCancel, hal.ErrCancelled, "GPN: status 013 ST_CANCEL"},
		{abecs.StatusTimeout, hal.ErrInputTimeout, "GPN: status 012 ST_TIMEOUT"},
		{abecs.StatusNoKey, hal.ErrNoKey, "GPN: status 042 ST_ERRKEY"},
		{abecs.StatusPINBypass, hal.ErrPINBypassed, "GPN: status 090 X_PINBYPASS"},
		{abecs.StatusInvalidParam, nil, "GPN: status 011 ST_INVPARM"},
		{abecs.Status(123), nil, "GPN: status 123"},
	} {
		err := tc.st.Err("GPN")
		se, ok := errors.AsType[*abecs.StatusError](err)
		if !ok || se.Status != tc.st || err.Error() != tc.text {
			t.Errorf("%v.Err = %v, want %q", tc.st, err, tc.text)
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%v does not unwrap to %v", tc.st, tc.want)
		}
		for _, s := range []error{hal.ErrCancelled, hal.ErrInputTimeout, hal.ErrNoKey, hal.ErrPINBypassed} {
			if s != tc.want && errors.Is(err, s) {
				t.Errorf("%v unwraps to %v", tc.st, s)
			}
		}
	}
	if abecs.StatusOK.Err("GPN") != nil {
		t.Error("StatusOK.Err is not nil")
	}
	unknown := &abecs.StatusError{Command: "ZWK", Status: abecs.StatusInvalidCall, Unknown: true}
	if unknown.Error() != "ZWK: pad answered ERR 010 ST_INVCALL" {
		t.Errorf("unknown command error %q", unknown)
	}
}

func TestText(t *testing.T) {
	if got := abecs.Field("金额 RMB 1.00", 16); string(got) != "?? RMB 1.00     " {
		t.Errorf("Field of Chinese text = %q", got)
	}
	if got := abecs.String([]byte("OPERA\xc7\xc3O   ")); got != "OPERAÇÃO" {
		t.Errorf("String = %q", got)
	}
}

// FuzzCommand: any PKTDATA parses as a command or fails with ErrMessage (what the
// simulated pad does with outside input); a parsed command with blocks encodes back to
// the same bytes.
func FuzzCommand(f *testing.F) {
	for _, s := range []string{"OPN", specGPNCommand, "GIN00200", "DEX016013LINE 1\rLINE 2", "GKY", "GPN09", "ZWK0431", "gpn"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := abecs.ParseCommand(b)
		if err != nil {
			if !errors.Is(err, abecs.ErrMessage) {
				t.Fatalf("ParseCommand error %v is not ErrMessage", err)
			}
			return
		}
		back, err := c.Payload()
		if err == nil && string(back) != string(b) {
			t.Fatalf("round trip %q, want %q", back, b)
		}
		if err != nil && len(b) <= abecs.MaxData {
			t.Fatalf("Payload of a parsed command: %v", err)
		}
	})
}
