package emv

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"countertop/emv/tlv"
)

// AID is one application the terminal supports, with its per-AID parameters (Book 4
// 5.x, checklist item 18).
type AID struct {
	AID     []byte
	Partial bool   // ASI: partial selection allowed (the card's ADF name may be longer)
	Name    string // for logs and configuration files

	AppVersion []byte // 9F09 terminal application version number for this AID

	// Terminal action codes (5 bytes each); nil means all zero.
	TACDenial, TACOnline, TACDefault []byte

	FloorLimit int64 // minor units; 0 means use terminal 9F1B
	// Random transaction selection (Book 3 10.6.2): threshold in minor units, target
	// and maximum target percentages (0-99). Max 0 disables random selection.
	RandomThreshold               int64
	RandomTarget, RandomMaxTarget int

	DefaultDDOL []byte // used when the card has no 9F49
	DefaultTDOL []byte // used when the card has no 97
}

// UnionPay, Visa and Mastercard AIDs (Book 1 12.2.3 registered RIDs).
var (
	AIDUnionPayDebit  = []byte{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01}
	AIDUnionPayCredit = []byte{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x02}
	AIDUnionPayQuasi  = []byte{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x03}
	AIDVisaCredit     = []byte{0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10}
	AIDMastercard     = []byte{0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10}
)

// CAPK is a certification authority public key (Book 2 11.2.2).
type CAPK struct {
	RID      []byte    // 5 bytes
	Index    byte      // tag 8F
	Modulus  []byte    // N_CA bytes
	Exponent []byte    // 03 or 010001
	Expiry   time.Time // valid until the end of this day
	Checksum []byte    // SHA-1(RID || index || modulus || exponent)
}

// ErrCAPKChecksum is wrapped by CAPK.Check for a key whose checksum does not match:
// hand-copied key tables get corrupted (Proxmark3 #3081).
var ErrCAPKChecksum = errors.New("ca public key checksum mismatch")

// Check verifies the checksum.
func (k CAPK) Check() error {
	h := sha1.New()
	h.Write(k.RID)
	h.Write([]byte{k.Index})
	h.Write(k.Modulus)
	h.Write(k.Exponent)
	if !bytes.Equal(h.Sum(nil), k.Checksum) {
		return fmt.Errorf("capk %X/%02X: %w", k.RID, k.Index, ErrCAPKChecksum)
	}
	return nil
}

// capkJSON is the file form in testdata/emv/capk.
type capkJSON struct {
	RID      string `json:"rid"`
	Index    string `json:"index"`
	Modulus  string `json:"modulus"`
	Exponent string `json:"exponent"`
	Expiry   string `json:"expiry"` // YYYY-MM-DD
	Checksum string `json:"checksum"`
}

// ParseCAPK reads one key in the JSON form of testdata/emv/capk and checks its checksum.
func ParseCAPK(b []byte) (CAPK, error) {
	var j capkJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return CAPK{}, fmt.Errorf("capk: %w", err)
	}
	var k CAPK
	var err error
	var idx []byte
	for _, f := range []struct {
		dst *[]byte
		s   string
		n   string
	}{{&k.RID, j.RID, "rid"}, {&idx, j.Index, "index"}, {&k.Modulus, j.Modulus, "modulus"}, {&k.Exponent, j.Exponent, "exponent"}, {&k.Checksum, j.Checksum, "checksum"}} {
		if *f.dst, err = hex.DecodeString(f.s); err != nil {
			return CAPK{}, fmt.Errorf("capk %s: %w", f.n, err)
		}
	}
	if len(k.RID) != 5 || len(idx) != 1 {
		return CAPK{}, errors.New("capk: rid must be 5 bytes and index 1")
	}
	k.Index = idx[0]
	if k.Expiry, err = time.Parse("2006-01-02", j.Expiry); err != nil {
		return CAPK{}, fmt.Errorf("capk expiry: %w", err)
	}
	return k, k.Check()
}

// MarshalCAPK writes k in the JSON form ParseCAPK reads.
func MarshalCAPK(k CAPK) ([]byte, error) {
	up := func(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
	return json.MarshalIndent(capkJSON{RID: up(k.RID), Index: up([]byte{k.Index}), Modulus: up(k.Modulus),
		Exponent: up(k.Exponent), Expiry: k.Expiry.Format("2006-01-02"), Checksum: up(k.Checksum)}, "", "  ")
}

// Revoked names an issuer certificate on the CA revocation list (Book 2 5.3 step 10).
type Revoked struct {
	RID    []byte
	Index  byte
	Serial []byte // 3 bytes
}

// Config is the terminal's kernel configuration.
type Config struct {
	AIDs []AID
	// Terminal holds terminal data by tag: 9F33 capabilities, 9F35 type, 9F40
	// additional capabilities, 9F1A country, 5F2A/5F36 currency, 9F1B floor limit,
	// 9F1C terminal id, 9F16 merchant id, 9F1E IFD serial, 9F01 acquirer id, 9F15 MCC,
	// 9F4E merchant name.
	Terminal tlv.Data
	CAPKs    []CAPK
	Revoked  []Revoked
	// ExceptionFile reports whether a PAN (digits) is on the exception file; nil: none.
	ExceptionFile func(pan string) bool
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// DefaultConfig returns the terminal configuration of a CUP attended POS: the UnionPay
// debit, credit and quasi-credit AIDs, Visa and Mastercard (all partial selection),
// terminal type 22 (attended, offline with online capability), capabilities E0F9C8
// (IC/magstripe/manual; plaintext and enciphered offline PIN, online PIN, signature,
// no CVM, PBOC cardholder ID check; SDA, DDA, CDA), country and currency 156 (China, CNY), floor limit 0.
func DefaultConfig() Config {
	tacs := func(a AID) AID {
		a.TACDenial = mustHex("0010000000")
		a.TACOnline = mustHex("D84004F800")
		a.TACDefault = mustHex("D84004A800")
		a.Partial = true
		if a.AppVersion == nil {
			a.AppVersion = mustHex("0030")
		}
		return a
	}
	return Config{
		AIDs: []AID{
			tacs(AID{AID: AIDUnionPayDebit, Name: "UnionPay Debit"}),
			tacs(AID{AID: AIDUnionPayCredit, Name: "UnionPay Credit"}),
			tacs(AID{AID: AIDUnionPayQuasi, Name: "UnionPay Quasi Credit"}),
			tacs(AID{AID: AIDVisaCredit, Name: "Visa", AppVersion: mustHex("008C")}),
			tacs(AID{AID: AIDMastercard, Name: "Mastercard", AppVersion: mustHex("0002")}),
		},
		Terminal: tlv.Data{
			0x9F33: mustHex("E0F9C8"),
			0x9F35: {0x22},
			0x9F40: mustHex("6000F0A001"),
			0x9F1A: {0x01, 0x56},
			0x5F2A: {0x01, 0x56},
			0x5F36: {0x02},
			0x9F1B: {0, 0, 0, 0},
			0x9F1E: []byte("CTOP0001"),
			0x9F09: mustHex("0030"),
		},
	}
}

// Candidate is one application on the candidate list (Book 1 12.3).
type Candidate struct {
	AID                  []byte
	Label                string // 50
	PreferredName        string // 9F12 (shown when the code table 9F11 is supported)
	Priority             int    // 87 bits 4-1; 0: none (sorted last)
	ConfirmationRequired bool   // 87 bit 8
	config               *AID
}

// Cardholder is the person at the PIN pad: picks an application when the card has
// several or asks for confirmation (Book 1 12.4).
type Cardholder interface {
	// Choose returns the index in cs of the chosen application.
	Choose(ctx context.Context, cs []Candidate) (int, error)
	// Confirm asks the cardholder to confirm c.
	Confirm(ctx context.Context, c Candidate) (bool, error)
}

// IDChecker is a Cardholder whose attendant can check the cardholder's identity
// document (CVM 20, PBOC). Without it the kernel treats that CVM as unsupported.
type IDChecker interface {
	// CheckID shows doc to the attendant: true when it matches the cardholder.
	CheckID(ctx context.Context, doc IDDocument) (bool, error)
}

// IDType is the kind of identity document (9F62).
type IDType byte

// The identity documents of 9F62.
const (
	IDResident  IDType = 0x00 // 身份证
	IDOfficer   IDType = 0x01 // 军官证
	IDPassport  IDType = 0x02 // 护照
	IDEntry     IDType = 0x03 // 入境证
	IDTemporary IDType = 0x04 // 临时身份证
	IDOther     IDType = 0x05 // 其它
)

// IDDocument is the identity document the card names: 9F62 and 9F61. The number is
// personal data: show it to the attendant, never log it.
type IDDocument struct {
	Type   IDType
	Number string
}

// PIN entry errors a PINEntry returns.
var (
	// ErrPINBypassed: the cardholder or attendant bypassed PIN entry (TVR B3 08).
	ErrPINBypassed = errors.New("pin entry bypassed")
	// ErrPINPadUnavailable: no PIN pad or it is not working (TVR B3 10).
	ErrPINPadUnavailable = errors.New("pin pad not present or not working")
)

// OfflinePINRequest is what the kernel tells the PIN pad for an offline plaintext PIN.
type OfflinePINRequest struct {
	TriesLeft int  // from 9F17 or the last 63Cx; -1 if unknown
	LastTry   bool // TriesLeft == 1
}

// PINEntry is the kernel's port to the PIN pad. The PIN itself never reaches the
// kernel: for offline plaintext PIN the PIN pad returns the ISO 9564 format 2 block
// that goes in VERIFY's data field; for online PIN it returns a block encrypted under
// the PIN key, which the kernel only hands back to the caller (OnlinePINBlock).
type PINEntry interface {
	OfflinePlaintextPIN(ctx context.Context, req OfflinePINRequest) (verifyData []byte, err error)
	OnlinePIN(ctx context.Context) (encryptedBlock []byte, err error)
}

// TransactionLog is the terminal's log used by risk management (Book 3 10.6.1): the
// amount of the most recent approved transaction with the same PAN, if any.
type TransactionLog interface {
	LastAmount(pan string) (minor int64, ok bool)
}

// Params is one transaction's input.
type Params struct {
	Amount      int64 // 9F02/81 in minor units
	OtherAmount int64 // 9F03 cashback
	Type        byte  // 9C: 00 goods and services, 01 cash, 09 cashback
	Time        time.Time
	Sequence    uint32 // 9F41 transaction sequence counter

	Random      io.Reader // 9F37 and random selection; nil: crypto/rand
	Cardholder  Cardholder
	PIN         PINEntry
	Log         TransactionLog
	ForceOnline bool // merchant forced online (TVR B4 08)

	// Overrides replaces terminal and transaction data the kernel would compute (9F37,
	// 9A, 9F21, 9F33, ...): for replaying transcripts, whose commands carry the
	// recorded values.
	Overrides tlv.Data
}
