package iso8583

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"countertop/internal/txtype"

	moov "github.com/moov-io/iso8583"
	moovErrors "github.com/moov-io/iso8583/errors"
)

// Errors returned by the dialect.
var (
	// ErrMalformed: a body does not decode under the dialect's spec (bad field,
	// truncated field, bitmap bit 1, a field the spec does not know).
	ErrMalformed = errors.New("malformed message")
	// ErrTrailing: a body holds bytes after its last field.
	ErrTrailing = errors.New("bytes after the last field")
	// ErrUnsupported: the dialect has no message for the transaction type or MTI.
	ErrUnsupported = errors.New("transaction not supported by the dialect")
	// ErrMissing: the request lacks data its message needs (card, original …).
	ErrMissing = errors.New("request lacks data the message needs")
	// ErrNoMAC: a body has no field 64 to verify.
	ErrNoMAC = errors.New("message has no mac")
	// ErrBadMAC: a received MAC does not match the one computed over the raw body;
	// for a financial reply the terminal reverses with reason A0.
	ErrBadMAC = errors.New("mac mismatch")
)

// TxDef is how one transaction type is carried: MTI, processing code (field 3),
// condition code (field 25), 60.1 and, for network management, 60.3.
type TxDef struct {
	MTI, Proc, Cond, Type60, Net60 string
}

// Dialect is one acquirer's ISO 8583 dialect: the message spec and the rules that
// map Requests and Replies onto it. A second acquirer is a second value, never a
// branch inside the code. A Dialect must not be changed once in use.
type Dialect struct {
	Name string
	// Spec is the moov message spec (validated by NewDialect).
	Spec *moov.MessageSpec
	// TPDU and Header are the defaults a terminal sends (iso8583/frame carries
	// them on the wire).
	TPDU   [5]byte
	Header [6]byte
	// MAC names the MAC algorithm (a keys.MACAlgorithm: "cup-ecb", "x919" …).
	MAC string
	// KeyScheme is the sign-in 60.3 when the request names none ("003").
	KeyScheme string
	// ReadCapability is 60.4, the terminal's card-reading capability ("5").
	ReadCapability string
	// PINCapture is field 26 when a PIN was entered ("06").
	PINCapture string
	// SecurityControl is field 53 when a PIN was entered ("2600000000000000").
	SecurityControl string
	// SM4 says the dialect is on national cryptography: an SM4 TMK and working
	// keys (and so 16-byte PIN blocks, which its field 52 must hold).
	SM4 bool
	// Transactions maps each supported type to its message.
	Transactions map[txtype.Type]TxDef
	// Location is the host's time zone for fields 12/13 (nil: time.Local); Now
	// gives the year fields 13 lack (nil: time.Now).
	Location *time.Location
	Now      func() time.Time
}

// cupTransactions is doc table §4.3.
var cupTransactions = map[txtype.Type]TxDef{
	txtype.Balance:                 {MTI: "0200", Proc: "310000", Cond: "00", Type60: "01"},
	txtype.PreAuth:                 {MTI: "0100", Proc: "030000", Cond: "06", Type60: "10"},
	txtype.PreAuthVoid:             {MTI: "0100", Proc: "200000", Cond: "06", Type60: "11"},
	txtype.PreAuthCompletion:       {MTI: "0200", Proc: "000000", Cond: "06", Type60: "20"},
	txtype.CompletionVoid:          {MTI: "0200", Proc: "200000", Cond: "06", Type60: "21"},
	txtype.Sale:                    {MTI: "0200", Proc: "000000", Cond: "00", Type60: "22"},
	txtype.Void:                    {MTI: "0200", Proc: "200000", Cond: "00", Type60: "23"},
	txtype.Refund:                  {MTI: "0220", Proc: "200000", Cond: "00", Type60: "25"},
	txtype.PreAuthCompletionAdvice: {MTI: "0220", Proc: "000000", Cond: "06", Type60: "24"}, // 60.1 [unconfirmed]
	txtype.SignIn:                  {MTI: "0800", Type60: "00", Net60: "003"},
	txtype.SignOff:                 {MTI: "0820", Type60: "00", Net60: "002"}, // [unconfirmed]
	txtype.Settlement:              {MTI: "0500", Type60: "00", Net60: "201"}, // [unconfirmed] 60.3
	txtype.Echo:                    {MTI: "0820", Type60: "00", Net60: "301"}, // [unconfirmed]
	// Batch upload after an unbalanced settlement (doc §4.8): one 0320 per
	// transaction (60.3 201), then the batch end (60.3 202, field 48 the count).
	txtype.BatchUpload: {MTI: "0320", Type60: "00", Net60: "201"}, // [unconfirmed] fields per record
	txtype.BatchEnd:    {MTI: "0320", Type60: "00", Net60: "202"},
	// The advice of an offline chip approval (TC): the upload record with field 55.
	txtype.TCUpload: {MTI: "0320", Type60: "00", Net60: "203"}, // [unconfirmed] 60.3
	// Issuer script results (脚本处理结果通知): field 55 with DF31.
	txtype.ScriptAdvice: {MTI: "0620", Type60: "00", Net60: "951"}, // [unconfirmed] MTI and 60.3
	// Parameter download (参数下载), which a reply header's processing requirement
	// 1 asks for; field 62 of the reply carries the parameters (params.go).
	// [unconfirmed] 60.3, and that it carries a MAC (hostlink.Macked) unlike
	// sign-in, sign-off and echo.
	txtype.ParamDownload: {MTI: "0800", Type60: "00", Net60: "360"},
}

// NewDialect checks a dialect's spec and fills defaults. It never panics.
func NewDialect(d Dialect) (*Dialect, error) {
	if d.Spec == nil {
		return nil, fmt.Errorf("dialect %s: no spec", d.Name)
	}
	if err := d.Spec.Validate(); err != nil {
		return nil, fmt.Errorf("dialect %s: %w", d.Name, err)
	}
	want := 8
	if d.SM4 {
		want = 16
	}
	if f, ok := d.Spec.Fields[52]; !ok || f.Spec().Length != want {
		return nil, fmt.Errorf("dialect %s: field 52 must be %d bytes (sm4 %t)", d.Name, want, d.SM4)
	}
	if d.Transactions == nil {
		d.Transactions = cupTransactions
	}
	return &d, nil
}

func mustDialect(d Dialect) *Dialect {
	v, err := NewDialect(d)
	if err != nil {
		panic(err) // static specs only; TestSpecValid covers it
	}
	return v
}

// CUP is the China UnionPay POS terminal dialect (doc cup-pos-8583.md §4).
var CUP = mustDialect(Dialect{
	Name:            "cup-pos",
	Spec:            cupSpec("CUP POS 8583", ourEncoders, 8),
	TPDU:            [5]byte{0x60, 0x00, 0x03, 0x00, 0x00},
	Header:          [6]byte{0x60, 0x31, 0x00, 0x31, 0x00, 0x00},
	MAC:             "cup-ecb",
	KeyScheme:       "003",
	ReadCapability:  "5",
	PINCapture:      "06",
	SecurityControl: "2600000000000000",
	Transactions:    cupTransactions,
})

// CUPSM4 is the CUP POS dialect of a terminal on national cryptography (国密): SM4
// working keys under an SM4 TMK, the CUP SM4 MAC, and 16-byte PIN blocks in field 52
// (keys.ClearPINBlockSM4 under the SM4 PIN key). Field 53's algorithm digit for SM4
// is [unconfirmed]: the acquirer's specification decides it (docs/sm4.md).
var CUPSM4 = mustDialect(Dialect{
	Name:            "cup-pos-sm4",
	Spec:            cupSpec("CUP POS 8583 SM4", ourEncoders, 16),
	TPDU:            CUP.TPDU,
	Header:          CUP.Header,
	MAC:             "cup-sm4",
	KeyScheme:       CUP.KeyScheme,
	ReadCapability:  CUP.ReadCapability,
	PINCapture:      CUP.PINCapture,
	SecurityControl: "2400000000000000", // [unconfirmed] 53.2 = 4 for SM4
	SM4:             true,
	Transactions:    cupTransactions,
})

// Dialects are the host dialects by the name configuration (host.dialect) and
// posctl (--dialect) use.
func Dialects() map[string]*Dialect {
	return map[string]*Dialect{"cup": CUP, "cup-sm4": CUPSM4}
}

// PINBlockLen is the size of field 52: 8 bytes under DES-family PIN keys, 16 under
// SM4 (keys.PINBlockLenFor of the PIN key must agree; NewDialect checked the field).
func (d *Dialect) PINBlockLen() int { return d.Spec.Fields[52].Spec().Length }

// NewMessage returns an empty message of the dialect's spec.
func (d *Dialect) NewMessage() *moov.Message { return moov.NewMessage(d.Spec) }

// ResponseMTI is the MTI of the reply to mti: the third digit plus one
// ("0200" → "0210"). It returns "" for an MTI that is not a request.
func ResponseMTI(mti string) string {
	if len(mti) != 4 || mti[2] < '0' || mti[2] > '8' || (mti[2]-'0')%2 != 0 {
		return ""
	}
	return mti[:2] + string(mti[2]+1) + mti[3:]
}

// IsResponseMTI reports whether mti is a response (third digit odd).
func IsResponseMTI(mti string) bool {
	return len(mti) == 4 && mti[2] >= '1' && mti[2] <= '9' && (mti[2]-'0')%2 == 1
}

// MTIOf is the request MTI the dialect uses for t ("" if unsupported).
func (d *Dialect) MTIOf(t txtype.Type) string {
	if t == txtype.Reversal {
		return "0400"
	}
	return d.Transactions[t].MTI
}

// Pack packs msg into a body (MTI through the last field). With mac != nil it sets
// field 64 so that the MAC covers exactly the packed bytes before it: the message
// is packed with a zero field 64, mac is called over body[:len-8] and its 8 bytes
// are written into the tail (and into msg's field 64).
func (d *Dialect) Pack(msg *moov.Message, mac func(mab []byte) ([]byte, error)) ([]byte, error) {
	if mac != nil {
		if err := msg.BinaryField(64, make([]byte, 8)); err != nil {
			return nil, fmt.Errorf("pack %s: field 64: %w", d.Name, err)
		}
	}
	body, err := msg.Pack()
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", d.Name, err)
	}
	if mac == nil {
		return body, nil
	}
	m, err := mac(body[:len(body)-8])
	if err != nil {
		return nil, fmt.Errorf("pack %s: mac: %w", d.Name, err)
	}
	if len(m) != 8 {
		return nil, fmt.Errorf("pack %s: mac of %d bytes, want 8", d.Name, len(m))
	}
	copy(body[len(body)-8:], m)
	if err := msg.BinaryField(64, m); err != nil {
		return nil, fmt.Errorf("pack %s: field 64: %w", d.Name, err)
	}
	return body, nil
}

// Unpack decodes a body strictly: a truncated or malformed field (ErrMalformed,
// naming the field), bitmap bit 1, or bytes after the last field (ErrTrailing) are
// errors, and an accepted body always re-packs to the same bytes. It never panics.
func (d *Dialect) Unpack(body []byte) (msg *moov.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg, err = nil, fmt.Errorf("unpack %s: %w: decoder panic", d.Name, ErrMalformed)
		}
	}()
	if len(body) < 10 {
		return nil, fmt.Errorf("unpack %s: %d bytes, need MTI and bitmap: %w", d.Name, len(body), ErrMalformed)
	}
	if body[2]&0x80 != 0 {
		return nil, fmt.Errorf("unpack %s: field 1: secondary bitmap not allowed: %w", d.Name, ErrMalformed)
	}
	msg = moov.NewMessage(d.Spec)
	if err := msg.Unpack(body); err != nil {
		id := "?"
		var ue *moovErrors.UnpackError
		if errors.As(err, &ue) {
			id = ue.FieldID
			err = ue.Err
		}
		return nil, fmt.Errorf("unpack %s: field %s: %w: %w", d.Name, id, ErrMalformed, err)
	}
	re, err := msg.Pack()
	if err != nil {
		return nil, fmt.Errorf("unpack %s: re-pack: %w: %w", d.Name, ErrMalformed, err)
	}
	switch {
	case len(re) < len(body):
		return nil, fmt.Errorf("unpack %s: %d bytes after the last field: %w", d.Name, len(body)-len(re), ErrTrailing)
	case !bytes.Equal(re, body):
		return nil, fmt.Errorf("unpack %s: body does not re-pack to itself: %w", d.Name, ErrMalformed)
	}
	return msg, nil
}

// MACInput splits a received body into the MAC input (MTI through the last field
// before 64) and the 8 MAC bytes, from the raw bytes: verification must never use a
// re-packed message. Call it on a body Unpack accepted.
func MACInput(body []byte) ([]byte, []byte, error) {
	if len(body) < 2+8+8 {
		return nil, nil, fmt.Errorf("mac input: body of %d bytes: %w", len(body), ErrNoMAC)
	}
	if body[2+7]&0x01 == 0 {
		return nil, nil, fmt.Errorf("mac input: bitmap lacks field 64: %w", ErrNoMAC)
	}
	n := len(body) - 8
	return body[:n:n], body[n:], nil
}

// VerifyMAC checks the MAC of a received body over its raw bytes (ErrNoMAC,
// ErrBadMAC), comparing in constant time.
func VerifyMAC(body []byte, mac func(mab []byte) ([]byte, error)) error {
	mab, got, err := MACInput(body)
	if err != nil {
		return err
	}
	want, err := mac(mab)
	if err != nil {
		return fmt.Errorf("verify mac: %w", err)
	}
	if subtle.ConstantTimeCompare(want, got) != 1 {
		return ErrBadMAC
	}
	return nil
}

// getString returns field id or "" when absent.
func getString(msg *moov.Message, id int) string {
	if msg.GetField(id) == nil {
		return ""
	}
	s, _ := msg.GetString(id)
	return s
}

func getBytes(msg *moov.Message, id int) []byte {
	if msg.GetField(id) == nil {
		return nil
	}
	b, _ := msg.GetBytes(id)
	return b
}

func digits(n int64, width int) (string, error) {
	if n < 0 {
		return "", fmt.Errorf("negative value")
	}
	s := strconv.FormatInt(n, 10)
	if len(s) > width {
		return "", fmt.Errorf("%d does not fit %d digits", n, width)
	}
	return strings.Repeat("0", width-len(s)) + s, nil
}
