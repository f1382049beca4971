package emv

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"countertop/emv/emvtest"
	"countertop/emv/tlv"
)

// ErrTranscriptMismatch is wrapped by Replay's error when the kernel's commands do not
// follow the transcript (a deviation, an extra command, exchanges left over); the
// error is an *emvtest.MismatchError naming the exchange. posctl exits with code 3.
var ErrTranscriptMismatch = emvtest.ErrMismatch

// Proprietary tags Replay accepts with --tag for the terminal action codes of every
// AID (the identifiers EMV Book C-2 uses for them).
const (
	TagTACDefault tlv.Tag = 0xDF8120
	TagTACDenial  tlv.Tag = 0xDF8121
	TagTACOnline  tlv.Tag = 0xDF8122
)

// ReplayOptions are the settings of `posctl emv replay`.
type ReplayOptions struct {
	AIDs   []AID    // nil: DefaultConfig's
	Tags   tlv.Data // terminal and transaction data (9F33, 9F1A, 9F37, 9A, ...) and TAC tags
	Amount int64
	Until  Step // 0: run to the end (complete, when Host is set; else genac1)
	Host   *HostResponse
	CAPKs  []CAPK
	Time   time.Time // 0: now; 9A and 9F21 in --tag win
	Reveal bool      // print PAN, track and name tags in clear (default: masked)
}

// ParseAIDList reads "A000000333010101:exact,A0000000031010:partial" (":partial" may
// be left out: partial is the default).
func ParseAIDList(s string) ([]AID, error) {
	var out []AID
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		hexAID, mode, _ := strings.Cut(f, ":")
		b, err := hex.DecodeString(hexAID)
		if err != nil || len(b) < 5 || len(b) > 16 {
			return nil, fmt.Errorf("aid %q: want 5-16 bytes of hex", hexAID)
		}
		a := AID{AID: b, Partial: true, TACDenial: make([]byte, 5), TACOnline: make([]byte, 5), TACDefault: make([]byte, 5)}
		switch mode {
		case "", "partial":
		case "exact":
			a.Partial = false
		default:
			return nil, fmt.Errorf("aid %s: match %q (want exact or partial)", hexAID, mode)
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, errors.New("empty aid list")
	}
	return out, nil
}

// ParseTagFlag reads one --tag TAG=HEX.
func ParseTagFlag(s string) (tlv.Tag, []byte, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return 0, nil, fmt.Errorf("--tag %q: want TAG=HEX", s)
	}
	tag, err := tlv.ParseTag(k)
	if err != nil {
		return 0, nil, fmt.Errorf("--tag %q: %w", s, err)
	}
	b, err := hex.DecodeString(v)
	if err != nil {
		return 0, nil, fmt.Errorf("--tag %q: %w", s, err)
	}
	return tag, b, nil
}

// ReplayCandidate is a candidate in Replay's output.
type ReplayCandidate struct {
	AID                  string `json:"aid"`
	Label                string `json:"label"`
	Priority             int    `json:"priority"`
	ConfirmationRequired bool   `json:"confirmation_required"`
}

// ReplayResult is Replay's JSON output.
type ReplayResult struct {
	Outcome           string            `json:"outcome"`
	Error             string            `json:"error,omitempty"`
	Candidates        []ReplayCandidate `json:"candidates"`
	SelectionRequired bool              `json:"selection_required"`
	SelectedAID       string            `json:"selected_aid"`
	AIP               string            `json:"aip"`
	AFL               string            `json:"afl"`
	TVR               string            `json:"tvr"`
	TSI               string            `json:"tsi"`
	CVMResults        string            `json:"cvm_results"`
	ACType            string            `json:"ac_type"`
	ODA               string            `json:"oda,omitempty"`
	APDUs             int               `json:"apdus"`
	LeftOver          int               `json:"left_over,omitempty"`
	Tags              map[string]string `json:"tags"`
}

// replayPIN stands in for the PIN pad during a replay: an offline PIN is whatever the
// recording's next VERIFY carried; an online PIN counts as entered (the block itself
// never reaches the card).
type replayPIN struct{ pb *emvtest.Playback }

func (r replayPIN) OfflinePlaintextPIN(ctx context.Context, req OfflinePINRequest) ([]byte, error) {
	c := r.pb.Next()
	if len(c) < 5 || c[1] != 0x20 || len(c) < 5+int(c[4]) {
		return nil, ErrPINBypassed
	}
	return c[5 : 5+int(c[4])], nil
}

func (r replayPIN) OnlinePIN(ctx context.Context) ([]byte, error) { return make([]byte, 8), nil }

type zeroRand struct{}

func (zeroRand) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

func up(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

// maskValue masks the sensitive tags of the dictionary: 5A and 57 keep the first six
// and last four digits, other sensitive values become asterisks.
func maskValue(tag tlv.Tag, v []byte) string {
	s := up(v)
	info, ok := tlv.Lookup(tag)
	if !ok || !info.Sensitive {
		return s
	}
	if tag == 0x5A || tag == 0x57 {
		d := s
		if i := strings.IndexAny(d, "DF"); i >= 0 {
			d = d[:i]
		}
		if len(d) > 10 {
			return d[:6] + strings.Repeat("*", len(d)-10) + d[len(d)-4:]
		}
	}
	return strings.Repeat("*", len(s))
}

// Replay runs the kernel against a recorded transcript (emvtest's JSON) and returns
// the JSON of ReplayResult. The transcript's commands must match exactly, so data the
// kernel would draw or read from the clock comes from opts.Tags (9F37, 9A, 9F21);
// without them 9F37 is 00000000. Errors: a transcript that does not parse; a
// mismatch (wraps ErrTranscriptMismatch; the JSON up to that point is returned too);
// exchanges left over after a full run (also ErrTranscriptMismatch — with an Until
// before the end, left-overs are only counted in "left_over"). A kernel outcome
// such as CARD_ERROR is not an error of Replay: it is in "outcome" and "error".
// PIN entry is replayed: an offline PIN is the data of the recording's VERIFY, an
// online PIN counts as entered.
func Replay(ctx context.Context, opts ReplayOptions, transcript []byte) ([]byte, error) {
	tr, err := emvtest.ParseTranscript(transcript)
	if err != nil {
		return nil, err
	}
	cfg := DefaultConfig()
	if opts.AIDs != nil {
		cfg.AIDs = opts.AIDs
	}
	cfg.CAPKs = opts.CAPKs
	over := tlv.Data{}
	for tag, v := range opts.Tags {
		switch tag {
		case TagTACDefault, TagTACDenial, TagTACOnline:
			if len(v) != 5 {
				return nil, fmt.Errorf("tag %s: %d bytes, want 5", tag, len(v))
			}
			for i := range cfg.AIDs {
				switch tag {
				case TagTACDefault:
					cfg.AIDs[i].TACDefault = v
				case TagTACDenial:
					cfg.AIDs[i].TACDenial = v
				default:
					cfg.AIDs[i].TACOnline = v
				}
			}
		default:
			over[tag] = v
			cfg.Terminal[tag] = v
		}
	}
	k, err := New(cfg)
	if err != nil {
		return nil, err
	}
	pb := emvtest.New(tr)
	tx := k.NewTransaction(pb, Params{Amount: opts.Amount, Time: opts.Time, Random: zeroRand{}, Overrides: over, PIN: replayPIN{pb}})
	until := opts.Until
	full := until == 0 || until == StepComplete
	if until == 0 {
		until = StepComplete
	}
	runErr := tx.Run(ctx, min(until, StepGenAC1))
	if runErr == nil && until == StepComplete {
		if tx.Outcome() == Online && opts.Host != nil {
			runErr = tx.CompleteOnline(ctx, *opts.Host)
		}
	}
	res := ResultOf(tx, runErr, opts.Reveal)
	closeErr := pb.Close()
	var mm *emvtest.MismatchError
	if errors.As(closeErr, &mm) && mm.Kind == emvtest.KindLeftover && !full && runErr == nil {
		res.LeftOver, closeErr = mm.Left, nil
	}
	out, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return nil, err
	}
	out = append(out, '\n')
	if errors.Is(runErr, ErrTranscriptMismatch) {
		return out, fmt.Errorf("replay: %w", runErr)
	}
	if closeErr != nil {
		return out, fmt.Errorf("replay: %w", closeErr)
	}
	return out, nil
}

// ResultOf is the result Replay prints, built from a transaction that ran (against
// a replayed transcript or a live card); runErr is the error of its run, if any.
// Sensitive tags are masked unless reveal.
func ResultOf(tx *Transaction, runErr error, reveal bool) ReplayResult {
	res := ReplayResult{Outcome: tx.Outcome().String(), SelectionRequired: tx.SelectionRequired(), Tags: map[string]string{}}
	if runErr != nil {
		res.Error = runErr.Error()
	}
	res.Candidates = []ReplayCandidate{}
	for _, c := range tx.Candidates() {
		res.Candidates = append(res.Candidates, ReplayCandidate{AID: up(c.AID), Label: c.Label, Priority: c.Priority, ConfirmationRequired: c.ConfirmationRequired})
	}
	if c, ok := tx.Selected(); ok {
		res.SelectedAID = up(c.AID)
	}
	res.AIP, res.AFL = up(tx.AIP()), up(tx.AFL())
	res.TVR, res.TSI = tx.TVR().String(), tx.TSI().String()
	if v, ok := tx.Get(0x9F34); ok {
		res.CVMResults = up(v)
	}
	if a, ok := tx.ACType(); ok {
		res.ACType = a.String()
	}
	res.ODA = tx.ODAMethod()
	res.APDUs = tx.Transport().Count()
	data := tx.Data()
	keys := make([]tlv.Tag, 0, len(data))
	for tag := range data {
		keys = append(keys, tag)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, tag := range keys {
		if reveal {
			res.Tags[tag.String()] = up(data[tag])
		} else {
			res.Tags[tag.String()] = maskValue(tag, data[tag])
		}
	}
	return res
}
