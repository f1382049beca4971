package emv

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"countertop/emv/apdu"
	"countertop/emv/tlv"
)

// --- processing restrictions (Book 3 10.4) ---

func ymd(b []byte) int { // YYMMDD n6 → comparable int, years 2000-2099 (Book 3 sets 50/49 window)
	if len(b) != 3 {
		return 0
	}
	y := int(b[0]>>4)*10 + int(b[0]&0x0F)
	if y >= 50 {
		y += 1900
	} else {
		y += 2000
	}
	return y*10000 + (int(b[1]>>4)*10+int(b[1]&0x0F))*100 + int(b[2]>>4)*10 + int(b[2]&0x0F)
}

// CheckRestrictions compares application versions, checks the Application Usage
// Control against the transaction and the effective and expiration dates.
func (t *Transaction) CheckRestrictions(ctx context.Context) error {
	if err := t.need(StepRestrictions); err != nil {
		return err
	}
	t.done = StepRestrictions
	if cv, ok := t.icc[0x9F08]; ok {
		if tv, ok := t.term[0x9F09]; ok && !bytes.Equal(cv, tv) {
			t.tvr.Set(TVRAppVersionsDiffer)
		}
	}
	if auc, ok := t.icc[0x9F07]; ok && len(auc) == 2 {
		if !t.aucAllows(auc) {
			t.tvr.Set(TVRServiceNotAllowed)
		}
	}
	today := ymd(t.term[0x9A])
	if eff, ok := t.icc[0x5F25]; ok && ymd(eff) > today {
		t.tvr.Set(TVRAppNotYetEffective)
	}
	if exp, ok := t.icc[0x5F24]; ok && ymd(exp) < today {
		t.tvr.Set(TVRExpiredApp)
	}
	return nil
}

func (t *Transaction) aucAllows(auc []byte) bool {
	ttype := byte(0)
	if v := t.term[0x9F35]; len(v) == 1 {
		ttype = v[0]
	}
	atm := (ttype == 0x14 || ttype == 0x15 || ttype == 0x16) && len(t.term[0x9F40]) > 0 && t.term[0x9F40][0]&0x80 != 0
	if atm && auc[0]&0x02 == 0 || !atm && auc[0]&0x01 == 0 {
		return false
	}
	ic, ok1 := t.icc[0x5F28]
	tc, ok2 := t.term[0x9F1A]
	if !ok1 || !ok2 {
		return true
	}
	domestic := bytes.Equal(ic, tc)
	switch t.p.Type {
	case 0x01: // cash
		return domestic && auc[0]&0x80 != 0 || !domestic && auc[0]&0x40 != 0
	case 0x09: // purchase with cashback
		goods := domestic && auc[0]&0x20 != 0 || !domestic && auc[0]&0x10 != 0
		cb := domestic && auc[1]&0x80 != 0 || !domestic && auc[1]&0x40 != 0
		return goods && cb
	default: // goods and services: either bit will do (the terminal does not tell them apart)
		return domestic && auc[0]&0x28 != 0 || !domestic && auc[0]&0x14 != 0
	}
}

// --- cardholder verification (Book 3 10.5, Annex C3) ---

// CVM codes (CV rule byte 1, bits 6-1).
const (
	CVMFail             = 0x00
	CVMPlaintextPIN     = 0x01
	CVMOnlinePIN        = 0x02
	CVMPlaintextPINSig  = 0x03
	CVMEncipheredPIN    = 0x04
	CVMEncipheredPINSig = 0x05
	CVMSignature        = 0x1E
	CVMNoCVM            = 0x1F
	// CVMCardholderID is PBOC's cardholder ID check (持卡人证件出示): the attendant
	// compares the identity document named by 9F62/9F61 with the cardholder. The
	// terminal announces it in 9F33 byte 2 bit 1 [unconfirmed: PBOC 3.0 JR/T 0025].
	CVMCardholderID = 0x20
	CVMNotPerformed = 0x3F
	cvmApplyNext    = 0x40
)

// CVM results byte 3.
const (
	CVMResultUnknown = 0x00
	CVMResultFailed  = 0x01
	CVMResultSuccess = 0x02
)

func amountBin(b []byte) int64 { return int64(binary.BigEndian.Uint32(b)) }

func (t *Transaction) cvmCondition(cond byte, x, y int64) (applies bool) {
	unattended := false
	if v := t.term[0x9F35]; len(v) == 1 {
		unattended = v[0]&0x0F >= 4
	}
	cash := t.p.Type == 0x01
	cashback := t.p.Type == 0x09
	switch cond {
	case 0x00:
		return true
	case 0x01:
		return unattended && cash
	case 0x02:
		return !cash && !cashback
	case 0x03:
		return true // checked with the CVM code itself
	case 0x04:
		return cash && !unattended
	case 0x05:
		return cashback
	case 0x06, 0x07, 0x08, 0x09:
		ac, ok1 := t.icc[0x9F42]
		tc, ok2 := t.term[0x5F2A]
		if !ok1 || !ok2 || !bytes.Equal(ac, tc) {
			return false
		}
		lim := x
		if cond >= 0x08 {
			lim = y
		}
		if cond == 0x06 || cond == 0x08 {
			return t.p.Amount < lim
		}
		return t.p.Amount > lim
	}
	return false
}

func (t *Transaction) cvmSupported(code byte) (known, supported bool) {
	caps := t.term[0x9F33]
	b := byte(0)
	if len(caps) == 3 {
		b = caps[1]
	}
	switch code {
	case CVMFail:
		return true, true
	case CVMPlaintextPIN:
		return true, b&0x80 != 0
	case CVMOnlinePIN:
		return true, b&0x40 != 0
	case CVMPlaintextPINSig:
		return true, b&0x80 != 0 && b&0x20 != 0
	case CVMEncipheredPIN:
		return true, b&0x10 != 0 && t.encipheredSupported()
	case CVMEncipheredPINSig:
		return true, b&0x10 != 0 && b&0x20 != 0 && t.encipheredSupported()
	case CVMSignature:
		return true, b&0x20 != 0
	case CVMNoCVM:
		return true, b&0x08 != 0
	case CVMCardholderID:
		_, attended := t.p.Cardholder.(IDChecker)
		return true, b&0x01 != 0 && attended
	}
	return false, false
}

// VerifyCardholder processes the CVM list (8E): rules in order, conditions with the
// amounts X and Y, offline plaintext PIN through VERIFY with the try counter, online
// PIN through Params.PIN, signature, no CVM, and PBOC's cardholder ID check through
// a Params.Cardholder that is an IDChecker. It sets 9F34, TVR byte 3 and TSI.
func (t *Transaction) VerifyCardholder(ctx context.Context) error {
	if err := t.need(StepCVM); err != nil {
		return err
	}
	t.done = StepCVM
	if t.aip[0]&AIPCVM == 0 {
		t.term[0x9F34] = []byte{CVMNotPerformed, 0x00, CVMResultUnknown}
		return nil
	}
	list, ok := t.icc[0x8E]
	if !ok || len(list) < 10 {
		t.tvr.Set(TVRICCDataMissing)
		t.term[0x9F34] = []byte{CVMNotPerformed, 0x00, CVMResultUnknown}
		return nil
	}
	t.tsi.Set(TSICardholderVerification)
	x, y := amountBin(list[0:4]), amountBin(list[4:8])
	rules := list[8:]
	var last []byte
	for i := 0; i+1 < len(rules); i += 2 {
		code, cond := rules[i]&0x3F, rules[i+1]
		next := rules[i]&cvmApplyNext != 0
		if !t.cvmCondition(cond, x, y) {
			continue
		}
		known, supported := t.cvmSupported(code)
		if !known {
			t.tvr.Set(TVRUnrecognisedCVM)
			last = rules[i : i+2]
			if next {
				continue
			}
			break
		}
		if cond == 0x03 && !supported {
			continue
		}
		last = rules[i : i+2]
		if !supported {
			if isPIN(code) {
				t.tvr.Set(TVRPINPadNotWorking)
			}
			if next {
				continue
			}
			break
		}
		result, err := t.performCVM(ctx, code)
		if err != nil {
			return err
		}
		if result != CVMResultFailed {
			t.term[0x9F34] = []byte{rules[i], cond, result}
			return nil
		}
		if !next {
			break
		}
	}
	t.tvr.Set(TVRCardholderVerificationFailed)
	if last == nil {
		t.term[0x9F34] = []byte{CVMNotPerformed, 0x00, CVMResultFailed}
	} else {
		t.term[0x9F34] = []byte{last[0], last[1], CVMResultFailed}
	}
	return nil
}

func isPIN(code byte) bool {
	return code == CVMPlaintextPIN || code == CVMOnlinePIN || code == CVMPlaintextPINSig || code == CVMEncipheredPIN || code == CVMEncipheredPINSig
}

func (t *Transaction) performCVM(ctx context.Context, code byte) (byte, error) {
	switch code {
	case CVMFail:
		return CVMResultFailed, nil
	case CVMNoCVM:
		return CVMResultSuccess, nil
	case CVMSignature:
		t.signature = true
		return CVMResultUnknown, nil
	case CVMCardholderID:
		return t.checkCardholderID(ctx)
	case CVMOnlinePIN:
		if t.p.PIN == nil {
			t.tvr.Set(TVRPINPadNotWorking)
			return CVMResultFailed, nil
		}
		block, err := t.p.PIN.OnlinePIN(ctx)
		switch {
		case errors.Is(err, ErrPINBypassed):
			t.tvr.Set(TVRPINNotEntered)
			return CVMResultFailed, nil
		case errors.Is(err, ErrPINPadUnavailable):
			t.tvr.Set(TVRPINPadNotWorking)
			return CVMResultFailed, nil
		case err != nil:
			return 0, fmt.Errorf("online pin: %w", err)
		}
		t.onlinePIN = block
		t.tvr.Set(TVROnlinePINEntered)
		return CVMResultUnknown, nil
	case CVMPlaintextPIN, CVMPlaintextPINSig, CVMEncipheredPIN, CVMEncipheredPINSig:
		res, err := t.offlinePIN(ctx, code == CVMEncipheredPIN || code == CVMEncipheredPINSig)
		if err != nil || res == CVMResultFailed {
			return res, err
		}
		if code == CVMPlaintextPINSig || code == CVMEncipheredPINSig {
			t.signature = true
			return CVMResultUnknown, nil
		}
		return res, nil
	}
	return CVMResultFailed, nil
}

// checkCardholderID asks the attendant to compare the card's identity document with
// the cardholder. A card without the document data fails the CVM.
func (t *Transaction) checkCardholderID(ctx context.Context) (byte, error) {
	number, kind := t.icc[0x9F61], t.icc[0x9F62]
	if len(number) == 0 || len(kind) != 1 {
		return CVMResultFailed, nil
	}
	ok, err := t.p.Cardholder.(IDChecker).CheckID(ctx, IDDocument{Type: IDType(kind[0]), Number: string(number)})
	switch {
	case err != nil:
		return 0, fmt.Errorf("cardholder id check: %w", err)
	case !ok:
		return CVMResultFailed, nil
	}
	return CVMResultSuccess, nil
}

// --- terminal risk management (Book 3 10.6) ---

func (t *Transaction) floorLimit() int64 {
	if t.selected != nil && t.selected.config != nil && t.selected.config.FloorLimit > 0 {
		return t.selected.config.FloorLimit
	}
	if v, ok := t.term[0x9F1B]; ok && len(v) == 4 {
		return amountBin(v)
	}
	return 0
}

// ManageRisk does terminal risk management when the AIP asks for it: exception file,
// floor limit (with the log's last amount for the PAN), random transaction selection,
// velocity checking (GET DATA 9F36 and 9F13 against 9F14/9F23), merchant forced online.
func (t *Transaction) ManageRisk(ctx context.Context) error {
	if err := t.need(StepTRM); err != nil {
		return err
	}
	t.done = StepTRM
	if t.p.ForceOnline {
		t.tvr.Set(TVRMerchantForcedOnline)
	}
	if t.aip[0]&AIPTRM == 0 {
		return nil
	}
	t.tsi.Set(TSITerminalRiskManagement)
	pan := t.pan()
	if t.k.cfg.ExceptionFile != nil && t.k.cfg.ExceptionFile(pan) {
		t.tvr.Set(TVRCardOnExceptionFile)
	}
	floor := t.floorLimit()
	total := t.p.Amount
	if t.p.Log != nil {
		if last, ok := t.p.Log.LastAmount(pan); ok {
			total += last
		}
	}
	if total >= floor {
		t.tvr.Set(TVRFloorLimitExceeded)
	} else if c := t.selected.config; c != nil && c.RandomMaxTarget > 0 {
		r := int(t.random(1)[0])%99 + 1
		target := c.RandomTarget
		if t.p.Amount >= c.RandomThreshold && floor > c.RandomThreshold {
			target += int(int64(c.RandomMaxTarget-c.RandomTarget) * (t.p.Amount - c.RandomThreshold) / (floor - c.RandomThreshold))
		}
		if r <= target {
			t.tvr.Set(TVRRandomlySelectedOnline)
		}
	}
	lcol, ok1 := t.icc[0x9F14]
	ucol, ok2 := t.icc[0x9F23]
	if ok1 && ok2 && len(lcol) == 1 && len(ucol) == 1 {
		atc, errA := t.getData(ctx, 0x9F36, 2)
		lo, errL := t.getData(ctx, 0x9F13, 2)
		if errA != nil {
			return t.xerr(errA)
		}
		if errL != nil {
			return t.xerr(errL)
		}
		if atc == nil || lo == nil {
			t.tvr.Set(TVRLowerConsecutiveLimitExceeded)
			t.tvr.Set(TVRUpperConsecutiveLimitExceeded)
		} else {
			a, l := int(binary.BigEndian.Uint16(atc)), int(binary.BigEndian.Uint16(lo))
			if l == 0 {
				t.tvr.Set(TVRNewCard)
			}
			if a-l > int(lcol[0]) {
				t.tvr.Set(TVRLowerConsecutiveLimitExceeded)
			}
			if a-l > int(ucol[0]) {
				t.tvr.Set(TVRUpperConsecutiveLimitExceeded)
			}
		}
	}
	return nil
}

// getData sends GET DATA for tag and returns its value, or nil when the card does not
// have it.
func (t *Transaction) getData(ctx context.Context, tag tlv.Tag, size int) ([]byte, error) {
	r, err := t.t.exchange(ctx, "get data "+tag.String(), apdu.Command{CLA: 0x80, INS: 0xCA, P1: byte(tag >> 8), P2: byte(tag), Le: apdu.Le(0)})
	if err != nil {
		return nil, err
	}
	if r.SW() != apdu.Success {
		return nil, nil
	}
	tl, err := tlv.Parse(r.Data)
	if err != nil {
		return nil, nil
	}
	v, ok := tlv.Find(tl, tag)
	if !ok || len(v.Value) != size {
		return nil, nil
	}
	t.icc[tag] = v.Value
	return v.Value, nil
}

// --- terminal action analysis (Book 3 10.7) ---

func orMask(a, b []byte, def byte) []byte {
	out := make([]byte, 5)
	for i := range out {
		x, y := def, byte(0)
		if b != nil {
			x = b[i]
		}
		if a != nil {
			y = a[i]
		}
		out[i] = x | y
	}
	return out
}

// OnlineCapable reports whether the terminal type 9F35 can go online.
func (t *Transaction) OnlineCapable() bool {
	v := t.term[0x9F35]
	if len(v) != 1 {
		return true
	}
	switch v[0] & 0x0F {
	case 3, 6:
		return false
	}
	return true
}

func (t *Transaction) actionCodes() (denial, online, deflt []byte) {
	var cfg AID
	if t.selected != nil && t.selected.config != nil {
		cfg = *t.selected.config
	}
	iac := func(tag tlv.Tag) []byte {
		if v, ok := t.icc[tag]; ok && len(v) == 5 {
			return v
		}
		return nil
	}
	return orMask(cfg.TACDenial, iac(0x9F0E), 0x00), orMask(cfg.TACOnline, iac(0x9F0F), 0xFF), orMask(cfg.TACDefault, iac(0x9F0D), 0xFF)
}

// AnalyseActions decides the cryptogram to ask for: TVR against the TAC/IAC denial
// codes (AAC), then the online codes (ARQC) on an online-capable terminal, else TC;
// offline-only terminals use the default codes.
func (t *Transaction) AnalyseActions(ctx context.Context) (ACType, error) {
	if err := t.need(StepTAA); err != nil {
		return 0, err
	}
	t.done = StepTAA
	denial, online, deflt := t.actionCodes()
	switch {
	case t.tvr.And(denial):
		t.requested = AAC
	case t.OnlineCapable():
		if t.tvr.And(online) {
			t.requested = ARQC
		} else {
			t.requested = TC
		}
	case t.tvr.And(deflt):
		t.requested = AAC
	default:
		t.requested = TC
	}
	return t.requested, nil
}

// Requested is the cryptogram type terminal action analysis asked for.
func (t *Transaction) Requested() ACType { return t.requested }
