package emv

import (
	"context"
	"errors"
	"fmt"

	"countertop/emv/apdu"
)

// Card is the one thing the kernel needs from an inserted chip card: a raw APDU
// exchange. The response ends with SW1 SW2. cmd/ adapts a hal.CardReader to it; the
// virtual card (emv/card) and transcript playback (emv/emvtest) implement it directly.
// A Transmit error (card removed, reader gone, transcript mismatch) ends the
// transaction with CARD_ERROR and is returned wrapped, so callers can still match it.
type Card interface {
	Transmit(ctx context.Context, apdu []byte) ([]byte, error)
}

// maxProcedure bounds the GET RESPONSE and re-send loop of one exchange: a card that
// keeps answering 61xx or 6Cxx forever is a card error, not a hang.
const maxProcedure = 32

// ErrProcedureLoop is wrapped when a card keeps answering with procedure bytes.
var ErrProcedureLoop = errors.New("card keeps answering 61xx/6Cxx")

// Transport applies the T=0 transport rules of Book 1 Annex A above a Card so the kernel
// sees whole responses whatever the reader does: 61xx → GET RESPONSE with Le = xx
// (data accumulated), 6Cxx → the same command re-sent with Le = xx, and for a case 4
// command answered with a warning (62xx, 63xx) and no data, GET RESPONSE with Le = 00
// and the warning kept as the final status. It counts the APDUs it sends.
type Transport struct {
	Card Card
	// Trace, if set, sees every raw exchange (the caller masks VERIFY; see
	// apdu.Command.String).
	Trace func(c, r []byte)
	n     int
}

// Count is the number of APDUs sent to the card so far (GET RESPONSE included).
func (t *Transport) Count() int { return t.n }

func (t *Transport) raw(ctx context.Context, c []byte) (apdu.Response, error) {
	if err := ctx.Err(); err != nil {
		return apdu.Response{}, err
	}
	t.n++
	r, err := t.Card.Transmit(ctx, c)
	if err != nil {
		return apdu.Response{}, err
	}
	if t.Trace != nil {
		t.Trace(c, r)
	}
	return apdu.ParseResponse(r)
}

// Exchange sends c and resolves procedure bytes.
func (t *Transport) Exchange(ctx context.Context, c apdu.Command) (apdu.Response, error) {
	cur := c
	resp, err := t.raw(ctx, cur.Bytes())
	if err != nil {
		return resp, err
	}
	var data []byte
	var warning apdu.SW
	case4 := len(c.Data) > 0 && c.Le != nil
	for i := 0; ; i++ {
		if i >= maxProcedure {
			return apdu.Response{}, ErrProcedureLoop
		}
		switch {
		case resp.SW1 == 0x61:
			data = append(data, resp.Data...)
			cur = apdu.Command{CLA: 0x00, INS: 0xC0, Le: apdu.Le(int(resp.SW2))}
		case resp.SW1 == 0x6C:
			cur.Le = apdu.Le(int(resp.SW2))
		case case4 && warning == 0 && resp.SW().Warning() && len(resp.Data) == 0 && len(data) == 0:
			warning = resp.SW()
			cur = apdu.Command{CLA: 0x00, INS: 0xC0, Le: apdu.Le(0)}
		default:
			out := apdu.Response{Data: append(data, resp.Data...), SW1: resp.SW1, SW2: resp.SW2}
			if warning != 0 && (resp.SW() == apdu.Success || len(out.Data) == 0) {
				out.SW1, out.SW2 = byte(warning>>8), byte(warning)
			}
			return out, nil
		}
		if resp, err = t.raw(ctx, cur.Bytes()); err != nil {
			return apdu.Response{}, err
		}
	}
}

func (t *Transport) exchange(ctx context.Context, name string, c apdu.Command) (apdu.Response, error) {
	r, err := t.Exchange(ctx, c)
	if err != nil {
		return r, fmt.Errorf("%s: %w", name, err)
	}
	return r, nil
}
