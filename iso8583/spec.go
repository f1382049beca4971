package iso8583

import (
	moov "github.com/moov-io/iso8583"
	"github.com/moov-io/iso8583/encoding"
	"github.com/moov-io/iso8583/field"
	"github.com/moov-io/iso8583/prefix"
)

// fieldKind says how DecodeJSON and Describe show a field.
type fieldKind uint8

const (
	kindDigits fieldKind = iota // BCD / LBCD digit string
	kindText                    // ASCII
	kindBinary                  // shown as upper-case hex
	kindTrack                   // nibbles with D separator
)

// encoders picks the BCD implementation of a spec: the dialect's own (fast, strict)
// or moov's stock ones (kept for the benchmark that justifies ours).
type encoders struct {
	bcd, lbcd encoding.Encoder
	ll, lll   prefix.Prefixer
}

var (
	ourEncoders   = encoders{bcd: BCD, lbcd: LBCD, ll: BCDLen.LL, lll: BCDLen.LLL}
	stockEncoders = encoders{bcd: encoding.BCD, lbcd: encoding.LBCD, ll: prefix.BCD.LL, lll: prefix.BCD.LLL}
)

// cupFields is the CUP POS field table (doc §4.2) as data: one row per field.
var cupFields = []struct {
	id    int
	desc  string
	kind  fieldKind
	fixed bool
	max   int    // digits, characters, nibbles or bytes
	align string // for digit fields: "R" right-aligned BCD, "L" left-aligned LBCD
	pref  string // "LL" or "LLL" for variable fields
}{
	{2, "Primary Account Number", kindDigits, false, 19, "L", "LL"},
	{3, "Processing Code", kindDigits, true, 6, "R", ""},
	{4, "Amount, Transaction", kindDigits, true, 12, "R", ""},
	{11, "System Trace Audit Number", kindDigits, true, 6, "R", ""},
	{12, "Time, Local Transaction", kindDigits, true, 6, "R", ""},
	{13, "Date, Local Transaction", kindDigits, true, 4, "R", ""},
	{14, "Date, Expiration", kindDigits, true, 4, "R", ""},
	{15, "Date, Settlement", kindDigits, true, 4, "R", ""},
	{22, "POS Entry Mode", kindDigits, true, 3, "L", ""},
	{23, "Card Sequence Number", kindDigits, true, 3, "R", ""},
	{25, "POS Condition Code", kindDigits, true, 2, "R", ""},
	{26, "POS PIN Capture Code", kindDigits, true, 2, "R", ""},
	{32, "Acquiring Institution ID", kindDigits, false, 11, "L", "LL"},
	{35, "Track 2 Data", kindTrack, false, 37, "", "LL"},
	{36, "Track 3 Data", kindTrack, false, 104, "", "LLL"},
	{37, "Retrieval Reference Number", kindText, true, 12, "", ""},
	{38, "Authorization ID Response", kindText, true, 6, "", ""},
	{39, "Response Code", kindText, true, 2, "", ""},
	{41, "Card Acceptor Terminal ID", kindText, true, 8, "", ""},
	{42, "Card Acceptor ID Code", kindText, true, 15, "", ""},
	{44, "Additional Response Data", kindText, false, 25, "", "LL"},
	{48, "Additional Data - Private", kindDigits, false, 322, "L", "LLL"},
	{49, "Currency Code, Transaction", kindText, true, 3, "", ""},
	{52, "PIN Data", kindBinary, true, 8, "", ""}, // the length is the dialect's (cupSpec)
	{53, "Security Related Control Information", kindDigits, true, 16, "R", ""},
	{54, "Balance Amount", kindText, false, 120, "", "LLL"},
	{55, "ICC Data", kindBinary, false, 255, "", "LLL"},
	{59, "Terminal Information", kindText, false, 999, "", "LLL"},
	// 60 is n..017 in the 2002 spec; real hosts send 19 digits and more.
	{60, "Reserved Private (60)", kindDigits, false, 100, "L", "LLL"},
	{61, "Original Message", kindDigits, false, 29, "L", "LLL"},
	{62, "Reserved Private (62)", kindBinary, false, 512, "", "LLL"},
	{63, "Reserved Private (63)", kindText, false, 163, "", "LLL"},
	{64, "Message Authentication Code", kindBinary, true, 8, "", ""},
}

func kindOf(id int) (fieldKind, bool) {
	for _, f := range cupFields {
		if f.id == id {
			return f.kind, true
		}
	}
	return 0, false
}

// cupSpec builds the CUP POS message spec with the given BCD encoders and a field 52
// of pinBlockLen bytes (8 for DES and 3DES PIN keys, 16 for SM4).
func cupSpec(name string, enc encoders, pinBlockLen int) *moov.MessageSpec {
	fields := map[int]field.Field{
		0: field.NewString(&field.Spec{Length: 4, Description: "Message Type Indicator", Enc: enc.bcd, Pref: prefix.BCD.Fixed}),
		1: field.NewBitmap(&field.Spec{Length: 8, Description: "Bitmap", Enc: encoding.Binary, Pref: prefix.Binary.Fixed, DisableAutoExpand: true}),
	}
	for _, f := range cupFields {
		s := &field.Spec{Length: f.max, Description: f.desc}
		if f.id == 52 {
			s.Length = pinBlockLen
		}
		switch f.kind {
		case kindDigits:
			s.Enc = enc.bcd
			if f.align == "L" {
				s.Enc = enc.lbcd
			}
		case kindTrack:
			s.Enc = Track
		case kindText:
			s.Enc = encoding.ASCII
		case kindBinary:
			s.Enc = encoding.Binary
		}
		switch {
		case f.fixed && f.kind == kindBinary:
			s.Pref = prefix.Binary.Fixed
		case f.fixed && f.kind == kindText:
			s.Pref = prefix.ASCII.Fixed
		case f.fixed:
			s.Pref = prefix.BCD.Fixed
		case f.pref == "LL":
			s.Pref = enc.ll
		default:
			s.Pref = enc.lll
		}
		if f.kind == kindBinary {
			fields[f.id] = field.NewBinary(s)
		} else {
			fields[f.id] = field.NewString(s)
		}
	}
	return &moov.MessageSpec{Name: name, Fields: fields}
}
