package emv

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"countertop/emv/apdu"
	"countertop/emv/emvtest"
	"countertop/emv/tlv"
)

func up16(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

func ex(c apdu.Command, r string) emvtest.Exchange { return emvtest.Exchange{C: up16(c.Bytes()), R: r} }

func fci(aid []byte, label string, prio int, extra ...tlv.TLV) string {
	a5 := []tlv.TLV{{Tag: 0x50, Value: []byte(label)}}
	if prio >= 0 {
		a5 = append(a5, tlv.TLV{Tag: 0x87, Value: []byte{byte(prio)}})
	}
	a5 = append(a5, extra...)
	return up16(tlv.TLV{Tag: 0x6F, Children: []tlv.TLV{{Tag: 0x84, Value: aid}, {Tag: 0xA5, Children: a5}}}.Bytes())
}

func h(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// --- transport (Book 1 Annex A) ---

func TestTransport_61xxSendsGetResponse(t *testing.T) {
	pb := emvtest.New(emvtest.Transcript{Exchanges: []emvtest.Exchange{
		{C: "00A4040007A000000333010100", R: "6104"},
		{C: "00C0000004", R: "6F0284009000"},
	}})
	tr := Transport{Card: pb}
	r, err := tr.Exchange(context.Background(), selectCmd(h("A0000003330101"), false))
	if err != nil || up16(r.Data) != "6F028400" || r.SW() != apdu.Success {
		t.Fatalf("r = %X %v, %v", r.Data, r.SW(), err)
	}
	if err := pb.Close(); err != nil || tr.Count() != 2 {
		t.Fatalf("close %v, count %d", err, tr.Count())
	}
}

func TestTransport_6CxxResendsWithLe(t *testing.T) {
	pb := emvtest.New(emvtest.Transcript{Exchanges: []emvtest.Exchange{
		{C: "00B2010C00", R: "6C03"},
		{C: "00B2010C03", R: "7001AA9000"},
	}})
	tr := Transport{Card: pb}
	r, err := tr.Exchange(context.Background(), readRecordCmd(1, 1))
	if err != nil || up16(r.Data) != "7001AA" {
		t.Fatalf("r = %X, %v", r.Data, err)
	}
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestTransport_Case4WarningKeptAfterGetResponse(t *testing.T) {
	pb := emvtest.New(emvtest.Transcript{Exchanges: []emvtest.Exchange{
		{C: "00880000040102030400", R: "6283"},
		{C: "00C0000000", R: "6102"},
		{C: "00C0000002", R: "80009000"},
	}})
	tr := Transport{Card: pb}
	r, err := tr.Exchange(context.Background(), apdu.Command{INS: 0x88, Data: []byte{1, 2, 3, 4}, Le: apdu.Le(0)})
	if err != nil || up16(r.Data) != "8000" || r.SW() != 0x6283 {
		t.Fatalf("r = %X %v, %v; want data with the 6283 warning", r.Data, r.SW(), err)
	}
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestTransport_EndlessProcedureBytesIsAnError(t *testing.T) {
	var exs []emvtest.Exchange
	exs = append(exs, emvtest.Exchange{C: "00B2010C00", R: "6101"})
	for i := 0; i < maxProcedure; i++ {
		exs = append(exs, emvtest.Exchange{C: "00C0000001", R: "6101"})
	}
	tr := Transport{Card: emvtest.New(emvtest.Transcript{Exchanges: exs})}
	if _, err := tr.Exchange(context.Background(), readRecordCmd(1, 1)); !errors.Is(err, ErrProcedureLoop) {
		t.Fatalf("err = %v", err)
	}
}

// --- application selection (Book 1 12) ---

func kernelFor(t *testing.T, aids ...AID) *Kernel {
	t.Helper()
	cfg := DefaultConfig()
	if aids != nil {
		cfg.AIDs = aids
	}
	k, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type candJSON struct {
	AID      string
	Label    string
	Priority int
	Confirm  bool
}

func cands(cs []Candidate) []candJSON {
	var out []candJSON
	for _, c := range cs {
		out = append(out, candJSON{up16(c.AID), c.Label, c.Priority, c.ConfirmationRequired})
	}
	return out
}

func run(t *testing.T, k *Kernel, exs []emvtest.Exchange, until Step) (*Transaction, error) {
	t.Helper()
	pb := emvtest.New(emvtest.Transcript{Exchanges: exs})
	tx := k.NewTransaction(pb, Params{Amount: 100, Random: zeroRand{}})
	err := tx.Run(context.Background(), until)
	if cerr := pb.Close(); cerr != nil {
		t.Fatalf("transcript: %v", cerr)
	}
	return tx, err
}

func TestSelection_PSE6A81_CardBlocked(t *testing.T) {
	tx, err := run(t, kernelFor(t), []emvtest.Exchange{ex(selectCmd(pseName, false), "6A81")}, StepCandidates)
	if !errors.Is(err, ErrCardBlocked) || tx.Outcome() != CardBlocked {
		t.Fatalf("err %v outcome %v", err, tx.Outcome())
	}
}

func TestSelection_PSEDirectoryOrderedByPriorityNoPriorityLast(t *testing.T) {
	entry := func(aid []byte, label string, prio int) tlv.TLV {
		ch := []tlv.TLV{{Tag: 0x4F, Value: aid}, {Tag: 0x50, Value: []byte(label)}}
		if prio >= 0 {
			ch = append(ch, tlv.TLV{Tag: 0x87, Value: []byte{byte(prio)}})
		}
		return tlv.TLV{Tag: 0x61, Children: ch}
	}
	rec1 := tlv.TLV{Tag: 0x70, Children: []tlv.TLV{
		entry(AIDVisaCredit, "VISA", -1),
		entry(AIDUnionPayDebit, "DEBIT", 0x82),
		entry(h("A0000009999999"), "UNKNOWN", 1), // not a terminal AID
	}}
	rec2 := tlv.TLV{Tag: 0x70, Children: []tlv.TLV{entry(AIDUnionPayCredit, "CREDIT", 2), entry(AIDMastercard, "MC", 1)}}
	pseFCI := up16(tlv.TLV{Tag: 0x6F, Children: []tlv.TLV{{Tag: 0x84, Value: pseName}, {Tag: 0xA5, Children: []tlv.TLV{{Tag: 0x88, Value: []byte{1}}}}}}.Bytes())
	tx, err := run(t, kernelFor(t), []emvtest.Exchange{
		ex(selectCmd(pseName, false), pseFCI+"9000"),
		ex(readRecordCmd(1, 1), up16(rec1.Bytes())+"9000"),
		ex(readRecordCmd(1, 2), up16(rec2.Bytes())+"9000"),
		ex(readRecordCmd(1, 3), "6A83"),
	}, StepCandidates)
	if err != nil {
		t.Fatal(err)
	}
	want := []candJSON{
		{"A0000000041010", "MC", 1, false},
		{"A000000333010101", "DEBIT", 2, true}, // ties keep card order
		{"A000000333010102", "CREDIT", 2, false},
		{"A0000000031010", "VISA", 0, false},
	}
	if diff := cmp.Diff(want, cands(tx.Candidates())); diff != "" {
		t.Errorf("candidates (-want +got):\n%s", diff)
	}
	if !tx.SelectionRequired() {
		t.Error("four candidates: selection required")
	}
}

func TestSelection_ListOfAIDsPartialMatchSelectsNextAndSkipsBlocked6283(t *testing.T) {
	visa := AID{AID: AIDVisaCredit, Partial: true}
	mc := AID{AID: AIDMastercard}
	v1, v2, v3 := h("A000000003101001"), h("A000000003101002"), h("A000000003101003")
	tx, err := run(t, kernelFor(t, visa, mc), []emvtest.Exchange{
		ex(selectCmd(pseName, false), "6A82"),
		ex(selectCmd(AIDVisaCredit, false), fci(v1, "VISA ONE", 2)+"9000"),
		ex(selectCmd(AIDVisaCredit, true), fci(v2, "VISA BLOCKED", 1)+"6283"),
		ex(selectCmd(AIDVisaCredit, true), fci(v3, "VISA THREE", 1)+"9000"),
		ex(selectCmd(AIDVisaCredit, true), "6A82"),
		ex(selectCmd(AIDMastercard, false), "6A82"),
	}, StepCandidates)
	if err != nil {
		t.Fatal(err)
	}
	want := []candJSON{{"A000000003101003", "VISA THREE", 1, false}, {"A000000003101001", "VISA ONE", 2, false}}
	if diff := cmp.Diff(want, cands(tx.Candidates())); diff != "" {
		t.Errorf("candidates (-want +got):\n%s", diff)
	}
}

func TestSelection_ExactMatchDoesNotAcceptLongerADF(t *testing.T) {
	mc := AID{AID: AIDMastercard}
	tx, err := run(t, kernelFor(t, mc), []emvtest.Exchange{
		ex(selectCmd(pseName, false), "6A82"),
		ex(selectCmd(AIDMastercard, false), fci(h("A000000004101099"), "MC LONG", 1)+"9000"),
	}, StepCandidates)
	if !errors.Is(err, ErrNotAccepted) || tx.Outcome() != NotAccepted {
		t.Fatalf("err %v outcome %v", err, tx.Outcome())
	}
}

func TestSelection_FinalSelectFailsThenReselection(t *testing.T) {
	mc := AID{AID: AIDMastercard}
	visa := AID{AID: AIDVisaCredit}
	tx, err := run(t, kernelFor(t, mc, visa), []emvtest.Exchange{
		ex(selectCmd(pseName, false), "6A82"),
		ex(selectCmd(AIDMastercard, false), fci(AIDMastercard, "MC", 1)+"9000"),
		ex(selectCmd(AIDVisaCredit, false), fci(AIDVisaCredit, "VISA", 2)+"9000"),
		ex(selectCmd(AIDMastercard, false), "6A82"), // final selection fails
		ex(selectCmd(AIDVisaCredit, false), fci(AIDVisaCredit, "VISA", 2)+"9000"),
	}, StepSelect)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := tx.Selected(); up16(c.AID) != "A0000000031010" || len(tx.Candidates()) != 1 {
		t.Errorf("selected %X of %d candidates", c.AID, len(tx.Candidates()))
	}
}

func TestSelection_FinalSelectFCIWithOtherDFNameIsRejected(t *testing.T) {
	mc := AID{AID: AIDMastercard}
	tx, err := run(t, kernelFor(t, mc), []emvtest.Exchange{
		ex(selectCmd(pseName, false), "6A82"),
		ex(selectCmd(AIDMastercard, false), fci(AIDMastercard, "MC", 1)+"9000"),
		ex(selectCmd(AIDMastercard, false), fci(AIDVisaCredit, "MC", 1)+"9000"),
	}, StepSelect)
	if !errors.Is(err, ErrNotAccepted) || tx.Outcome() != NotAccepted {
		t.Fatalf("err %v outcome %v", err, tx.Outcome())
	}
}

// --- initiate application processing (Book 3 10.1) ---

func TestGPO_6985RemovesCandidateAndSelectsNext(t *testing.T) {
	mc := AID{AID: AIDMastercard}
	visa := AID{AID: AIDVisaCredit}
	gpo := apdu.Command{CLA: 0x80, INS: 0xA8, Data: []byte{0x83, 0x00}, Le: apdu.Le(0)}
	tx, err := run(t, kernelFor(t, mc, visa), []emvtest.Exchange{
		ex(selectCmd(pseName, false), "6A82"),
		ex(selectCmd(AIDMastercard, false), fci(AIDMastercard, "MC", 1)+"9000"),
		ex(selectCmd(AIDVisaCredit, false), fci(AIDVisaCredit, "VISA", 2)+"9000"),
		ex(selectCmd(AIDMastercard, false), fci(AIDMastercard, "MC", 1)+"9000"),
		ex(gpo, "6985"),
		ex(selectCmd(AIDVisaCredit, false), fci(AIDVisaCredit, "VISA", 2)+"9000"),
		ex(gpo, "800E5C00"+"08010100"+"10010300"+"18010201"+"9000"),
	}, StepGPO)
	if err != nil {
		t.Fatal(err)
	}
	if up16(tx.AIP()) != "5C00" || up16(tx.AFL()) != "080101001001030018010201" {
		t.Errorf("aip %X afl %X", tx.AIP(), tx.AFL())
	}
}

func TestGPO_PDOLBuiltFromTerminalDataFormat2(t *testing.T) {
	mc := AID{AID: AIDMastercard}
	pdol := tlv.TLV{Tag: 0x9F38, Value: h("9F02065F2A029F1A02")}
	gpo := apdu.Command{CLA: 0x80, INS: 0xA8, Data: h("830A00000000010001560156"), Le: apdu.Le(0)}
	tx, err := run(t, kernelFor(t, mc), []emvtest.Exchange{
		ex(selectCmd(pseName, false), "6A82"),
		ex(selectCmd(AIDMastercard, false), fci(AIDMastercard, "MC", 1, pdol)+"9000"),
		ex(selectCmd(AIDMastercard, false), fci(AIDMastercard, "MC", 1, pdol)+"9000"),
		ex(gpo, "770A82023C009404080101009000"),
	}, StepGPO)
	if err != nil {
		t.Fatal(err)
	}
	if up16(tx.AIP()) != "3C00" || up16(tx.AFL()) != "08010100" {
		t.Errorf("aip %X afl %X", tx.AIP(), tx.AFL())
	}
}

func TestGPO_MalformedAFLIsCardError(t *testing.T) {
	mc := AID{AID: AIDMastercard}
	gpo := apdu.Command{CLA: 0x80, INS: 0xA8, Data: []byte{0x83, 0x00}, Le: apdu.Le(0)}
	for name, afl := range map[string]string{"sfi 0": "00010100", "last before first": "08020100", "oda count": "08010102", "short": "080101"} {
		t.Run(name, func(t *testing.T) {
			resp := "80" + up16([]byte{byte(2 + len(afl)/2)}) + "3C00" + afl + "9000"
			tx, err := run(t, kernelFor(t, mc), []emvtest.Exchange{
				ex(selectCmd(pseName, false), "6A82"),
				ex(selectCmd(AIDMastercard, false), fci(AIDMastercard, "MC", 1)+"9000"),
				ex(selectCmd(AIDMastercard, false), fci(AIDMastercard, "MC", 1)+"9000"),
				ex(gpo, resp),
			}, StepGPO)
			if !errors.Is(err, ErrCardError) || tx.Outcome() != CardError {
				t.Fatalf("err %v", err)
			}
		})
	}
}

// --- steps out of order ---

func TestSteps_OutOfOrderRefused(t *testing.T) {
	tx := kernelFor(t).NewTransaction(emvtest.New(emvtest.Transcript{}), Params{})
	if err := tx.ReadData(context.Background()); !errors.Is(err, ErrStep) {
		t.Errorf("ReadData first: %v", err)
	}
	if _, err := tx.FirstGenAC(context.Background()); !errors.Is(err, ErrStep) {
		t.Errorf("FirstGenAC first: %v", err)
	}
}

func TestTVR_BitsLandInTheirByte(t *testing.T) {
	var v TVR
	for _, b := range []TVRBit{TVROfflineDataAuthNotPerformed, TVRExpiredApp, TVRPINTryLimitExceeded, TVRFloorLimitExceeded, TVRIssuerAuthFailed} {
		v.Set(b)
	}
	if got := v.String(); got != "8040208040" {
		t.Errorf("TVR = %s", got)
	}
	if !v.Has(TVRPINTryLimitExceeded) || v.Has(TVRPINNotEntered) {
		t.Error("Has")
	}
}

func TestODA_CertificateExpiryMonthInclusive(t *testing.T) {
	nov := []byte{0x11, 0x26}
	if certExpired(nov, mustTime("2026-11-30")) || !certExpired(nov, mustTime("2026-12-01")) {
		t.Error("MMYY 1126 is valid through 30 November 2026")
	}
}

func mustTime(s string) time.Time {
	t0, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t0
}
