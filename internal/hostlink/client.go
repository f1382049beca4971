package hostlink

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"countertop/internal/keys"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/iso8583/frame"

	moov "github.com/moov-io/iso8583"
)

// Defaults for the zero values of Config.
const (
	DefaultConnectTimeout  = 10 * time.Second
	DefaultResponseTimeout = 60 * time.Second
	DefaultMaxFrame        = 4096
)

// Config configures a Client.
type Config struct {
	Addr            string        // host:port of the acquirer
	ConnectTimeout  time.Duration // dial (and TLS handshake); 0: DefaultConnectTimeout
	ResponseTimeout time.Duration // from the end of the write to the reply; 0: DefaultResponseTimeout
	// TLS, when set, wraps every connection in TLS with this configuration; nil
	// means plain TCP.
	TLS     *tls.Config
	Dialect *iso8583.Dialect // required; gives the TPDU and header too
	Framing frame.Framing    // nil means frame.Length (the 2-byte length of CUP over TCP)
	// PreHeader is a gateway's block sent between TPDU and header; the reply's is
	// read past (frame.WithPreHeader) and not checked. Nil on most links.
	PreHeader []byte
	Terminal  iso8583.Terminal // fills Request.Terminal when the request has none
	// MACAlgorithm for requests and replies; "" means the dialect's.
	MACAlgorithm keys.MACAlgorithm
	MaxFrame     int // largest reply frame accepted; 0: DefaultMaxFrame
}

// Client makes exchanges with one acquirer. It is safe for concurrent use; a
// terminal makes one exchange at a time.
type Client struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	mak    keys.Key
	hasMAK bool
}

// New returns a client for cfg. log may be nil (discard). New does not connect.
func New(cfg Config, log *slog.Logger) *Client {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.Framing == nil {
		cfg.Framing = frame.Length
	}
	cfg.Framing = frame.WithPreHeader(cfg.Framing, len(cfg.PreHeader))
	if cfg.ResponseTimeout <= 0 {
		cfg.ResponseTimeout = DefaultResponseTimeout
	}
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = DefaultMaxFrame
	}
	if cfg.MACAlgorithm == "" && cfg.Dialect != nil {
		cfg.MACAlgorithm = keys.MACAlgorithm(cfg.Dialect.MAC)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, log: log}
}

// SetMACKey sets the MAC key (the MAK from the last sign-in) for requests and reply
// verification.
func (c *Client) SetMACKey(k keys.Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mak, c.hasMAK = k, !k.IsZero()
}

// HasMACKey reports whether a MAC key is set.
func (c *Client) HasMACKey() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hasMAK
}

func (c *Client) macKey() (keys.Key, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mak, c.hasMAK
}

// Macked reports whether requests of type t carry a MAC (field 64) and their
// replies must: every type but the network-management messages (sign-in, sign-off,
// echo).
func Macked(t txtype.Type) bool {
	switch t {
	case txtype.SignIn, txtype.SignOff, txtype.Echo:
		return false
	}
	return true
}

// Do makes one exchange: build, MAC, connect, send, receive, match, verify. onStage
// (may be nil) is called as each Stage begins, for the screen.
//
// A nil error means a matching reply arrived and, for a MACed type, its MAC
// verified; the Reply's response code may still be a decline. Any error is an
// *Error wrapping one of ErrNotSignedIn, ErrNotSent, ErrNoAnswer, ErrBadReply or
// ErrBadMAC (see their documentation and OutcomeUnknown); with ErrBadMAC the
// unverified Reply is returned too, to be logged, never trusted.
//
// req.Terminal, when zero, is taken from the Config. ctx ending before the write
// gives ErrNotSent; after it, ErrNoAnswer (errors.Is also matches ctx's error).
func (c *Client) Do(ctx context.Context, req iso8583.Request, onStage func(Stage)) (iso8583.Reply, error) {
	start := time.Now()
	if onStage == nil {
		onStage = func(Stage) {}
	}
	if req.Terminal == (iso8583.Terminal{}) {
		req.Terminal = c.cfg.Terminal
	}
	log := c.log.With("type", req.Type.String(), "stan", req.STAN.String())
	reply, err := c.do(ctx, req, onStage, log)
	if err != nil {
		log.Info("hostlink exchange failed", "err", err, "reversal", ReversalReason(err), "elapsed", time.Since(start))
		return reply, err
	}
	log.Info("hostlink exchange", "rc", reply.RespCode, "elapsed", time.Since(start))
	return reply, nil
}

func (c *Client) do(ctx context.Context, req iso8583.Request, onStage func(Stage), log *slog.Logger) (iso8583.Reply, error) {
	d := c.cfg.Dialect
	if d == nil {
		return iso8583.Reply{}, fail(Sending, ErrNotSent, errors.New("config has no dialect"))
	}
	mak, hasMAK := c.macKey()
	macked := Macked(req.Type)
	if macked && !hasMAK {
		return iso8583.Reply{}, fail(Sending, ErrNotSignedIn, nil)
	}
	if err := ctx.Err(); err != nil {
		return iso8583.Reply{}, fail(Connecting, ErrNotSent, err)
	}

	// Build and pack before connecting: a request that cannot be built is never
	// sent. Errors here are data or programming errors, reported as not sent.
	msg, err := d.Build(req)
	if err != nil {
		return iso8583.Reply{}, fail(Sending, ErrNotSent, fmt.Errorf("build: %w", err))
	}
	var macFn func([]byte) ([]byte, error)
	if macked {
		macFn = func(mab []byte) ([]byte, error) { return keys.MAC(c.cfg.MACAlgorithm, mak, mab) }
	}
	body, err := d.Pack(msg, macFn)
	if err != nil {
		return iso8583.Reply{}, fail(Sending, ErrNotSent, fmt.Errorf("pack: %w", err))
	}
	reqFrame := frame.Frame{TPDU: d.TPDU, PreHeader: c.cfg.PreHeader, Header: d.Header, Body: body}
	wire, err := c.cfg.Framing.Bytes(reqFrame)
	if err != nil {
		return iso8583.Reply{}, fail(Sending, ErrNotSent, err)
	}
	want, err := matchKey(msg, req.Type.Financial())
	if err != nil {
		return iso8583.Reply{}, fail(Sending, ErrNotSent, err)
	}
	log.Debug("hostlink request", "msg", described{d, msg})

	onStage(Connecting)
	conn, err := c.dial(ctx)
	if err != nil {
		return iso8583.Reply{}, fail(Connecting, ErrNotSent, ctxCause(ctx, err))
	}
	defer conn.Close()
	// ctx ending interrupts whatever I/O is under way. Each phase sets its own
	// deadline and then re-checks ctx, so a cancellation that raced with setting
	// the deadline is not overwritten.
	interrupt := func() { conn.SetDeadline(time.Unix(1, 0)) }
	stop := context.AfterFunc(ctx, interrupt)
	defer stop()
	deadline := func(set func(time.Time) error) {
		set(time.Now().Add(c.cfg.ResponseTimeout))
		if ctx.Err() != nil {
			interrupt()
		}
	}

	onStage(Sending)
	deadline(conn.SetWriteDeadline)
	n, err := conn.Write(wire)
	if err != nil || n < len(wire) {
		// Only n bytes reached the kernel: the host has at most a partial frame,
		// which it cannot act on.
		if err == nil {
			err = io.ErrShortWrite
		}
		return iso8583.Reply{}, fail(Sending, ErrNotSent, ctxCause(ctx, fmt.Errorf("wrote %d of %d bytes: %w", n, len(wire), err)))
	}

	onStage(Receiving)
	deadline(conn.SetReadDeadline)
	for {
		f, err := c.cfg.Framing.Read(conn, c.cfg.MaxFrame)
		if err != nil {
			return iso8583.Reply{}, c.readError(ctx, err)
		}
		if !frame.Mirrors(reqFrame, f) {
			return iso8583.Reply{}, fail(Receiving, ErrBadReply, fmt.Errorf("reply tpdu % X does not mirror the request's % X", f.TPDU, reqFrame.TPDU))
		}
		rmsg, err := d.Unpack(f.Body)
		if err != nil {
			return iso8583.Reply{}, fail(Receiving, ErrBadReply, err)
		}
		got, err := matchKey(rmsg, req.Type.Financial())
		if err != nil || got != want.reply() {
			// A late reply to an earlier request, a duplicate, or another
			// terminal's: not ours. Keep waiting within the same deadline.
			log.Warn("hostlink skipping unmatched reply", "got", got.String(), "want", want.reply().String())
			continue
		}
		log.Debug("hostlink reply", "msg", described{d, rmsg})
		reply, err := d.ParseReply(rmsg)
		if err != nil {
			return iso8583.Reply{}, fail(Receiving, ErrBadReply, err)
		}
		reply.HostRequest = f.ProcessingRequirement()
		if err := c.verify(f.Body, req.Type, macked, mak, hasMAK); err != nil {
			return reply, fail(Receiving, ErrBadMAC, err)
		}
		return reply, nil
	}
}

// verify checks the reply MAC over the raw received body. A MACed type must carry
// one; others are checked when they carry one and a key is set (never a sign-in
// reply, which brings new keys).
func (c *Client) verify(body []byte, t txtype.Type, macked bool, mak keys.Key, hasMAK bool) error {
	mab, mac, err := iso8583.MACInput(body)
	if err != nil {
		if macked {
			return err
		}
		return nil
	}
	if !macked && (!hasMAK || t == txtype.SignIn) {
		return nil
	}
	want, err := keys.MAC(c.cfg.MACAlgorithm, mak, mab)
	if err != nil {
		return fmt.Errorf("compute reply mac: %w", err)
	}
	if subtle.ConstantTimeCompare(want, mac) != 1 {
		return errors.New("reply mac mismatch")
	}
	return nil
}

// readError classifies a failed read of the reply frame.
func (c *Client) readError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fail(Receiving, ErrNoAnswer, ctxCause(ctx, err))
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return fail(Receiving, ErrNoAnswer, fmt.Errorf("no reply within %v: %w", c.cfg.ResponseTimeout, err))
	case err == io.EOF:
		return fail(Receiving, ErrNoAnswer, errors.New("host closed the connection without a reply"))
	case errors.Is(err, frame.ErrTruncated), errors.Is(err, frame.ErrTooLong), errors.Is(err, frame.ErrShort),
		errors.Is(err, frame.ErrFraming):
		return fail(Receiving, ErrBadReply, err)
	}
	return fail(Receiving, ErrNoAnswer, err)
}

// ctxCause puts ctx's error in front of err when ctx has ended, so that errors.Is
// matches context.Canceled or DeadlineExceeded.
func ctxCause(ctx context.Context, err error) error {
	if ce := ctx.Err(); ce != nil && !errors.Is(err, ce) {
		return fmt.Errorf("%w: %w", ce, err)
	}
	return err
}

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	nd := &net.Dialer{Timeout: c.cfg.ConnectTimeout}
	if c.cfg.TLS != nil {
		td := &tls.Dialer{NetDialer: nd, Config: c.cfg.TLS}
		conn, err := td.DialContext(ctx, "tcp", c.cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("dial tls %s: %w", c.cfg.Addr, err)
		}
		return conn, nil
	}
	conn, err := nd.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", c.cfg.Addr, err)
	}
	return conn, nil
}

// key identifies an exchange: the reply must have the request's MTI + 10 and the
// same STAN, terminal, merchant and, for financial requests, amount.
type key struct {
	mti, stan, tid, mid, amount string
}

func (k key) reply() key {
	k.mti = iso8583.ResponseMTI(k.mti)
	return k
}

// String names the key without card data (amounts are not secret).
func (k key) String() string {
	return fmt.Sprintf("mti=%s stan=%s tid=%s mid=%s amount=%s", k.mti, k.stan, k.tid, k.mid, k.amount)
}

func matchKey(m *moov.Message, financial bool) (key, error) {
	var k key
	var err error
	if k.mti, err = m.GetMTI(); err != nil {
		return key{}, fmt.Errorf("mti: %w", err)
	}
	get := func(id int) string {
		if m.GetField(id) == nil {
			return ""
		}
		s, _ := m.GetString(id)
		return s
	}
	k.stan, k.tid, k.mid = get(11), get(41), get(42)
	if financial {
		k.amount = get(4)
	}
	return k, nil
}

// described logs a message through the dialect's masked Describe, computed only
// when the record is actually written (debug level).
type described struct {
	d   *iso8583.Dialect
	msg *moov.Message
}

func (v described) LogValue() slog.Value { return slog.StringValue(v.d.Describe(v.msg)) }
