package emv

import (
	"bytes"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"

	"countertop/emv/apdu"
	"countertop/emv/tlv"
)

// --- GENERATE AC (Book 3 10.8 and 10.11) ---

func (t *Transaction) cdaRequested(typ ACType) bool {
	return t.odaMethod == "CDA" && !t.tvr.Has(TVRCDAFailed) && typ != AAC
}

func (t *Transaction) tdolHash(entries []tlv.DOLEntry) {
	need := false
	for _, e := range entries {
		need = need || e.Tag == 0x98
	}
	if !need {
		return
	}
	tdol, ok := t.icc[0x97]
	if !ok && t.selected.config != nil && t.selected.config.DefaultTDOL != nil {
		tdol = t.selected.config.DefaultTDOL
		t.tvr.Set(TVRDefaultTDOLUsed)
	}
	var data []byte
	if te, err := tlv.ParseDOL(tdol); err == nil {
		data = tlv.BuildDOL(te, t.lookupTerminal)
	}
	s := sha1.Sum(data)
	t.term[0x98] = s[:]
}

// generateAC sends GENERATE AC with the data of dol (8C or 8D) and returns the CID type.
func (t *Transaction) generateAC(ctx context.Context, name string, dolTag tlv.Tag, typ ACType) (ACType, error) {
	dol, ok := t.icc[dolTag]
	if !ok {
		return 0, t.cardErr("%s: %s missing", name, dolTag)
	}
	entries, err := tlv.ParseDOL(dol)
	if err != nil {
		return 0, t.cardErr("%s: %s: %v", name, dolTag, err)
	}
	t.tdolHash(entries)
	data := tlv.BuildDOL(entries, t.lookupTerminal)
	t.cdolData = data
	cda := t.cdaRequested(typ)
	p1 := byte(typ)
	if cda {
		p1 |= 0x10
	}
	r, err := t.t.exchange(ctx, name, apdu.Command{CLA: 0x80, INS: 0xAE, P1: p1, Data: data, Le: apdu.Le(0)})
	if err != nil {
		return 0, t.xerr(err)
	}
	if r.SW() != apdu.Success {
		return 0, t.cardErr("%s: %v", name, r.SW())
	}
	tlvs, err := tlv.Parse(r.Data)
	if err != nil || len(tlvs) != 1 {
		return 0, t.cardErr("%s: malformed response", name)
	}
	var sdad []byte
	switch tlvs[0].Tag {
	case 0x80:
		v := tlvs[0].Value
		if len(v) < 11 {
			return 0, t.cardErr("%s: format 1 of %d bytes", name, len(v))
		}
		t.icc[0x9F27] = v[0:1]
		t.icc[0x9F36] = v[1:3]
		t.icc[0x9F26] = v[3:11]
		if len(v) > 11 {
			t.icc[0x9F10] = v[11:]
		}
	case 0x77:
		for _, c := range tlvs[0].Children {
			if c.Tag == 0x9F4B {
				sdad = c.Value
			}
		}
		t.icc.Update(tlvs[0].Children)
		for _, tag := range []tlv.Tag{0x9F27, 0x9F36} {
			if _, ok := tlv.Find(tlvs[0].Children, tag); !ok {
				return 0, t.cardErr("%s: %s missing", name, tag)
			}
		}
		if _, ok := tlv.Find(tlvs[0].Children, 0x9F26); !ok && sdad == nil {
			return 0, t.cardErr("%s: 9F26 missing", name)
		}
	default:
		return 0, t.cardErr("%s: template %s", name, tlvs[0].Tag)
	}
	cid := t.icc[0x9F27]
	if len(cid) != 1 {
		return 0, t.cardErr("%s: cid of %d bytes", name, len(cid))
	}
	got := ACType(cid[0] & 0xC0)
	if got == 0xC0 || got > typ {
		return 0, t.cardErr("%s: card answered %v to a request for %v", name, got, typ)
	}
	if cda && got != AAC {
		if !t.verifyCDA(sdad, tlvs[0], dolTag) {
			t.tvr.Set(TVRCDAFailed)
			return AAC, nil // a CDA failure turns the cryptogram into a decline
		}
	}
	t.acType, t.haveAC = got, true
	return got, nil
}

// verifyCDA checks the SDAD of a GENERATE AC response (Book 2 6.6.2): ICC dynamic data
// = IDN length, IDN, CID, AC, transaction data hash code over the PDOL data, the CDOL
// data and the response's data objects other than 9F4B.
func (t *Transaction) verifyCDA(sdad []byte, resp tlv.TLV, dolTag tlv.Tag) bool {
	if sdad == nil || resp.Tag != 0x77 {
		return false
	}
	dyn, err := VerifySDAD(PublicKey{Modulus: t.iccPubMod, Exponent: t.iccPubExp}, sdad, t.term[0x9F37])
	if err != nil || len(dyn) < 1 {
		return false
	}
	l := int(dyn[0])
	if len(dyn) < 1+l+1+8+20 {
		return false
	}
	idn, cid, ac, hc := dyn[1:1+l], dyn[1+l], dyn[2+l:10+l], dyn[10+l:30+l]
	if !bytes.Equal([]byte{cid}, t.icc[0x9F27]) {
		return false
	}
	h := sha1.New()
	h.Write(t.pdolData)
	if dolTag == 0x8D {
		h.Write(t.cdol1Data)
	}
	h.Write(t.cdolData)
	for _, c := range resp.Children {
		if c.Tag != 0x9F4B {
			h.Write(c.Bytes())
		}
	}
	if !bytes.Equal(h.Sum(nil), hc) {
		return false
	}
	t.term[0x9F4C] = idn
	t.icc[0x9F26] = ac
	return true
}

// FirstGenAC sends the first GENERATE AC for the cryptogram AnalyseActions chose (with
// CDA when selected) and sets the outcome from the card's answer: AAC → DECLINED
// (8A "Z1"), TC → APPROVED ("Y1"), ARQC → ONLINE. The card may only downgrade.
func (t *Transaction) FirstGenAC(ctx context.Context) (ACType, error) {
	if err := t.need(StepGenAC1); err != nil {
		return 0, err
	}
	got, err := t.generateAC(ctx, "first generate ac", 0x8C, t.requested)
	if err != nil {
		return 0, err
	}
	t.cdol1Data = t.cdolData
	t.tsi.Set(TSICardRiskManagement)
	t.done = StepGenAC1
	t.acType, t.haveAC = got, true
	switch got {
	case AAC:
		t.term[0x8A] = []byte("Z1")
		t.outcome = Declined
	case TC:
		t.term[0x8A] = []byte("Y1")
		t.outcome = Approved
	default:
		t.outcome = Online
	}
	return got, nil
}

// Field55Tags is the tag list sent to the host in ISO 8583 field 55 (CUP: the Book 3
// Annex minimum plus 9F63 card product identification when the card has it), in order.
var Field55Tags = []tlv.Tag{0x9F26, 0x9F27, 0x9F10, 0x9F37, 0x9F36, 0x95, 0x9A, 0x9C, 0x9F02, 0x5F2A, 0x82,
	0x9F1A, 0x9F03, 0x9F33, 0x9F34, 0x9F35, 0x9F1E, 0x84, 0x9F09, 0x9F41, 0x5F34, 0x9F63}

// Field55 builds the ICC data for the authorisation request from the tags in
// Field55Tags the kernel holds (after FirstGenAC).
func (t *Transaction) Field55() []byte {
	var out []tlv.TLV
	for _, tag := range Field55Tags {
		if tag == 0x84 {
			if t.selected != nil {
				out = append(out, tlv.TLV{Tag: 0x84, Value: t.selected.AID})
			}
			continue
		}
		if v, ok := t.Get(tag); ok {
			out = append(out, tlv.TLV{Tag: tag, Value: v})
		}
	}
	return tlv.Encode(out...)
}

// HostResponse is what the authorisation response carried for the card.
type HostResponse struct {
	Approved bool   // the host approved (response code 00 or the dialect's equivalent)
	ARC      []byte // 8A, two characters ("00"); nil: "00" if approved, "05" otherwise
	// ICCData is field 55 of the response: 91 issuer authentication data and 71/72
	// issuer scripts (any order; other tags are ignored).
	ICCData []byte
}

// ErrHostData is wrapped when the host's field 55 does not parse (the kernel then
// completes without issuer authentication or scripts and sets nothing else).
var ErrHostData = errors.New("issuer data in the response is malformed")

// CompleteOnline finishes an online transaction with the host's answer (Book 3 10.9 to
// 10.11): issuer scripts 71, issuer authentication (EXTERNAL AUTHENTICATE when the AIP
// says so, else 91 goes in CDOL2), the second GENERATE AC (TC if approved, AAC if not),
// issuer scripts 72. Outcome becomes APPROVED or DECLINED; a card AAC after a host
// approval sets ReversalRequired.
func (t *Transaction) CompleteOnline(ctx context.Context, resp HostResponse) error {
	if t.done != StepGenAC1 || t.outcome != Online {
		return fmt.Errorf("%w: complete without an ARQC", ErrStep)
	}
	arc := resp.ARC
	if len(arc) != 2 {
		arc = []byte("05")
		if resp.Approved {
			arc = []byte("00")
		}
	}
	t.term[0x8A] = arc
	var scripts71, scripts72 []tlv.TLV
	var hostErr error
	if len(resp.ICCData) > 0 {
		tlvs, err := tlv.Parse(resp.ICCData)
		if err != nil {
			hostErr = fmt.Errorf("%w: %w", ErrHostData, err)
		}
		for _, x := range tlvs {
			switch x.Tag {
			case 0x91:
				t.term[0x91] = x.Value
			case 0x71:
				scripts71 = append(scripts71, x)
			case 0x72:
				scripts72 = append(scripts72, x)
			}
		}
	}
	if err := t.runScripts(ctx, scripts71, TVRScriptFailedBeforeGenAC); err != nil {
		return err
	}
	if iad, ok := t.term[0x91]; ok && t.aip[0]&AIPIssuerAuth != 0 {
		t.tsi.Set(TSIIssuerAuthentication)
		r, err := t.t.exchange(ctx, "external authenticate", apdu.Command{CLA: 0x00, INS: 0x82, Data: iad})
		if err != nil {
			return t.xerr(err)
		}
		if r.SW() != apdu.Success {
			t.tvr.Set(TVRIssuerAuthFailed)
		}
	} else if ok {
		t.tsi.Set(TSIIssuerAuthentication) // the card checks 91 inside GENERATE AC (CDOL2)
	}
	want := AAC
	if resp.Approved {
		want = TC
	}
	if err := t.secondGenAC(ctx, want); err != nil {
		return err
	}
	if resp.Approved && t.acType == AAC {
		t.reversal = true
	}
	if err := t.runScripts(ctx, scripts72, TVRScriptFailedAfterGenAC); err != nil {
		return err
	}
	return hostErr
}

// CompleteUnableOnline finishes a transaction that could not go online (Book 3 10.7,
// "unable to go online"): the default action codes decide TC (8A "Y3") or AAC ("Z3").
func (t *Transaction) CompleteUnableOnline(ctx context.Context) error {
	if t.done != StepGenAC1 || t.outcome != Online {
		return fmt.Errorf("%w: complete without an ARQC", ErrStep)
	}
	t.unableOnline = true
	_, _, deflt := t.actionCodes()
	want := TC
	t.term[0x8A] = []byte("Y3")
	if t.tvr.And(deflt) {
		want = AAC
		t.term[0x8A] = []byte("Z3")
	}
	return t.secondGenAC(ctx, want)
}

func (t *Transaction) secondGenAC(ctx context.Context, want ACType) error {
	got, err := t.generateAC(ctx, "second generate ac", 0x8D, want)
	if err != nil {
		return err
	}
	t.done = StepComplete
	if got == TC {
		t.outcome = Approved
	} else {
		t.outcome = Declined
	}
	return nil
}

// runScripts sends each script's 86 commands in order; a status other than 90xx, 62xx
// or 63xx stops that script and sets bit. Results go to IssuerScriptResults (9F5B).
func (t *Transaction) runScripts(ctx context.Context, scripts []tlv.TLV, bit TVRBit) error {
	for _, s := range scripts {
		t.tsi.Set(TSIScriptProcessingPerformed)
		id := []byte{0, 0, 0, 0}
		if v, ok := tlv.Find(s.Children, 0x9F18); ok && len(v.Value) == 4 {
			id = v.Value
		}
		result := byte(0x20) // successful
		n := 0
		for _, c := range s.Children {
			if c.Tag != 0x86 {
				continue
			}
			n++
			resp, err := t.t.Card.Transmit(ctx, c.Value)
			t.t.n++
			if err != nil {
				return t.xerr(fmt.Errorf("issuer script command %d: %w", n, err))
			}
			r, err := apdu.ParseResponse(resp)
			if err != nil || !(r.SW1 == 0x90 || r.SW().Warning()) {
				result = 0x10 | byte(min(n, 15))
				t.tvr.Set(bit)
				break
			}
		}
		t.scriptRes = append(append(t.scriptRes, result), id...)
	}
	if len(t.scriptRes) > 0 {
		t.term[0x9F5B] = t.scriptRes
	}
	return nil
}

// Run walks the steps up to and including until (StepGenAC1 for a sale: then send
// Field55 online if the outcome is ONLINE and call CompleteOnline). Application choice
// goes to Params.Cardholder when the card requires it (the first candidate otherwise);
// failed final selections and GPO 6985 go back to selection as the Book says.
func (t *Transaction) Run(ctx context.Context, until Step) error {
	if _, err := t.BuildCandidates(ctx); err != nil || until <= StepCandidates {
		return err
	}
	for {
		i := 0
		if t.SelectionRequired() && t.p.Cardholder != nil && len(t.candidates) > 1 {
			var err error
			if i, err = t.p.Cardholder.Choose(ctx, t.Candidates()); err != nil {
				return fmt.Errorf("choose application: %w", err)
			}
		}
		err := t.Select(ctx, i)
		if errors.Is(err, ErrTryAgain) {
			continue
		}
		if err != nil || until <= StepSelect {
			return err
		}
		err = t.InitiateProcessing(ctx)
		if errors.Is(err, ErrGPONotAccepted) {
			continue
		}
		if err != nil || until <= StepGPO {
			return err
		}
		break
	}
	steps := []struct {
		s Step
		f func(context.Context) error
	}{
		{StepRecords, t.ReadData},
		{StepODA, t.Authenticate},
		{StepRestrictions, t.CheckRestrictions},
		{StepCVM, t.VerifyCardholder},
		{StepTRM, t.ManageRisk},
		{StepTAA, func(ctx context.Context) error { _, err := t.AnalyseActions(ctx); return err }},
		{StepGenAC1, func(ctx context.Context) error { _, err := t.FirstGenAC(ctx); return err }},
	}
	for _, s := range steps {
		if err := s.f(ctx); err != nil || until <= s.s {
			return err
		}
	}
	return nil
}
