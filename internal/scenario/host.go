package scenario

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/go-cmp/cmp"

	"countertop/internal/acquirer"
	"countertop/internal/cardprofile"
	"countertop/internal/txtype"
)

// hostStep injects a fault into the acquirer simulator: `host FAULT [TYPE [TIMES]]`
// with FAULT one of delay, drop, garble, truncate, bad-mac, duplicate, stale, applying
// to the next TIMES (default 1) requests of TYPE (default sale); `host forget` makes
// the host lose this terminal's records (the next settlement is unbalanced); `host
// params` makes its replies ask for a parameter download until the terminal makes it.
func (r *runner) hostStep(st Step) error {
	switch st.Args[0] {
	case "forget": // the host loses this terminal's records
		r.acq.Forget(r.cfg.Terminal.TerminalID)
		return nil
	case "down": // the host stops answering: connections are refused
		r.acq.Close()
		return nil
	case "up": // the host is back on the same address, its ledger empty
		srv, err := acquirer.Listen(r.cfg.Host.Addr, r.acqConfig)
		if err != nil {
			return r.fail(st, "host up: "+err.Error())
		}
		r.acq = srv
		return nil
	case "params": // replies ask the terminal to download its parameters until it does
		r.acq.RequestParams(r.cfg.Terminal.TerminalID)
		return nil
	case "script": // `host script CARD`: approvals of CARD carry an issuer script
		p, err := cardprofile.Find(r.cards, at(st.Args, 1))
		if err != nil {
			return r.fail(st, err.Error())
		}
		r.acq.SendScripts(p.PAN)
		return nil
	}
	kind, err := acquirer.ParseFaultKind(st.Args[0])
	if err != nil {
		return r.fail(st, err.Error())
	}
	ty := txtype.Sale
	if len(st.Args) > 1 {
		if ty, err = txtype.Parse(st.Args[1]); err != nil {
			return r.fail(st, err.Error())
		}
	}
	times := 1
	if len(st.Args) > 2 {
		if times, err = strconv.Atoi(st.Args[2]); err != nil || times < 1 {
			return r.fail(st, "host FAULT [TYPE [TIMES]]: TIMES is a positive number")
		}
	}
	r.acq.InjectFault(acquirer.Fault{Kind: kind, Type: ty, Times: times, Delay: 2 * r.cfg.Host.ResponseTimeout.Duration})
	return nil
}

// expectLedger compares the acquirer simulator's ledger with field=value pairs:
// count (approved transactions it holds), and of its last entry: type, amount, stan,
// reversed, reversals (how many 0400s arrived), reason, voided.
func (r *runner) expectLedger(st Step, args []string) error {
	entries := r.acq.Ledger()
	got := map[string]string{"count": strconv.Itoa(len(entries))}
	if n := len(entries); n > 0 {
		e := entries[n-1]
		got["type"], got["amount"], got["stan"] = e.Type.String(), e.Amount.Decimal(), e.STAN.String()
		got["reversed"], got["reason"], got["voided"] = strconv.FormatBool(e.Reversed), e.ReversalReason, strconv.FormatBool(e.Voided)
		got["reversals"] = strconv.Itoa(e.Reversals)
		got["scripts"] = e.ScriptResults
	}
	want, have := map[string]string{}, map[string]string{}
	for _, kv := range args {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return r.fail(st, fmt.Sprintf("%q: want field=value", kv))
		}
		want[k], have[k] = v, got[k]
	}
	if diff := cmp.Diff(want, have); diff != "" {
		return r.fail(st, "host ledger (-want +got):\n"+diff)
	}
	return nil
}
