package card

import (
	"bytes"
	"context"
	"crypto/subtle"
	"fmt"
	"math/big"

	"countertop/emv/crypto"
	"countertop/emv/tlv"
)

func sw(data []byte, s uint16) []byte {
	return append(append([]byte(nil), data...), byte(s>>8), byte(s))
}

var pseName = []byte("1PAY.SYS.DDF01")

// Transmit answers one command APDU (T=1 style: whole responses, no procedure bytes).
func (c *Card) Transmit(ctx context.Context, capdu []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.removed {
		return nil, ErrRemoved
	}
	if len(capdu) < 4 {
		return sw(nil, 0x6700), nil
	}
	cla, ins, p1, p2 := capdu[0], capdu[1], capdu[2], capdu[3]
	var data []byte
	if len(capdu) > 5 {
		lc := int(capdu[4])
		if 5+lc > len(capdu) {
			return sw(nil, 0x6700), nil
		}
		data = capdu[5 : 5+lc]
	}
	switch {
	case cla == 0x00 && ins == 0xA4:
		return c.selectFile(p1, p2, data), nil
	case cla == 0x00 && ins == 0xB2:
		return c.readRecord(int(p2>>3), int(p1)), nil
	case cla == 0x80 && ins == 0xA8:
		return c.gpo(data), nil
	case cla == 0x80 && ins == 0xCA:
		return c.getData(tlv.Tag(uint32(p1)<<8 | uint32(p2))), nil
	case cla == 0x00 && ins == 0x88:
		return c.internalAuthenticate(data), nil
	case cla == 0x00 && ins == 0x20:
		return c.verify(p2, data), nil
	case cla == 0x00 && ins == 0x84:
		return c.getChallenge(), nil
	case cla == 0x80 && ins == 0xAE:
		if c.faults[FaultRemovedAtGenAC] {
			c.removed = true
			return nil, ErrRemoved
		}
		return c.generateAC(p1, data)
	case cla == 0x00 && ins == 0x82:
		return c.externalAuthenticate(data), nil
	case cla == 0x84:
		return c.script(ins, p1, p2, data), nil
	}
	return sw(nil, 0x6D00), nil
}

func (c *Card) selectFile(p1, p2 byte, name []byte) []byte {
	if p1 != 0x04 {
		return sw(nil, 0x6A86)
	}
	c.selected, c.gpoDone, c.genacs, c.issuerAuth = 0, false, 0, 0
	if bytes.Equal(name, pseName) {
		if !c.c.PSE {
			return sw(nil, 0x6A82)
		}
		c.selected = 1
		fci := tlv.TLV{Tag: 0x6F, Children: []tlv.TLV{t(0x84, pseName), {Tag: 0xA5, Children: []tlv.TLV{t(0x88, []byte{1}), t(0x5F2D, []byte("zhen"))}}}}
		return sw(fci.Bytes(), 0x9000)
	}
	if p2&0x03 == 0x02 || !bytes.HasPrefix(c.aid, name) || len(name) < 5 {
		return sw(nil, 0x6A82) // one application: "next" finds nothing
	}
	if c.blocked {
		return sw(c.fci, 0x6283)
	}
	c.selected = 2
	return sw(c.fci, 0x9000)
}

func (c *Card) readRecord(sfi, rec int) []byte {
	switch c.selected {
	case 1:
		if sfi != 1 {
			return sw(nil, 0x6A82)
		}
		if rec != 1 {
			return sw(nil, 0x6A83)
		}
		entry := []tlv.TLV{t(0x4F, c.aid), t(0x50, []byte(c.c.Label))}
		if c.c.Priority > 0 || c.c.Confirm {
			p := byte(c.c.Priority & 0x0F)
			if c.c.Confirm {
				p |= 0x80
			}
			entry = append(entry, t(0x87, []byte{p}))
		}
		return sw(tlv.TLV{Tag: 0x70, Children: []tlv.TLV{{Tag: 0x61, Children: entry}}}.Bytes(), 0x9000)
	case 2:
		if r, ok := c.records[[2]int{sfi, rec}]; ok {
			return sw(r, 0x9000)
		}
		return sw(nil, 0x6A83)
	}
	return sw(nil, 0x6985)
}

func (c *Card) pdol() []tlv.DOLEntry {
	if c.c.PDOL == "" {
		return nil
	}
	e, _ := tlv.ParseDOL(hx(c.c.PDOL))
	return e
}

func (c *Card) gpo(data []byte) []byte {
	if c.selected != 2 || c.gpoDone {
		return sw(nil, 0x6985)
	}
	ts, err := tlv.Parse(data)
	if err != nil || len(ts) != 1 || ts[0].Tag != 0x83 || len(ts[0].Value) != tlv.DOLLen(c.pdol()) {
		return sw(nil, 0x6700)
	}
	c.pdolData = append([]byte(nil), ts[0].Value...)
	if c.atc == 0xFFFF {
		return sw(nil, 0x6985)
	}
	c.atc++
	c.gpoDone = true
	if c.c.GPOFormat == 2 {
		return sw(tlv.TLV{Tag: 0x77, Children: []tlv.TLV{t(0x82, c.aip), t(0x94, c.afl)}}.Bytes(), 0x9000)
	}
	return sw(tlv.Encode(t(0x80, append(append([]byte(nil), c.aip...), c.afl...))), 0x9000)
}

func (c *Card) getData(tag tlv.Tag) []byte {
	var v []byte
	switch tag {
	case 0x9F36:
		v = []byte{byte(c.atc >> 8), byte(c.atc)}
	case 0x9F13:
		v = []byte{byte(c.lastOnline >> 8), byte(c.lastOnline)}
	case 0x9F17:
		v = []byte{byte(c.tries)}
	default:
		if x, ok := c.extra[tag]; ok {
			v = x
		} else {
			return sw(nil, 0x6A88)
		}
	}
	return sw(tlv.Encode(t(tag, v)), 0x9000)
}

// sdad signs dynamic data with the ICC key (Book 2 6.5/6.6 format 05).
func (c *Card) sdad(dyn, extra []byte) []byte {
	n := c.keys.ICC.Size()
	b := append([]byte{0x05, 0x01, byte(len(dyn))}, dyn...)
	b = append(b, bytesOf(0xBB, n-len(dyn)-25)...)
	m := append(append(append([]byte{0x6A}, b...), sha(b, extra)...), 0xBC)
	return sign(c.keys.ICC, m)
}

func (c *Card) idn() []byte {
	return []byte{0x49, 0x44, 0x4E, byte(c.atc >> 8), byte(c.atc), 0x00, 0x00, 0x01}
}

func (c *Card) internalAuthenticate(data []byte) []byte {
	if c.selected != 2 || (c.c.ODA != "dda" && c.c.ODA != "cda") {
		return sw(nil, 0x6985)
	}
	idn := c.idn()
	s := c.sdad(append([]byte{byte(len(idn))}, idn...), data)
	return sw(tlv.Encode(t(0x80, s)), 0x9000)
}

// getChallenge returns 8 bytes derived from the ATC and a counter: unpredictable
// enough for a test card, and the same in every run so transcripts can be replayed.
func (c *Card) getChallenge() []byte {
	c.nchal++
	c.challenge = sha([]byte{byte(c.atc >> 8), byte(c.atc), byte(c.nchal)})[:8]
	return sw(c.challenge, 0x9000)
}

func (c *Card) verify(p2 byte, data []byte) []byte {
	if p2 == 0x88 {
		// Offline enciphered PIN (Book 2 7.2): 7F || block || challenge || pad under the ICC key.
		n := c.keys.ICC.Size()
		if len(data) != n || c.challenge == nil {
			return sw(nil, 0x6985)
		}
		m := new(big.Int).Exp(new(big.Int).SetBytes(data), c.keys.ICC.D, c.keys.ICC.N).FillBytes(make([]byte, n))
		ch := c.challenge
		c.challenge = nil
		if m[0] != 0x7F || !bytes.Equal(m[9:17], ch) {
			return sw(nil, 0x6985)
		}
		data = m[1:9]
	} else if p2 != 0x80 || len(data) != 8 {
		return sw(nil, 0x6A86)
	}
	if c.tries == 0 {
		return sw(nil, 0x6983)
	}
	n := int(data[0] & 0x0F)
	if data[0]>>4 != 2 || n < 4 || n > 12 {
		c.tries--
		return sw(nil, 0x63C0|uint16(c.tries))
	}
	digits := fmt.Sprintf("%X", data[1:])[:n]
	if digits != c.p.PIN {
		c.tries--
		return sw(nil, 0x63C0|uint16(c.tries))
	}
	c.tries = c.limit
	return sw(nil, 0x9000)
}

func (c *Card) cvr() []byte {
	cvr := []byte{0x03, 0x00, 0x00, 0x00}
	if c.issuerAuth == 2 {
		cvr[2] |= 0x10
	}
	if c.tries == 0 {
		cvr[2] |= 0x20
	}
	return cvr
}

// ACInput is the data the virtual card MACs for an application cryptogram: the CDOL
// data as the terminal sent it, then AIP, ATC and CVR (9F10 bytes 4-7).
func ACInput(cdolData, aip, atc, cvr []byte) []byte {
	return append(append(append(append([]byte(nil), cdolData...), aip...), atc...), cvr...)
}

func (c *Card) generateAC(p1 byte, data []byte) ([]byte, error) {
	if c.selected != 2 || !c.gpoDone || c.genacs >= 2 {
		return sw(nil, 0x6985), nil
	}
	dol := CDOL1
	if c.genacs == 1 {
		dol = CDOL2
	}
	entries, _ := tlv.ParseDOL(dol)
	if len(data) != tlv.DOLLen(entries) {
		return sw(nil, 0x6700), nil
	}
	d, _ := tlv.ParseDOLData(entries, data)
	req := p1 & 0xC0
	cda := p1&0x10 != 0 && c.c.ODA == "cda"
	got := req
	if req == 0xC0 {
		return sw(nil, 0x6A86), nil
	}
	switch {
	case c.c.Decline || c.blocked:
		got = 0x00
	case c.genacs == 0 && req == 0x40:
		if amt := bcdValue(d[0x9F02]); amt > c.c.OfflineLimit {
			got = 0x80
		}
	case c.genacs == 1 && req == 0x40:
		if c.aip[0]&0x04 != 0 && c.issuerAuth != 1 && !bytes.Equal(d[0x8A], []byte("Y3")) {
			got = 0x00 // issuer authentication required and not passed
		}
	}
	atc := []byte{byte(c.atc >> 8), byte(c.atc)}
	cvr := c.cvr()
	iad := append(append([]byte{0x07, 0x01, 0x0A}, cvr...), 0x00)
	sk, err := crypto.SessionKey(c.iccMK, crypto.ACDiversifier(c.atc))
	if err != nil {
		return nil, err
	}
	ac, err := crypto.AC(sk, ACInput(data, c.aip, atc, cvr), crypto.Padding2)
	if err != nil {
		return nil, err
	}
	if c.genacs == 0 {
		c.cdol1Data = append([]byte(nil), data...)
		c.un = append([]byte(nil), d[0x9F37]...)
		c.arqc, c.sk = ac, sk
	} else if c.issuerAuth == 1 {
		c.lastOnline = c.atc
	}
	second := c.genacs == 1
	c.genacs++
	if got == 0x00 {
		c.genacs = 2 // an AAC ends the transaction
	}
	cid := []byte{got}
	if cda && got != 0x00 {
		objs := []tlv.TLV{t(0x9F27, cid), t(0x9F36, atc), t(0x9F10, iad)}
		h := sha1New()
		h.Write(c.pdolData)
		if second {
			h.Write(c.cdol1Data)
		}
		h.Write(data)
		for _, o := range objs {
			h.Write(o.Bytes())
		}
		idn := c.idn()
		dyn := append(append(append(append([]byte{byte(len(idn))}, idn...), cid...), ac...), h.Sum(nil)...)
		s := c.sdad(dyn, c.un)
		if c.faults[FaultBadCDASignature] {
			s[len(s)/2] ^= 0x01
		}
		return sw(tlv.TLV{Tag: 0x77, Children: append(objs, t(0x9F4B, s))}.Bytes(), 0x9000), nil
	}
	if c.c.ACFormat == 2 {
		return sw(tlv.TLV{Tag: 0x77, Children: []tlv.TLV{t(0x9F27, cid), t(0x9F36, atc), t(0x9F26, ac), t(0x9F10, iad)}}.Bytes(), 0x9000), nil
	}
	return sw(tlv.Encode(t(0x80, append(append(append(cid, atc...), ac...), iad...))), 0x9000), nil
}

func bcdValue(b []byte) int64 {
	var v int64
	for _, x := range b {
		v = v*100 + int64(x>>4)*10 + int64(x&0x0F)
	}
	return v
}

func (c *Card) externalAuthenticate(data []byte) []byte {
	if c.selected != 2 || c.genacs != 1 || c.arqc == nil {
		return sw(nil, 0x6985)
	}
	if c.issuerAuth != 0 {
		return sw(nil, 0x6985)
	}
	ok := false
	switch c.c.ARPCMethod {
	case 0, 1:
		if len(data) == 10 {
			a, err := crypto.ARPC1(c.sk, c.arqc, data[8:10])
			ok = err == nil && bytes.Equal(a, data[:8])
		}
	case 2:
		if len(data) >= 8 {
			a, err := crypto.ARPC2(c.sk, c.arqc, data[4:8], data[8:])
			ok = err == nil && bytes.Equal(a, data[:4])
		}
	}
	if !ok {
		c.issuerAuth = 2
		return sw(nil, 0x6300)
	}
	c.issuerAuth = 1
	return sw(nil, 0x9000)
}

// ScriptMACLen is the length of the MAC ending an issuer script command's data.
const ScriptMACLen = 4

// script applies an issuer script command (secure messaging CLA 84) once its MAC
// verifies (crypto.ScriptMAC with the session key for script integrity, R = the
// ARQC of this transaction; 6988 otherwise): 1E application block, 18 application
// unblock, 24 PIN change/unblock (resets the try counter), DA/DC PUT DATA / UPDATE
// RECORD (the value is kept for GET DATA). A card without a script key, or before
// the first GENERATE AC of this insertion, refuses with 6985.
func (c *Card) script(ins, p1, p2 byte, data []byte) []byte {
	if c.selected != 2 || c.smiMK == nil || c.arqc == nil {
		return sw(nil, 0x6985)
	}
	if len(data) < ScriptMACLen {
		return sw(nil, 0x6700)
	}
	data, mac := data[:len(data)-ScriptMACLen], data[len(data)-ScriptMACLen:]
	sk, err := crypto.SessionKey(c.smiMK, c.arqc)
	if err != nil {
		return sw(nil, 0x6F00)
	}
	header := []byte{0x84, ins, p1, p2, byte(len(data) + ScriptMACLen)}
	want, err := crypto.ScriptMAC(sk, header, []byte{byte(c.atc >> 8), byte(c.atc)}, c.arqc, data)
	if err != nil || subtle.ConstantTimeCompare(want[:ScriptMACLen], mac) != 1 {
		return sw(nil, 0x6988)
	}
	switch ins {
	case 0x1E:
		c.blocked = true
	case 0x18:
		c.blocked = false
	case 0x24:
		c.tries = c.limit
	case 0xDA:
		c.extra[tlv.Tag(uint32(p1)<<8|uint32(p2))] = append([]byte(nil), data...)
	case 0xDC:
	default:
		return sw(nil, 0x6D00)
	}
	return sw(nil, 0x9000)
}
