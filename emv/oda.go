package emv

import (
	"bytes"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"countertop/emv/apdu"
	"countertop/emv/tlv"
)

// Offline data authentication (Book 3 10.3, Book 2 5 and 6). Failures set TVR bits;
// they are never errors (only a card that cannot answer INTERNAL AUTHENTICATE is).

// ODA check failures, wrapped by the errors of the Recover and Verify functions.
var (
	ErrODAFormat  = errors.New("oda: recovered data has a bad header, format or trailer")
	ErrODAHash    = errors.New("oda: hash mismatch")
	ErrODAExpired = errors.New("oda: certificate expired")
	ErrODARevoked = errors.New("oda: certificate revoked")
	ErrODAPAN     = errors.New("oda: certificate does not match the PAN")
	ErrODAKey     = errors.New("oda: key missing or unusable")
	ErrODAAlgo    = errors.New("oda: unsupported hash or key algorithm")
)

// RSARecover computes sig^e mod n (Book 2 uses RSA "recovery": the public operation).
func RSARecover(sig, modulus, exponent []byte) ([]byte, error) {
	if len(sig) != len(modulus) || len(modulus) == 0 {
		return nil, fmt.Errorf("%w: signature of %d bytes for a %d-byte modulus", ErrODAKey, len(sig), len(modulus))
	}
	n := new(big.Int).SetBytes(modulus)
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(n) >= 0 {
		return nil, fmt.Errorf("%w: signature not below the modulus", ErrODAFormat)
	}
	m := new(big.Int).Exp(s, new(big.Int).SetBytes(exponent), n)
	out := make([]byte, len(modulus))
	return m.FillBytes(out), nil
}

// PublicKey is a recovered issuer or ICC public key.
type PublicKey struct {
	Modulus, Exponent []byte
	Serial            []byte // certificate serial number (issuer certificates)
}

// certExpired reports whether MMYY (n BCD) is before the month of now.
func certExpired(mmyy []byte, now time.Time) bool {
	m := int(mmyy[0]>>4)*10 + int(mmyy[0]&0x0F)
	y := 2000 + int(mmyy[1]>>4)*10 + int(mmyy[1]&0x0F)
	end := time.Date(y, time.Month(m)+1, 1, 0, 0, 0, 0, time.UTC)
	return !now.Before(end)
}

func sha(parts ...[]byte) []byte {
	h := sha1.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// RecoverIssuerKey recovers the issuer public key from certificate 90 with the CA key
// (Book 2 5.3): header 6A, format 02, trailer BC, hash over the certificate body,
// remainder 92 and exponent 9F32, issuer identifier against the PAN, expiry against
// now, algorithms 01/01, revocation list.
func RecoverIssuerKey(capk CAPK, cert, remainder, exponent []byte, pan string, now time.Time, revoked []Revoked) (PublicKey, error) {
	n := len(capk.Modulus)
	if n < 64 {
		return PublicKey{}, fmt.Errorf("%w: ca key", ErrODAKey)
	}
	m, err := RSARecover(cert, capk.Modulus, capk.Exponent)
	if err != nil {
		return PublicKey{}, fmt.Errorf("issuer certificate: %w", err)
	}
	if m[0] != 0x6A || m[n-1] != 0xBC || m[1] != 0x02 {
		return PublicKey{}, fmt.Errorf("issuer certificate: %w", ErrODAFormat)
	}
	if !bytes.Equal(sha(m[1:n-21], remainder, exponent), m[n-21:n-1]) {
		return PublicKey{}, fmt.Errorf("issuer certificate: %w", ErrODAHash)
	}
	id := digits(m[2:6])
	if len(id) < 3 || len(pan) < len(id) || pan[:len(id)] != id {
		return PublicKey{}, fmt.Errorf("issuer certificate: issuer identifier: %w", ErrODAPAN)
	}
	if certExpired(m[6:8], now) {
		return PublicKey{}, fmt.Errorf("issuer certificate: %w", ErrODAExpired)
	}
	serial := m[8:11]
	for _, r := range revoked {
		if bytes.Equal(r.RID, capk.RID) && r.Index == capk.Index && bytes.Equal(r.Serial, serial) {
			return PublicKey{}, fmt.Errorf("issuer certificate: %w", ErrODARevoked)
		}
	}
	if m[11] != 0x01 || m[12] != 0x01 {
		return PublicKey{}, fmt.Errorf("issuer certificate: %w", ErrODAAlgo)
	}
	nI := int(m[13])
	field := m[15 : n-21]
	var mod []byte
	if nI <= len(field) {
		mod = append([]byte(nil), field[:nI]...)
	} else {
		mod = append(append([]byte(nil), field...), remainder...)
		if len(mod) != nI {
			return PublicKey{}, fmt.Errorf("issuer certificate: remainder of %d bytes for a %d-byte key: %w", len(remainder), nI, ErrODAKey)
		}
	}
	return PublicKey{Modulus: mod, Exponent: exponent, Serial: append([]byte(nil), serial...)}, nil
}

// RecoverICCKey recovers the ICC public key from certificate 9F46 with the issuer key
// (Book 2 6.4): header, format 04, hash over body, remainder 9F48, exponent 9F47 and
// the static data to be authenticated, PAN match, expiry.
func RecoverICCKey(issuer PublicKey, cert, remainder, exponent, static []byte, pan string, now time.Time) (PublicKey, error) {
	n := len(issuer.Modulus)
	m, err := RSARecover(cert, issuer.Modulus, issuer.Exponent)
	if err != nil {
		return PublicKey{}, fmt.Errorf("icc certificate: %w", err)
	}
	if n < 64 || m[0] != 0x6A || m[n-1] != 0xBC || m[1] != 0x04 {
		return PublicKey{}, fmt.Errorf("icc certificate: %w", ErrODAFormat)
	}
	if !bytes.Equal(sha(m[1:n-21], remainder, exponent, static), m[n-21:n-1]) {
		return PublicKey{}, fmt.Errorf("icc certificate: %w", ErrODAHash)
	}
	if digits(m[2:12]) != pan {
		return PublicKey{}, fmt.Errorf("icc certificate: %w", ErrODAPAN)
	}
	if certExpired(m[12:14], now) {
		return PublicKey{}, fmt.Errorf("icc certificate: %w", ErrODAExpired)
	}
	if m[17] != 0x01 || m[18] != 0x01 {
		return PublicKey{}, fmt.Errorf("icc certificate: %w", ErrODAAlgo)
	}
	nC := int(m[19])
	field := m[21 : n-21]
	var mod []byte
	if nC <= len(field) {
		mod = append([]byte(nil), field[:nC]...)
	} else {
		mod = append(append([]byte(nil), field...), remainder...)
		if len(mod) != nC {
			return PublicKey{}, fmt.Errorf("icc certificate: remainder of %d bytes for a %d-byte key: %w", len(remainder), nC, ErrODAKey)
		}
	}
	return PublicKey{Modulus: mod, Exponent: exponent}, nil
}

// VerifySSAD checks the Signed Static Application Data 93 (Book 2 5.4) and returns the
// Data Authentication Code.
func VerifySSAD(issuer PublicKey, ssad, static []byte) ([]byte, error) {
	n := len(issuer.Modulus)
	m, err := RSARecover(ssad, issuer.Modulus, issuer.Exponent)
	if err != nil {
		return nil, fmt.Errorf("signed static data: %w", err)
	}
	if n < 26 || m[0] != 0x6A || m[1] != 0x03 || m[n-1] != 0xBC {
		return nil, fmt.Errorf("signed static data: %w", ErrODAFormat)
	}
	if m[2] != 0x01 {
		return nil, fmt.Errorf("signed static data: %w", ErrODAAlgo)
	}
	if !bytes.Equal(sha(m[1:n-21], static), m[n-21:n-1]) {
		return nil, fmt.Errorf("signed static data: %w", ErrODAHash)
	}
	return append([]byte(nil), m[3:5]...), nil
}

// VerifySDAD checks Signed Dynamic Application Data (Book 2 6.5 and 6.6) against
// extra (the DDOL data for DDA, the unpredictable number 9F37 for CDA) and returns the
// ICC dynamic data.
func VerifySDAD(icc PublicKey, sdad, extra []byte) ([]byte, error) {
	n := len(icc.Modulus)
	m, err := RSARecover(sdad, icc.Modulus, icc.Exponent)
	if err != nil {
		return nil, fmt.Errorf("signed dynamic data: %w", err)
	}
	if n < 26 || m[0] != 0x6A || m[1] != 0x05 || m[n-1] != 0xBC {
		return nil, fmt.Errorf("signed dynamic data: %w", ErrODAFormat)
	}
	if m[2] != 0x01 {
		return nil, fmt.Errorf("signed dynamic data: %w", ErrODAAlgo)
	}
	ldd := int(m[3])
	if 4+ldd > n-21 {
		return nil, fmt.Errorf("signed dynamic data: %w", ErrODAFormat)
	}
	if !bytes.Equal(sha(m[1:n-21], extra), m[n-21:n-1]) {
		return nil, fmt.Errorf("signed dynamic data: %w", ErrODAHash)
	}
	return append([]byte(nil), m[4:4+ldd]...), nil
}

func (t *Transaction) capk() (CAPK, bool) {
	idx, ok := t.icc[0x8F]
	if !ok || len(idx) != 1 || t.selected == nil || len(t.selected.AID) < 5 {
		return CAPK{}, false
	}
	for _, k := range t.k.cfg.CAPKs {
		if bytes.Equal(k.RID, t.selected.AID[:5]) && k.Index == idx[0] && !t.now.After(k.Expiry.Add(24*time.Hour)) {
			return k, true
		}
	}
	return CAPK{}, false
}

// staticData is the ODA records plus the values of the tags 9F4A lists (only 82).
func (t *Transaction) staticData() ([]byte, bool) {
	out := append([]byte(nil), t.staticODA...)
	if l, ok := t.icc[0x9F4A]; ok {
		if !bytes.Equal(l, []byte{0x82}) {
			return nil, false
		}
		out = append(out, t.aip...)
	}
	return out, !t.odaBad
}

func (t *Transaction) issuerKey() (PublicKey, bool) {
	k, ok := t.capk()
	if !ok {
		return PublicKey{}, false
	}
	cert, ok1 := t.icc[0x90]
	exp, ok2 := t.icc[0x9F32]
	if !ok1 || !ok2 {
		t.tvr.Set(TVRICCDataMissing)
		return PublicKey{}, false
	}
	pk, err := RecoverIssuerKey(k, cert, t.icc[0x92], exp, t.pan(), t.now, t.k.cfg.Revoked)
	return pk, err == nil
}

func (t *Transaction) iccKey() bool {
	ik, ok := t.issuerKey()
	if !ok {
		return false
	}
	cert, ok1 := t.icc[0x9F46]
	exp, ok2 := t.icc[0x9F47]
	if !ok1 || !ok2 {
		t.tvr.Set(TVRICCDataMissing)
		return false
	}
	static, ok := t.staticData()
	if !ok {
		return false
	}
	pk, err := RecoverICCKey(ik, cert, t.icc[0x9F48], exp, static, t.pan(), t.now)
	if err != nil {
		return false
	}
	t.iccPubMod, t.iccPubExp = pk.Modulus, pk.Exponent
	return true
}

// ODAMethod is "CDA", "DDA", "SDA" or "" (not performed).
func (t *Transaction) ODAMethod() string { return t.odaMethod }

// Authenticate performs offline data authentication: CDA if both the card (AIP) and
// the terminal (9F33) support it, else DDA, else SDA, else sets "ODA not performed".
// For CDA the keys are recovered here and the signature is checked at GENERATE AC.
func (t *Transaction) Authenticate(ctx context.Context) error {
	if err := t.need(StepODA); err != nil {
		return err
	}
	t.done = StepODA
	caps := t.term[0x9F33]
	term := byte(0)
	if len(caps) == 3 {
		term = caps[2]
	}
	aip := t.aip[0]
	switch {
	case aip&AIPCDA != 0 && term&0x08 != 0:
		t.odaMethod = "CDA"
		t.tsi.Set(TSIOfflineDataAuthPerformed)
		if _, ok := t.capk(); !ok || !t.iccKey() {
			t.tvr.Set(TVRCDAFailed)
		}
	case aip&AIPDDA != 0 && term&0x40 != 0:
		t.odaMethod = "DDA"
		t.tsi.Set(TSIOfflineDataAuthPerformed)
		ok, err := t.dda(ctx)
		if err != nil {
			return t.xerr(err)
		}
		if !ok {
			t.tvr.Set(TVRDDAFailed)
		}
	case aip&AIPSDA != 0 && term&0x80 != 0:
		t.odaMethod = "SDA"
		t.tvr.Set(TVRSDASelected)
		t.tsi.Set(TSIOfflineDataAuthPerformed)
		if !t.sda() {
			t.tvr.Set(TVRSDAFailed)
		}
	default:
		t.tvr.Set(TVROfflineDataAuthNotPerformed)
	}
	return nil
}

func (t *Transaction) sda() bool {
	ik, ok := t.issuerKey()
	if !ok {
		return false
	}
	ssad, ok := t.icc[0x93]
	if !ok {
		t.tvr.Set(TVRICCDataMissing)
		return false
	}
	static, ok := t.staticData()
	if !ok {
		return false
	}
	dac, err := VerifySSAD(ik, ssad, static)
	if err != nil {
		return false
	}
	t.term[0x9F45] = dac
	return true
}

func (t *Transaction) dda(ctx context.Context) (bool, error) {
	if _, ok := t.capk(); !ok || !t.iccKey() {
		return false, nil
	}
	ddol, ok := t.icc[0x9F49]
	if !ok && t.selected.config != nil {
		ddol, ok = t.selected.config.DefaultDDOL, t.selected.config.DefaultDDOL != nil
	}
	if !ok {
		t.tvr.Set(TVRICCDataMissing)
		return false, nil
	}
	entries, err := tlv.ParseDOL(ddol)
	if err != nil {
		return false, nil
	}
	has37 := false
	for _, e := range entries {
		has37 = has37 || e.Tag == 0x9F37
	}
	if !has37 {
		return false, nil
	}
	data := tlv.BuildDOL(entries, t.lookupTerminal)
	r, err := t.t.exchange(ctx, "internal authenticate", apdu.Command{CLA: 0x00, INS: 0x88, Data: data, Le: apdu.Le(0)})
	if err != nil {
		return false, err
	}
	if r.SW() != apdu.Success {
		return false, fmt.Errorf("internal authenticate: %v", r.SW())
	}
	tlvs, err := tlv.Parse(r.Data)
	if err != nil || len(tlvs) != 1 {
		return false, fmt.Errorf("internal authenticate: malformed response")
	}
	var sdad []byte
	switch tlvs[0].Tag {
	case 0x80:
		sdad = tlvs[0].Value
	case 0x77:
		v, ok := tlv.Find(tlvs[0].Children, 0x9F4B)
		if !ok {
			return false, nil
		}
		sdad = v.Value
	default:
		return false, fmt.Errorf("internal authenticate: template %s", tlvs[0].Tag)
	}
	t.icc[0x9F4B] = sdad
	dyn, err := VerifySDAD(PublicKey{Modulus: t.iccPubMod, Exponent: t.iccPubExp}, sdad, data)
	if err != nil {
		return false, nil
	}
	if len(dyn) > 0 && int(dyn[0]) < len(dyn) {
		t.term[0x9F4C] = dyn[1 : 1+int(dyn[0])]
	}
	return true, nil
}
