// Package card owns a virtual EMV ICC driven by the chip profiles of testdata/cards
// (internal/cardprofile.ChipProfile): one payment application with its own RSA keys
// certified by the test CA of testdata/emv, SDA/DDA/CDA signatures computed for real,
// ARQC/TC/AAC under the EMV common session key, offline PIN (plaintext, and enciphered
// under the ICC key after GET CHALLENGE) with a try counter, issuer authentication
// (ARPC method 1 or 2) checked, issuer script commands applied, and scriptable faults
// (bad SDA or CDA signature, expired issuer certificate, blocked application, PIN try
// limit exceeded, wrong AFL, malformed TLV, card removed at GENERATE AC).
//
// A *Card implements the kernel's Card interface (Transmit), and so hal/sim's Chip and
// the card side of vpcd. It imports emv/tlv, emv/apdu, emv/crypto, internal/cardprofile
// and the fixtures package testdata/emv; it must never import the kernel (emv), hal,
// store or the network.
//
// Application cryptograms: AC = MAC(SK, CDOL data || AIP || ATC || CVR, padding 2) with
// SK = crypto.SessionKey(ICC MK, ATC || 000000000000) and the ICC MK derived from the
// profile's issuer master key (option A or B). The profiles' CDOL1 and CDOL2 list the
// Book 2 A1.2 recommended minimum (9F02 9F03 9F1A 95 5F2A 9A 9C 9F37; CDOL2 starts
// with 8A), so an issuer rebuilds the input from field 55 with ACInput. The issuer
// application data 9F10 is 07 | DKI 01 | CVN 0A | CVR (4 bytes) | 00.
package card

import (
	"context"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"math/big"
	"strings"
	"sync"

	"countertop/emv/crypto"
	"countertop/emv/tlv"
	"countertop/internal/cardprofile"
	emvdata "countertop/testdata/emv"
)

// Faults a profile can name in chip.faults.
const (
	FaultBadSDASignature   = "bad_sda_signature"   // SSAD (93) corrupted after signing
	FaultExpiredIssuerCert = "expired_issuer_cert" // issuer certificate expired 01/20
	FaultBlockedApp        = "blocked_app"         // SELECT answers 6283
	FaultPINBlocked        = "pin_blocked"         // PIN try counter 0: 9F17 = 0, VERIFY 6983
	FaultWrongAFL          = "wrong_afl"           // AFL names records the card does not have
	FaultMalformedTLV      = "malformed_tlv"       // the first record is not well-formed BER-TLV
	FaultRemovedAtGenAC    = "removed_at_genac"    // Transmit fails with ErrRemoved at GENERATE AC
	FaultBadCDASignature   = "bad_cda_signature"   // the SDAD in a CDA GENERATE AC response is corrupted
)

// ErrRemoved is returned by Transmit once the card has been "pulled out".
var ErrRemoved = errors.New("virtual card removed")

// ErrProfile is wrapped by New for a profile the virtual card cannot play.
var ErrProfile = errors.New("chip profile unusable")

// CAPKIndex is the index (8F) of the test CA key.
const CAPKIndex = 0xF1

// Keys is the key material of the test PKI.
type Keys struct {
	CA, Issuer, ICC *rsa.PrivateKey
}

// LoadKeys reads the test keys from testdata/emv/keys.
func LoadKeys() (Keys, error) {
	var k Keys
	for _, f := range []struct {
		dst  **rsa.PrivateKey
		name string
	}{{&k.CA, "ca"}, {&k.Issuer, "issuer"}, {&k.ICC, "icc"}} {
		b, err := fs.ReadFile(emvdata.FS, "keys/"+f.name+".pem")
		if err != nil {
			return Keys{}, fmt.Errorf("test key %s: %w", f.name, err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			return Keys{}, fmt.Errorf("test key %s: no PEM block", f.name)
		}
		if *f.dst, err = x509.ParsePKCS1PrivateKey(blk.Bytes); err != nil {
			return Keys{}, fmt.Errorf("test key %s: %w", f.name, err)
		}
	}
	return k, nil
}

func expBytes(e int) []byte {
	b := big.NewInt(int64(e)).Bytes()
	return b
}

func sign(k *rsa.PrivateKey, m []byte) []byte {
	c := new(big.Int).Exp(new(big.Int).SetBytes(m), k.D, k.N)
	return c.FillBytes(make([]byte, k.Size()))
}

func sha(parts ...[]byte) []byte {
	h := sha1.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// Card is a virtual ICC. Safe for concurrent use (one exchange at a time).
type Card struct {
	mu   sync.Mutex
	p    cardprofile.Profile
	c    cardprofile.ChipProfile
	keys Keys

	aid     []byte
	aip     []byte
	afl     []byte
	records map[[2]int][]byte // (sfi, rec) → response data
	fci     []byte
	faults  map[string]bool
	iccMK   []byte
	smiMK   []byte // ICC master key for script MACs; nil: the card takes no scripts

	// state
	selected   int // 0 none, 1 PSE, 2 application
	blocked    bool
	removed    bool
	atc        uint16
	lastOnline uint16
	tries      int
	limit      int
	gpoDone    bool
	genacs     int
	pdolData   []byte
	cdol1Data  []byte
	un         []byte
	arqc       []byte
	sk         []byte
	issuerAuth int // 0 not done, 1 ok, 2 failed
	challenge  []byte
	nchal      byte
	extra      map[tlv.Tag][]byte // PUT DATA results
}

// New builds the virtual card of p (p.Chip must be set), signing its certificates and
// static data with keys.
func New(p cardprofile.Profile, keys Keys) (*Card, error) {
	if p.Chip == nil {
		return nil, fmt.Errorf("card %s: %w: no chip section", p.Name, ErrProfile)
	}
	c := &Card{p: p, c: *p.Chip, keys: keys, faults: map[string]bool{}, extra: map[tlv.Tag][]byte{}}
	for _, f := range c.c.Faults {
		c.faults[f] = true
	}
	if err := c.build(); err != nil {
		return nil, fmt.Errorf("card %s: %w: %w", p.Name, ErrProfile, err)
	}
	return c, nil
}

func hx(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		return nil
	}
	return b
}

func bcdDigits(s string, n int) []byte {
	for len(s) < 2*n {
		s += "F"
	}
	b, _ := hex.DecodeString(s[:2*n])
	return b
}

func t(tag tlv.Tag, v []byte) tlv.TLV { return tlv.TLV{Tag: tag, Value: v} }

// CDOL1 and CDOL2 of every virtual card.
var (
	CDOL1 = hx("9F02069F03069F1A0295055F2A029A039C019F3704")
	CDOL2 = hx("8A029F02069F03069F1A0295055F2A029A039C019F3704")
)

func (c *Card) build() error {
	var err error
	c.aid = hx(c.c.AID)
	c.aip = hx(c.c.AIP)
	if len(c.aid) < 5 || len(c.aip) != 2 {
		return errors.New("aid or aip")
	}
	opt := crypto.OptionA
	if c.c.Derivation != "" {
		if opt, err = crypto.ParseOption(c.c.Derivation); err != nil {
			return err
		}
	}
	if c.iccMK, err = crypto.DeriveICCMasterKey(hx(c.c.IMK), c.p.PAN, c.c.PSN, opt); err != nil {
		return err
	}
	if c.c.IMKSMI != "" {
		if c.smiMK, err = crypto.DeriveICCMasterKey(hx(c.c.IMKSMI), c.p.PAN, c.c.PSN, opt); err != nil {
			return err
		}
	}
	c.atc = uint16(c.c.ATC)
	c.lastOnline = uint16(c.c.LastOnlineATC)
	c.limit = c.c.PINTryLimit
	if c.limit == 0 {
		c.limit = 3
	}
	c.tries = c.limit
	if c.c.PINTries != nil {
		c.tries = *c.c.PINTries
	}
	if c.faults[FaultPINBlocked] {
		c.tries = 0
	}
	c.blocked = c.faults[FaultBlockedApp]

	pan := bcdDigits(c.p.PAN, (len(c.p.PAN)+1)/2)
	exp := hx(c.p.Expiry + "31")
	if c.p.Expiry[2:] == "02" {
		exp = hx(c.p.Expiry + "28")
	}
	// SFI 2 record 1: the data taking part in ODA.
	rec1 := []tlv.TLV{
		t(0x5A, pan), t(0x5F24, exp), t(0x5F34, hx(c.c.PSN)),
		t(0x57, track2(c.p)), t(0x5F20, []byte(c.p.Holder)),
		t(0x8C, CDOL1), t(0x8D, CDOL2), t(0x8E, hx(c.c.CVMList)), t(0x9F4A, []byte{0x82}),
	}
	opt1 := func(tag tlv.Tag, s string) {
		if s != "" {
			rec1 = append(rec1, t(tag, hx(s)))
		}
	}
	opt1(0x5F25, c.c.Effective)
	opt1(0x5F28, c.c.Country)
	opt1(0x9F42, c.c.Currency)
	opt1(0x9F07, c.c.AUC)
	opt1(0x9F08, c.c.AppVersion)
	opt1(0x9F0E, c.c.IACDenial)
	opt1(0x9F0F, c.c.IACOnline)
	opt1(0x9F0D, c.c.IACDefault)
	if c.c.LCOL > 0 || c.c.UCOL > 0 {
		rec1 = append(rec1, t(0x9F14, []byte{byte(c.c.LCOL)}), t(0x9F23, []byte{byte(c.c.UCOL)}))
	}
	for k, v := range c.c.Tags {
		tag, err := tlv.ParseTag(k)
		if err != nil {
			return fmt.Errorf("tags: %w", err)
		}
		rec1 = append(rec1, t(tag, hx(v)))
	}
	r1 := tlv.TLV{Tag: 0x70, Children: rec1}.Bytes()
	static := append(append([]byte(nil), r1[len(r1)-len(tlv.Encode(rec1...)):]...), c.aip...)

	// SFI 3 record 1: certificates.
	var rec3 []tlv.TLV
	if c.c.ODA != "none" {
		ca, is := c.keys.CA, c.keys.Issuer
		nCA, nI := ca.Size(), is.Size()
		iexp := expBytes(is.E)
		mod := is.N.FillBytes(make([]byte, nI))
		field := nCA - 36
		certExp := hx("1240")
		if c.faults[FaultExpiredIssuerCert] {
			certExp = hx("0120")
		}
		body := []byte{0x02}
		body = append(body, bcdDigits(c.p.PAN[:6], 4)...)
		body = append(body, certExp...)
		body = append(body, 0x00, 0x00, 0x01, 0x01, 0x01, byte(nI), byte(len(iexp)))
		var rem []byte
		if nI <= field {
			body = append(body, mod...)
			for i := nI; i < field; i++ {
				body = append(body, 0xBB)
			}
		} else {
			body = append(body, mod[:field]...)
			rem = mod[field:]
		}
		cert := append(append(append([]byte{0x6A}, body...), sha(body, rem, iexp)...), 0xBC)
		rec3 = append(rec3, t(0x8F, []byte{CAPKIndex}), t(0x90, sign(ca, cert)), t(0x9F32, iexp))
		if len(rem) > 0 {
			rec3 = append(rec3, t(0x92, rem))
		}
		switch c.c.ODA {
		case "sda":
			b := append([]byte{0x03, 0x01, 0xDA, 0xC1}, bytesOf(0xBB, nI-26)...)
			ssad := append(append(append([]byte{0x6A}, b...), sha(b, static)...), 0xBC)
			sig := sign(is, ssad)
			if c.faults[FaultBadSDASignature] {
				sig[len(sig)/2] ^= 0x01
			}
			rec3 = append(rec3, t(0x93, sig))
		case "dda", "cda":
			ic := c.keys.ICC
			nC := ic.Size()
			cexp := expBytes(ic.E)
			cmod := ic.N.FillBytes(make([]byte, nC))
			cf := nI - 42
			b := []byte{0x04}
			b = append(b, bcdDigits(c.p.PAN, 10)...)
			b = append(b, hx(c.p.Expiry[2:]+c.p.Expiry[:2])...)
			b = append(b, 0x00, 0x00, 0x01, 0x01, 0x01, byte(nC), byte(len(cexp)))
			var crem []byte
			if nC <= cf {
				b = append(b, cmod...)
				b = append(b, bytesOf(0xBB, cf-nC)...)
			} else {
				b = append(b, cmod[:cf]...)
				crem = cmod[cf:]
			}
			ccert := append(append(append([]byte{0x6A}, b...), sha(b, crem, cexp, static)...), 0xBC)
			rec3 = append(rec3, t(0x9F46, sign(is, ccert)), t(0x9F47, cexp), t(0x9F49, hx("9F3704")))
			if len(crem) > 0 {
				rec3 = append(rec3, t(0x9F48, crem))
			}
		}
	}
	c.records = map[[2]int][]byte{{2, 1}: r1}
	if c.faults[FaultMalformedTLV] {
		bad := append([]byte(nil), r1...)
		bad[3] = 0x7F // the PAN's length runs past the template
		c.records[[2]int{2, 1}] = bad
	}
	c.afl = []byte{0x10, 0x01, 0x01, 0x01}
	if len(rec3) > 0 {
		c.records[[2]int{3, 1}] = tlv.TLV{Tag: 0x70, Children: rec3}.Bytes()
		c.afl = append(c.afl, 0x18, 0x01, 0x01, 0x00)
	}
	if c.faults[FaultWrongAFL] {
		c.afl = append(c.afl, 0x20, 0x01, 0x02, 0x00) // SFI 4 does not exist
	}
	// FCI
	a5 := []tlv.TLV{t(0x50, []byte(c.c.Label))}
	if c.c.Priority > 0 || c.c.Confirm {
		p := byte(c.c.Priority & 0x0F)
		if c.c.Confirm {
			p |= 0x80
		}
		a5 = append(a5, t(0x87, []byte{p}))
	}
	if c.c.PDOL != "" {
		a5 = append(a5, t(0x9F38, hx(c.c.PDOL)))
	}
	a5 = append(a5, t(0x5F2D, []byte("zhen")))
	c.fci = tlv.TLV{Tag: 0x6F, Children: []tlv.TLV{t(0x84, c.aid), {Tag: 0xA5, Children: a5}}}.Bytes()
	return nil
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, max(n, 0))
	for i := range out {
		out[i] = b
	}
	return out
}

func track2(p cardprofile.Profile) []byte {
	s := p.PAN + "D" + p.Expiry + p.ServiceCode + "0000000000"
	if len(s)%2 == 1 {
		s += "F"
	}
	b, _ := hex.DecodeString(s)
	return b
}

// AID returns the application identifier.
func (c *Card) AID() []byte { return append([]byte(nil), c.aid...) }

// ATC returns the application transaction counter.
func (c *Card) ATC() uint16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.atc
}

// PINTries returns the PIN try counter.
func (c *Card) PINTries() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tries
}

// Blocked reports whether the application is blocked (fault or issuer script).
func (c *Card) Blocked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.blocked
}

// Remove pulls the card out: every later Transmit fails with ErrRemoved.
func (c *Card) Remove() {
	c.mu.Lock()
	c.removed = true
	c.mu.Unlock()
}

// Reset is a new insertion (warm reset): selection and transaction state cleared,
// counters kept.
func (c *Card) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.selected, c.gpoDone, c.genacs, c.issuerAuth = 0, false, 0, 0
	c.arqc, c.sk = nil, nil
	c.removed = false
}

// ICCMasterKey returns the card's derived AC master key (for tests of the issuer side).
func (c *Card) ICCMasterKey() []byte { return append([]byte(nil), c.iccMK...) }

var _ interface {
	Transmit(ctx context.Context, apdu []byte) ([]byte, error)
} = (*Card)(nil)

func sha1New() hash.Hash { return sha1.New() }
