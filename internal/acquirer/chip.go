package acquirer

import (
	"bytes"
	"errors"
	"fmt"

	"countertop/emv/card"
	"countertop/emv/crypto"
	"countertop/emv/tlv"
	"countertop/internal/cardprofile"
)

// errBadARQC: the request's application cryptogram does not verify with the card's
// keys (declined "05", as a CUP issuer declines a failed ARQC check [unconfirmed]).
var errBadARQC = errors.New("arqc does not verify")

// chipAuth is the issuer's view of a chip request: the card's session key and the
// ARQC, once verified.
type chipAuth struct {
	sk, arqc, atc []byte
	method        int
	// smiMK is the card's master key for script MACs; nil when its profile has
	// no imk_smi (no script can be sent to it).
	smiMK []byte
}

// verifyARQC checks the ARQC in field 55 of a request as the issuer of a test card
// does: the ICC master key from the profile's issuer master key (option A or B), the
// common session key for the ATC, and the MAC over the CDOL1 data, AIP, ATC and CVR
// (9F10 bytes 4-7) with padding method 2 — the scheme of the virtual card (emv/card).
func verifyARQC(prof cardprofile.Profile, pan string, icc []byte) (*chipAuth, error) {
	c := prof.Chip
	tlvs, err := tlv.Parse(icc)
	if err != nil {
		return nil, fmt.Errorf("field 55: %w", err)
	}
	d, err := tlv.Flatten(tlvs)
	if err != nil {
		return nil, fmt.Errorf("field 55: %w", err)
	}
	arqc, atc, aip, iad := d[0x9F26], d[0x9F36], d[0x82], d[0x9F10]
	if len(arqc) != 8 || len(atc) != 2 || len(aip) != 2 || len(iad) < 7 {
		return nil, fmt.Errorf("field 55 lacks 9F26/9F36/82/9F10: %w", errBadARQC)
	}
	opt := crypto.OptionA
	if c.Derivation != "" {
		if opt, err = crypto.ParseOption(c.Derivation); err != nil {
			return nil, err
		}
	}
	imk, err := hexKey(c.IMK)
	if err != nil {
		return nil, err
	}
	mk, err := crypto.DeriveICCMasterKey(imk, pan, c.PSN, opt)
	if err != nil {
		return nil, err
	}
	sk, err := crypto.SessionKey(mk, crypto.ACDiversifier(uint16(atc[0])<<8|uint16(atc[1])))
	if err != nil {
		return nil, err
	}
	dol, err := tlv.ParseDOL(card.CDOL1)
	if err != nil {
		return nil, err
	}
	cdol := tlv.BuildDOL(dol, d.Get)
	want, err := crypto.AC(sk, card.ACInput(cdol, aip, atc, iad[3:7]), crypto.Padding2)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(want, arqc) {
		return nil, errBadARQC
	}
	a := &chipAuth{sk: sk, arqc: arqc, atc: atc, method: c.ARPCMethod}
	if c.IMKSMI != "" {
		smi, err := hexKey(c.IMKSMI)
		if err != nil {
			return nil, err
		}
		if a.smiMK, err = crypto.DeriveICCMasterKey(smi, pan, c.PSN, opt); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// ScriptID is the script identifier (9F18) of the issuer script the simulator sends.
var ScriptID = []byte{0x00, 0x00, 0x00, 0x01}

// errNoScriptKey: the card's profile has no script key (imk_smi), so no script
// the card would accept can be made.
var errNoScriptKey = errors.New("card profile has no imk_smi")

// issuerScript is a second-GENERATE-AC script (72): one PUT DATA (secure messaging
// class 84) writing four bytes under tag 9F4F, ending in the first 4 bytes of its
// crypto.ScriptMAC under the session key for script integrity (R = the ARQC).
func (a *chipAuth) issuerScript() ([]byte, error) {
	if a.smiMK == nil {
		return nil, errNoScriptKey
	}
	sk, err := crypto.SessionKey(a.smiMK, a.arqc)
	if err != nil {
		return nil, err
	}
	data := []byte{0x01, 0x02, 0x03, 0x04}
	header := []byte{0x84, 0xDA, 0x9F, 0x4F, byte(len(data) + card.ScriptMACLen)}
	mac, err := crypto.ScriptMAC(sk, header, a.atc, a.arqc, data)
	if err != nil {
		return nil, err
	}
	cmd := append(append(header, data...), mac[:card.ScriptMACLen]...)
	return tlv.TLV{Tag: 0x72, Children: []tlv.TLV{{Tag: 0x9F18, Value: ScriptID}, {Tag: 0x86, Value: cmd}}}.Bytes(), nil
}

// issuerData is the reply's field 55: the issuer authentication data (91) with the
// ARPC for the response code, method 1 (ARPC || ARC) or method 2 (ARPC || CSU).
func (a *chipAuth) issuerData(rc string) ([]byte, error) {
	var data []byte
	switch a.method {
	case 0, 1:
		arpc, err := crypto.ARPC1(a.sk, a.arqc, []byte(rc))
		if err != nil {
			return nil, err
		}
		data = append(arpc, rc...)
	case 2:
		csu := []byte{0x00, 0x00, 0x00, 0x00}
		if rc == "00" {
			csu[0] = 0x80 // card status update: approved
		}
		arpc, err := crypto.ARPC2(a.sk, a.arqc, csu, nil)
		if err != nil {
			return nil, err
		}
		data = append(arpc, csu...)
	default:
		return nil, fmt.Errorf("arpc method %d", a.method)
	}
	return tlv.TLV{Tag: 0x91, Value: data}.Bytes(), nil
}

func hexKey(s string) ([]byte, error) {
	b := make([]byte, len(s)/2)
	for i := range b {
		var v byte
		for _, c := range []byte(s[2*i : 2*i+2]) {
			switch {
			case c >= '0' && c <= '9':
				v = v<<4 | (c - '0')
			case c >= 'A' && c <= 'F':
				v = v<<4 | (c - 'A' + 10)
			case c >= 'a' && c <= 'f':
				v = v<<4 | (c - 'a' + 10)
			default:
				return nil, fmt.Errorf("issuer master key: not hex")
			}
		}
		b[i] = v
	}
	return b, nil
}

// scriptResults returns DF31 (the issuer script results) of a field 55, hex.
func scriptResults(icc []byte) string {
	tlvs, err := tlv.Parse(icc)
	if err != nil {
		return ""
	}
	if v, ok := tlv.Find(tlvs, 0xDF31); ok {
		return fmt.Sprintf("%X", v.Value)
	}
	return ""
}
