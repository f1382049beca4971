package emv_test

import (
	"context"
	"testing"

	"countertop/emv"
	"countertop/internal/cardprofile"
)

// runTo runs a sale on profile (tweaked) to step and returns the transaction.
func runTo(t *testing.T, profile string, tweak func(*cardprofile.Profile, *cardprofile.ChipProfile), cfgTweak func(*emv.Config), amount int64, step emv.Step) *sale {
	t.Helper()
	c, p := virtualCard(t, profile, func(cp *cardprofile.ChipProfile) {
		if tweak != nil {
			tweak(nil, cp)
		}
	})
	if tweak != nil {
		pp := p
		chip := *p.Chip
		tweak(&pp, &chip)
		pp.Chip = &chip
		keys, _ := cardLoadKeys(t)
		var err error
		if c, err = cardNew(pp, keys); err != nil {
			t.Fatal(err)
		}
		p = pp
	}
	cfg := testConfig(t)
	if cfgTweak != nil {
		cfgTweak(&cfg)
	}
	s := newSale(t, cfg, c, p, amount)
	if err := s.tx.Run(context.Background(), step); err != nil {
		t.Fatal(err)
	}
	return s
}

func wantBits(t *testing.T, s *sale, set []emv.TVRBit, clear []emv.TVRBit) {
	t.Helper()
	for _, b := range set {
		if !s.tx.TVR().Has(b) {
			t.Errorf("TVR %s: bit %04X not set", s.tx.TVR(), uint16(b))
		}
	}
	for _, b := range clear {
		if s.tx.TVR().Has(b) {
			t.Errorf("TVR %s: bit %04X set", s.tx.TVR(), uint16(b))
		}
	}
}

func TestRestrictions_ExpiredApplication_SetsTVRB2b7(t *testing.T) {
	s := runTo(t, "visa-chip", func(p *cardprofile.Profile, c *cardprofile.ChipProfile) {
		if p != nil {
			p.Expiry = "2610"
		}
	}, nil, 2000, emv.StepRestrictions)
	wantBits(t, s, []emv.TVRBit{emv.TVRExpiredApp}, []emv.TVRBit{emv.TVRAppNotYetEffective})
}

func TestRestrictions_NotYetEffective_SetsTVRB2b6(t *testing.T) {
	s := runTo(t, "visa-chip", func(p *cardprofile.Profile, c *cardprofile.ChipProfile) { c.Effective = "261128" }, nil, 2000, emv.StepRestrictions)
	wantBits(t, s, []emv.TVRBit{emv.TVRAppNotYetEffective}, []emv.TVRBit{emv.TVRExpiredApp})
}

func TestRestrictions_AppVersionsDiffer_SetsTVRB2b8(t *testing.T) {
	s := runTo(t, "visa-chip", func(p *cardprofile.Profile, c *cardprofile.ChipProfile) { c.AppVersion = "0096" }, nil, 2000, emv.StepRestrictions)
	wantBits(t, s, []emv.TVRBit{emv.TVRAppVersionsDiffer}, nil)
}

func TestRestrictions_AUCInternationalGoodsNotAllowed_SetsTVRB2b5(t *testing.T) {
	// visa-chip is issued in 0840: at a 0156 terminal a purchase is international.
	s := runTo(t, "visa-chip", func(p *cardprofile.Profile, c *cardprofile.ChipProfile) { c.AUC = "AB00" }, nil, 2000, emv.StepRestrictions)
	wantBits(t, s, []emv.TVRBit{emv.TVRServiceNotAllowed}, nil)
	s = runTo(t, "visa-chip", func(p *cardprofile.Profile, c *cardprofile.ChipProfile) { c.AUC = "5500" }, nil, 2000, emv.StepRestrictions)
	wantBits(t, s, nil, []emv.TVRBit{emv.TVRServiceNotAllowed})
}

func TestTRM_NewCardAndConsecutiveLimits_SetTVRB2b4B4b7B4b6(t *testing.T) {
	s := runTo(t, "cup-chip-swiped", func(p *cardprofile.Profile, c *cardprofile.ChipProfile) { c.ATC, c.LastOnlineATC = 30, 0 }, nil, 100, emv.StepTRM)
	wantBits(t, s, []emv.TVRBit{emv.TVRNewCard, emv.TVRLowerConsecutiveLimitExceeded, emv.TVRUpperConsecutiveLimitExceeded}, nil)
	s = runTo(t, "cup-chip-swiped", func(p *cardprofile.Profile, c *cardprofile.ChipProfile) { c.ATC, c.LastOnlineATC = 30, 24 }, nil, 100, emv.StepTRM)
	wantBits(t, s, []emv.TVRBit{emv.TVRLowerConsecutiveLimitExceeded}, []emv.TVRBit{emv.TVRNewCard, emv.TVRUpperConsecutiveLimitExceeded})
	if !s.tx.TSI().Has(emv.TSITerminalRiskManagement) {
		t.Error("TSI terminal risk management not set")
	}
}

func TestTRM_FloorLimitAndExceptionFile_SetTVRB4b8B1b5(t *testing.T) {
	s := runTo(t, "cup-chip-swiped", nil, func(c *emv.Config) {
		c.ExceptionFile = func(pan string) bool { return pan == "6228480000000007" }
		for i := range c.AIDs {
			c.AIDs[i].FloorLimit = 10000
		}
	}, 10000, emv.StepTRM)
	wantBits(t, s, []emv.TVRBit{emv.TVRFloorLimitExceeded, emv.TVRCardOnExceptionFile}, nil)
	s = runTo(t, "cup-chip-swiped", nil, func(c *emv.Config) {
		for i := range c.AIDs {
			c.AIDs[i].FloorLimit = 10000
		}
	}, 9999, emv.StepTRM)
	wantBits(t, s, nil, []emv.TVRBit{emv.TVRFloorLimitExceeded, emv.TVRCardOnExceptionFile, emv.TVRRandomlySelectedOnline})
}

func TestTRM_RandomSelection_SetsTVRB4b5(t *testing.T) {
	always := func(c *emv.Config) {
		for i := range c.AIDs {
			c.AIDs[i].FloorLimit, c.AIDs[i].RandomTarget, c.AIDs[i].RandomMaxTarget = 10000, 99, 99
		}
	}
	s := runTo(t, "cup-chip-swiped", nil, always, 100, emv.StepTRM)
	wantBits(t, s, []emv.TVRBit{emv.TVRRandomlySelectedOnline}, []emv.TVRBit{emv.TVRFloorLimitExceeded})
	never := func(c *emv.Config) {
		for i := range c.AIDs {
			c.AIDs[i].FloorLimit, c.AIDs[i].RandomTarget, c.AIDs[i].RandomMaxTarget, c.AIDs[i].RandomThreshold = 10000, 0, 1, 5000
		}
	}
	s = runTo(t, "cup-chip-swiped", nil, never, 100, emv.StepTRM)
	wantBits(t, s, nil, []emv.TVRBit{emv.TVRRandomlySelectedOnline})
}

func TestTAA_TACDenialMatchesTVR_RequestsAAC(t *testing.T) {
	s := runTo(t, "cup-chip-swiped", func(p *cardprofile.Profile, c *cardprofile.ChipProfile) {
		if p != nil {
			p.Expiry = "2610"
		}
	}, func(c *emv.Config) {
		for i := range c.AIDs {
			c.AIDs[i].TACDenial = []byte{0, 0x40, 0, 0, 0}
		}
	}, 10000, emv.StepGenAC1)
	if s.tx.Requested() != emv.AAC || s.tx.Outcome() != emv.Declined {
		t.Errorf("requested %v outcome %v", s.tx.Requested(), s.tx.Outcome())
	}
}

func TestTAA_OfflineOnlyTerminalUsesDefaultCodes(t *testing.T) {
	s := runTo(t, "cup-chip-swiped", nil, func(c *emv.Config) { c.Terminal[0x9F35] = []byte{0x23} }, 10000, emv.StepTAA)
	// TVR has B4 80 (floor limit) and the IAC default DC4000A800 has it: AAC.
	if s.tx.Requested() != emv.AAC {
		t.Errorf("requested %v, want AAC", s.tx.Requested())
	}
}

func TestCVM_AmountUnderX_ConditionSelectsRule(t *testing.T) {
	// X = 50.00: no CVM under X, else signature.
	list := "00001388" + "00000000" + "1F06" + "1E03"
	s := runTo(t, "cup-pboc-credit", func(p *cardprofile.Profile, c *cardprofile.ChipProfile) { c.CVMList = list }, nil, 4999, emv.StepCVM)
	if v, _ := s.tx.Get(0x9F34); hexOf(v) != "1F0602" {
		t.Errorf("under X: 9F34 = %X", v)
	}
	s = runTo(t, "cup-pboc-credit", func(p *cardprofile.Profile, c *cardprofile.ChipProfile) { c.CVMList = list }, nil, 5000, emv.StepCVM)
	if v, _ := s.tx.Get(0x9F34); hexOf(v) != "1E0300" {
		t.Errorf("not under X: 9F34 = %X", v)
	}
}

func TestCVM_AmountConditionNeedsApplicationCurrency(t *testing.T) {
	list := "00001388" + "00000000" + "1F06" + "1E03"
	s := runTo(t, "cup-pboc-credit", func(p *cardprofile.Profile, c *cardprofile.ChipProfile) { c.CVMList, c.Currency = list, "0840" }, nil, 100, emv.StepCVM)
	if v, _ := s.tx.Get(0x9F34); hexOf(v) != "1E0300" {
		t.Errorf("9F34 = %X: an amount rule in another currency must be skipped", v)
	}
}

func TestCVM_UnrecognisedCVM_SetsTVRB3b7(t *testing.T) {
	s := runTo(t, "cup-pboc-credit", func(p *cardprofile.Profile, c *cardprofile.ChipProfile) {
		c.CVMList = "0000000000000000" + "6A00" + "1E03"
	}, nil, 100, emv.StepCVM)
	wantBits(t, s, []emv.TVRBit{emv.TVRUnrecognisedCVM}, []emv.TVRBit{emv.TVRCardholderVerificationFailed})
}

func TestCVM_FailCVMLast_SetsTVRB3b8(t *testing.T) {
	s := runTo(t, "cup-pboc-credit", func(p *cardprofile.Profile, c *cardprofile.ChipProfile) {
		c.CVMList = "0000000000000000" + "0000"
	}, nil, 100, emv.StepCVM)
	wantBits(t, s, []emv.TVRBit{emv.TVRCardholderVerificationFailed}, nil)
	if v, _ := s.tx.Get(0x9F34); hexOf(v) != "000001" {
		t.Errorf("9F34 = %X", v)
	}
}

func TestCVM_ListMissing_SetsICCDataMissing(t *testing.T) {
	s := runTo(t, "cup-pboc-credit", func(p *cardprofile.Profile, c *cardprofile.ChipProfile) { c.CVMList = "" }, nil, 100, emv.StepCVM)
	wantBits(t, s, []emv.TVRBit{emv.TVRICCDataMissing}, nil)
	if v, _ := s.tx.Get(0x9F34); hexOf(v) != "3F0000" || s.tx.TSI().Has(emv.TSICardholderVerification) {
		t.Errorf("9F34 = %X, TSI %s", v, s.tx.TSI())
	}
}

func TestODA_NoCAPK_SetsDDAFailed(t *testing.T) {
	s := runTo(t, "cup-chip-swiped", nil, func(c *emv.Config) { c.CAPKs = nil }, 100, emv.StepODA)
	wantBits(t, s, []emv.TVRBit{emv.TVRDDAFailed}, []emv.TVRBit{emv.TVROfflineDataAuthNotPerformed})
}

func TestODA_TerminalWithoutODA_SetsNotPerformed(t *testing.T) {
	s := runTo(t, "cup-chip-swiped", nil, func(c *emv.Config) { c.Terminal[0x9F33] = []byte{0xE0, 0xF8, 0x00} }, 100, emv.StepODA)
	wantBits(t, s, []emv.TVRBit{emv.TVROfflineDataAuthNotPerformed}, nil)
	if s.tx.TSI().Has(emv.TSIOfflineDataAuthPerformed) {
		t.Error("TSI ODA performed set")
	}
}

func TestODA_RevokedIssuerCertificate_SetsDDAFailed(t *testing.T) {
	s := runTo(t, "cup-chip-swiped", nil, func(c *emv.Config) {
		c.Revoked = []emv.Revoked{{RID: emv.AIDUnionPayDebit[:5], Index: 0xF1, Serial: []byte{0, 0, 1}}}
	}, 100, emv.StepODA)
	wantBits(t, s, []emv.TVRBit{emv.TVRDDAFailed}, nil)
}

func TestCDA_BadSignatureAtGenAC_SetsTVRB1b3AndDeclines(t *testing.T) {
	c, p := virtualCard(t, "cup-pboc-credit", nil, "bad_cda_signature")
	cfg := testConfig(t)
	for i := range cfg.AIDs {
		cfg.AIDs[i].FloorLimit = 100000
	}
	s := newSale(t, cfg, c, p, 5000)
	if err := s.tx.Run(context.Background(), emv.StepGenAC1); err != nil {
		t.Fatal(err)
	}
	check(t, s.result(), result{Outcome: "DECLINED", AC: "AAC", TVR: "0400000000", TSI: "E800", CVM: "1E0300"})
}

type chooser struct {
	pick    int
	confirm bool
	asked   []string
}

func (c *chooser) Choose(ctx context.Context, cs []emv.Candidate) (int, error) {
	for _, x := range cs {
		c.asked = append(c.asked, x.Label)
	}
	return c.pick, nil
}

func (c *chooser) Confirm(ctx context.Context, x emv.Candidate) (bool, error) {
	c.asked = append(c.asked, "confirm "+x.Label)
	return c.confirm, nil
}

func TestSelection_ConfirmationRequiredAsksCardholder(t *testing.T) {
	for _, ok := range []bool{true, false} {
		c, p := virtualCard(t, "visa-chip", func(c *cardprofile.ChipProfile) { c.Confirm = true })
		k, err := emv.New(testConfig(t))
		if err != nil {
			t.Fatal(err)
		}
		ch := &chooser{confirm: ok}
		tx := k.NewTransaction(c, emv.Params{Amount: 100, Time: saleTime, Random: fixedRand(0), Cardholder: ch, PIN: &pinPad{pins: []string{p.PIN}}})
		err = tx.Run(context.Background(), emv.StepSelect)
		if !tx.SelectionRequired() && ok {
			t.Error("one candidate needing confirmation: selection required")
		}
		if ok && err != nil || !ok && tx.Outcome() != emv.NotAccepted {
			t.Errorf("confirm=%v: err %v outcome %v", ok, err, tx.Outcome())
		}
		if len(ch.asked) != 1 || ch.asked[0] != "confirm VISA CREDIT" {
			t.Errorf("asked %q", ch.asked)
		}
	}
}

func TestCDA_OnlineBothGenACsSigned(t *testing.T) {
	c, p := virtualCard(t, "cup-pboc-credit", nil)
	s := newSale(t, testConfig(t), c, p, 200000)
	ctx := context.Background()
	if err := s.tx.Run(ctx, emv.StepGenAC1); err != nil {
		t.Fatal(err)
	}
	check(t, s.result(), result{Outcome: "ONLINE", AC: "ARQC", TVR: "0000008000", TSI: "E800", CVM: "1E0300"})
	if err := s.tx.CompleteOnline(ctx, issuer(t, p, s.tx.Field55(), true)); err != nil {
		t.Fatal(err)
	}
	check(t, s.result(), result{Outcome: "APPROVED", AC: "TC", TVR: "0000008000", TSI: "F800", CVM: "1E0300"})
}

// attendant is a Cardholder at an attended terminal: it answers the cardholder ID
// check (CVM 20) and records the document it was shown.
type attendant struct {
	matches bool
	shown   []emv.IDDocument
}

func (a *attendant) Choose(context.Context, []emv.Candidate) (int, error) { return 0, nil }
func (a *attendant) Confirm(context.Context, emv.Candidate) (bool, error) { return true, nil }
func (a *attendant) CheckID(_ context.Context, doc emv.IDDocument) (bool, error) {
	a.shown = append(a.shown, doc)
	return a.matches, nil
}

// runCVM runs a card whose CVM list is list (and whose records carry tags) to the
// CVM step with cardholder h.
func runCVM(t *testing.T, list string, tags map[string]string, h emv.Cardholder) *emv.Transaction {
	t.Helper()
	_, p := virtualCard(t, "cup-pboc-credit", nil)
	chip := *p.Chip
	chip.CVMList, chip.Tags = list, tags
	p.Chip = &chip
	keys, _ := cardLoadKeys(t)
	c, err := cardNew(p, keys)
	if err != nil {
		t.Fatal(err)
	}
	k, err := emv.New(testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	tx := k.NewTransaction(c, emv.Params{Amount: 100, Time: saleTime, Random: fixedRand(0x11), Cardholder: h, Sequence: 1})
	if err := tx.Run(context.Background(), emv.StepCVM); err != nil {
		t.Fatal(err)
	}
	return tx
}

func TestCVM_CardholderID(t *testing.T) {
	const (
		idOnly   = "0000000000000000" + "2000" + "1E03" // ID check; failing it fails the CVM
		idOrSign = "0000000000000000" + "6000" + "1E03" // ID check, else signature
	)
	idTags := map[string]string{"9F61": "313130313031313939303031303130303130", "9F62": "00"}
	for _, tc := range []struct {
		name     string
		list     string
		tags     map[string]string
		h        emv.Cardholder
		want9F34 string
		shown    bool
		failed   bool
	}{
		{"attendant confirms", idOnly, idTags, &attendant{matches: true}, "200002", true, false},
		{"attendant refuses", idOnly, idTags, &attendant{matches: false}, "200001", true, true},
		{"card has no document", idOnly, nil, &attendant{matches: true}, "200001", false, true},
		{"no attendant: unsupported, fails", idOnly, idTags, nil, "200001", false, true},
		{"no attendant: next rule, signature", idOrSign, idTags, nil, "1E0300", false, false},
		{"attendant refuses: next rule, signature", idOrSign, idTags, &attendant{matches: false}, "1E0300", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx := runCVM(t, tc.list, tc.tags, tc.h)
			if v, _ := tx.Get(0x9F34); hexOf(v) != tc.want9F34 {
				t.Errorf("9F34 = %X, want %s", v, tc.want9F34)
			}
			if got := tx.TVR().Has(emv.TVRCardholderVerificationFailed); got != tc.failed {
				t.Errorf("TVR cardholder verification failed = %v, want %v (TVR %s)", got, tc.failed, tx.TVR())
			}
			if a, ok := tc.h.(*attendant); ok {
				if got := len(a.shown) > 0; got != tc.shown {
					t.Fatalf("document shown = %v, want %v", got, tc.shown)
				}
				if tc.shown && (a.shown[0].Type != emv.IDResident || a.shown[0].Number != "110101199001010010") {
					t.Errorf("shown %+v", a.shown[0])
				}
			}
		})
	}
}
