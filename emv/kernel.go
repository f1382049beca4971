package emv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"countertop/emv/apdu"
	"countertop/emv/tlv"
	"countertop/internal/carddata"
)

// Kernel holds the terminal configuration; it is safe for concurrent use and starts
// one Transaction per card session.
type Kernel struct {
	cfg Config
}

// New checks cfg (AIDs present, CA key checksums) and returns a Kernel.
func New(cfg Config) (*Kernel, error) {
	var errs []error
	if len(cfg.AIDs) == 0 {
		errs = append(errs, errors.New("config: no AIDs"))
	}
	for i, a := range cfg.AIDs {
		if len(a.AID) < 5 || len(a.AID) > 16 {
			errs = append(errs, fmt.Errorf("config: aids[%d]: %d bytes, want 5-16", i, len(a.AID)))
		}
		for _, m := range [][]byte{a.TACDenial, a.TACOnline, a.TACDefault} {
			if m != nil && len(m) != 5 {
				errs = append(errs, fmt.Errorf("config: aids[%d]: action code of %d bytes, want 5", i, len(m)))
			}
		}
	}
	for _, k := range cfg.CAPKs {
		if err := k.Check(); err != nil {
			errs = append(errs, fmt.Errorf("config: %w", err))
		}
	}
	if cfg.Terminal == nil {
		cfg.Terminal = tlv.Data{}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Kernel{cfg: cfg}, nil
}

// Config returns the kernel's configuration.
func (k *Kernel) Config() Config { return k.cfg }

// Transaction is one card session, driven step by step in Step order:
// BuildCandidates, Select, InitiateProcessing, ReadData, Authenticate,
// CheckRestrictions, VerifyCardholder, ManageRisk, AnalyseActions, FirstGenAC and,
// after an ARQC, CompleteOnline or CompleteUnableOnline. Run walks them all. A
// Transaction is not safe for concurrent use.
type Transaction struct {
	k   *Kernel
	t   Transport
	p   Params
	now time.Time

	candidates []Candidate
	selected   *Candidate
	done       Step
	outcome    Outcome

	term tlv.Data // terminal-supplied data for this transaction (config + params + computed)
	icc  tlv.Data // what the card returned

	tvr TVR
	tsi TSI

	aip       []byte
	afl       []byte
	pdolData  []byte
	staticODA []byte
	odaBad    bool // an ODA record in SFI 11-30 was not a 70 template
	odaMethod string
	iccPubMod []byte // recovered ICC public key (DDA/CDA)
	iccPubExp []byte

	requested    ACType
	acType       ACType
	haveAC       bool
	cdolData     []byte
	cdol1Data    []byte
	onlinePIN    []byte
	signature    bool
	scriptRes    []byte
	reversal     bool
	unableOnline bool
}

// NewTransaction starts a session with card.
func (k *Kernel) NewTransaction(card Card, p Params) *Transaction {
	if p.Random == nil {
		p.Random = rand.Reader
	}
	if p.Time.IsZero() {
		p.Time = time.Now()
	}
	t := &Transaction{k: k, t: Transport{Card: card}, p: p, now: p.Time, term: tlv.Data{}, icc: tlv.Data{}}
	for tag, v := range k.cfg.Terminal {
		t.term[tag] = v
	}
	for tag, v := range p.Overrides {
		t.term[tag] = v
	}
	return t
}

// Transport gives access to the transport (APDU count, trace hook).
func (t *Transaction) Transport() *Transport { return &t.t }

// Outcome is the outcome so far.
func (t *Transaction) Outcome() Outcome { return t.outcome }

// TVR returns the Terminal Verification Results.
func (t *Transaction) TVR() TVR { return t.tvr }

// TSI returns the Transaction Status Information.
func (t *Transaction) TSI() TSI { return t.tsi }

// Candidates returns the candidate list in its final order.
func (t *Transaction) Candidates() []Candidate { return append([]Candidate(nil), t.candidates...) }

// SelectionRequired reports whether the cardholder must choose or confirm (Book 1
// 12.4): more than one candidate, or one that requires confirmation.
func (t *Transaction) SelectionRequired() bool {
	return len(t.candidates) > 1 || (len(t.candidates) == 1 && t.candidates[0].ConfirmationRequired)
}

// Selected is the application selected, if any.
func (t *Transaction) Selected() (Candidate, bool) {
	if t.selected == nil {
		return Candidate{}, false
	}
	return *t.selected, true
}

// ACType is the cryptogram type of the last GENERATE AC response.
func (t *Transaction) ACType() (ACType, bool) { return t.acType, t.haveAC }

// OnlinePINBlock is the encrypted PIN block the PIN pad returned for online PIN.
func (t *Transaction) OnlinePINBlock() []byte { return t.onlinePIN }

// SignatureRequired reports whether the CVM asks for a signature on the slip.
func (t *Transaction) SignatureRequired() bool { return t.signature }

// ReversalRequired reports whether the host approved but the card declined at the
// second GENERATE AC: the caller must reverse the authorisation.
func (t *Transaction) ReversalRequired() bool { return t.reversal }

// IssuerScriptResults is the Issuer Script Results (5 bytes per script: result nibble
// and command index, script identifier), for the host's advice or reversal.
func (t *Transaction) IssuerScriptResults() []byte { return t.scriptRes }

// Get returns the value the kernel holds for tag, looking first at terminal and
// computed data, then at the card's.
func (t *Transaction) Get(tag tlv.Tag) ([]byte, bool) {
	switch tag {
	case 0x95:
		return t.tvr[:], true
	case 0x9B:
		return t.tsi[:], true
	}
	if v, ok := t.term[tag]; ok {
		return v, true
	}
	v, ok := t.icc[tag]
	return v, ok
}

// Data returns every tag the kernel holds (terminal, computed and card data), a copy.
func (t *Transaction) Data() tlv.Data {
	d := tlv.Data{}
	for k, v := range t.icc {
		d[k] = v
	}
	for k, v := range t.term {
		d[k] = v
	}
	d[0x95] = append([]byte(nil), t.tvr[:]...)
	d[0x9B] = append([]byte(nil), t.tsi[:]...)
	return d
}

func (t *Transaction) fail(err error) error {
	if err != nil {
		t.outcome = OutcomeOf(err)
	}
	return err
}

func (t *Transaction) cardErr(format string, a ...any) error {
	return t.fail(fmt.Errorf("%w: %s", ErrCardError, fmt.Sprintf(format, a...)))
}

func (t *Transaction) xerr(err error) error {
	return t.fail(fmt.Errorf("%w: %w", ErrCardError, err))
}

func (t *Transaction) need(s Step) error {
	if t.done < s-1 {
		return fmt.Errorf("%w: %s before %s", ErrStep, s, s-1)
	}
	if t.outcome != OK {
		return fmt.Errorf("%w: transaction ended with %s", ErrStep, t.outcome)
	}
	return nil
}

// --- application selection (Book 1 12) ---

var pseName = []byte("1PAY.SYS.DDF01")

func selectCmd(name []byte, next bool) apdu.Command {
	c := apdu.Command{CLA: 0x00, INS: 0xA4, P1: 0x04, Data: name, Le: apdu.Le(0)}
	if next {
		c.P2 = 0x02
	}
	return c
}

func readRecordCmd(sfi, rec int) apdu.Command {
	return apdu.Command{CLA: 0x00, INS: 0xB2, P1: byte(rec), P2: byte(sfi<<3 | 4), Le: apdu.Le(0)}
}

func (t *Transaction) matchAID(adf []byte) *AID {
	for i := range t.k.cfg.AIDs {
		a := &t.k.cfg.AIDs[i]
		if bytes.Equal(a.AID, adf) || (a.Partial && len(adf) > len(a.AID) && bytes.HasPrefix(adf, a.AID)) {
			return a
		}
	}
	return nil
}

func candidateFrom(tlvs []tlv.TLV, adf []byte, cfg *AID) Candidate {
	c := Candidate{AID: append([]byte(nil), adf...), config: cfg}
	if v, ok := tlv.Find(tlvs, 0x50); ok {
		c.Label = string(v.Value)
	}
	if v, ok := tlv.Find(tlvs, 0x9F12); ok {
		c.PreferredName = string(v.Value)
	}
	if v, ok := tlv.Find(tlvs, 0x87); ok && len(v.Value) == 1 {
		c.Priority = int(v.Value[0] & 0x0F)
		c.ConfirmationRequired = v.Value[0]&0x80 != 0
	}
	return c
}

// BuildCandidates builds the candidate list: the PSE first, then, if the card has no
// PSE or it yields nothing, the list of AIDs with partial selection (Book 1 12.3).
// Candidates are ordered by priority (1 highest, none last, ties in card order).
func (t *Transaction) BuildCandidates(ctx context.Context) ([]Candidate, error) {
	if t.done != 0 {
		return nil, fmt.Errorf("%w: candidates built twice", ErrStep)
	}
	cs, err := t.pse(ctx)
	if err != nil {
		return nil, t.fail(err)
	}
	if len(cs) == 0 {
		if cs, err = t.listOfAIDs(ctx); err != nil {
			return nil, t.fail(err)
		}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		pi, pj := cs[i].Priority, cs[j].Priority
		if pi == 0 {
			pi = 16
		}
		if pj == 0 {
			pj = 16
		}
		return pi < pj
	})
	t.candidates = cs
	t.done = StepCandidates
	if len(cs) == 0 {
		return nil, t.fail(ErrNotAccepted)
	}
	return t.Candidates(), nil
}

func (t *Transaction) pse(ctx context.Context) ([]Candidate, error) {
	r, err := t.t.exchange(ctx, "select pse", selectCmd(pseName, false))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCardError, err)
	}
	switch r.SW() {
	case apdu.Success:
	case apdu.FunctionNotSupported:
		return nil, fmt.Errorf("select pse: %w", ErrCardBlocked)
	default:
		return nil, nil // 6A82, 6283 (PSE blocked) and others: list of AIDs
	}
	fci, err := tlv.Parse(r.Data)
	if err != nil {
		return nil, nil
	}
	sfiT, ok := tlv.Find(fci, 0x88)
	if !ok || len(sfiT.Value) != 1 || sfiT.Value[0] < 1 || sfiT.Value[0] > 10 {
		return nil, nil
	}
	sfi := int(sfiT.Value[0])
	var cs []Candidate
	for rec := 1; rec <= 255; rec++ {
		r, err := t.t.exchange(ctx, fmt.Sprintf("read pse record sfi %d rec %d", sfi, rec), readRecordCmd(sfi, rec))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCardError, err)
		}
		if r.SW() == apdu.RecordNotFound {
			break
		}
		if r.SW() != apdu.Success {
			return nil, nil
		}
		tlvs, err := tlv.Parse(r.Data)
		if err != nil || len(tlvs) != 1 || tlvs[0].Tag != 0x70 {
			return nil, nil // Book 1 12.3.2: directory error, use the list of AIDs
		}
		for _, e := range tlv.FindAll(tlvs, 0x61) {
			adf, ok := tlv.Find(e.Children, 0x4F)
			if !ok {
				continue // DDF entries (9D) are not followed
			}
			if a := t.matchAID(adf.Value); a != nil {
				cs = append(cs, candidateFrom(e.Children, adf.Value, a))
			}
		}
	}
	return cs, nil
}

func (t *Transaction) listOfAIDs(ctx context.Context) ([]Candidate, error) {
	var cs []Candidate
	for i := range t.k.cfg.AIDs {
		a := &t.k.cfg.AIDs[i]
		next := false
		for n := 0; n < 32; n++ {
			r, err := t.t.exchange(ctx, fmt.Sprintf("select aid %X", a.AID), selectCmd(a.AID, next))
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrCardError, err)
			}
			sw := r.SW()
			if sw == apdu.FunctionNotSupported {
				return nil, fmt.Errorf("select aid: %w", ErrCardBlocked)
			}
			if sw != apdu.Success && sw != apdu.SelectedFileInvalidated {
				break // 6A82 and other errors: next terminal AID
			}
			next = true
			fci, err := tlv.Parse(r.Data)
			if err != nil {
				if !a.Partial {
					break
				}
				continue
			}
			df, ok := tlv.Find(fci, 0x84)
			if !ok {
				if !a.Partial {
					break
				}
				continue
			}
			if sw == apdu.Success {
				if bytes.Equal(df.Value, a.AID) || (a.Partial && bytes.HasPrefix(df.Value, a.AID)) {
					cs = append(cs, candidateFrom(fci, df.Value, a))
				}
			}
			if !a.Partial {
				break
			}
		}
	}
	return cs, nil
}

// Select does the final selection of candidate i (Book 1 12.4). When the candidate
// requires confirmation the Cardholder confirms it (refusal removes it). A failed
// SELECT removes the candidate and returns ErrTryAgain (ErrNotAccepted when none is
// left): choose again and call Select.
func (t *Transaction) Select(ctx context.Context, i int) error {
	if t.done < StepCandidates || t.done >= StepGPO || (t.outcome != OK && t.outcome != TryAgain && t.outcome != GPONotAccepted) {
		return fmt.Errorf("%w: select", ErrStep)
	}
	t.outcome = OK
	if i < 0 || i >= len(t.candidates) {
		return fmt.Errorf("%w: select candidate %d of %d", ErrStep, i, len(t.candidates))
	}
	c := t.candidates[i]
	if c.ConfirmationRequired && t.p.Cardholder != nil {
		ok, err := t.p.Cardholder.Confirm(ctx, c)
		if err != nil {
			return fmt.Errorf("confirm application: %w", err)
		}
		if !ok {
			return t.removeCandidate(i, ErrTryAgain)
		}
	}
	r, err := t.t.exchange(ctx, fmt.Sprintf("final select %X", c.AID), selectCmd(c.AID, false))
	if err != nil {
		return t.xerr(err)
	}
	if r.SW() != apdu.Success {
		return t.removeCandidate(i, ErrTryAgain)
	}
	fci, err := tlv.Parse(r.Data)
	if err != nil || len(fci) != 1 || fci[0].Tag != 0x6F {
		return t.removeCandidate(i, ErrTryAgain)
	}
	df, ok := tlv.Find(fci, 0x84)
	_, hasA5 := tlv.Find(fci, 0xA5)
	if !ok || !hasA5 || !bytes.Equal(df.Value, c.AID) {
		return t.removeCandidate(i, ErrTryAgain)
	}
	t.icc = tlv.Data{}
	t.icc.Update(fci)
	t.selected = &c
	t.term[0x9F06] = c.AID
	if c.config != nil && c.config.AppVersion != nil {
		t.term[0x9F09] = c.config.AppVersion
	}
	t.done = StepSelect
	return nil
}

func (t *Transaction) removeCandidate(i int, err error) error {
	t.candidates = append(t.candidates[:i:i], t.candidates[i+1:]...)
	if len(t.candidates) == 0 {
		return t.fail(ErrNotAccepted)
	}
	return t.fail(err)
}

// --- initiate application processing (Book 3 10.1) ---

func bcd(v int64, n int) []byte {
	s := strconv.FormatInt(v, 10)
	for len(s) < 2*n {
		s = "0" + s
	}
	s = s[len(s)-2*n:]
	out := make([]byte, n)
	for i := 0; i < n; i++ {
		out[i] = (s[2*i]-'0')<<4 | (s[2*i+1] - '0')
	}
	return out
}

func (t *Transaction) random(n int) []byte {
	b := make([]byte, n)
	if _, err := io.ReadFull(t.p.Random, b); err != nil {
		panic(fmt.Sprintf("emv: random source: %v", err)) // crypto/rand does not fail
	}
	return b
}

// InitiateProcessing sets the transaction data (9F02, 9F03, 81, 9A, 9F21, 9C, 9F37,
// 9F41), builds the PDOL data and sends GET PROCESSING OPTIONS. 6985 removes the
// candidate and returns ErrGPONotAccepted (go back to Select).
func (t *Transaction) InitiateProcessing(ctx context.Context) error {
	if err := t.need(StepGPO); err != nil {
		return err
	}
	t.tvr, t.tsi = TVR{}, TSI{}
	t.term[0x9F02] = bcd(t.p.Amount, 6)
	t.term[0x9F03] = bcd(t.p.OtherAmount, 6)
	amt := make([]byte, 4)
	binary.BigEndian.PutUint32(amt, uint32(t.p.Amount))
	t.term[0x81] = amt
	oth := make([]byte, 4)
	binary.BigEndian.PutUint32(oth, uint32(t.p.OtherAmount))
	t.term[0x9F04] = oth
	d := t.now
	t.term[0x9A] = []byte{bcd(int64(d.Year()%100), 1)[0], bcd(int64(d.Month()), 1)[0], bcd(int64(d.Day()), 1)[0]}
	t.term[0x9F21] = []byte{bcd(int64(d.Hour()), 1)[0], bcd(int64(d.Minute()), 1)[0], bcd(int64(d.Second()), 1)[0]}
	t.term[0x9C] = []byte{t.p.Type}
	t.term[0x9F37] = t.random(4)
	t.term[0x9F41] = bcd(int64(t.p.Sequence), 4)
	if _, ok := t.term[0x5F2A]; !ok {
		t.term[0x5F2A] = []byte{0x01, 0x56}
	}
	for tag, v := range t.p.Overrides {
		t.term[tag] = v
	}
	var dolData []byte
	if pdol, ok := t.icc[0x9F38]; ok {
		entries, err := tlv.ParseDOL(pdol)
		if err != nil {
			return t.cardErr("pdol: %v", err)
		}
		dolData = tlv.BuildDOL(entries, t.lookupTerminal)
	}
	t.pdolData = dolData
	body := append([]byte{0x83}, lengthOf(len(dolData))...)
	body = append(body, dolData...)
	r, err := t.t.exchange(ctx, "get processing options", apdu.Command{CLA: 0x80, INS: 0xA8, Data: body, Le: apdu.Le(0)})
	if err != nil {
		return t.xerr(err)
	}
	if r.SW() == apdu.ConditionsNotSatisfied {
		for i, c := range t.candidates {
			if bytes.Equal(c.AID, t.selected.AID) {
				t.done = StepCandidates
				t.selected = nil
				return t.removeCandidate(i, ErrGPONotAccepted)
			}
		}
	}
	if r.SW() != apdu.Success {
		return t.cardErr("get processing options: %v", r.SW())
	}
	tlvs, err := tlv.Parse(r.Data)
	if err != nil || len(tlvs) != 1 {
		return t.cardErr("get processing options response: not one template")
	}
	switch tlvs[0].Tag {
	case 0x80:
		v := tlvs[0].Value
		if len(v) < 2 || (len(v)-2)%4 != 0 {
			return t.cardErr("gpo format 1 of %d bytes", len(v))
		}
		t.aip, t.afl = v[:2], v[2:]
	case 0x77:
		a, ok1 := tlv.Find(tlvs[0].Children, 0x82)
		f, ok2 := tlv.Find(tlvs[0].Children, 0x94)
		if !ok1 || !ok2 || len(a.Value) != 2 {
			return t.cardErr("gpo format 2 without AIP or AFL")
		}
		t.aip, t.afl = a.Value, f.Value
		for _, c := range tlvs[0].Children {
			if c.Tag != 0x82 && c.Tag != 0x94 && !c.Tag.Constructed() {
				t.icc[c.Tag] = c.Value
			}
		}
	default:
		return t.cardErr("gpo response template %s", tlvs[0].Tag)
	}
	if err := checkAFL(t.afl); err != nil {
		return t.cardErr("%v", err)
	}
	t.icc[0x82] = t.aip
	t.icc[0x94] = t.afl
	t.done = StepGPO
	return nil
}

func lengthOf(n int) []byte {
	switch {
	case n < 0x80:
		return []byte{byte(n)}
	case n < 0x100:
		return []byte{0x81, byte(n)}
	}
	return []byte{0x82, byte(n >> 8), byte(n)}
}

func checkAFL(afl []byte) error {
	if len(afl) == 0 || len(afl)%4 != 0 {
		return fmt.Errorf("afl of %d bytes", len(afl))
	}
	for i := 0; i < len(afl); i += 4 {
		sfi, first, last, oda := afl[i]>>3, afl[i+1], afl[i+2], afl[i+3]
		if afl[i]&7 != 0 || sfi < 1 || sfi > 30 || first == 0 || last < first || int(oda) > int(last-first)+1 {
			return fmt.Errorf("afl entry %X malformed", afl[i:i+4])
		}
	}
	return nil
}

// lookupTerminal is the DOL source: terminal and transaction data, TVR, then ICC data.
func (t *Transaction) lookupTerminal(tag tlv.Tag) ([]byte, bool) { return t.Get(tag) }

// AIP returns the Application Interchange Profile.
func (t *Transaction) AIP() []byte { return t.aip }

// AFL returns the Application File Locator.
func (t *Transaction) AFL() []byte { return t.afl }

// --- read application data (Book 3 10.2) ---

// ReadData reads every record the AFL names, collects the static data to be
// authenticated and checks the mandatory data (5A, 5F24, 8C, 8D).
func (t *Transaction) ReadData(ctx context.Context) error {
	if err := t.need(StepRecords); err != nil {
		return err
	}
	var static []byte
	for i := 0; i < len(t.afl); i += 4 {
		sfi, first, last, oda := int(t.afl[i]>>3), int(t.afl[i+1]), int(t.afl[i+2]), int(t.afl[i+3])
		for rec := first; rec <= last; rec++ {
			r, err := t.t.exchange(ctx, fmt.Sprintf("read record sfi %d rec %d", sfi, rec), readRecordCmd(sfi, rec))
			if err != nil {
				return t.xerr(err)
			}
			if r.SW() != apdu.Success {
				return t.cardErr("read record sfi %d rec %d: %v", sfi, rec, r.SW())
			}
			tlvs, err := tlv.Parse(r.Data)
			isTemplate := err == nil && len(tlvs) == 1 && tlvs[0].Tag == 0x70
			if sfi <= 10 && !isTemplate {
				return t.cardErr("read record sfi %d rec %d: not a 70 template", sfi, rec)
			}
			if rec-first < oda {
				switch {
				case sfi <= 10:
					static = append(static, tlvs[0].Value...)
				case isTemplate:
					static = append(static, r.Data...)
				default:
					t.odaBad = true
				}
			}
			if isTemplate {
				if err := t.icc.Merge(tlvs); err != nil {
					return t.cardErr("read record sfi %d rec %d: %v", sfi, rec, err)
				}
			}
		}
	}
	t.staticODA = static
	for _, tag := range []tlv.Tag{0x5A, 0x5F24, 0x8C, 0x8D} {
		if _, ok := t.icc[tag]; !ok {
			return t.cardErr("mandatory data %s missing", tag)
		}
	}
	t.done = StepRecords
	return nil
}

// pan returns the PAN digits from 5A (F padding removed).
func (t *Transaction) pan() string {
	return digits(t.icc[0x5A])
}

// PAN returns the card number from 5A as a carddata.PAN (which prints masked). The
// error is carddata's (length, Luhn): the kernel itself never rejects ICC data on the
// Luhn check, the caller decides.
func (t *Transaction) PAN() (carddata.PAN, error) {
	return carddata.ParsePAN(t.pan())
}

// Track2 returns the Track 2 Equivalent Data (57) as a carddata.Track2, for field 35.
func (t *Transaction) Track2() (carddata.Track2, error) {
	v, ok := t.icc[0x57]
	if !ok {
		return carddata.Track2{}, fmt.Errorf("track 2 equivalent data (57): %w", carddata.ErrBadTrack)
	}
	s := strings.TrimRight(strings.ToUpper(hex.EncodeToString(v)), "F")
	return carddata.ParseTrack2(s)
}

func digits(b []byte) string {
	out := make([]byte, 0, 2*len(b))
	for _, x := range b {
		for _, n := range []byte{x >> 4, x & 0x0F} {
			if n > 9 {
				return string(out)
			}
			out = append(out, '0'+n)
		}
	}
	return string(out)
}
