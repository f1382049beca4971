package txn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"countertop/internal/hostlink"
	"countertop/internal/msgs"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/store"
)

// ParamsSetting is the journal setting that keeps the parameters of the last
// parameter download, so that they outlive a restart.
const ParamsSetting = "host-params"

// keptParams are the parameters as kept, with the terminal they were sent to: a
// journal moved to another terminal or merchant does not bring them along.
type keptParams struct {
	TerminalID string         `json:"terminal_id"`
	MerchantID string         `json:"merchant_id"`
	Params     iso8583.Params `json:"params"`
}

// do is every exchange with the host: it notes what the reply header asks of the
// terminal (sign in again, download parameters).
func (e *Engine) do(ctx context.Context, req iso8583.Request, stage func(hostlink.Stage)) (iso8583.Reply, error) {
	rep, err := e.host.Do(ctx, req, stage)
	if err == nil {
		switch rep.HostRequest {
		case iso8583.HostRequestParams:
			e.paramsDue = true
		case iso8583.HostRequestSignIn:
			e.signedIn = false
		}
	}
	return rep, err
}

// ParamsRetryAfter is how long a failed parameter download waits before ParamsDue
// reports it again, so that an unanswering host does not hold up every return to
// idle.
const ParamsRetryAfter = 5 * time.Minute

// ParamsDue reports whether the host asked for a parameter download that has not
// been made yet (and a failed one is not waiting out ParamsRetryAfter). The
// application makes it when the terminal returns to idle, the customer served.
func (e *Engine) ParamsDue() bool { return e.paramsDue && !e.now().Before(e.paramsRetry) }

// MerchantName is the merchant name printed and shown: the configuration's, or the
// one the last parameter download brought.
func (e *Engine) MerchantName() string { return e.set.Merchant.Name }

// DownloadParams fetches the terminal parameters from the host (0800, 60.3 360), keeps
// them in the journal and applies them: merchant name, slip copies, reversal
// attempts. The host asks for it with processing requirement 1 in a reply header
// (ParamsDue). Malformed parameters are refused whole (iso8583.ErrParams), and the
// terminal keeps what it had; after a failure ParamsDue waits ParamsRetryAfter.
func (e *Engine) DownloadParams(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			e.paramsRetry = e.now().Add(ParamsRetryAfter)
		}
	}()
	req, err := e.networkRequest(txtype.ParamDownload)
	if err != nil {
		return err
	}
	e.ui.Progress(ctx, msgs.ParamDownload)
	rep, err := e.do(ctx, req, e.stage(ctx))
	if err != nil {
		return fail(hostlink.MessageCode(err), fmt.Errorf("parameter download: %w", err))
	}
	if rep.RespCode != "00" {
		return &Failure{Code: msgs.Declined, Err: fmt.Errorf("parameter download answered %s", rep.RespCode)}
	}
	p, err := iso8583.ParseParams(rep.Field62)
	if err != nil {
		return fmt.Errorf("parameter download: %w", err) // iso8583.ErrParams: nothing applied
	}
	if len(p.Unknown) > 0 {
		e.log.Info("parameter download: parameters this terminal does not use", "ids", strings.Join(p.Unknown, ","))
	}
	b, err := json.Marshal(keptParams{TerminalID: e.set.Terminal.TerminalID, MerchantID: e.set.Terminal.MerchantID, Params: p})
	if err != nil {
		return fail(msgs.JournalFailed, err)
	}
	if err := e.journal.SetSetting(ParamsSetting, b); err != nil {
		return fail(msgs.JournalFailed, fmt.Errorf("keep parameters: %w", err))
	}
	e.applyParams(p)
	e.paramsDue = false
	e.audit("param-download", paramsSummary(p))
	e.log.Info("parameters downloaded", "summary", paramsSummary(p))
	return nil
}

// LoadParams applies the parameters the last download kept in the journal, if any
// and if they were sent to this terminal and merchant. A kept value that no longer
// validates is an error, and nothing is applied.
func (e *Engine) LoadParams() error {
	b, err := e.journal.Setting(ParamsSetting)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("kept parameters: %w", err)
	}
	var k keptParams
	if err := json.Unmarshal(b, &k); err != nil {
		return fmt.Errorf("kept parameters: %w", err)
	}
	if k.TerminalID != e.set.Terminal.TerminalID || k.MerchantID != e.set.Terminal.MerchantID {
		e.log.Info("kept parameters are another terminal's; the configuration stands")
		return nil
	}
	if err := k.Params.Validate(); err != nil {
		return fmt.Errorf("kept parameters: %w", err)
	}
	e.applyParams(k.Params)
	return nil
}

func (e *Engine) applyParams(p iso8583.Params) {
	if p.MerchantName != "" {
		e.set.Merchant.Name = p.MerchantName
	}
	if p.SlipCopies != 0 {
		e.set.Copies = p.SlipCopies
	}
	if p.ReversalRetries != 0 {
		e.set.ReversalRetries = p.ReversalRetries
	}
}

// paramsSummary names what a download set, for the audit log and the log.
func paramsSummary(p iso8583.Params) string {
	var parts []string
	if p.MerchantName != "" {
		parts = append(parts, "merchant name")
	}
	if p.SlipCopies != 0 {
		parts = append(parts, "slip copies "+strconv.Itoa(p.SlipCopies))
	}
	if p.ReversalRetries != 0 {
		parts = append(parts, "reversal attempts "+strconv.Itoa(p.ReversalRetries))
	}
	return strings.Join(parts, ", ")
}
