package iso8583

import (
	"time"

	"countertop/internal/carddata"
	"countertop/internal/money"
	"countertop/internal/txtype"
)

// Terminal identifies the terminal to the host (fields 41, 42, 63.1).
type Terminal struct {
	TerminalID string // 8 characters, field 41
	MerchantID string // 15 characters, field 42
}

// Original identifies the transaction a void, refund, completion or reversal refers to.
type Original struct {
	Type     txtype.Type
	Batch    txtype.Batch
	STAN     txtype.STAN
	Date     string // MMDD of the original, field 61.3
	RRN      string // field 37 of the original
	AuthCode string // field 38 of the original
}

// Request is one transaction as the terminal asks it of the acquirer, in the
// acquirer's terms but free of any wire format. The dialect turns it into a message
// (MTI, processing code, condition code and 60.1 come from Type).
type Request struct {
	Type      txtype.Type
	Terminal  Terminal
	STAN      txtype.STAN
	Batch     txtype.Batch
	Operator  string // 2 digits, "01"; field 63.1
	Amount    money.Amount
	PAN       carddata.PAN    // field 2 (chip, manual; also sent for swipes)
	Track2    carddata.Track2 // field 35 for swipes
	Expiry    carddata.Expiry // field 14, YYMM
	Entry     txtype.EntryMode
	PINBlock  carddata.PINBlock // field 52 (then 53 says the format), zero when no PIN
	CardSeq   string            // field 23, "001"; chip only
	ICC       []byte            // field 55, raw BER-TLV, kept byte-exact
	Original  *Original         // void, refund, completion, reversal
	Reason    string            // reversal reason, field 39: "98", "96", "A0", "06"
	KeyScheme string            // sign-in: field 60.3, "003" double-length 3DES
	Totals    *Totals           // settlement: field 48
	Count     int               // batch end: the number of transactions uploaded (field 48)
}

// Totals are a batch's totals as settlement (0500 field 48) reports them, per card
// group: domestic (CUP) cards and foreign cards. Amounts are in minor units.
type Totals struct {
	DebitAmount, CreditAmount               int64 // domestic
	DebitCount, CreditCount                 int
	ForeignDebitAmount, ForeignCreditAmount int64
	ForeignDebitCount, ForeignCreditCount   int
}

// Reply is the host's answer to a Request.
type Reply struct {
	RespCode   string    // field 39
	AuthCode   string    // field 38
	RRN        string    // field 37
	HostTime   time.Time // fields 13 (MMDD) and 12 (hhmmss), in the terminal's time zone
	SettleDate string    // field 15, MMDD
	Issuer     string    // field 44.1, issuer institution code
	Acquirer   string    // field 44.2 (or 32), acquirer institution code
	ICC        []byte    // field 55, raw
	Balance    *money.Amount
	Batch      txtype.Batch // sign-in: the host's batch number (60.2)
	// Field62 is what an 0810 carries in field 62: the working keys under the TMK
	// of a sign-in (keys.ParseWorkingKeys), the parameters of a parameter download
	// (ParseParams). The caller knows which it asked for.
	Field62 []byte
	// HostRequest is the processing requirement the host set in the reply header's
	// low nibble (HostRequestParams, HostRequestSignIn; 0 none).
	HostRequest int
	// SettleResult is the settlement reply's result per card group (0510 field
	// 48): domestic then foreign, each '1' balanced, '2' not balanced, '3' error.
	SettleResult string
}
