package msgs

// Codes of the start-up self-check (internal/selfcheck) and of the transaction alarms
// (internal/risk). They live in this file so that msgs.go stays untouched; they are
// merged into the one catalogue below, so Text, SeverityOf and Known see them like any
// other code.

// Self-check results and what a failed check forbids.
const (
	CheckTitle          Code = "check-title"
	CheckAllOK          Code = "check-all-ok"
	CheckProblems       Code = "check-problems"
	CheckTimeout        Code = "check-timeout"
	CheckReaderOK       Code = "check-reader-ok"
	CheckReaderMissing  Code = "check-reader-missing"
	CheckReaderFailed   Code = "check-reader-failed"
	CheckPINPadOK       Code = "check-pinpad-ok"
	CheckPINPadMissing  Code = "check-pinpad-missing"
	CheckPINPadNoKey    Code = "check-pinpad-no-key"
	CheckPrinterMissing Code = "check-printer-missing"
	CheckPaperNearEnd   Code = "check-paper-near-end"
	CheckKeypadOK       Code = "check-keypad-ok"
	CheckKeypadUntested Code = "check-keypad-untested"
	CheckKeypadMissing  Code = "check-keypad-missing"
	CheckKeypadFailed   Code = "check-keypad-failed"
	CheckDisplayOK      Code = "check-display-ok"
	CheckDisplayMissing Code = "check-display-missing"
	CheckDisplayFailed  Code = "check-display-failed"
	CheckJournalOK      Code = "check-journal-ok"
	CheckClockOK        Code = "check-clock-ok"
	CheckClockWrong     Code = "check-clock-wrong"
	CheckClockBehind    Code = "check-clock-behind"
	CheckHostOK         Code = "check-host-ok"
	CheckHostFailed     Code = "check-host-failed"
	CheckKeysOK         Code = "check-keys-ok"
	CheckNoTMK          Code = "check-no-tmk"
	CheckNotSignedIn    Code = "check-not-signed-in"

	NeedJournal Code = "need-journal"
	NeedClock   Code = "need-clock"
	NeedHost    Code = "need-host"
	NeedKeys    Code = "need-keys"
	NeedTMK     Code = "need-tmk"
	NeedReader  Code = "need-reader"
	NeedPINPad  Code = "need-pinpad"
	NeedPrinter Code = "need-printer"
	NeedConsole Code = "need-console"
)

// Alarms on abnormal transactions.
const (
	RiskAmount       Code = "risk-amount"
	RiskCardVelocity Code = "risk-card-velocity"
	RiskDeclines     Code = "risk-declines"
	RiskWrongPIN     Code = "risk-wrong-pin"
	RiskRefundOver   Code = "risk-refund-over-sales"
	RiskAfterHours   Code = "risk-after-hours"
	RiskBlocked      Code = "risk-blocked"
	RiskAlarmTitle   Code = "risk-alarm-title"
)

var checkCatalogue = map[Code]entry{
	CheckTitle:          {"开机自检", "SELF-CHECK", Info},
	CheckAllOK:          {"自检通过", "ALL CHECKS PASSED", Info},
	CheckProblems:       {"自检发现问题", "SELF-CHECK FOUND PROBLEMS", Warning},
	CheckTimeout:        {"检测超时", "CHECK TIMED OUT", Error},
	CheckReaderOK:       {"读卡器正常", "CARD READER OK", Info},
	CheckReaderMissing:  {"读卡器未连接", "NO CARD READER", Error},
	CheckReaderFailed:   {"读卡器故障", "CARD READER FAULT", Error},
	CheckPINPadOK:       {"密码键盘正常", "PIN PAD OK", Info},
	CheckPINPadMissing:  {"密码键盘未连接", "NO PIN PAD", Error},
	CheckPINPadNoKey:    {"密码键盘无密钥 请签到", "PIN PAD HAS NO KEY, SIGN IN", Warning},
	CheckPrinterMissing: {"打印机未连接", "NO PRINTER", Error},
	CheckPaperNearEnd:   {"打印纸将尽 请换纸", "PAPER LOW, REFILL SOON", Warning},
	CheckKeypadOK:       {"键盘正常", "KEYPAD OK", Info},
	CheckKeypadUntested: {"键盘已连接 请按键确认", "KEYPAD PRESENT, TRY A KEY", Info},
	CheckKeypadMissing:  {"键盘未连接", "NO KEYPAD", Error},
	CheckKeypadFailed:   {"键盘故障", "KEYPAD FAULT", Error},
	CheckDisplayOK:      {"显示屏正常", "DISPLAY OK", Info},
	CheckDisplayMissing: {"显示屏未连接", "NO DISPLAY", Error},
	CheckDisplayFailed:  {"显示屏故障", "DISPLAY FAULT", Error},
	CheckJournalOK:      {"存储正常", "JOURNAL OK", Info},
	CheckClockOK:        {"时钟正常", "CLOCK OK", Info},
	CheckClockWrong:     {"系统时间错误 请校准", "CLOCK WRONG, SET THE TIME", Error},
	CheckClockBehind:    {"时间早于上笔交易 请校准", "CLOCK BEHIND LAST TXN, CHECK", Warning},
	CheckHostOK:         {"主机连接正常", "HOST REACHABLE", Info},
	CheckHostFailed:     {"主机连接失败 请检查网络", "HOST UNREACHABLE, CHECK NETWORK", Error},
	CheckKeysOK:         {"密钥正常", "KEYS OK", Info},
	CheckNoTMK:          {"未装主密钥 请联系客服", "NO MASTER KEY, CALL SUPPORT", Error},
	CheckNotSignedIn:    {"未签到 请做联机签到", "NOT SIGNED IN, PLEASE SIGN IN", Warning},

	NeedJournal: {"存储故障 暂停交易", "JOURNAL FAULT: NO TRANSACTIONS", Error},
	NeedClock:   {"系统时间错误 暂停交易", "CLOCK WRONG: NO TRANSACTIONS", Error},
	NeedHost:    {"主机不通 暂停联机交易", "HOST DOWN: NO ONLINE TRANSACTIONS", Error},
	NeedKeys:    {"请先签到", "SIGN IN FIRST", Warning},
	NeedTMK:     {"未装主密钥 不能签到", "NO MASTER KEY: CANNOT SIGN IN", Error},
	NeedReader:  {"读卡器故障 暂停刷卡交易", "READER FAULT: NO CARD TRANSACTIONS", Error},
	NeedPINPad:  {"密码键盘故障 不能输密码", "PIN PAD FAULT: NO PIN TRANSACTIONS", Error},
	NeedPrinter: {"打印机故障 暂停交易", "PRINTER FAULT: TRANSACTIONS STOPPED", Error},
	NeedConsole: {"键盘或显示屏故障", "KEYPAD OR DISPLAY FAULT", Error},

	RiskAmount:       {"单笔金额超限", "AMOUNT OVER SINGLE LIMIT", Warning},
	RiskCardVelocity: {"同一卡短时多笔交易", "MANY TXNS ON ONE CARD", Warning},
	RiskDeclines:     {"同一卡多次被拒", "REPEATED DECLINES ON CARD", Warning},
	RiskWrongPIN:     {"同一卡多次密码错", "REPEATED WRONG PIN ON CARD", Warning},
	RiskRefundOver:   {"退货超当日消费", "REFUNDS OVER TODAY'S SALES", Warning},
	RiskAfterHours:   {"非营业时间交易", "OUTSIDE BUSINESS HOURS", Warning},
	RiskBlocked:      {"风险交易 已拒绝", "RISKY: TRANSACTION REFUSED", Error},
	RiskAlarmTitle:   {"交易报警", "TRANSACTION ALARM", Warning},
}

// The blank variable merges checkCatalogue into catalogue during package initialisation
// (the initialiser refers to catalogue, so the map literal in msgs.go is built first).
// A code defined in both files is a programming error found at start-up.
var _ = mergeCatalogue(catalogue, checkCatalogue)

func mergeCatalogue(into, from map[Code]entry) int {
	for c, e := range from {
		if _, dup := into[c]; dup {
			panic("msgs: code " + string(c) + " defined twice")
		}
		into[c] = e
	}
	return len(from)
}
