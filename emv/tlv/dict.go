package tlv

import "fmt"

// Format is a data element format as Book 3 section 4.3 defines them.
type Format int

// Formats. The zero Format means "not known"; DOL building treats it as Binary.
const (
	Binary              Format = iota + 1 // b: bits, right-padded with 00
	Numeric                               // n: BCD, right-justified, left-padded with 00
	CompressedNumeric                     // cn: BCD, left-justified, right-padded with F
	Alpha                                 // a: letters
	Alphanumeric                          // an: letters and digits
	AlphanumericSpecial                   // ans: letters, digits and specials
)

func (f Format) String() string {
	switch f {
	case Binary:
		return "b"
	case Numeric:
		return "n"
	case CompressedNumeric:
		return "cn"
	case Alpha:
		return "a"
	case Alphanumeric:
		return "an"
	case AlphanumericSpecial:
		return "ans"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Source is who supplies a data element (Book 3 Annex A, column "Source").
type Source int

// Sources.
const (
	FromCard     Source = iota + 1 // the ICC
	FromTerminal                   // the terminal (configuration or this transaction)
	FromIssuer                     // the issuer, through the host response
)

func (s Source) String() string {
	switch s {
	case FromCard:
		return "card"
	case FromTerminal:
		return "terminal"
	case FromIssuer:
		return "issuer"
	}
	return fmt.Sprintf("Source(%d)", int(s))
}

// TagInfo describes a data element. MinLen and MaxLen are in bytes; MaxLen 0 means
// the Book sets no fixed bound (templates, certificates and remainders whose length
// follows from key sizes). Sensitive marks cardholder data (PAN, track data, name,
// expiry, PIN data) that logs and dumps must mask.
type TagInfo struct {
	Name      string
	Format    Format
	MinLen    int
	MaxLen    int
	Source    Source
	Sensitive bool
}

// Lookup returns what the dictionary knows about tag. It covers the EMV 4.4 Book 3
// Annex A tags a contact kernel meets, named as Annex A names them, and the
// UnionPay/PBOC 3.0 tags of CUP field 55 (9F5D, 9F63, 9F74, 9F79, DF31).
func Lookup(tag Tag) (TagInfo, bool) {
	i, ok := dictionary[tag]
	return i, ok
}

func card(name string, f Format, min, max int) TagInfo {
	return TagInfo{Name: name, Format: f, MinLen: min, MaxLen: max, Source: FromCard}
}

func term(name string, f Format, min, max int) TagInfo {
	return TagInfo{Name: name, Format: f, MinLen: min, MaxLen: max, Source: FromTerminal}
}

func issuer(name string, f Format, min, max int) TagInfo {
	return TagInfo{Name: name, Format: f, MinLen: min, MaxLen: max, Source: FromIssuer}
}

func sensitive(i TagInfo) TagInfo {
	i.Sensitive = true
	return i
}

// dictionary: EMV 4.4 Book 3 Annex A (Table 37 for format and length, Table 38 for
// names). "var." formats (templates, AFL) are listed as b.
var dictionary = newDictionary()

func newDictionary() map[Tag]TagInfo {
	const (
		b   = Binary
		n   = Numeric
		cn  = CompressedNumeric
		a   = Alpha
		an  = Alphanumeric
		ans = AlphanumericSpecial
	)
	return map[Tag]TagInfo{
		0x4F:   card("Application Dedicated File (ADF) Name", b, 5, 16),
		0x50:   card("Application Label", ans, 1, 16),
		0x57:   sensitive(card("Track 2 Equivalent Data", b, 0, 19)),
		0x5A:   sensitive(card("Application Primary Account Number (PAN)", cn, 0, 10)),
		0x5F20: sensitive(card("Cardholder Name", ans, 2, 26)),
		0x5F24: sensitive(card("Application Expiration Date", n, 3, 3)),
		0x5F25: card("Application Effective Date", n, 3, 3),
		0x5F28: card("Issuer Country Code", n, 2, 2),
		0x5F2A: term("Transaction Currency Code", n, 2, 2),
		0x5F2D: card("Language Preference", an, 2, 8),
		0x5F30: card("Service Code", n, 2, 2),
		0x5F34: card("Application Primary Account Number (PAN) Sequence Number", n, 1, 1),
		0x5F36: term("Transaction Currency Exponent", n, 1, 1),
		0x61:   card("Application Template", b, 0, 252),
		0x6F:   card("File Control Information (FCI) Template", b, 0, 252),
		0x70:   card("READ RECORD Response Message Template", b, 0, 252),
		0x71:   issuer("Issuer Script Template 1", b, 0, 0),
		0x72:   issuer("Issuer Script Template 2", b, 0, 0),
		0x73:   card("Directory Discretionary Template", b, 0, 252),
		0x77:   card("Response Message Template Format 2", b, 0, 0),
		0x80:   card("Response Message Template Format 1", b, 0, 0),
		0x81:   term("Amount, Authorised (Binary)", b, 4, 4),
		0x82:   card("Application Interchange Profile", b, 2, 2),
		0x83:   term("Command Template", b, 0, 0),
		0x84:   card("Dedicated File (DF) Name", b, 5, 16),
		0x86:   issuer("Issuer Script Command", b, 0, 261),
		0x87:   card("Application Priority Indicator", b, 1, 1),
		0x88:   card("Short File Identifier (SFI)", b, 1, 1),
		0x8A:   issuer("Authorisation Response Code", an, 2, 2),
		0x8C:   card("Card Risk Management Data Object List 1 (CDOL1)", b, 0, 252),
		0x8D:   card("Card Risk Management Data Object List 2 (CDOL2)", b, 0, 252),
		0x8E:   card("Cardholder Verification Method (CVM) List", b, 10, 252),
		0x8F:   card("Certification Authority Public Key Index", b, 1, 1),
		0x90:   card("Issuer Public Key Certificate", b, 0, 0),
		0x91:   issuer("Issuer Authentication Data", b, 8, 16),
		0x92:   card("Issuer Public Key Remainder", b, 0, 0),
		0x93:   card("Signed Static Application Data", b, 0, 0),
		0x94:   card("Application File Locator (AFL)", b, 0, 252),
		0x95:   term("Terminal Verification Results", b, 5, 5),
		0x97:   card("Transaction Certificate Data Object List (TDOL)", b, 0, 252),
		0x99:   sensitive(term("Transaction Personal Identification Number (PIN) Data", b, 0, 0)),
		0x9A:   term("Transaction Date", n, 3, 3),
		0x9B:   term("Transaction Status Information", b, 2, 2),
		0x9C:   term("Transaction Type", n, 1, 1),
		0x9D:   card("Directory Definition File (DDF) Name", b, 5, 16),
		0x9F01: term("Acquirer Identifier", n, 6, 6),
		0x9F02: term("Amount, Authorised (Numeric)", n, 6, 6),
		0x9F03: term("Amount, Other (Numeric)", n, 6, 6),
		0x9F04: term("Amount, Other (Binary)", b, 4, 4),
		0x9F05: card("Application Discretionary Data", b, 1, 32),
		0x9F06: term("Application Identifier (AID) - terminal", b, 5, 16),
		0x9F07: card("Application Usage Control", b, 2, 2),
		0x9F08: card("Application Version Number", b, 2, 2),
		0x9F09: term("Application Version Number", b, 2, 2),
		0x9F0B: sensitive(card("Cardholder Name Extended", ans, 27, 45)),
		0x9F0D: card("Issuer Action Code - Default", b, 5, 5),
		0x9F0E: card("Issuer Action Code - Denial", b, 5, 5),
		0x9F0F: card("Issuer Action Code - Online", b, 5, 5),
		0x9F10: card("Issuer Application Data", b, 0, 32),
		0x9F11: card("Issuer Code Table Index", n, 1, 1),
		0x9F12: card("Application Preferred Name", ans, 1, 16),
		0x9F13: card("Last Online Application Transaction Counter (ATC) Register", b, 2, 2),
		0x9F14: card("Lower Consecutive Offline Limit", b, 1, 1),
		0x9F15: term("Merchant Category Code", n, 2, 2),
		0x9F16: term("Merchant Identifier", ans, 15, 15),
		0x9F17: card("Personal Identification Number (PIN) Try Counter", b, 1, 1),
		0x9F18: issuer("Issuer Script Identifier", b, 4, 4),
		0x9F1A: term("Terminal Country Code", n, 2, 2),
		0x9F1B: term("Terminal Floor Limit", b, 4, 4),
		0x9F1C: term("Terminal Identification", an, 8, 8),
		0x9F1D: term("Terminal Risk Management Data", b, 1, 8),
		0x9F1E: term("Interface Device (IFD) Serial Number", an, 8, 8),
		0x9F1F: sensitive(card("Track 1 Discretionary Data", ans, 0, 0)),
		0x9F20: sensitive(card("Track 2 Discretionary Data", cn, 0, 0)),
		0x9F21: term("Transaction Time", n, 3, 3),
		0x9F22: term("Certification Authority Public Key Index", b, 1, 1),
		0x9F23: card("Upper Consecutive Offline Limit", b, 1, 1),
		0x9F26: card("Application Cryptogram", b, 8, 8),
		0x9F27: card("Cryptogram Information Data", b, 1, 1),
		0x9F2D: card("ICC PIN Encipherment Public Key Certificate", b, 0, 0),
		0x9F2E: card("ICC PIN Encipherment Public Key Exponent", b, 1, 3),
		0x9F2F: card("ICC PIN Encipherment Public Key Remainder", b, 0, 0),
		0x9F32: card("Issuer Public Key Exponent", b, 1, 3),
		0x9F33: term("Terminal Capabilities", b, 3, 3),
		0x9F34: term("Cardholder Verification Method (CVM) Results", b, 3, 3),
		0x9F35: term("Terminal Type", n, 1, 1),
		0x9F36: card("Application Transaction Counter (ATC)", b, 2, 2),
		0x9F37: term("Unpredictable Number", b, 4, 4),
		0x9F38: card("Processing Options Data Object List (PDOL)", b, 0, 0),
		0x9F39: term("Point-of-Service (POS) Entry Mode", n, 1, 1),
		0x9F40: term("Additional Terminal Capabilities", b, 5, 5),
		0x9F41: term("Transaction Sequence Counter", n, 2, 4),
		0x9F42: card("Application Currency Code", n, 2, 2),
		0x9F44: card("Application Currency Exponent", n, 1, 1),
		0x9F45: card("Data Authentication Code", b, 2, 2),
		0x9F46: card("ICC Public Key Certificate", b, 0, 0),
		0x9F47: card("ICC Public Key Exponent", b, 1, 3),
		0x9F48: card("ICC Public Key Remainder", b, 0, 0),
		0x9F49: card("Dynamic Data Authentication Data Object List (DDOL)", b, 0, 252),
		0x9F4A: card("Static Data Authentication Tag List", b, 0, 0),
		0x9F4B: card("Signed Dynamic Application Data", b, 0, 0),
		0x9F4C: card("ICC Dynamic Number", b, 2, 8),
		0x9F4D: card("Log Entry", b, 2, 2),
		0x9F4E: term("Merchant Name and Location", ans, 0, 0),
		0x9F4F: card("Log Format", b, 0, 0),
		0xA5:   card("File Control Information (FCI) Proprietary Template", b, 0, 0),
		0xBF0C: card("File Control Information (FCI) Issuer Discretionary Data", b, 0, 222),

		// UnionPay (PBOC 3.0) tags that CUP terminals meet in field 55. Not in the EMV
		// Books; names follow the PBOC specification's English titles.
		0x9F5D: card("Available Offline Spending Amount", n, 6, 6),
		0x9F61: sensitive(card("Cardholder ID Number (PBOC)", an, 1, 40)),
		0x9F62: card("Cardholder ID Type (PBOC)", b, 1, 1),
		0x9F63: card("Card Product Identification Information", b, 16, 16),
		0x9F74: card("Electronic Cash Issuer Authorisation Code", a, 6, 6),
		0x9F79: card("Electronic Cash Balance", n, 6, 6),
		0xDF31: term("Issuer Script Results", b, 0, 0),
	}
}
