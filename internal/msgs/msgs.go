// Package msgs is the one catalogue of what the merchant and the cardholder read:
// coded messages with Chinese and English texts and a severity. Screens, slips,
// self-check results and alarms show a Code; the internal error that led there goes to
// the log. It imports nothing of countertop.
package msgs

import "fmt"

// Lang is a display language.
type Lang int

// Languages.
const (
	ZH Lang = iota
	EN
)

// ParseLang reads "zh" or "en".
func ParseLang(s string) (Lang, error) {
	switch s {
	case "zh", "zh-CN":
		return ZH, nil
	case "en":
		return EN, nil
	}
	return ZH, fmt.Errorf("unknown language %q (want zh or en)", s)
}

func (l Lang) String() string { return [...]string{"zh", "en"}[l] }

// Severity grades a message.
type Severity int

// Severities.
const (
	Info Severity = iota
	Warning
	Error
)

func (s Severity) String() string { return [...]string{"info", "warning", "error"}[s] }

// Code identifies a message.
type Code string

type entry struct {
	zh, en string
	sev    Severity
}

// Text returns the message for code in lang; an unknown code returns the code itself
// so a missing entry is visible rather than blank.
func Text(c Code, l Lang) string {
	e, ok := catalogue[c]
	if !ok {
		return string(c)
	}
	if l == EN {
		return e.en
	}
	return e.zh
}

// SeverityOf returns the code's severity (Error for unknown codes).
func SeverityOf(c Code) Severity {
	if e, ok := catalogue[c]; ok {
		return e.sev
	}
	return Error
}

// Codes lists every code of the catalogue.
func Codes() []Code {
	out := make([]Code, 0, len(catalogue))
	for c := range catalogue {
		out = append(out, c)
	}
	return out
}

// Known reports whether the catalogue has c.
func Known(c Code) bool { _, ok := catalogue[c]; return ok }

// Codes of the terminal's own messages.
const (
	PresentCard             Code = "present-card"
	MenuHint                Code = "menu-hint"
	EnterAmount             Code = "enter-amount"
	AmountTooLarge          Code = "amount-too-large"
	ConfirmCard             Code = "confirm-card"
	CheckCardholderID       Code = "check-cardholder-id"
	IDResident              Code = "id-resident"
	IDOfficer               Code = "id-officer"
	IDPassport              Code = "id-passport"
	IDEntry                 Code = "id-entry"
	IDTemporary             Code = "id-temporary"
	IDOther                 Code = "id-other"
	EnterPIN                Code = "enter-pin"
	Processing              Code = "processing"
	Connecting              Code = "connecting"
	Sending                 Code = "sending"
	Receiving               Code = "receiving"
	Reversing               Code = "reversing"
	ParamDownload           Code = "param-download"
	Approved                Code = "approved"
	Declined                Code = "declined"
	Cancelled               Code = "cancelled"
	Printing                Code = "printing"
	TearOff                 Code = "tear-off"
	RemoveCard              Code = "remove-card"
	SignInOK                Code = "sign-in-ok"
	SignInNeeded            Code = "sign-in-needed"
	ConnectFailed           Code = "connect-failed"
	SendFailed              Code = "send-failed"
	ReceiveFailed           Code = "receive-failed"
	MACFailed               Code = "mac-failed"
	HostUnknownReply        Code = "host-bad-reply"
	ReversalFailed          Code = "reversal-failed"
	BadSwipe                Code = "bad-swipe"
	UseChip                 Code = "use-chip"
	CardError               Code = "card-error"
	PINPadFailed            Code = "pinpad-failed"
	PrinterOutPaper         Code = "printer-paper-out"
	PrinterCoverOpen        Code = "printer-cover-open"
	PrinterOffline          Code = "printer-offline"
	PrinterFailed           Code = "printer-failed"
	JournalFailed           Code = "journal-failed"
	Timeout                 Code = "timeout"
	NotAvailable            Code = "not-available"
	ChipNotSupported        Code = "chip-not-supported"
	ContactlessNotSupported Code = "contactless-not-supported"
	KeyCheckFailed          Code = "key-check-failed"
	NoTransaction           Code = "no-transaction"
	MenuTitle               Code = "menu-title"
	MenuRow1                Code = "menu-row-1"
	MenuRow2                Code = "menu-row-2"
	MenuRow3                Code = "menu-row-3"
	MenuRow4                Code = "menu-row-4"
	MenuPreAuth1            Code = "menu-preauth-1"
	MenuPreAuth2            Code = "menu-preauth-2"
	MenuPreAuth3            Code = "menu-preauth-3"
	MenuPreAuth4            Code = "menu-preauth-4"
	TitleAdvice             Code = "title-completion-advice"
	MenuManage7             Code = "menu-manage-7"
	SignedOff               Code = "signed-off"
	TitleVoid               Code = "title-void"
	TitleRefund             Code = "title-refund"
	TitlePreAuth            Code = "title-preauth"
	TitlePreAuthVoid        Code = "title-preauth-void"
	TitleCompletion         Code = "title-completion"
	TitleBalance            Code = "title-balance"
	TitleSettle             Code = "title-settle"
	EnterVoucher            Code = "enter-voucher"
	EnterRRN                Code = "enter-rrn"
	EnterDate               Code = "enter-date"
	ConfirmSettle           Code = "confirm-settle"
	BalanceIs               Code = "balance-is"
	Original                Code = "original"
	TitlePrint              Code = "title-print"
	TitleManage             Code = "title-manage"
	TitleQuery              Code = "title-query"
	TitleEcho               Code = "title-echo"
	MenuPrint1              Code = "menu-print-1"
	MenuPrint2              Code = "menu-print-2"
	MenuManage1             Code = "menu-manage-1"
	MenuManage2             Code = "menu-manage-2"
	MenuManage3             Code = "menu-manage-3"
	MenuManage4             Code = "menu-manage-4"
	MenuManage5             Code = "menu-manage-5"
	MenuManage6             Code = "menu-manage-6"
	TitleOperators          Code = "title-operators"
	MenuOperators1          Code = "menu-operators-1"
	MenuOperators2          Code = "menu-operators-2"
	MenuOperators3          Code = "menu-operators-3"
	EnterOperator           Code = "enter-operator"
	OperatorPassword        Code = "operator-password"
	OperatorAdded           Code = "operator-added"
	OperatorRemoved         Code = "operator-removed"
	OperatorReset           Code = "operator-reset"
	OperatorSignedOn        Code = "operator-signed-on"
	OperatorExists          Code = "operator-exists"
	OperatorUnknown         Code = "operator-unknown"
	EchoOK                  Code = "echo-ok"
	QueryHint               Code = "query-hint"
	ChipProcessing          Code = "chip-processing"
	CardBlocked             Code = "card-blocked"
	ChipFailedSwipe         Code = "chip-failed-swipe"
	CardDeclined            Code = "card-declined"
	ChooseApp               Code = "choose-app"
	BatchUploading          Code = "batch-uploading"
	ReversedDone            Code = "reversed-done"
	ReloadPaper             Code = "reload-paper"
	ReversalPending         Code = "reversal-pending"
	TitlePassword           Code = "title-password"
	NewPassword             Code = "new-password"
	PasswordAgain           Code = "password-again"
	PasswordsDiffer         Code = "passwords-differ"
	PasswordWeak            Code = "password-weak"
	PasswordChanged         Code = "password-changed"
	SupervisorPass          Code = "supervisor-password"
	WrongPassword           Code = "wrong-password"
	OperatorLocked          Code = "operator-locked"
	TitleSale               Code = "title-sale"
	TitleSignIn             Code = "title-sign-in"
	TitleReprint            Code = "title-reprint"
	ConfirmPrompt           Code = "confirm-prompt"
	Voucher                 Code = "voucher"
	PressAnyKey             Code = "press-any-key"
	HostOK                  Code = "host-ok"
	NotSignedIn             Code = "not-signed-in"
	PrinterOK               Code = "printer-ok"
	SlipLater               Code = "slip-later"
	OriginalNotFound        Code = "original-not-found"
	AlreadyVoided           Code = "already-voided"
	NotVoidable             Code = "not-voidable"
	NotRefundable           Code = "not-refundable"
	RefundTooLarge          Code = "refund-too-large"
	CardMismatch            Code = "card-mismatch"
	Balanced                Code = "balanced"
	NotBalanced             Code = "not-balanced"
	SettleDone              Code = "settle-done"
)

var catalogue = map[Code]entry{
	PresentCard:             {"请插卡/刷卡/挥卡", "INSERT/SWIPE/TAP CARD", Info},
	MenuHint:                {"按[菜单]键进入菜单", "PRESS MENU FOR MENU", Info},
	EnterAmount:             {"请输入金额:", "ENTER AMOUNT:", Info},
	AmountTooLarge:          {"金额超限", "AMOUNT TOO LARGE", Warning},
	ConfirmCard:             {"请核对卡号金额 确认?", "CHECK CARD/AMOUNT, ENTER?", Info},
	CheckCardholderID:       {"请核对持卡人证件", "CHECK CARDHOLDER ID", Info},
	IDResident:              {"身份证", "RESIDENT ID CARD", Info},
	IDOfficer:               {"军官证", "OFFICER ID", Info},
	IDPassport:              {"护照", "PASSPORT", Info},
	IDEntry:                 {"入境证", "ENTRY PERMIT", Info},
	IDTemporary:             {"临时身份证", "TEMPORARY ID CARD", Info},
	IDOther:                 {"其它证件", "OTHER ID", Info},
	EnterPIN:                {"请持卡人输入密码", "CARDHOLDER PLEASE ENTER PIN", Info},
	Processing:              {"处理中...", "PROCESSING...", Info},
	Connecting:              {"连接中...", "CONNECTING...", Info},
	Sending:                 {"发送中...", "SENDING...", Info},
	Receiving:               {"接收中...", "RECEIVING...", Info},
	Reversing:               {"自动冲正...", "AUTO REVERSAL...", Info},
	ParamDownload:           {"参数下载中...", "DOWNLOADING PARAMETERS...", Info},
	Approved:                {"交易成功", "APPROVED", Info},
	Declined:                {"交易失败", "DECLINED", Warning},
	Cancelled:               {"交易取消", "CANCELLED", Info},
	Printing:                {"打印凭单中", "PRINTING", Info},
	TearOff:                 {"请撕小票 按任意键继续", "TEAR OFF, PRESS ANY KEY", Info},
	RemoveCard:              {"请拔卡", "REMOVE CARD", Info},
	SignInOK:                {"签到成功", "SIGNED IN", Info},
	SignInNeeded:            {"请做联机签到", "PLEASE SIGN IN", Warning},
	ConnectFailed:           {"联接失败", "CONNECT FAILED", Error},
	SendFailed:              {"数据发送失败", "SEND FAILED", Error},
	ReceiveFailed:           {"数据接收失败", "NO REPLY FROM HOST", Error},
	MACFailed:               {"收包MAC校验错", "REPLY MAC ERROR", Error},
	HostUnknownReply:        {"收包错误", "BAD REPLY FROM HOST", Error},
	ReversalFailed:          {"冲正失败", "REVERSAL FAILED", Error},
	BadSwipe:                {"刷卡错误 请重刷", "BAD SWIPE, SWIPE AGAIN", Warning},
	UseChip:                 {"请插入IC卡", "PLEASE INSERT CHIP", Warning},
	CardError:               {"读卡失败", "CARD READ ERROR", Error},
	PINPadFailed:            {"密码键盘故障", "PIN PAD ERROR", Error},
	PrinterOutPaper:         {"打印机缺纸", "PRINTER OUT OF PAPER", Error},
	PrinterCoverOpen:        {"打印机仓盖未关", "PRINTER COVER OPEN", Error},
	PrinterOffline:          {"打印机离线", "PRINTER OFFLINE", Error},
	PrinterFailed:           {"打印失败", "PRINT FAILED", Error},
	JournalFailed:           {"存储故障 请联系客服", "JOURNAL ERROR, CALL SUPPORT", Error},
	Timeout:                 {"操作超时", "TIMEOUT", Warning},
	NotAvailable:            {"暂不支持该功能", "FUNCTION NOT AVAILABLE", Warning},
	ChipNotSupported:        {"暂不支持IC卡 请刷卡", "CHIP NOT SUPPORTED YET, SWIPE", Warning},
	ContactlessNotSupported: {"暂不支持挥卡 请插卡或刷卡", "TAP NOT SUPPORTED, INSERT OR SWIPE", Warning},
	KeyCheckFailed:          {"密钥校验错 请重新签到", "KEY CHECK FAILED, SIGN IN", Error},
	NoTransaction:           {"无交易", "NO TRANSACTION", Warning},
	MenuTitle:               {"主菜单", "MAIN MENU", Info},
	MenuRow1:                {"1.消费    2.撤销", "1.SALE    2.VOID", Info},
	MenuRow2:                {"3.退货    4.预授权", "3.REFUND  4.PRE-AUTH", Info},
	MenuRow3:                {"5.余额    6.结算", "5.BALANCE 6.SETTLE", Info},
	MenuRow4:                {"7.打印    8.管理", "7.PRINT   8.MANAGE", Info},
	TitlePrint:              {"打印", "PRINT", Info},
	TitleManage:             {"管理", "MANAGEMENT", Info},
	TitleQuery:              {"交易查询", "TRANSACTIONS", Info},
	TitleEcho:               {"回响测试", "ECHO TEST", Info},
	MenuPrint1:              {"1.重打最后一笔", "1.REPRINT LAST", Info},
	MenuPrint2:              {"2.重打任意一笔", "2.REPRINT ANY", Info},
	MenuManage1:             {"1.签到", "1.SIGN IN", Info},
	MenuManage2:             {"2.回响测试", "2.ECHO TEST", Info},
	MenuManage3:             {"3.交易查询", "3.TRANSACTIONS", Info},
	MenuManage4:             {"4.修改主管密码", "4.SUPERVISOR PASSWORD", Info},
	MenuManage5:             {"5.操作员管理", "5.OPERATORS", Info},
	MenuManage6:             {"6.操作员签到", "6.OPERATOR SIGN-ON", Info},
	TitleOperators:          {"操作员管理", "OPERATORS", Info},
	MenuOperators1:          {"1.增加操作员", "1.ADD", Info},
	MenuOperators2:          {"2.删除操作员", "2.REMOVE", Info},
	MenuOperators3:          {"3.重置操作员密码", "3.RESET PASSWORD", Info},
	EnterOperator:           {"请输入操作员号:", "OPERATOR NO:", Info},
	OperatorPassword:        {"请输入操作员密码:", "OPERATOR PASSWORD:", Info},
	OperatorAdded:           {"操作员已增加", "OPERATOR ADDED", Info},
	OperatorRemoved:         {"操作员已删除", "OPERATOR REMOVED", Info},
	OperatorReset:           {"密码已重置为0000 首次使用须修改", "RESET TO 0000, CHANGE AT FIRST USE", Info},
	OperatorSignedOn:        {"操作员签到成功", "OPERATOR SIGNED ON", Info},
	OperatorExists:          {"操作员已存在", "OPERATOR EXISTS", Warning},
	OperatorUnknown:         {"无此操作员", "NO SUCH OPERATOR", Warning},
	EchoOK:                  {"通讯正常", "HOST REACHABLE", Info},
	QueryHint:               {"[上/下]翻页 [取消]退出", "UP/DOWN, CANCEL", Info},
	MenuPreAuth1:            {"1.预授权", "1.PRE-AUTH", Info},
	MenuPreAuth2:            {"2.预授权撤销", "2.PRE-AUTH VOID", Info},
	MenuPreAuth3:            {"3.预授权完成", "3.COMPLETION", Info},
	MenuPreAuth4:            {"4.预授权完成通知", "4.COMPLETION (OFFLINE)", Info},
	TitleAdvice:             {"预授权完成通知", "COMPLETION ADVICE", Info},
	MenuManage7:             {"7.签退", "7.SIGN OFF", Info},
	SignedOff:               {"签退成功", "SIGNED OFF", Info},
	TitleVoid:               {"消费撤销", "VOID", Info},
	TitleRefund:             {"退货", "REFUND", Info},
	TitlePreAuth:            {"预授权", "PRE-AUTH", Info},
	TitlePreAuthVoid:        {"预授权撤销", "PRE-AUTH VOID", Info},
	TitleCompletion:         {"预授权完成", "COMPLETION", Info},
	TitleBalance:            {"余额查询", "BALANCE", Info},
	TitleSettle:             {"结算", "SETTLEMENT", Info},
	EnterVoucher:            {"请输入原凭证号:", "ORIGINAL VOUCHER NO:", Info},
	EnterRRN:                {"请输入原参考号:", "ORIGINAL REF NO:", Info},
	EnterDate:               {"请输入原交易日期(月月日日):", "ORIGINAL DATE (MMDD):", Info},
	ConfirmSettle:           {"是否批结算? 按[确认]键继续", "SETTLE THE BATCH? ENTER", Info},
	BalanceIs:               {"可用余额:", "AVAILABLE BALANCE:", Info},
	Original:                {"原交易", "ORIGINAL", Info},
	ChipProcessing:          {"IC卡处理中 请勿拔卡", "PROCESSING CHIP, DO NOT REMOVE", Info},
	CardBlocked:             {"卡片已锁定", "CARD BLOCKED", Error},
	ChipFailedSwipe:         {"IC卡读卡失败 请拔卡后刷卡", "CHIP ERROR, REMOVE AND SWIPE", Warning},
	CardDeclined:            {"卡片拒绝交易", "DECLINED BY CARD", Warning},
	ChooseApp:               {"请选择应用:", "SELECT APPLICATION:", Info},
	BatchUploading:          {"POS批上送 请稍候", "UPLOADING THE BATCH", Info},
	ReversedDone:            {"已自动冲正 未扣款", "REVERSED, NOT CHARGED", Info},
	ReloadPaper:             {"装纸后按[确认]打印 按[取消]退出", "LOAD PAPER, ENTER TO PRINT, CANCEL", Warning},
	ReversalPending:         {"冲正未完成 将自动重试", "REVERSAL PENDING, WILL RETRY", Warning},
	TitlePassword:           {"修改主管密码", "CHANGE SUPERVISOR PASSWORD", Warning},
	NewPassword:             {"请输入新密码:", "NEW PASSWORD:", Info},
	PasswordAgain:           {"请再次输入新密码:", "NEW PASSWORD AGAIN:", Info},
	PasswordsDiffer:         {"两次输入不一致", "PASSWORDS DIFFER", Warning},
	PasswordWeak:            {"密码过于简单 请重新设置", "PASSWORD TOO SIMPLE", Warning},
	PasswordChanged:         {"密码修改成功", "PASSWORD CHANGED", Info},
	SupervisorPass:          {"请输入主管密码:", "SUPERVISOR PASSWORD:", Info},
	WrongPassword:           {"密码错误", "WRONG PASSWORD", Warning},
	OperatorLocked:          {"密码错误次数过多 请稍后再试", "LOCKED, TRY LATER", Error},
	TitleSale:               {"消费", "SALE", Info},
	TitleSignIn:             {"签到", "SIGN IN", Info},
	TitleReprint:            {"重打印", "REPRINT", Info},
	ConfirmPrompt:           {"确认(ENTER)?", "CONFIRM (ENTER)?", Info},
	Voucher:                 {"凭证号", "VOUCHER", Info},
	PressAnyKey:             {"按任意键返回", "PRESS ANY KEY", Info},
	HostOK:                  {"已签到", "SIGNED IN", Info},
	NotSignedIn:             {"未签到", "NOT SIGNED IN", Warning},
	PrinterOK:               {"打印机正常", "PRINTER OK", Info},
	SlipLater:               {"请稍后重打印", "REPRINT THE SLIP LATER", Warning},
	OriginalNotFound:        {"原交易不存在", "ORIGINAL NOT FOUND", Warning},
	AlreadyVoided:           {"原交易已撤销", "ALREADY VOIDED", Warning},
	NotVoidable:             {"原交易不能撤销", "CANNOT VOID THIS", Warning},
	NotRefundable:           {"原交易不能退货", "CANNOT REFUND THIS", Warning},
	RefundTooLarge:          {"输入金额无效 超原交易金额", "AMOUNT OVER ORIGINAL", Warning},
	CardMismatch:            {"卡号与原交易不符", "NOT THE ORIGINAL CARD", Warning},
	Balanced:                {"对账平", "BALANCED", Info},
	NotBalanced:             {"对账不平", "NOT BALANCED", Warning},
	SettleDone:              {"结算完成", "SETTLEMENT DONE", Info},
}
