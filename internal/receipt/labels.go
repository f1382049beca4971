package receipt

import (
	"strings"

	"countertop/internal/txtype"
)

// label is a field label in Chinese and English (merchant-ux.md §1.1).
type label struct{ zh, en string }

var (
	lblMerchantName = label{"商户名称", "MERCHANT NAME"}
	lblMerchantNo   = label{"商户编号", "MERCHANT NO"}
	lblTerminalNo   = label{"终端编号", "TERMINAL NO"}
	lblOperator     = label{"操作员号", "OPERATOR NO"}
	lblIssuer       = label{"发卡行", "ISSUER"}
	lblAcquirer     = label{"收单行", "ACQ"}
	lblCardOrg      = label{"外卡组织", "CARD ORG"}
	lblCardOrgCUP   = label{"卡组织", "CARD ORG"}
	lblCardNo       = label{"卡号", "CARD NO"}
	lblExpiry       = label{"卡有效期", "EXP. DATE"}
	lblTxnType      = label{"交易类型", "TXN. TYPE"}
	lblBatch        = label{"批次号", "BATCH NO"}
	lblVoucher      = label{"凭证号", "VOUCHER NO"}
	lblAuth         = label{"授权码", "AUTH NO"}
	lblDateTime     = label{"日期/时间", "DATE/TIME"}
	lblRef          = label{"交易参考号", "REF. NO"}
	lblAmount       = label{"金额", "AMOUNT"}
	lblRemarks      = label{"备注", "REFERENCE"}
	lblOrigVoucher  = label{"原凭证号", "ORIG. VOUCHER"}
	lblOrigAuth     = label{"原授权码", "ORIG. AUTH NO"}
	lblOrigRef      = label{"原参考号", "ORIG. REF NO"}
	lblOrigDate     = label{"原交易日期", "ORIG. DATE"}
	lblSignature    = label{"持卡人签名", "CARDHOLDER SIGNATURE"}

	txtTitle     = label{"银联POS签购单", "POS SALES SLIP"}
	txtReprint   = label{"重打印", "DUPLICATED"}
	txtTest      = label{"测试", "TESTING"}
	txtTestVoid  = label{"凭证无效", "NOT A VALID SLIP"}
	txtStatement = label{"本人确认以上交易，同意将其记入本卡账户", "I ACKNOWLEDGE SATISFACTORY RECEIPT OF RELATIVE GOODS/SERVICES"}
)

var copyNames = map[Copy]label{
	MerchantCopy:   {"商户存根", "MERCHANT COPY"},
	CardholderCopy: {"持卡人存根", "CARDHOLDER COPY"},
	BankCopy:       {"银行存根", "BANK COPY"},
}

var typeNames = map[txtype.Type]label{
	txtype.Sale:                    {"消费", "SALE"},
	txtype.Void:                    {"消费撤销", "VOID"},
	txtype.Refund:                  {"退货", "REFUND"},
	txtype.PreAuth:                 {"预授权", "AUTH"},
	txtype.PreAuthVoid:             {"预授权撤销", "CANCEL"},
	txtype.PreAuthCompletion:       {"预授权完成请求", "AUTH COMPLETE"},
	txtype.PreAuthCompletionAdvice: {"预授权完成通知", "AUTH SETTLEMENT"},
	txtype.CompletionVoid:          {"预授权完成撤销", "COMPLETE VOID"},
}

func typeName(t txtype.Type) label {
	if n, ok := typeNames[t]; ok {
		return n
	}
	s := strings.ToUpper(t.String())
	return label{s, s}
}

// bank is an issuing or acquiring institution.
type bank struct{ zh, en string }

// banks maps the first four digits of a CUP institution code (the bank; the next four
// are the branch area) to the bank's name. merchant-ux.md §1.1 lists the first six.
var banks = map[string]bank{
	"0102": {"工商银行", "ICBC"},
	"0103": {"农业银行", "ABC"},
	"0104": {"中国银行", "BOC"},
	"0105": {"建设银行", "CCB"},
	"0301": {"交通银行", "BOCOM"},
	"0308": {"招商银行", "CMB"},
	"0100": {"邮储银行", "PSBC"},
	"0302": {"中信银行", "CITIC"},
	"0303": {"光大银行", "CEB"},
	"0304": {"华夏银行", "HXB"},
	"0305": {"民生银行", "CMBC"},
	"0306": {"广发银行", "CGB"},
	"0307": {"平安银行", "PAB"},
	"0309": {"兴业银行", "CIB"},
	"0310": {"浦发银行", "SPDB"},
}

// BankName returns the name of the institution with the 8-digit CUP code (or a
// longer code starting with it), in Chinese or English; anything else — an unknown
// code, or a name already — is returned as given.
func BankName(code string, english bool) string {
	if len(code) < 8 || !allDigits(code) {
		return code
	}
	b, ok := banks[code[:4]]
	if !ok {
		return code
	}
	if english {
		return b.en
	}
	return b.zh
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
