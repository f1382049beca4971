//go:build pcsc

package integration

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"countertop/store"
)

// rig starts acquirer-sim, devsim and posd for one test and signs posd in.
func rig(t *testing.T, pinpad bool) (*posd, *devsim) {
	t.Helper()
	needStack(t)
	waitReaderEmpty(t)
	dir := t.TempDir()
	acq := startAcquirer(t)
	dev := startDevsim(t, dir)
	p := startPosd(t, dir, setup{acquirer: acq, dev: dev, pinpad: pinpad})
	p.signIn()
	return p, dev
}

// journalLine is what the tests compare of a record.
type journalLine struct {
	Type, State, Amount, PAN, Entry, RespCode, CVM string
	Printed                                        bool
	AID, AC                                        string
}

func lineOf(r store.Record) journalLine {
	l := journalLine{Type: r.Type.String(), State: r.State.String(), Amount: r.Amount.String(), PAN: r.MaskedPAN,
		Entry: r.Entry.String(), RespCode: r.RespCode, CVM: r.CVM, Printed: r.Printed}
	if r.Chip != nil {
		l.AID, l.AC = r.Chip.AID, r.Chip.CryptogramType
	}
	return l
}

// (a) A PBOC credit card in the PC/SC reader: the kernel reads it through pcscd and
// vpcd, the acquirer verifies the ARQC over TCP, the card completes with a TC, and the
// slip the printer on the pty cut carries the chip data.
func TestChipSaleOnlineApproved(t *testing.T) {
	p, dev := rig(t, false)
	p.sale("12800", "RMB 128.00")
	p.waitFor("请插卡", 5*time.Second)
	p.keys("") // mark: what follows comes from the card
	dev.do("insert cup-pboc-credit")
	p.waitFor("************0019", 15*time.Second)
	p.waitFor("ZHAO/LIU", 5*time.Second)
	p.keys("\r")
	p.waitFor("交易成功", 30*time.Second)
	dev.event("event slip 1", 10*time.Second)
	dev.do("remove")

	slips := dev.slipTexts()
	if len(slips) != 1 {
		t.Fatalf("%d slips, want 1", len(slips))
	}
	for _, want := range []string{"A000000333010102", "PBOC CREDIT", "TVR:0000008000", "TSI:F800", "TC:", "RMB 128.00", "持卡人签名"} {
		if !strings.Contains(slips[0], want) {
			t.Errorf("slip lacks %q:\n%s", want, slips[0])
		}
	}
	if strings.Contains(slips[0], "6225880000000019") {
		t.Error("the slip holds the full card number")
	}
	// The same slip as paper shows it: a 384-dot PNG drawn from the printer's bytes.
	pngFile, err := os.Open(filepath.Join(dev.slips, "slip-001.png"))
	if err != nil {
		t.Fatalf("no PNG of the slip: %v", err)
	}
	cfg, err := png.DecodeConfig(pngFile)
	pngFile.Close()
	if err != nil || cfg.Width != 384 || cfg.Height < 1000 {
		t.Errorf("slip PNG %dx%d, %v; want 384 dots wide, a whole slip long", cfg.Width, cfg.Height, err)
	}
	j := p.quit()
	rs := records(t, j)
	want := []journalLine{{Type: "sale", State: "approved", Amount: "RMB 128.00", PAN: "************0019", Entry: "chip",
		RespCode: "00", CVM: "signature", Printed: true, AID: "A000000333010102", AC: "TC"}}
	if diff := cmp.Diff(want, mapLines(rs)); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
	p.logHasNo("6225880000000019")
}

func mapLines(rs []store.Record) []journalLine {
	out := make([]journalLine, len(rs))
	for i, r := range rs {
		out[i] = lineOf(r)
	}
	return out
}

// (a') A UnionPay debit chip card whose CVM list asks for an online PIN, typed on the
// ABECS PIN pad on devsim's pseudo-terminal: the pad encrypts the PIN block under the
// working key posd loaded through it, the acquirer checks it with field 55.
func TestChipSaleOnlinePIN(t *testing.T) {
	p, dev := rig(t, true)
	p.sale("6600", "RMB 66.00")
	p.waitFor("请插卡", 5*time.Second)
	p.keys("")
	dev.do("insert cup-chip-swiped")
	p.waitFor("************0007", 15*time.Second)
	p.keys("\r")
	p.waitFor("请持卡人输入密码", 20*time.Second)
	if _, inProcess := p.waitAny(2*time.Second, "PIN pad:"); inProcess {
		t.Skip("this posd keeps the PIN pad in process (devices.pinpad = \"serial\" not wired yet)")
	}
	p.keys("")
	dev.do("pin 246810")
	p.waitFor("交易成功", 30*time.Second)
	dev.event("event slip 1", 10*time.Second)
	dev.do("remove")
	j := p.quit()
	want := []journalLine{{Type: "sale", State: "approved", Amount: "RMB 66.00", PAN: "************0007", Entry: "chip",
		RespCode: "00", CVM: "pin", Printed: true, AID: "A000000333010101", AC: "TC"}}
	if diff := cmp.Diff(want, mapLines(records(t, j))); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
	p.logHasNo("6228480000000007")
}

// (b) The card leaves the reader at GENERATE AC (cup-chip-removed: devsim closes the
// vpcd connection in the middle of the exchange): nothing is approved or journaled,
// the merchant is asked to swipe, and the swipe on the stripe reader completes the
// sale as a fallback.
func TestChipRemovedMidTransaction(t *testing.T) {
	p, dev := rig(t, false)
	p.sale("3300", "RMB 33.00")
	p.waitFor("请插卡", 5*time.Second)
	p.keys("")
	dev.do("insert cup-chip-removed")
	p.waitFor("************0035", 15*time.Second)
	p.keys("\r")
	p.waitFor("IC卡读卡失败 请拔卡后刷卡", 20*time.Second)
	dev.event("event card-gone cup-chip-removed", 5*time.Second)
	if s := p.since(); strings.Contains(s, "交易成功") {
		t.Fatalf("approved after the card left:\n%s", s)
	}
	dev.do("remove")
	p.keys("")
	dev.do("swipe cup-chip-removed")
	p.waitFor("************0035", 15*time.Second)
	p.keys("\r")
	enterPIN(t, p, dev, "135790", false)
	p.waitFor("交易成功", 30*time.Second)

	j := p.quit()
	rs := records(t, j)
	if len(rs) != 1 {
		t.Fatalf("journal has %d records, want only the fallback sale: %+v", len(rs), mapLines(rs))
	}
	got := lineOf(rs[0])
	if got.State != "approved" || got.Entry != "fallback" || got.Amount != "RMB 33.00" {
		t.Errorf("journal = %+v, want an approved fallback sale of RMB 33.00", got)
	}
}

// (b') The cardholder pulls the card out while the merchant confirms (the kernel has
// read it and waits to generate the cryptogram): devsim closes the vpcd connection,
// posd must not approve, and nothing is journaled as approved.
func TestChipPulledDuringConfirmation(t *testing.T) {
	p, dev := rig(t, false)
	p.sale("2500", "RMB 25.00")
	p.waitFor("请插卡", 5*time.Second)
	p.keys("")
	dev.do("insert cup-pboc-credit")
	p.waitFor("************0019", 15*time.Second)
	dev.do("remove")
	waitReaderEmpty(t)
	p.keys("\r")
	msg, ok := p.waitAny(20*time.Second, "IC卡读卡失败", "请拔卡", "交易失败", "卡已拔出", "读卡失败")
	if !ok {
		t.Fatalf("no card-removed message; output since the confirmation:\n%s", p.since())
	}
	t.Logf("posd showed %q", msg)
	if s := p.since(); strings.Contains(s, "交易成功") {
		t.Fatalf("approved after the card left (%s):\n%s", msg, s)
	}
	j := p.quit()
	for _, r := range records(t, j) {
		if r.State == store.Approved {
			t.Errorf("approved record after the card left: %+v", lineOf(r))
		}
	}
}

// enterPIN types the PIN where posd asks for it: on devsim's PIN pad when posd drives
// the serial one, else on the console (posd's in-process PIN pad simulator).
func enterPIN(t *testing.T, p *posd, dev *devsim, pin string, serial bool) {
	t.Helper()
	if serial {
		p.waitFor("请持卡人输入密码", 20*time.Second)
		p.keys("")
		dev.do("pin " + pin)
		return
	}
	p.waitFor("PIN pad:", 20*time.Second)
	p.keys(pin + "\r")
}

// (c) A swipe on the serial stripe reader: an unreadable swipe first ("swipe
// again"), then a good one; PIN, approval, slip.
func TestSwipeSale(t *testing.T) {
	p, dev := rig(t, false)
	p.sale("4200", "RMB 42.00")
	p.waitFor("请插卡", 5*time.Second)
	p.keys("")
	dev.do("swipe-bad")
	p.waitFor("刷卡错误 请重刷", 10*time.Second)
	p.keys("")
	dev.do("swipe cup-debit")
	p.waitFor("ZHANG/SAN", 10*time.Second)
	p.keys("\r")
	enterPIN(t, p, dev, "123456", false)
	p.waitFor("交易成功", 30*time.Second)
	dev.event("event slip 1", 10*time.Second)
	slips := dev.slipTexts()
	if len(slips) != 1 || !strings.Contains(slips[0], "RMB 42.00") || !strings.Contains(slips[0], "**** **** **** ***0 128") {
		t.Errorf("slips = %q", slips)
	}
	j := p.quit()
	want := []journalLine{{Type: "sale", State: "approved", Amount: "RMB 42.00", PAN: "***************0128", Entry: "magstripe",
		RespCode: "00", CVM: "pin", Printed: true}}
	if diff := cmp.Diff(want, mapLines(records(t, j))); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
	p.logHasNo("6222021234567890128")
}

// (d) The paper runs out while the slip prints: the sale stands (approved and
// journaled, not printed), the merchant is told; after a new roll the reprint comes
// out complete, marked as a reprint, and the journal knows it was printed.
func TestPaperOutSlipLater(t *testing.T) {
	p, dev := rig(t, false)
	dev.do("paper-out-after 5")
	p.sale("4200", "RMB 42.00")
	p.waitFor("请插卡", 5*time.Second)
	p.keys("")
	dev.do("swipe cup-debit")
	p.waitFor("ZHANG/SAN", 10*time.Second)
	p.keys("\r")
	enterPIN(t, p, dev, "123456", false)
	// The printer stops part-way: the terminal asks for paper; the merchant leaves
	// the slip for later (Esc), and the result screen says so.
	p.waitFor("装纸后按[确认]打印", 30*time.Second)
	p.keys("\x1b")
	p.waitFor("交易成功", 30*time.Second)
	p.waitFor("打印机缺纸", 10*time.Second)
	if n := len(dev.slipTexts()); n != 0 {
		t.Errorf("%d slips cut with the paper out", n)
	}
	p.keys("\r")
	p.waitFor("请插卡", 60*time.Second)
	dev.do("paper-in")
	p.keys("m")
	p.waitFor("7.打印", 5*time.Second)
	p.keys("7")
	p.waitFor("1.重打最后一笔", 5*time.Second)
	p.keys("1")
	p.waitFor("重打印", 10*time.Second)
	dev.event("event slip 1", 15*time.Second)
	slips := dev.slipTexts()
	if len(slips) != 1 || !strings.Contains(slips[0], "重打印") || !strings.Contains(slips[0], "RMB 42.00") {
		t.Errorf("slips after the new roll = %q", slips)
	}
	j := p.quit()
	rs := records(t, j)
	if len(rs) != 1 || rs[0].State != store.Approved || !rs[0].Printed {
		t.Errorf("journal = %+v, want one approved sale, printed", mapLines(rs))
	}
}

// (e) The PIN pad's cable is pulled while the cardholder is to type the PIN: no
// approval, a clear message, nothing left pending. Needs posd to drive a serial PIN
// pad (devices.pinpad = "serial").
func TestPINPadUnplugged(t *testing.T) {
	p, dev := rig(t, true)
	if dev.state.PINPad == "" {
		t.Skip("devsim has no PIN pad")
	}
	p.sale("4200", "RMB 42.00")
	p.waitFor("请插卡", 5*time.Second)
	p.keys("")
	dev.do("swipe cup-debit")
	p.waitFor("ZHANG/SAN", 10*time.Second)
	p.keys("\r")
	p.waitFor("请持卡人输入密码", 20*time.Second)
	// posd's in-process PIN pad shows its prompt under the screen at once.
	if _, inProcess := p.waitAny(2*time.Second, "PIN pad:"); inProcess {
		t.Skip("this posd keeps the PIN pad in process (devices.pinpad = \"serial\" not wired yet)")
	}
	p.keys("")
	dev.do("pinpad-unplug")
	p.waitFor("密码键盘故障", 30*time.Second)
	if s := p.since(); strings.Contains(s, "交易成功") {
		t.Fatalf("approved without a PIN pad:\n%s", s)
	}
	j := p.quit()
	for _, r := range records(t, j) {
		if r.State == store.Approved {
			t.Errorf("an approved record after the PIN pad went: %+v", lineOf(r))
		}
	}
	if _, pending, err := j.PendingReversal(); err != nil || pending {
		t.Errorf("pending reversal %v, %v; want none (nothing was sent)", pending, err)
	}
}
