package emv_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"countertop/emv"
	"countertop/emv/card"
	"countertop/emv/crypto"
	"countertop/emv/tlv"
	"countertop/internal/cardprofile"
	"countertop/testdata"
	emvdata "countertop/testdata/emv"
)

var saleTime = time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)

// fixedRand is a deterministic random source for 9F37 and random selection.
type fixedRand byte

func (f fixedRand) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(f) + byte(i)
	}
	return len(b), nil
}

func capks(t testing.TB) []emv.CAPK {
	t.Helper()
	files, err := fs.Glob(emvdata.FS, "capk/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("capk files: %v %v", files, err)
	}
	var out []emv.CAPK
	for _, f := range files {
		b, _ := fs.ReadFile(emvdata.FS, f)
		k, err := emv.ParseCAPK(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, k)
	}
	return out
}

func testConfig(t testing.TB) emv.Config {
	cfg := emv.DefaultConfig()
	cfg.CAPKs = capks(t)
	return cfg
}

func loadProfile(t testing.TB, name string) cardprofile.Profile {
	t.Helper()
	ps, err := cardprofile.Load(testdata.FS, "cards")
	if err != nil {
		t.Fatal(err)
	}
	p, err := cardprofile.Find(ps, name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// virtualCard builds the virtual card of profile name with extra faults and a profile
// tweak.
func virtualCard(t testing.TB, name string, tweak func(*cardprofile.ChipProfile), faults ...string) (*card.Card, cardprofile.Profile) {
	t.Helper()
	keys, err := card.LoadKeys()
	if err != nil {
		t.Fatal(err)
	}
	p := loadProfile(t, name)
	chip := *p.Chip
	chip.Faults = append(append([]string(nil), chip.Faults...), faults...)
	if tweak != nil {
		tweak(&chip)
	}
	p.Chip = &chip
	c, err := card.New(p, keys)
	if err != nil {
		t.Fatal(err)
	}
	return c, p
}

// pinPad holds the test PIN as a PIN pad would: it builds the ISO 9564 format 2 block
// for VERIFY and an opaque "encrypted" block for online PIN.
type pinPad struct {
	pins    []string // successive entries
	offline int
	online  int
	err     error
}

func (p *pinPad) OfflinePlaintextPIN(ctx context.Context, req emv.OfflinePINRequest) ([]byte, error) {
	if p.err != nil {
		return nil, p.err
	}
	pin := p.pins[min(p.offline, len(p.pins)-1)]
	p.offline++
	s := "2" + string("0123456789ABC"[len(pin)]) + pin
	s += strings.Repeat("F", 16-len(s))
	b, _ := hex.DecodeString(s)
	return b, nil
}

func (p *pinPad) OnlinePIN(ctx context.Context) ([]byte, error) {
	if p.err != nil {
		return nil, p.err
	}
	p.online++
	return []byte{0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8}, nil
}

type sale struct {
	t    testing.TB
	k    *emv.Kernel
	tx   *emv.Transaction
	card *card.Card
	p    cardprofile.Profile
	pad  *pinPad
}

func newSale(t testing.TB, cfg emv.Config, c *card.Card, p cardprofile.Profile, amount int64) *sale {
	k, err := emv.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pad := &pinPad{pins: []string{p.PIN}}
	tx := k.NewTransaction(c, emv.Params{Amount: amount, Time: saleTime, Random: fixedRand(0x11), PIN: pad, Sequence: 1})
	return &sale{t: t, k: k, tx: tx, card: c, p: p, pad: pad}
}

// issuer answers an ARQC as the acquirer simulator does: rebuilds the cryptogram input
// from field 55, checks it, and returns 91 (ARPC method of the profile) for an approval.
func issuer(t testing.TB, p cardprofile.Profile, f55 []byte, approve bool) emv.HostResponse {
	t.Helper()
	d := flat55(t, f55)
	imk, _ := hex.DecodeString(p.Chip.IMK)
	opt := crypto.OptionA
	if p.Chip.Derivation == "B" {
		opt = crypto.OptionB
	}
	mk, err := crypto.DeriveICCMasterKey(imk, p.PAN, p.Chip.PSN, opt)
	if err != nil {
		t.Fatal(err)
	}
	atc := d[0x9F36]
	sk, _ := crypto.SessionKey(mk, crypto.ACDiversifier(uint16(atc[0])<<8|uint16(atc[1])))
	var cdol []byte
	for _, tag := range []tlv.Tag{0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37} {
		v, ok := d[tag]
		if !ok {
			t.Fatalf("field 55 lacks %s", tag)
		}
		cdol = append(cdol, v...)
	}
	want, _ := crypto.AC(sk, card.ACInput(cdol, d[0x82], atc, d[0x9F10][3:7]), crypto.Padding2)
	if !bytes.Equal(want, d[0x9F26]) {
		t.Fatalf("issuer: ARQC %X does not verify (want %X)", d[0x9F26], want)
	}
	arc := []byte("00")
	if !approve {
		arc = []byte("05")
	}
	var iad []byte
	if p.Chip.ARPCMethod == 2 {
		csu := []byte{0x00, 0x80, 0x00, 0x00}
		a, _ := crypto.ARPC2(sk, d[0x9F26], csu, nil)
		iad = crypto.IssuerAuthData2(a, csu, nil)
	} else {
		a, _ := crypto.ARPC1(sk, d[0x9F26], arc)
		iad = crypto.IssuerAuthData1(a, arc)
	}
	return emv.HostResponse{Approved: approve, ARC: arc, ICCData: tlv.Encode(tlv.TLV{Tag: 0x91, Value: iad})}
}

func hexOf(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

type result struct {
	Outcome string
	AC      string
	TVR     string
	TSI     string
	CVM     string
}

func (s *sale) result() result {
	ac, _ := s.tx.ACType()
	cvm, _ := s.tx.Get(0x9F34)
	r := result{Outcome: s.tx.Outcome().String(), TVR: s.tx.TVR().String(), TSI: s.tx.TSI().String(), CVM: hexOf(cvm)}
	if _, ok := s.tx.ACType(); ok {
		r.AC = ac.String()
	}
	return r
}

func check(t *testing.T, got, want result) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

func TestSale_OnlineApproved_CUPDebitDDAOnlinePIN(t *testing.T) {
	c, p := virtualCard(t, "cup-chip-swiped", nil)
	s := newSale(t, testConfig(t), c, p, 10000)
	ctx := context.Background()
	if err := s.tx.Run(ctx, emv.StepGenAC1); err != nil {
		t.Fatal(err)
	}
	check(t, s.result(), result{Outcome: "ONLINE", AC: "ARQC", TVR: "0000048000", TSI: "E800", CVM: "420300"})
	if s.tx.ODAMethod() != "DDA" || s.pad.online != 1 || len(s.tx.OnlinePINBlock()) != 8 {
		t.Errorf("oda %q, online PIN asked %d times", s.tx.ODAMethod(), s.pad.online)
	}
	if err := s.tx.CompleteOnline(ctx, issuer(t, p, s.tx.Field55(), true)); err != nil {
		t.Fatal(err)
	}
	check(t, s.result(), result{Outcome: "APPROVED", AC: "TC", TVR: "0000048000", TSI: "F800", CVM: "420300"})
	if s.tx.ReversalRequired() {
		t.Error("reversal required after an approval")
	}
}

func TestSale_OfflineApprovedBelowFloorLimit_CUPCreditCDA(t *testing.T) {
	c, p := virtualCard(t, "cup-pboc-credit", nil)
	cfg := testConfig(t)
	for i := range cfg.AIDs {
		cfg.AIDs[i].FloorLimit = 100000
	}
	s := newSale(t, cfg, c, p, 5000)
	if err := s.tx.Run(context.Background(), emv.StepGenAC1); err != nil {
		t.Fatal(err)
	}
	check(t, s.result(), result{Outcome: "APPROVED", AC: "TC", TVR: "0000000000", TSI: "E800", CVM: "1E0300"})
	if s.tx.ODAMethod() != "CDA" || !s.tx.SignatureRequired() {
		t.Errorf("oda %q signature %v", s.tx.ODAMethod(), s.tx.SignatureRequired())
	}
	if idn, ok := s.tx.Get(0x9F4C); !ok || len(idn) != 8 {
		t.Errorf("ICC dynamic number from the CDA signature = %X", idn)
	}
	if code, _ := s.tx.Get(0x8A); string(code) != "Y1" {
		t.Errorf("8A = %q, want Y1", code)
	}
}

func TestSale_DeclinedByCard_AAC(t *testing.T) {
	c, p := virtualCard(t, "mc-chip", func(c *cardprofile.ChipProfile) { c.Decline = true })
	s := newSale(t, testConfig(t), c, p, 2500)
	if err := s.tx.Run(context.Background(), emv.StepGenAC1); err != nil {
		t.Fatal(err)
	}
	check(t, s.result(), result{Outcome: "DECLINED", AC: "AAC", TVR: "0000048000", TSI: "E800", CVM: "420300"})
	if code, _ := s.tx.Get(0x8A); string(code) != "Z1" {
		t.Errorf("8A = %q, want Z1", code)
	}
}

func TestSale_OnlineApproved_MastercardARPCMethod2(t *testing.T) {
	c, p := virtualCard(t, "mc-chip", nil)
	s := newSale(t, testConfig(t), c, p, 2500)
	ctx := context.Background()
	if err := s.tx.Run(ctx, emv.StepGenAC1); err != nil {
		t.Fatal(err)
	}
	if err := s.tx.CompleteOnline(ctx, issuer(t, p, s.tx.Field55(), true)); err != nil {
		t.Fatal(err)
	}
	check(t, s.result(), result{Outcome: "APPROVED", AC: "TC", TVR: "0000048000", TSI: "F800", CVM: "420300"})
}

func TestSale_VisaSDAOfflinePIN(t *testing.T) {
	c, p := virtualCard(t, "visa-chip", nil)
	s := newSale(t, testConfig(t), c, p, 2000)
	if err := s.tx.Run(context.Background(), emv.StepGenAC1); err != nil {
		t.Fatal(err)
	}
	check(t, s.result(), result{Outcome: "ONLINE", AC: "ARQC", TVR: "0200008000", TSI: "E800", CVM: "410302"})
	if dac, _ := s.tx.Get(0x9F45); hexOf(dac) != "DAC1" {
		t.Errorf("9F45 data authentication code = %X, want DAC1", dac)
	}
}

func TestSale_FaultBadSDASignature_SetsTVRB1b7(t *testing.T) {
	c, p := virtualCard(t, "visa-chip", nil, card.FaultBadSDASignature)
	s := newSale(t, testConfig(t), c, p, 2000)
	if err := s.tx.Run(context.Background(), emv.StepGenAC1); err != nil {
		t.Fatal(err)
	}
	check(t, s.result(), result{Outcome: "ONLINE", AC: "ARQC", TVR: "4200008000", TSI: "E800", CVM: "410302"})
	if !s.tx.TVR().Has(emv.TVRSDAFailed) {
		t.Error("SDA failed not set")
	}
}

func TestSale_FaultExpiredIssuerCertificate_SetsTVRB1b4DDAFailed(t *testing.T) {
	c, p := virtualCard(t, "cup-chip-swiped", nil, card.FaultExpiredIssuerCert)
	s := newSale(t, testConfig(t), c, p, 10000)
	if err := s.tx.Run(context.Background(), emv.StepGenAC1); err != nil {
		t.Fatal(err)
	}
	check(t, s.result(), result{Outcome: "ONLINE", AC: "ARQC", TVR: "0800048000", TSI: "E800", CVM: "420300"})
}

func TestSale_FaultBlockedApplication_NotAccepted(t *testing.T) {
	c, p := virtualCard(t, "cup-chip-swiped", nil, card.FaultBlockedApp)
	s := newSale(t, testConfig(t), c, p, 10000)
	err := s.tx.Run(context.Background(), emv.StepGenAC1)
	if !errors.Is(err, emv.ErrNotAccepted) || s.tx.Outcome() != emv.NotAccepted {
		t.Fatalf("err = %v, outcome %v; want NOT_ACCEPTED", err, s.tx.Outcome())
	}
}

func TestSale_FaultPINTryLimitExceeded_SetsTVRB3b6AndFallsToSignature(t *testing.T) {
	c, p := virtualCard(t, "visa-chip", nil, card.FaultPINBlocked)
	s := newSale(t, testConfig(t), c, p, 2000)
	if err := s.tx.Run(context.Background(), emv.StepGenAC1); err != nil {
		t.Fatal(err)
	}
	check(t, s.result(), result{Outcome: "ONLINE", AC: "ARQC", TVR: "0200208000", TSI: "E800", CVM: "1E0300"})
	if s.pad.offline != 0 {
		t.Errorf("PIN asked %d times of a blocked card", s.pad.offline)
	}
}

func TestSale_FaultsEndingInCardError(t *testing.T) {
	for _, f := range []string{card.FaultWrongAFL, card.FaultMalformedTLV, card.FaultRemovedAtGenAC} {
		t.Run(f, func(t *testing.T) {
			c, p := virtualCard(t, "cup-chip-swiped", nil, f)
			s := newSale(t, testConfig(t), c, p, 10000)
			err := s.tx.Run(context.Background(), emv.StepGenAC1)
			if !errors.Is(err, emv.ErrCardError) || s.tx.Outcome() != emv.CardError {
				t.Fatalf("err = %v, outcome %v; want CARD_ERROR", err, s.tx.Outcome())
			}
			if f == card.FaultRemovedAtGenAC && !errors.Is(err, card.ErrRemoved) {
				t.Errorf("err = %v, want it to wrap card.ErrRemoved", err)
			}
		})
	}
}

func TestCompletion_UnableToGoOnline_DefaultActionCodesDecline(t *testing.T) {
	c, p := virtualCard(t, "cup-chip-swiped", nil)
	s := newSale(t, testConfig(t), c, p, 10000)
	ctx := context.Background()
	if err := s.tx.Run(ctx, emv.StepGenAC1); err != nil {
		t.Fatal(err)
	}
	if err := s.tx.CompleteUnableOnline(ctx); err != nil {
		t.Fatal(err)
	}
	check(t, s.result(), result{Outcome: "DECLINED", AC: "AAC", TVR: "0000048000", TSI: "E800", CVM: "420300"})
	if code, _ := s.tx.Get(0x8A); string(code) != "Z3" {
		t.Errorf("8A = %q, want Z3", code)
	}
}

func TestCompletion_UnableToGoOnline_DefaultActionCodesApprove(t *testing.T) {
	c, p := virtualCard(t, "cup-chip-swiped", nil)
	cfg := testConfig(t)
	for i := range cfg.AIDs {
		cfg.AIDs[i].TACDefault = []byte{0, 0, 0, 0, 0}
	}
	s := newSale(t, cfg, c, p, 10000)
	s.tx = s.k.NewTransaction(c, emv.Params{Amount: 10000, Time: saleTime, Random: fixedRand(1), PIN: s.pad, ForceOnline: true})
	ctx := context.Background()
	if err := s.tx.Run(ctx, emv.StepGenAC1); err != nil {
		t.Fatal(err)
	}
	// IAC default DC4000A800 shares B4 80 (floor limit) with the TVR: still a decline.
	if err := s.tx.CompleteUnableOnline(ctx); err != nil {
		t.Fatal(err)
	}
	if code, _ := s.tx.Get(0x8A); string(code) != "Z3" {
		t.Errorf("8A = %q, want Z3 (the IAC default decides)", code)
	}
}

func TestCompletion_IssuerAuthenticationFailed_SetsTVRB5b7AndCardDeclines(t *testing.T) {
	c, p := virtualCard(t, "cup-chip-swiped", nil)
	s := newSale(t, testConfig(t), c, p, 10000)
	ctx := context.Background()
	if err := s.tx.Run(ctx, emv.StepGenAC1); err != nil {
		t.Fatal(err)
	}
	resp := issuer(t, p, s.tx.Field55(), true)
	resp.ICCData = tlv.Encode(tlv.TLV{Tag: 0x91, Value: []byte{1, 2, 3, 4, 5, 6, 7, 8, '0', '0'}})
	if err := s.tx.CompleteOnline(ctx, resp); err != nil {
		t.Fatal(err)
	}
	check(t, s.result(), result{Outcome: "DECLINED", AC: "AAC", TVR: "0000048040", TSI: "F800", CVM: "420300"})
	if !s.tx.ReversalRequired() {
		t.Error("host approved, card declined: reversal not required")
	}
}

func TestCompletion_IssuerScript72AfterGenAC_ResultsAndTSIb3(t *testing.T) {
	c, p := virtualCard(t, "cup-chip-swiped", nil)
	s := newSale(t, testConfig(t), c, p, 10000)
	ctx := context.Background()
	if err := s.tx.Run(ctx, emv.StepGenAC1); err != nil {
		t.Fatal(err)
	}
	f55 := s.tx.Field55()
	resp := issuer(t, p, f55, true)
	cmd := func(ins byte, mac bool) []byte { return scriptCommand(t, p, f55, ins, mac) }
	script := tlv.TLV{Tag: 0x72, Children: []tlv.TLV{
		{Tag: 0x9F18, Value: []byte{0, 0, 0, 7}},
		{Tag: 0x86, Value: cmd(0x1E, true)}, // application block
	}}
	failing := tlv.TLV{Tag: 0x72, Children: []tlv.TLV{
		{Tag: 0x9F18, Value: []byte{0, 0, 0, 8}},
		{Tag: 0x86, Value: cmd(0x24, true)},
		{Tag: 0x86, Value: cmd(0x77, true)}, // unknown INS: 6D00
	}}
	forged := tlv.TLV{Tag: 0x72, Children: []tlv.TLV{
		{Tag: 0x9F18, Value: []byte{0, 0, 0, 9}},
		{Tag: 0x86, Value: cmd(0x18, false)}, // application unblock, wrong MAC: 6988
	}}
	resp.ICCData = append(resp.ICCData, tlv.Encode(script, failing, forged)...)
	if err := s.tx.CompleteOnline(ctx, resp); err != nil {
		t.Fatal(err)
	}
	check(t, s.result(), result{Outcome: "APPROVED", AC: "TC", TVR: "0000048010", TSI: "FC00", CVM: "420300"})
	if got, want := hexOf(s.tx.IssuerScriptResults()), "2000000007"+"1200000008"+"1100000009"; got != want {
		t.Errorf("issuer script results = %s, want %s", got, want)
	}
	if !c.Blocked() {
		t.Error("the application block script was not applied, or the forged unblock was")
	}
}

// flat55 parses field 55 into its tags.
func flat55(t testing.TB, f55 []byte) tlv.Data {
	t.Helper()
	tl, err := tlv.Parse(f55)
	if err != nil {
		t.Fatal(err)
	}
	d, err := tlv.Flatten(tl)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// scriptCommand is an issuer script command (CLA 84, no data) as the card's issuer
// makes it: its 4-byte MAC under the script-integrity session key of the card (R =
// the ARQC of f55), or a wrong one when mac is false.
func scriptCommand(t testing.TB, p cardprofile.Profile, f55 []byte, ins byte, mac bool) []byte {
	t.Helper()
	d := flat55(t, f55)
	imk, _ := hex.DecodeString(p.Chip.IMKSMI)
	mk, err := crypto.DeriveICCMasterKey(imk, p.PAN, p.Chip.PSN, crypto.OptionA)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := crypto.SessionKey(mk, d[0x9F26])
	if err != nil {
		t.Fatal(err)
	}
	header := []byte{0x84, ins, 0x00, 0x00, card.ScriptMACLen}
	m, err := crypto.ScriptMAC(sk, header, d[0x9F36], d[0x9F26], nil)
	if err != nil {
		t.Fatal(err)
	}
	if !mac {
		m[0] ^= 0x01
	}
	return append(header, m[:card.ScriptMACLen]...)
}

func TestCVM_OfflinePINWrongThenRight_TriesCounted(t *testing.T) {
	c, p := virtualCard(t, "visa-chip", nil)
	s := newSale(t, testConfig(t), c, p, 2000)
	s.pad.pins = []string{"0000", p.PIN}
	if err := s.tx.Run(context.Background(), emv.StepCVM); err != nil {
		t.Fatal(err)
	}
	if cvm, _ := s.tx.Get(0x9F34); hexOf(cvm) != "410302" || s.pad.offline != 2 {
		t.Errorf("9F34 = %X after %d entries", cvm, s.pad.offline)
	}
	if c.PINTries() != 3 {
		t.Errorf("card tries = %d, want 3 after a right PIN", c.PINTries())
	}
}

func TestCVM_PINBypassed_SetsTVRB3b4(t *testing.T) {
	c, p := virtualCard(t, "visa-chip", nil)
	s := newSale(t, testConfig(t), c, p, 2000)
	s.pad.err = emv.ErrPINBypassed
	if err := s.tx.Run(context.Background(), emv.StepCVM); err != nil {
		t.Fatal(err)
	}
	if !s.tx.TVR().Has(emv.TVRPINNotEntered) {
		t.Errorf("TVR %s: PIN not entered not set", s.tx.TVR())
	}
	if cvm, _ := s.tx.Get(0x9F34); hexOf(cvm) != "1E0300" {
		t.Errorf("9F34 = %X, want the signature rule after the bypass", cvm)
	}
}

func TestField55_CUPTagListInOrder(t *testing.T) {
	c, p := virtualCard(t, "cup-chip-swiped", nil)
	s := newSale(t, testConfig(t), c, p, 10000)
	if err := s.tx.Run(context.Background(), emv.StepGenAC1); err != nil {
		t.Fatal(err)
	}
	tl, err := tlv.Parse(s.tx.Field55())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range tl {
		got = append(got, x.Tag.String())
	}
	want := []string{"9F26", "9F27", "9F10", "9F37", "9F36", "95", "9A", "9C", "9F02", "5F2A", "82", "9F1A", "9F03", "9F33", "9F34", "9F35", "9F1E", "84", "9F09", "9F41", "5F34"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("field 55 tags (-want +got):\n%s", diff)
	}
}

func h(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cardLoadKeys(t testing.TB) (card.Keys, error) { return card.LoadKeys() }

func cardNew(p cardprofile.Profile, k card.Keys) (*card.Card, error) { return card.New(p, k) }

// encPad is a PIN pad that also enciphers offline PINs (emv.EncipheredPINEntry).
type encPad struct {
	pinPad
	enciphered int
}

func (p *encPad) OfflineEncipheredPIN(ctx context.Context, req emv.OfflineEncipheredPINRequest) ([]byte, error) {
	pin := p.pins[min(p.enciphered, len(p.pins)-1)]
	p.enciphered++
	block, err := emv.PlaintextPINBlock(pin)
	if err != nil {
		return nil, err
	}
	return emv.EncipherPIN(block, req.Challenge, req.Modulus, req.Exponent, fixedRand(0x33))
}

func TestCVM_OfflineEncipheredPIN_WrongThenRight(t *testing.T) {
	c, p := virtualCard(t, "mc-chip", func(c *cardprofile.ChipProfile) { c.CVMList = "0000000000000000" + "4403" + "1F03" })
	k, err := emv.New(testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	pad := &encPad{pinPad: pinPad{pins: []string{"0000", p.PIN}}}
	tx := k.NewTransaction(c, emv.Params{Amount: 2500, Time: saleTime, Random: fixedRand(1), PIN: pad})
	if err := tx.Run(context.Background(), emv.StepCVM); err != nil {
		t.Fatal(err)
	}
	if v, _ := tx.Get(0x9F34); hexOf(v) != "440302" || pad.enciphered != 2 {
		t.Errorf("9F34 = %X after %d entries", v, pad.enciphered)
	}
}

func TestCVM_EncipheredPINWithoutCapablePINPad_NotSupported(t *testing.T) {
	c, p := virtualCard(t, "mc-chip", func(c *cardprofile.ChipProfile) { c.CVMList = "0000000000000000" + "4403" + "1F03" })
	s := newSale(t, testConfig(t), c, p, 2500)
	if err := s.tx.Run(context.Background(), emv.StepCVM); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.tx.Get(0x9F34); hexOf(v) != "1F0302" {
		t.Errorf("9F34 = %X: condition 03 and no enciphering PIN pad skip the rule", v)
	}
}

func TestPlaintextPINBlock_ISO9564Format2(t *testing.T) {
	b, err := emv.PlaintextPINBlock("4315")
	if err != nil || hexOf(b) != "244315FFFFFFFFFF" {
		t.Errorf("block = %X, %v", b, err)
	}
	for _, bad := range []string{"123", "1234567890123", "12a4"} {
		if _, err := emv.PlaintextPINBlock(bad); !errors.Is(err, emv.ErrPINFormat) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestReceipt_ChipSlipData(t *testing.T) {
	c, p := virtualCard(t, "cup-chip-swiped", nil)
	s := newSale(t, testConfig(t), c, p, 10000)
	ctx := context.Background()
	if err := s.tx.Run(ctx, emv.StepGenAC1); err != nil {
		t.Fatal(err)
	}
	if err := s.tx.CompleteOnline(ctx, issuer(t, p, s.tx.Field55(), true)); err != nil {
		t.Fatal(err)
	}
	r := s.tx.Receipt()
	ac, _ := s.tx.Get(0x9F26)
	want := emv.Receipt{AID: "A000000333010101", Label: "PBOC DEBIT", AC: hexOf(ac), ACType: "TC", TVR: "0000048000", TSI: "F800", ATC: "0011", CVMResult: "420300", ARC: "00"}
	if diff := cmp.Diff(want, r); diff != "" || len(ac) != 8 {
		t.Errorf("receipt (-want +got):\n%s", diff)
	}
}

func TestPINFuncs_NilIsPINPadUnavailable(t *testing.T) {
	c, p := virtualCard(t, "cup-chip-swiped", nil)
	k, _ := emv.New(testConfig(t))
	tx := k.NewTransaction(c, emv.Params{Amount: 100, Time: saleTime, Random: fixedRand(0), PIN: emv.PINFuncs{}})
	if err := tx.Run(context.Background(), emv.StepCVM); err != nil {
		t.Fatal(err)
	}
	if !tx.TVR().Has(emv.TVRPINPadNotWorking) {
		t.Errorf("TVR %s", tx.TVR())
	}
	_ = p
}

func TestPANAndTrack2_AsMaskedCardData(t *testing.T) {
	c, p := virtualCard(t, "cup-chip-swiped", nil)
	s := newSale(t, testConfig(t), c, p, 100)
	if err := s.tx.Run(context.Background(), emv.StepRecords); err != nil {
		t.Fatal(err)
	}
	pan, err := s.tx.PAN()
	if err != nil || pan.Reveal() != p.PAN || strings.Contains(fmt.Sprint(pan), p.PAN) {
		t.Errorf("PAN %v, %v", pan, err)
	}
	tr, err := s.tx.Track2()
	if err != nil || tr.ServiceCode() != "201" || tr.PAN().Reveal() != p.PAN {
		t.Errorf("track 2 %v, %v", tr, err)
	}
}

// failingEncPad's enciphering fails: the PIN pad is not working.
type failingEncPad struct{ pinPad }

func (*failingEncPad) OfflineEncipheredPIN(context.Context, emv.OfflineEncipheredPINRequest) ([]byte, error) {
	return nil, emv.ErrPINPadUnavailable
}

// A PIN pad that cannot encipher the offline PIN sets TVR byte 3 bit 5 (PIN pad not
// present or not working) and the CVM fails; the error must not be lost.
func TestCVM_OfflineEncipheredPIN_PINPadFails_SetsTVRB3b5(t *testing.T) {
	c, p := virtualCard(t, "mc-chip", func(c *cardprofile.ChipProfile) { c.CVMList = "0000000000000000" + "0403" + "1F03" })
	k, err := emv.New(testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	pad := &failingEncPad{pinPad{pins: []string{p.PIN}}}
	tx := k.NewTransaction(c, emv.Params{Amount: 2500, Time: saleTime, Random: fixedRand(1), PIN: pad})
	if err := tx.Run(context.Background(), emv.StepCVM); err != nil {
		t.Fatal(err)
	}
	if !tx.TVR().Has(emv.TVRPINPadNotWorking) {
		t.Errorf("TVR %s: PIN pad not working not set", tx.TVR())
	}
	if v, _ := tx.Get(0x9F34); hexOf(v) == "040302" {
		t.Errorf("9F34 = %X: the CVM succeeded without a PIN", v)
	}
}
