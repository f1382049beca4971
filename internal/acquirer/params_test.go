package acquirer_test

import (
	"testing"

	"countertop/internal/acquirer"
	"countertop/internal/txtype"
	"countertop/iso8583"
)

// RequestParams: every reply to the terminal asks for a parameter download (header
// processing requirement 1) until it makes one; the download's reply carries the
// configured parameters under the MAC and asks no more.
func TestParamDownload(t *testing.T) {
	want := iso8583.Params{MerchantName: "ACQ SHOP", SlipCopies: 3}
	s := newServer(t, func(c *acquirer.Config) { c.Params = &want })
	wk, _ := signIn(t, s.Addr(), term, "")
	p := card(t, "cup-debit")

	requirement := func(req iso8583.Request) (int, iso8583.Reply) {
		t.Helper()
		c, _ := send(t, s.Addr(), req, &wk.MAK)
		f, err := readFrame(t, c)
		if err != nil {
			t.Fatalf("%s: %v", req.Type, err)
		}
		_, rep := decode(t, f, &wk.MAK)
		return f.ProcessingRequirement(), rep
	}
	if got, _ := requirement(saleReq(t, p, 1000, 2, p.PIN, wk.PIK)); got != 0 {
		t.Errorf("processing requirement %d before RequestParams, want 0", got)
	}
	s.RequestParams(term.TerminalID)
	for stan := txtype.STAN(3); stan <= 4; stan++ {
		if got, _ := requirement(saleReq(t, p, 1000, stan, p.PIN, wk.PIK)); got != iso8583.HostRequestParams {
			t.Errorf("sale %s: processing requirement %d, want %d", stan, got, iso8583.HostRequestParams)
		}
	}
	got, rep := requirement(iso8583.Request{Type: txtype.ParamDownload, Terminal: term, STAN: 5, Batch: 1, Operator: "01"})
	if rep.RespCode != "00" || got != 0 {
		t.Fatalf("download: rc %q, processing requirement %d", rep.RespCode, got)
	}
	params, err := iso8583.ParseParams(rep.Field62)
	if err != nil || params.MerchantName != want.MerchantName || params.SlipCopies != want.SlipCopies {
		t.Errorf("downloaded %+v, %v; want %+v", params, err, want)
	}
	if got, _ := requirement(saleReq(t, p, 1000, 6, p.PIN, wk.PIK)); got != 0 || s.ParamDownloads() != 1 {
		t.Errorf("after the download: processing requirement %d, downloads %d", got, s.ParamDownloads())
	}
	if _, err := acquirer.NewServer(acquirer.Config{Dialect: iso8583.CUP, TMK: testTMK(t), Params: &iso8583.Params{SlipCopies: 7}}); err == nil {
		t.Error("NewServer took 7 slip copies")
	}
}
