package msgs

// Action is what the terminal does with a host response code (ISO 8583 field 39).
type Action int

// Actions.
const (
	ActApprove    Action = iota // approved; print the slip
	ActDecline                  // declined; show the message, no retry
	ActRetry                    // declined; the merchant may try again
	ActCallIssuer               // refer to the card issuer
	ActRetainCard               // operator action: keep the card
	ActSignIn                   // the terminal must sign in again
)

func (a Action) String() string {
	return [...]string{"approve", "decline", "retry", "call-issuer", "retain-card", "sign-in"}[a]
}

type response struct {
	zh, en string
	act    Action
}

// Response codes of the China UnionPay POS dialect (field 39). Codes marked
// approved-with-notice still count as success.
var responses = map[string]response{
	"00": {"交易成功", "APPROVED", ActApprove},
	"01": {"请持卡人与发卡行联系", "REFER TO ISSUER", ActCallIssuer},
	"02": {"请持卡人与发卡行联系", "REFER TO ISSUER", ActCallIssuer},
	"03": {"无效商户", "INVALID MERCHANT", ActDecline},
	"04": {"此卡被没收", "PICK UP CARD", ActRetainCard},
	"05": {"持卡人认证失败", "DO NOT HONOUR", ActDecline},
	"06": {"交易出错", "ERROR", ActRetry},
	"07": {"此卡被没收", "PICK UP CARD", ActRetainCard},
	"09": {"交易处理中 请稍后查询", "IN PROGRESS", ActRetry},
	"11": {"交易成功 VIP客户", "APPROVED (VIP)", ActApprove},
	"12": {"无效交易", "INVALID TRANSACTION", ActDecline},
	"13": {"无效金额", "INVALID AMOUNT", ActDecline},
	"14": {"无效卡号", "INVALID CARD NUMBER", ActDecline},
	"15": {"此卡无对应发卡方", "NO SUCH ISSUER", ActDecline},
	"19": {"请重新交易", "RE-ENTER TRANSACTION", ActRetry},
	"22": {"操作有误 请重新签到", "POS STATE MISMATCH, SIGN IN", ActSignIn},
	"25": {"找不到原始交易", "ORIGINAL NOT FOUND", ActDecline},
	"30": {"报文格式错误", "FORMAT ERROR", ActRetry},
	"33": {"过期卡", "EXPIRED CARD", ActRetainCard},
	"34": {"有作弊嫌疑", "SUSPECTED FRAUD", ActRetainCard},
	"38": {"密码错误次数超限", "PIN TRIES EXCEEDED", ActRetainCard},
	"40": {"发卡方不支持的交易", "FUNCTION NOT SUPPORTED", ActDecline},
	"41": {"挂失卡", "LOST CARD", ActRetainCard},
	"43": {"被窃卡", "STOLEN CARD", ActRetainCard},
	"51": {"可用余额不足", "INSUFFICIENT FUNDS", ActDecline},
	"54": {"过期卡", "EXPIRED CARD", ActDecline},
	"55": {"密码错", "INCORRECT PIN", ActRetry},
	"57": {"不允许持卡人进行的交易", "NOT PERMITTED TO CARDHOLDER", ActDecline},
	"58": {"不允许终端进行的交易", "NOT PERMITTED TO TERMINAL", ActDecline},
	"61": {"超出金额限制", "EXCEEDS AMOUNT LIMIT", ActDecline},
	"65": {"超出消费次数限制", "EXCEEDS COUNT LIMIT", ActDecline},
	"75": {"密码错误次数超限", "PIN TRIES EXCEEDED", ActDecline},
	"77": {"批次号不符 请重新签到", "BATCH MISMATCH, SIGN IN", ActSignIn},
	"94": {"重复交易", "DUPLICATE TRANSACTION", ActDecline},
	"96": {"系统故障", "SYSTEM MALFUNCTION", ActRetry},
	"97": {"终端未登记", "TERMINAL NOT REGISTERED", ActDecline},
	"98": {"发卡方超时", "ISSUER TIMEOUT", ActRetry},
	"99": {"PIN格式错 请重新签到", "PIN FORMAT ERROR, SIGN IN", ActSignIn},
	"A0": {"MAC校验错 请重新签到", "MAC ERROR, SIGN IN", ActSignIn},
	"A2": {"交易成功 请向发卡行确认", "APPROVED, CONFIRM WITH ISSUER", ActApprove},
	"A4": {"交易成功 请向发卡行确认", "APPROVED, CONFIRM WITH ISSUER", ActApprove},
	"A5": {"交易成功 请向发卡行确认", "APPROVED, CONFIRM WITH ISSUER", ActApprove},
	"A6": {"交易成功 请向发卡行确认", "APPROVED, CONFIRM WITH ISSUER", ActApprove},
}

// ResponseText is the merchant message for a host response code, "[51] 可用余额不足";
// an unknown code gives the generic failure text with the code.
func ResponseText(rc string, l Lang) string {
	r, ok := responses[rc]
	if !ok {
		if l == EN {
			return "[" + rc + "] DECLINED"
		}
		return "[" + rc + "] 交易失败"
	}
	if l == EN {
		return "[" + rc + "] " + r.en
	}
	return "[" + rc + "] " + r.zh
}

// ResponseAction says what the terminal does with a response code; unknown codes
// decline.
func ResponseAction(rc string) Action {
	if r, ok := responses[rc]; ok {
		return r.act
	}
	return ActDecline
}
