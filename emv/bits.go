package emv

import (
	"encoding/hex"
	"strings"
)

// TVRBit names one bit of the Terminal Verification Results (tag 95, EMV 4.4 Book 3
// Annex C5): the byte number (1-5) in the high byte, the bit mask in the low byte.
type TVRBit uint16

// TVR bits. Byte 1: offline data authentication.
const (
	TVROfflineDataAuthNotPerformed TVRBit = 0x0180
	TVRSDAFailed                   TVRBit = 0x0140
	TVRICCDataMissing              TVRBit = 0x0120
	TVRCardOnExceptionFile         TVRBit = 0x0110
	TVRDDAFailed                   TVRBit = 0x0108
	TVRCDAFailed                   TVRBit = 0x0104
	TVRSDASelected                 TVRBit = 0x0102
	TVRXDASelected                 TVRBit = 0x0101
)

// Byte 2: processing restrictions.
const (
	TVRAppVersionsDiffer  TVRBit = 0x0280
	TVRExpiredApp         TVRBit = 0x0240
	TVRAppNotYetEffective TVRBit = 0x0220
	TVRServiceNotAllowed  TVRBit = 0x0210
	TVRNewCard            TVRBit = 0x0208
)

// Byte 3: cardholder verification.
const (
	TVRCardholderVerificationFailed TVRBit = 0x0380
	TVRUnrecognisedCVM              TVRBit = 0x0340
	TVRPINTryLimitExceeded          TVRBit = 0x0320
	TVRPINPadNotWorking             TVRBit = 0x0310
	TVRPINNotEntered                TVRBit = 0x0308
	TVROnlinePINEntered             TVRBit = 0x0304
)

// Byte 4: terminal risk management.
const (
	TVRFloorLimitExceeded            TVRBit = 0x0480
	TVRLowerConsecutiveLimitExceeded TVRBit = 0x0440
	TVRUpperConsecutiveLimitExceeded TVRBit = 0x0420
	TVRRandomlySelectedOnline        TVRBit = 0x0410
	TVRMerchantForcedOnline          TVRBit = 0x0408
	TVRXDAFailed                     TVRBit = 0x0401
)

// Byte 5: completion.
const (
	TVRDefaultTDOLUsed         TVRBit = 0x0580
	TVRIssuerAuthFailed        TVRBit = 0x0540
	TVRScriptFailedBeforeGenAC TVRBit = 0x0520
	TVRScriptFailedAfterGenAC  TVRBit = 0x0510
)

// TVR is the Terminal Verification Results.
type TVR [5]byte

// Set sets bit b.
func (t *TVR) Set(b TVRBit) { t[int(b>>8)-1] |= byte(b) }

// Has reports whether bit b is set.
func (t TVR) Has(b TVRBit) bool { return t[int(b>>8)-1]&byte(b) != 0 }

// And reports whether t and the action code mask (5 bytes) share a set bit.
func (t TVR) And(mask []byte) bool {
	for i := 0; i < 5 && i < len(mask); i++ {
		if t[i]&mask[i] != 0 {
			return true
		}
	}
	return false
}

func (t TVR) String() string { return strings.ToUpper(hex.EncodeToString(t[:])) }

// TSIBit is one bit of the Transaction Status Information (tag 9B), byte 1.
type TSIBit byte

// TSI bits.
const (
	TSIOfflineDataAuthPerformed  TSIBit = 0x80
	TSICardholderVerification    TSIBit = 0x40
	TSICardRiskManagement        TSIBit = 0x20
	TSIIssuerAuthentication      TSIBit = 0x10
	TSITerminalRiskManagement    TSIBit = 0x08
	TSIScriptProcessingPerformed TSIBit = 0x04
)

// TSI is the Transaction Status Information.
type TSI [2]byte

// Set sets bit b.
func (t *TSI) Set(b TSIBit) { t[0] |= byte(b) }

// Has reports whether bit b is set.
func (t TSI) Has(b TSIBit) bool { return t[0]&byte(b) != 0 }

func (t TSI) String() string { return strings.ToUpper(hex.EncodeToString(t[:])) }

// AIP bits (tag 82 byte 1).
const (
	AIPSDA        = 0x40
	AIPDDA        = 0x20
	AIPCVM        = 0x10
	AIPTRM        = 0x08
	AIPIssuerAuth = 0x04
	AIPCDA        = 0x01
)
