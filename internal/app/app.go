package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"countertop/hal"
	"countertop/internal/money"
	"countertop/internal/msgs"
	"countertop/internal/operators"
	"countertop/internal/txn"
	"countertop/internal/txtype"
)

// Settings is what the application needs from the configuration.
type Settings struct {
	Lang          msgs.Lang
	Currency      money.Currency
	MaxAmount     int64
	InputTimeout  time.Duration
	ResultTimeout time.Duration
}

// Engine is the transaction engine as the menus use it.
type Engine interface {
	SignedIn() bool
	SignIn(ctx context.Context) error
	Sale(ctx context.Context, amount money.Amount, ev hal.CardEvent) (txn.Result, error)
	Void(ctx context.Context, voucher txtype.STAN, ev hal.CardEvent) (txn.Result, error)
	Refund(ctx context.Context, amount money.Amount, rrn, date string, ev hal.CardEvent) (txn.Result, error)
	PreAuth(ctx context.Context, amount money.Amount, ev hal.CardEvent) (txn.Result, error)
	PreAuthVoid(ctx context.Context, voucher txtype.STAN, ev hal.CardEvent) (txn.Result, error)
	PreAuthCompletion(ctx context.Context, voucher txtype.STAN, amount money.Amount, ev hal.CardEvent) (txn.Result, error)
	CompletionAdvice(ctx context.Context, voucher txtype.STAN, amount money.Amount, ev hal.CardEvent) (txn.Result, error)
	SignOff(ctx context.Context) error
	Balance(ctx context.Context, ev hal.CardEvent) (money.Amount, string, error)
	Settle(ctx context.Context) (txn.Settlement, error)
	FindVoucher(voucher txtype.STAN) (txn.Record, error)
	Reprint(ctx context.Context, voucher txtype.STAN) (txn.Record, error)
	Echo(ctx context.Context) error
	Today() ([]txn.Record, error)
	SetOperator(id string)
	// MerchantName is the name on the idle screen and the slips (the host's
	// parameter download may change it).
	MerchantName() string
	// ParamsDue and DownloadParams: the host asked for a parameter download.
	ParamsDue() bool
	DownloadParams(ctx context.Context) error
}

// Operators checks and changes operator passwords (internal/operators.Table).
type Operators interface {
	Verify(id operators.ID, password string) error
	MustChange(id operators.ID) bool
	SetPassword(id operators.ID, old, password string) error
	CheckPolicy(id operators.ID, password string) error
	Add(id operators.ID, password string) error
	Remove(id operators.ID) error
	Reset(id operators.ID) error
}

// Gate says whether the devices and host the self-check found allow a transaction
// type (internal/selfcheck.Report).
type Gate interface {
	Allows(t txtype.Type) (bool, msgs.Code)
}

// App runs the terminal's screens until its context ends.
type App struct {
	gate   Gate
	set    Settings
	ui     *Screens
	reader hal.CardReader
	eng    Engine
	ops    Operators
	log    *slog.Logger
	now    func() time.Time
}

// New returns the application. ui must be the Screens the engine was built with.
func New(s Settings, ui *Screens, reader hal.CardReader, eng Engine, ops Operators, log *slog.Logger) *App {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &App{set: s, ui: ui, reader: reader, eng: eng, ops: ops, log: log, now: time.Now}
}

// Announce titles what the terminal does before the idle screen (signing in,
// checking itself), so its progress screens say what they are about.
func (a *App) Announce(ctx context.Context, title msgs.Code) {
	a.ui.show(ctx, a.t(title), a.t(msgs.Processing))
}

// SetGate installs the self-check's verdict; nil allows everything.
func (a *App) SetGate(g Gate) { a.gate = g }

// allowed tells the merchant when the self-check found what t needs missing.
func (a *App) allowed(ctx context.Context, t txtype.Type, title string) bool {
	if a.gate == nil {
		return true
	}
	ok, code := a.gate.Allows(t)
	if !ok {
		a.ui.show(ctx, title, a.t(code))
		a.ui.pause(ctx, a.set.ResultTimeout)
	}
	return ok
}

// Run shows the idle screen and serves the merchant until ctx is cancelled. A
// transaction in progress when ctx ends is abandoned safely by the engine (its intent
// and pending reversal are already durable).
func (a *App) Run(ctx context.Context) error {
	// The factory supervisor password must be changed before the first transaction.
	for a.ops.MustChange(operators.Supervisor) {
		if ctx.Err() != nil {
			return nil
		}
		a.changePassword(ctx, operators.Supervisor, operators.DefaultSupervisorPassword)
	}
	for {
		if a.eng.ParamsDue() {
			// The host asked for it during the last transaction; the customer
			// has been served. A failure is tried again later (the engine waits).
			if err := a.eng.DownloadParams(ctx); err != nil {
				a.log.Warn("parameter download", "err", err)
			}
		}
		in, err := a.ui.wait(ctx, a.reader, a.idleScreen(), 0)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			a.log.Error("idle wait", "err", err)
			a.ui.message(ctx, "", msgs.CardError, err)
			a.ui.pause(ctx, a.set.ResultTimeout)
			continue
		}
		switch {
		case in.card != nil && in.card.Kind != hal.CardRemoved:
			a.sale(ctx, in.card)
		case in.key == hal.KeyMenu || in.key == hal.KeyEnter:
			a.menu(ctx)
		}
	}
}

func (a *App) t(c msgs.Code) string { return msgs.Text(c, a.set.Lang) }

func (a *App) idleScreen() hal.Screen {
	status := a.t(msgs.NotSignedIn)
	if a.eng.SignedIn() {
		status = a.t(msgs.HostOK)
	}
	return hal.Screen{Title: a.eng.MerchantName(), Lines: []string{
		a.now().Format("2006-01-02 15:04"), a.t(msgs.PresentCard), a.t(msgs.MenuHint), status}}
}

func (a *App) menu(ctx context.Context) {
	scr := hal.Screen{Title: a.t(msgs.MenuTitle), Lines: []string{a.t(msgs.MenuRow1), a.t(msgs.MenuRow2), a.t(msgs.MenuRow3), a.t(msgs.MenuRow4)}}
	for {
		in, err := a.ui.wait(ctx, nil, scr, a.set.InputTimeout)
		if err != nil {
			return
		}
		switch in.key {
		case hal.Key1:
			a.sale(ctx, nil)
		case hal.Key2:
			a.void(ctx)
		case hal.Key3:
			a.refund(ctx)
		case hal.Key4:
			a.preAuthMenu(ctx)
		case hal.Key5:
			a.balance(ctx)
		case hal.Key6:
			a.settle(ctx)
		case hal.Key7:
			a.printMenu(ctx)
		case hal.Key8:
			a.manageMenu(ctx)
		case hal.KeyCancel:
			return
		default:
			continue
		}
		return
	}
}

func (a *App) signIn(ctx context.Context) {
	a.hostFunction(ctx, msgs.TitleSignIn, a.eng.SignIn, msgs.SignInOK)
}

// hostFunction runs a host function (sign-in, sign-off, echo) with its progress and
// result screens: done on success, the failure's message otherwise.
func (a *App) hostFunction(ctx context.Context, titleCode msgs.Code, run func(context.Context) error, done msgs.Code) {
	title := a.t(titleCode)
	a.ui.show(ctx, title, a.t(msgs.Processing))
	if err := run(ctx); err != nil {
		a.log.Warn("host function", "title", titleCode, "err", err)
		a.ui.message(ctx, title, txn.CodeOf(err), err)
	} else {
		a.ui.show(ctx, title, a.t(done))
	}
	a.ui.pause(ctx, a.set.ResultTimeout)
}

// submenu shows a menu and runs the action of the digit pressed; CANCEL returns.
func (a *App) submenu(ctx context.Context, title string, items []msgs.Code, actions map[hal.Key]func()) {
	lines := make([]string, len(items))
	for i, c := range items {
		lines[i] = a.t(c)
	}
	for {
		in, err := a.ui.wait(ctx, nil, hal.Screen{Title: title, Lines: lines}, a.set.InputTimeout)
		if err != nil || in.key == hal.KeyCancel {
			return
		}
		if act, ok := actions[in.key]; ok {
			act()
			return
		}
	}
}

func (a *App) printMenu(ctx context.Context) {
	a.submenu(ctx, a.t(msgs.TitlePrint), []msgs.Code{msgs.MenuPrint1, msgs.MenuPrint2}, map[hal.Key]func(){
		hal.Key1: func() { a.reprint(ctx, 0) },
		hal.Key2: func() {
			v, ok := a.ui.digits(ctx, a.t(msgs.TitleReprint), a.t(msgs.EnterVoucher), 1, 6, a.set.InputTimeout)
			if n, _ := strconv.Atoi(v); ok && n > 0 {
				a.reprint(ctx, txtype.STAN(n))
			}
		},
	})
}

func (a *App) manageMenu(ctx context.Context) {
	a.submenu(ctx, a.t(msgs.TitleManage), []msgs.Code{msgs.MenuManage1, msgs.MenuManage2, msgs.MenuManage3,
		msgs.MenuManage4, msgs.MenuManage5, msgs.MenuManage6, msgs.MenuManage7}, map[hal.Key]func(){
		hal.Key7: func() { a.signOff(ctx) },
		hal.Key5: func() { a.operatorsMenu(ctx) },
		hal.Key6: func() { a.operatorSignOn(ctx) },
		hal.Key1: func() { a.signIn(ctx) },
		hal.Key2: func() { a.echo(ctx) },
		hal.Key3: func() { a.query(ctx) },
		hal.Key4: func() {
			if old, ok := a.currentSupervisorPassword(ctx); ok {
				a.changePassword(ctx, operators.Supervisor, old)
			}
		},
	})
}

// operatorsMenu adds, removes and resets operators on the supervisor's authority.
func (a *App) operatorsMenu(ctx context.Context) {
	title := a.t(msgs.TitleOperators)
	if !a.supervisor(ctx, title) {
		return
	}
	id := func() (operators.ID, bool) {
		v, ok := a.ui.digits(ctx, title, a.t(msgs.EnterOperator), 2, 2, a.set.InputTimeout)
		return operators.ID(v), ok && v != string(operators.Supervisor)
	}
	done := func(err error, ok msgs.Code) {
		switch {
		case err == nil:
			a.ui.show(ctx, title, a.t(ok))
		case errors.Is(err, operators.ErrExists):
			a.ui.show(ctx, title, a.t(msgs.OperatorExists))
		case errors.Is(err, operators.ErrWeak):
			a.ui.show(ctx, title, a.t(msgs.PasswordWeak))
		default:
			a.ui.message(ctx, title, msgs.OperatorUnknown, err)
		}
		a.ui.pause(ctx, a.set.ResultTimeout)
	}
	a.submenu(ctx, title, []msgs.Code{msgs.MenuOperators1, msgs.MenuOperators2, msgs.MenuOperators3}, map[hal.Key]func(){
		hal.Key1: func() {
			if op, ok := id(); ok {
				if pw, ok := a.ui.secret(ctx, title, []string{a.t(msgs.NewPassword)}, 4, a.set.InputTimeout); ok {
					done(a.ops.Add(op, pw), msgs.OperatorAdded)
				}
			}
		},
		hal.Key2: func() {
			if op, ok := id(); ok {
				done(a.ops.Remove(op), msgs.OperatorRemoved)
			}
		},
		hal.Key3: func() {
			if op, ok := id(); ok {
				done(a.ops.Reset(op), msgs.OperatorReset)
			}
		},
	})
}

// operatorSignOn makes an operator the one whose number goes on slips and to the
// host; an operator whose password was reset chooses a new one first.
func (a *App) operatorSignOn(ctx context.Context) {
	title := a.t(msgs.MenuManage6)
	v, ok := a.ui.digits(ctx, title, a.t(msgs.EnterOperator), 2, 2, a.set.InputTimeout)
	if !ok || v == string(operators.Supervisor) {
		return
	}
	op := operators.ID(v)
	pw, ok := a.ui.secret(ctx, title, []string{a.t(msgs.OperatorPassword)}, 4, a.set.InputTimeout)
	if !ok {
		return
	}
	err := a.ops.Verify(op, pw)
	if errors.Is(err, operators.ErrMustChange) {
		a.changePassword(ctx, op, pw)
		if a.ops.MustChange(op) {
			return
		}
		err = nil
	}
	if err != nil {
		code := msgs.WrongPassword
		switch {
		case errors.Is(err, operators.ErrLocked):
			code = msgs.OperatorLocked
		case errors.Is(err, operators.ErrUnknown):
			code = msgs.OperatorUnknown
		}
		a.ui.message(ctx, title, code, err)
		a.ui.pause(ctx, a.set.ResultTimeout)
		return
	}
	a.eng.SetOperator(string(op))
	a.ui.show(ctx, title, a.t(msgs.OperatorSignedOn), string(op))
	a.ui.pause(ctx, a.set.ResultTimeout)
}

func (a *App) signOff(ctx context.Context) {
	a.hostFunction(ctx, msgs.TitleSignIn, a.eng.SignOff, msgs.SignedOff)
}

func (a *App) echo(ctx context.Context) {
	a.hostFunction(ctx, msgs.TitleEcho, a.eng.Echo, msgs.EchoOK)
}

// query shows today's transactions, three to a page, UP/DOWN to scroll.
func (a *App) query(ctx context.Context) {
	title := a.t(msgs.TitleQuery)
	recs, err := a.eng.Today()
	if err != nil || len(recs) == 0 {
		a.ui.message(ctx, title, msgs.NoTransaction, err)
		a.ui.pause(ctx, a.set.ResultTimeout)
		return
	}
	const perPage = 3
	top := 0
	for {
		var lines []string
		for _, r := range recs[top:min(top+perPage, len(recs))] {
			lines = append(lines, fmt.Sprintf("%s %s %s %s", r.STAN, a.typeName(r), r.State, r.Amount.Decimal()))
		}
		lines = append(lines, fmt.Sprintf("%d-%d/%d %s", top+1, min(top+perPage, len(recs)), len(recs), a.t(msgs.QueryHint)))
		in, err := a.ui.wait(ctx, nil, hal.Screen{Title: title, Lines: lines}, a.set.InputTimeout)
		if err != nil {
			return
		}
		switch in.key {
		case hal.KeyDown:
			if top+perPage < len(recs) {
				top += perPage
			}
		case hal.KeyUp:
			top = max(0, top-perPage)
		case hal.KeyCancel, hal.KeyEnter:
			return
		}
	}
}

var typeTitles = map[txtype.Type]msgs.Code{txtype.Sale: msgs.TitleSale, txtype.Void: msgs.TitleVoid,
	txtype.Refund: msgs.TitleRefund, txtype.PreAuth: msgs.TitlePreAuth, txtype.PreAuthVoid: msgs.TitlePreAuthVoid,
	txtype.PreAuthCompletion: msgs.TitleCompletion}

func (a *App) typeName(r txn.Record) string {
	if c, ok := typeTitles[r.Type]; ok {
		return a.t(c)
	}
	return r.Type.String()
}

// currentSupervisorPassword asks for and verifies the supervisor's current password,
// for the change that follows.
func (a *App) currentSupervisorPassword(ctx context.Context) (string, bool) {
	title := a.t(msgs.TitlePassword)
	pw, ok := a.ui.secret(ctx, title, []string{a.t(msgs.SupervisorPass)}, 6, a.set.InputTimeout)
	if !ok {
		return "", false
	}
	if err := a.ops.Verify(operators.Supervisor, pw); err != nil {
		code := msgs.WrongPassword
		if errors.Is(err, operators.ErrLocked) {
			code = msgs.OperatorLocked
		}
		a.ui.message(ctx, title, code, err)
		a.ui.pause(ctx, a.set.ResultTimeout)
		return "", false
	}
	return pw, true
}

func (a *App) reprint(ctx context.Context, voucher txtype.STAN) {
	title := a.t(msgs.TitleReprint)
	rec, err := a.eng.Reprint(ctx, voucher)
	if err != nil {
		a.log.Warn("reprint", "err", err)
		a.ui.message(ctx, title, printCode(err), err)
		a.ui.pause(ctx, a.set.ResultTimeout)
		return
	}
	a.ui.show(ctx, title, a.t(msgs.Voucher)+" "+rec.STAN.String(), a.t(msgs.PressAnyKey))
	a.ui.pause(ctx, a.set.ResultTimeout)
}

// sale runs the sale menu path; card is the card that started it at the idle screen.
func (a *App) sale(ctx context.Context, card *hal.CardEvent) {
	title := a.t(msgs.TitleSale)
	if !a.allowed(ctx, txtype.Sale, title) {
		return
	}
	amount, ok := a.ui.amount(ctx, title, a.set.Currency, a.set.MaxAmount, a.set.InputTimeout)
	if !ok {
		return
	}
	a.withCard(ctx, title, []string{amount.String()}, card, func(ev hal.CardEvent) (txn.Result, error) {
		return a.eng.Sale(ctx, amount, ev)
	})
}

// withCard asks for a card (unless one was presented already) and runs the
// transaction with it; a bad swipe or a chip card swiped asks again, since nothing
// was sent. info is shown above the card prompt.
func (a *App) withCard(ctx context.Context, title string, info []string, card *hal.CardEvent, run func(hal.CardEvent) (txn.Result, error)) {
	var notice string
	for {
		if card == nil {
			lines := append(append([]string{}, info...), a.t(msgs.PresentCard))
			if notice != "" {
				lines = append([]string{notice}, lines...)
			}
			in, err := a.ui.wait(ctx, a.reader, hal.Screen{Title: title, Lines: lines}, a.set.InputTimeout)
			if err != nil || in.key == hal.KeyCancel {
				return
			}
			if in.card == nil || in.card.Kind == hal.CardRemoved {
				continue
			}
			card = in.card
		}
		chip := card.Kind == hal.CardInserted
		res, err := run(*card)
		card = nil
		if err != nil {
			switch code := txn.CodeOf(err); code {
			case msgs.BadSwipe, msgs.UseChip, msgs.ChipNotSupported, msgs.ContactlessNotSupported, msgs.CardMismatch, msgs.ChipFailedSwipe:
				notice = a.t(code)
				continue
			}
		}
		a.result(ctx, title, res, err, chip)
		return
	}
}

// original asks for an original voucher number and finds that transaction, which
// must be an approved, not voided one of type want.
func (a *App) original(ctx context.Context, title string, want txtype.Type) (txn.Record, bool) {
	v, ok := a.ui.digits(ctx, title, a.t(msgs.EnterVoucher), 1, 6, a.set.InputTimeout)
	if !ok {
		return txn.Record{}, false
	}
	n, _ := strconv.Atoi(v)
	rec, err := a.eng.FindVoucher(txtype.STAN(n))
	if err == nil {
		err = txn.Voidable(rec, want)
	}
	if err != nil {
		a.ui.message(ctx, title, txn.CodeOf(err), err)
		a.ui.pause(ctx, a.set.ResultTimeout)
		return txn.Record{}, false
	}
	return rec, true
}

func (a *App) void(ctx context.Context) {
	title := a.t(msgs.TitleVoid)
	if !a.allowed(ctx, txtype.Void, title) {
		return
	}
	if !a.supervisor(ctx, title) {
		return
	}
	orig, ok := a.original(ctx, title, txtype.Sale)
	if !ok {
		return
	}
	info := []string{a.t(msgs.Original) + " " + orig.STAN.String(), orig.MaskedPAN, orig.Amount.String()}
	a.withCard(ctx, title, info, nil, func(ev hal.CardEvent) (txn.Result, error) {
		return a.eng.Void(ctx, orig.STAN, ev)
	})
}

func (a *App) refund(ctx context.Context) {
	title := a.t(msgs.TitleRefund)
	if !a.allowed(ctx, txtype.Refund, title) {
		return
	}
	if !a.supervisor(ctx, title) {
		return
	}
	rrn, ok := a.ui.digits(ctx, title, a.t(msgs.EnterRRN), 12, 12, a.set.InputTimeout)
	if !ok {
		return
	}
	date, ok := a.ui.digits(ctx, title, a.t(msgs.EnterDate), 4, 4, a.set.InputTimeout)
	if !ok {
		return
	}
	amount, ok := a.ui.amount(ctx, title, a.set.Currency, a.set.MaxAmount, a.set.InputTimeout)
	if !ok {
		return
	}
	a.withCard(ctx, title, []string{amount.String()}, nil, func(ev hal.CardEvent) (txn.Result, error) {
		return a.eng.Refund(ctx, amount, rrn, date, ev)
	})
}

func (a *App) preAuthMenu(ctx context.Context) {
	scr := hal.Screen{Title: a.t(msgs.TitlePreAuth), Lines: []string{a.t(msgs.MenuPreAuth1), a.t(msgs.MenuPreAuth2),
		a.t(msgs.MenuPreAuth3), a.t(msgs.MenuPreAuth4)}}
	for {
		in, err := a.ui.wait(ctx, nil, scr, a.set.InputTimeout)
		if err != nil {
			return
		}
		switch in.key {
		case hal.Key1:
			title := a.t(msgs.TitlePreAuth)
			if !a.allowed(ctx, txtype.PreAuth, title) {
				return
			}
			amount, ok := a.ui.amount(ctx, title, a.set.Currency, a.set.MaxAmount, a.set.InputTimeout)
			if ok {
				a.withCard(ctx, title, []string{amount.String()}, nil, func(ev hal.CardEvent) (txn.Result, error) {
					return a.eng.PreAuth(ctx, amount, ev)
				})
			}
		case hal.Key2:
			title := a.t(msgs.TitlePreAuthVoid)
			if !a.supervisor(ctx, title) {
				return
			}
			if orig, ok := a.original(ctx, title, txtype.PreAuth); ok {
				info := []string{a.t(msgs.Original) + " " + orig.STAN.String(), orig.MaskedPAN, orig.Amount.String()}
				a.withCard(ctx, title, info, nil, func(ev hal.CardEvent) (txn.Result, error) {
					return a.eng.PreAuthVoid(ctx, orig.STAN, ev)
				})
			}
		case hal.Key3:
			a.completion(ctx, msgs.TitleCompletion, a.eng.PreAuthCompletion)
		case hal.Key4:
			a.completion(ctx, msgs.TitleAdvice, a.eng.CompletionAdvice)
		case hal.KeyCancel:
			return
		default:
			continue
		}
		return
	}
}

// completion completes a pre-authorisation chosen by voucher number, online or by
// advice (complete is the engine's function for the one or the other).
func (a *App) completion(ctx context.Context, titleCode msgs.Code,
	complete func(context.Context, txtype.STAN, money.Amount, hal.CardEvent) (txn.Result, error)) {
	title := a.t(titleCode)
	orig, ok := a.original(ctx, title, txtype.PreAuth)
	if !ok {
		return
	}
	amount, ok := a.ui.amount(ctx, title, a.set.Currency, a.set.MaxAmount, a.set.InputTimeout)
	if ok {
		a.withCard(ctx, title, []string{amount.String()}, nil, func(ev hal.CardEvent) (txn.Result, error) {
			return complete(ctx, orig.STAN, amount, ev)
		})
	}
}

// supervisor asks for the supervisor's password; a wrong one may be tried again
// until the lock-out.
func (a *App) supervisor(ctx context.Context, title string) bool {
	notice := ""
	for {
		lines := []string{a.t(msgs.SupervisorPass)}
		if notice != "" {
			lines = append([]string{notice}, lines...)
		}
		pw, ok := a.ui.secret(ctx, title, lines, 6, a.set.InputTimeout)
		if !ok {
			return false
		}
		err := a.ops.Verify(operators.Supervisor, pw)
		var wrong *operators.WrongPasswordError
		switch {
		case err == nil:
			return true
		case errors.As(err, &wrong):
			notice = fmt.Sprintf("%s (%d)", a.t(msgs.WrongPassword), wrong.Left)
			continue
		case errors.Is(err, operators.ErrLocked):
			a.ui.message(ctx, title, msgs.OperatorLocked, err)
		default:
			a.ui.message(ctx, title, msgs.WrongPassword, err)
		}
		a.ui.pause(ctx, a.set.ResultTimeout)
		return false
	}
}

// changePassword has id choose a new password (entered twice, checked against the
// policy); old is the password it replaces.
func (a *App) changePassword(ctx context.Context, id operators.ID, old string) {
	title := a.t(msgs.TitlePassword)
	if id != operators.Supervisor {
		title = a.t(msgs.MenuManage6)
	}
	n := 6
	if id != operators.Supervisor {
		n = 4
	}
	notice := ""
	for {
		lines := []string{a.t(msgs.NewPassword)}
		if notice != "" {
			lines = append([]string{notice}, lines...)
		}
		pw, ok := a.ui.secret(ctx, title, lines, n, a.set.InputTimeout)
		if !ok {
			return
		}
		if err := a.ops.CheckPolicy(id, pw); err != nil {
			a.log.Info("password refused", "operator", string(id), "err", err)
			notice = a.t(msgs.PasswordWeak)
			continue
		}
		again, ok := a.ui.secret(ctx, title, []string{a.t(msgs.PasswordAgain)}, n, a.set.InputTimeout)
		if !ok {
			return
		}
		if again != pw {
			notice = a.t(msgs.PasswordsDiffer)
			continue
		}
		if err := a.ops.SetPassword(id, old, pw); err != nil {
			a.log.Warn("set password", "operator", string(id), "err", err)
			notice = a.t(msgs.PasswordWeak)
			continue
		}
		a.ui.show(ctx, title, a.t(msgs.PasswordChanged))
		a.ui.pause(ctx, a.set.ResultTimeout)
		return
	}
}

// balance shows the card's available balance; it is not printed.
func (a *App) balance(ctx context.Context) {
	title := a.t(msgs.TitleBalance)
	if !a.allowed(ctx, txtype.Balance, title) {
		return
	}
	var notice string
	for {
		lines := []string{a.t(msgs.PresentCard)}
		if notice != "" {
			lines = append([]string{notice}, lines...)
		}
		in, err := a.ui.wait(ctx, a.reader, hal.Screen{Title: title, Lines: lines}, a.set.InputTimeout)
		if err != nil || in.key == hal.KeyCancel {
			return
		}
		if in.card == nil || in.card.Kind == hal.CardRemoved {
			continue
		}
		bal, text, err := a.eng.Balance(ctx, *in.card)
		if err != nil {
			if code := txn.CodeOf(err); code == msgs.BadSwipe || code == msgs.UseChip || code == msgs.ChipNotSupported || code == msgs.ContactlessNotSupported {
				notice = a.t(code)
				continue
			}
			a.log.Warn("balance", "err", err)
			if text != "" {
				a.ui.show(ctx, title, a.t(msgs.Declined), text)
			} else {
				a.ui.message(ctx, title, txn.CodeOf(err), err)
			}
		} else {
			a.ui.show(ctx, title, a.t(msgs.BalanceIs), bal.String())
		}
		a.ui.pause(ctx, a.set.ResultTimeout)
		return
	}
}

func (a *App) settle(ctx context.Context) {
	title := a.t(msgs.TitleSettle)
	if !a.allowed(ctx, txtype.Settlement, title) {
		return
	}
	in, err := a.ui.wait(ctx, nil, hal.Screen{Title: title, Lines: []string{a.t(msgs.ConfirmSettle)}}, a.set.InputTimeout)
	if err != nil || in.key != hal.KeyEnter {
		return
	}
	a.ui.show(ctx, title, a.t(msgs.Processing))
	s, err := a.eng.Settle(ctx)
	if err != nil {
		a.log.Warn("settlement", "err", err)
		a.ui.message(ctx, title, txn.CodeOf(err), err)
		a.ui.pause(ctx, a.set.ResultTimeout)
		return
	}
	verdict := a.t(msgs.Balanced)
	if !s.Balanced {
		verdict = a.t(msgs.NotBalanced)
	}
	t := s.Totals
	lines := []string{a.t(msgs.SettleDone), verdict,
		fmt.Sprintf("%d %s", t.DebitCount+t.ForeignDebitCount, money.New(t.DebitAmount+t.ForeignDebitAmount, a.set.Currency)),
		fmt.Sprintf("-%d %s", t.CreditCount+t.ForeignCreditCount, money.New(t.CreditAmount+t.ForeignCreditAmount, a.set.Currency))}
	if s.UploadErr != nil {
		lines = append(lines, a.t(msgs.BatchUploading)+": "+a.t(txn.CodeOf(s.UploadErr)))
	}
	if s.PrintErr != nil {
		lines = append(lines, a.t(printCode(s.PrintErr)))
	}
	a.ui.show(ctx, title, lines...)
	a.ui.pause(ctx, a.set.ResultTimeout)
}

// result shows how a transaction ended; after a chip transaction it asks for the
// card to be removed.
func (a *App) result(ctx context.Context, title string, res txn.Result, err error, chip bool) {
	switch {
	case err != nil:
		a.log.Warn("transaction failed", "err", err)
		a.ui.message(ctx, title, txn.CodeOf(err), err)
	case res.Approved:
		lines := []string{a.t(msgs.Approved), res.Record.Amount.String(), a.t(msgs.Voucher) + " " + res.Record.STAN.String()}
		if res.PrintErr != nil {
			lines = append(lines, a.t(printCode(res.PrintErr)), a.t(msgs.SlipLater))
		}
		a.ui.show(ctx, title, lines...)
	default:
		a.ui.show(ctx, title, a.t(msgs.Declined), res.Text)
	}
	if chip {
		a.ui.appendLine(ctx, a.t(msgs.RemoveCard))
	}
	a.ui.pause(ctx, a.set.ResultTimeout)
}

// printCode maps a printing error to the merchant message.
func printCode(err error) msgs.Code {
	switch {
	case errors.Is(err, hal.ErrPaperOut):
		return msgs.PrinterOutPaper
	case errors.Is(err, hal.ErrCoverOpen):
		return msgs.PrinterCoverOpen
	case errors.Is(err, hal.ErrPrinterOffline), errors.Is(err, hal.ErrDeviceGone):
		return msgs.PrinterOffline
	}
	if f, ok := errors.AsType[*txn.Failure](err); ok {
		return f.Code
	}
	return msgs.PrinterFailed
}

// Screens shows screens and reads keys; it is also the engine's txn.Prompter.
type Screens struct {
	// title is the last title shown: progress screens keep the flow's title.
	title        string
	last         hal.Screen // the screen shown now
	alertTimeout time.Duration
	// pending holds an input that arrived together with the one a wait returned
	// (a key and a card at the same moment): the next wait or read returns it.
	pending []input
	kp      hal.Keypad
	disp    hal.Display
	lang    msgs.Lang
	log     *slog.Logger
}

var _ txn.Prompter = (*Screens)(nil)

// NewScreens returns the screen helper for a keypad and display.
func NewScreens(kp hal.Keypad, disp hal.Display, lang msgs.Lang, log *slog.Logger) *Screens {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Screens{kp: kp, disp: disp, lang: lang, log: log, alertTimeout: 30 * time.Second}
}

func (s *Screens) t(c msgs.Code) string { return msgs.Text(c, s.lang) }

func (s *Screens) show(ctx context.Context, title string, lines ...string) {
	s.display(ctx, hal.Screen{Title: title, Lines: lines})
}

func (s *Screens) display(ctx context.Context, scr hal.Screen) {
	s.title, s.last = scr.Title, scr
	if err := s.disp.Show(ctx, scr); err != nil && ctx.Err() == nil {
		s.log.Error("display", "err", err)
	}
}

// appendLine adds a line to the screen shown now.
func (s *Screens) appendLine(ctx context.Context, line string) {
	cur := s.last
	s.display(ctx, hal.Screen{Title: cur.Title, Lines: append(append([]string{}, cur.Lines...), line)})
}

// message shows a coded message (and the engine's second message, if any); the
// cause goes to the log only.
func (s *Screens) message(ctx context.Context, title string, code msgs.Code, cause error) {
	if cause != nil {
		s.log.Info("merchant message", "code", string(code), "cause", cause)
	}
	lines := []string{s.t(code)}
	if f, ok := errors.AsType[*txn.Failure](cause); ok && f.Also != "" {
		lines = append(lines, s.t(f.Also))
	}
	s.show(ctx, title, lines...)
}

// Progress implements txn.Prompter.
func (s *Screens) Progress(ctx context.Context, code msgs.Code) { s.show(ctx, s.title, s.t(code)) }

// ConfirmCard implements txn.Prompter: ENTER confirms, CANCEL refuses.
func (s *Screens) ConfirmCard(ctx context.Context, maskedPAN, holder string, amount money.Amount) (bool, error) {
	lines := []string{s.t(msgs.ConfirmCard), maskedPAN}
	if holder != "" {
		lines = append(lines, holder)
	}
	return s.confirm(ctx, append(lines, amount.String(), s.t(msgs.ConfirmPrompt)))
}

// ConfirmID implements txn.Prompter: the document's kind and number, ENTER when it
// matches the cardholder, CANCEL when not.
func (s *Screens) ConfirmID(ctx context.Context, kind msgs.Code, number string) (bool, error) {
	return s.confirm(ctx, []string{s.t(msgs.CheckCardholderID), s.t(kind), number, s.t(msgs.ConfirmPrompt)})
}

// confirm shows lines until ENTER (true) or CANCEL (false).
func (s *Screens) confirm(ctx context.Context, lines []string) (bool, error) {
	for {
		in, err := s.wait(ctx, nil, hal.Screen{Title: s.title, Lines: lines}, 0)
		if err != nil {
			return false, err
		}
		switch in.key {
		case hal.KeyEnter:
			return true, nil
		case hal.KeyCancel:
			return false, nil
		}
	}
}

// Choose implements txn.Prompter: the options are numbered from 1; a single option
// is a confirmation (ENTER).
func (s *Screens) Choose(ctx context.Context, options []string) (int, error) {
	lines := []string{s.t(msgs.ChooseApp)}
	for i, o := range options {
		lines = append(lines, fmt.Sprintf("%d.%s", i+1, o))
	}
	for {
		in, err := s.wait(ctx, nil, hal.Screen{Title: s.title, Lines: lines}, 0)
		if err != nil {
			return 0, err
		}
		switch {
		case in.key == hal.KeyEnter && len(options) == 1:
			return 0, nil
		case in.key == hal.KeyCancel:
			return 0, context.Canceled
		case in.key.IsDigit() && int(in.key-hal.Key1) < len(options) && in.key != hal.Key0:
			return int(in.key - hal.Key1), nil
		}
	}
}

// Alert implements txn.Prompter: the alarms stay on the screen, with a beep where the
// display can, until a key or the result timeout.
func (s *Screens) Alert(ctx context.Context, title string, lines []string) {
	if b, ok := s.disp.(hal.Beeper); ok {
		_ = b.Beep(ctx, 3)
	}
	prev := s.title
	s.show(ctx, title, append(append([]string{}, lines...), s.t(msgs.PressAnyKey))...)
	s.pause(ctx, s.alertTimeout)
	s.title = prev
}

// PaperOut implements txn.Prompter: ENTER prints again, CANCEL (or the timeout)
// leaves the slip for the reprint menu.
func (s *Screens) PaperOut(ctx context.Context) bool {
	if b, ok := s.disp.(hal.Beeper); ok {
		_ = b.Beep(ctx, 3)
	}
	for {
		in, err := s.wait(ctx, nil, hal.Screen{Title: s.title, Lines: []string{s.t(msgs.PrinterOutPaper), s.t(msgs.ReloadPaper)}}, s.alertTimeout)
		if err != nil || in.key == hal.KeyCancel {
			return false
		}
		if in.key == hal.KeyEnter {
			s.show(ctx, s.title, s.t(msgs.Printing))
			return true
		}
	}
}

// TearOff implements txn.Prompter.
func (s *Screens) TearOff(ctx context.Context, timeout time.Duration) error {
	_, err := s.wait(ctx, nil, hal.Screen{Title: s.title, Lines: []string{s.t(msgs.TearOff)}}, timeout)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return nil
	}
	return err
}

// pause waits for any key or the timeout.
func (s *Screens) pause(ctx context.Context, timeout time.Duration) {
	_, _ = s.readKey(ctx, timeout)
}

func (s *Screens) readKey(ctx context.Context, timeout time.Duration) (hal.Key, error) {
	for i, in := range s.pending {
		if in.card == nil {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			return in.key, nil
		}
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return s.kp.ReadKey(ctx)
}

// digits reads a number of min to max digits (voucher, reference, date): digits
// append, CLEAR deletes, ENTER accepts once min digits are there, CANCEL gives up.
func (s *Screens) digits(ctx context.Context, title, prompt string, min, max int, timeout time.Duration) (string, bool) {
	var v []byte
	for {
		s.show(ctx, title, prompt, string(v)+"_")
		k, err := s.readKey(ctx, timeout)
		if err != nil {
			return "", false
		}
		switch {
		case k.IsDigit() && len(v) < max:
			v = append(v, byte(k))
		case k == hal.KeyClear && len(v) > 0:
			v = v[:len(v)-1]
		case k == hal.KeyEnter && len(v) >= min:
			return string(v), true
		case k == hal.KeyCancel:
			return "", false
		}
	}
}

// secret reads a password of n digits, shown as stars.
func (s *Screens) secret(ctx context.Context, title string, lines []string, n int, timeout time.Duration) (string, bool) {
	var v []byte
	for {
		s.show(ctx, title, append(append([]string{}, lines...), strings.Repeat("*", len(v))+"_")...)
		k, err := s.readKey(ctx, timeout)
		if err != nil {
			return "", false
		}
		switch {
		case k.IsDigit() && len(v) < n:
			v = append(v, byte(k))
		case k == hal.KeyClear && len(v) > 0:
			v = v[:len(v)-1]
		case k == hal.KeyEnter && len(v) == n:
			return string(v), true
		case k == hal.KeyCancel:
			return "", false
		}
	}
}

// amount reads an amount in minor units: digits append, CLEAR deletes the last digit,
// ENTER accepts a non-zero amount, CANCEL or the timeout give up.
func (s *Screens) amount(ctx context.Context, title string, cur money.Currency, maxMinor int64, timeout time.Duration) (money.Amount, bool) {
	var minor int64
	notice := ""
	for {
		lines := []string{s.t(msgs.EnterAmount), money.New(minor, cur).String()}
		if notice != "" {
			lines = append(lines, notice)
		}
		s.show(ctx, title, lines...)
		k, err := s.readKey(ctx, timeout)
		if err != nil {
			return money.Amount{}, false
		}
		notice = ""
		switch {
		case k.IsDigit():
			next := minor*10 + int64(k-hal.Key0)
			if next > maxMinor {
				notice = s.t(msgs.AmountTooLarge)
				continue
			}
			minor = next
		case k == hal.KeyClear:
			minor /= 10
		case k == hal.KeyEnter && minor > 0:
			return money.New(minor, cur), true
		case k == hal.KeyCancel:
			return money.Amount{}, false
		}
	}
}

// input is a key press or a card event.
type input struct {
	key  hal.Key
	card *hal.CardEvent
}

// wait shows scr and waits for a key, or also a card event when reader is not nil.
// A timeout of 0 waits until ctx ends. Both device reads have ended when it returns.
func (s *Screens) wait(ctx context.Context, reader hal.CardReader, scr hal.Screen, timeout time.Duration) (input, error) {
	s.display(ctx, scr)
	for i, in := range s.pending {
		if in.card == nil || reader != nil {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			return in, nil
		}
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if reader == nil {
		k, err := s.kp.ReadKey(ctx)
		return input{key: k}, err
	}
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		in  input
		err error
	}
	results := make(chan result, 2)
	var wg sync.WaitGroup
	wg.Go(func() {
		k, err := s.kp.ReadKey(inner)
		results <- result{input{key: k}, err}
	})
	wg.Go(func() {
		ev, err := reader.WaitCard(inner)
		results <- result{input{card: &ev}, err}
	})
	first := <-results
	cancel()
	wg.Wait()
	second := <-results
	if first.err == nil && second.err == nil {
		s.pending = append(s.pending, second.in)
		return first.in, nil
	}
	for _, r := range []result{first, second} {
		if r.err == nil {
			return r.in, nil
		}
	}
	if ctx.Err() != nil {
		return input{}, ctx.Err()
	}
	return input{}, fmt.Errorf("wait for input: %w", first.err)
}

// Lines joins screen lines for logs and tests.
func Lines(scr hal.Screen) string { return scr.Title + "\n" + strings.Join(scr.Lines, "\n") }
