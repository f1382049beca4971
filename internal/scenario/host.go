package scenario

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/go-cmp/cmp"

	"countertop/internal/acquirer"
	"countertop/internal/txtype"
)

// hostStep injects a fault into the embedded acquirer simulator:
// `host FAULT [TYPE]` with FAULT one of delay, drop, garble, truncate, bad-mac,
// duplicate, stale, applying to the next request of TYPE (default sale).
func (r *runner) hostStep(st Step) error {
	if r.term.Acquirer == nil {
		return r.fail(st, "host faults need the embedded acquirer (host.mode = \"embedded\")")
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
	r.term.Acquirer.InjectFault(acquirer.Fault{Kind: kind, Type: ty, Delay: 2 * r.responseTimeout})
	return nil
}

// expectLedger compares the acquirer simulator's ledger with field=value pairs:
// count (approved transactions it holds), and of its last entry: type, amount, stan,
// reversed, reason, voided.
func (r *runner) expectLedger(st Step, args []string) error {
	if r.term.Acquirer == nil {
		return r.fail(st, "the host ledger needs the embedded acquirer")
	}
	entries := r.term.Acquirer.Ledger()
	got := map[string]string{"count": strconv.Itoa(len(entries))}
	if n := len(entries); n > 0 {
		e := entries[n-1]
		got["type"], got["amount"], got["stan"] = e.Type.String(), e.Amount.Decimal(), e.STAN.String()
		got["reversed"], got["reason"], got["voided"] = strconv.FormatBool(e.Reversed), e.ReversalReason, strconv.FormatBool(e.Voided)
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
