package acquirer

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"countertop/internal/cardprofile"
	"countertop/internal/keys"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/iso8583/frame"
)

// TestTMK is the documented test terminal master key (2-key 3DES) the simulator uses
// unless told otherwise. Never a production key.
const TestTMK = "0123456789ABCDEFFEDCBA9876543210"

// DefaultAcquirerID is the acquiring institution code the simulator puts in field 44
// (and 32) unless Config.AcquirerID says otherwise.
const DefaultAcquirerID = "48020000"

// Config configures a simulated acquirer. Zero values take the documented defaults.
type Config struct {
	Dialect      *iso8583.Dialect  // required
	Framing      frame.Framing     // nil means frame.Length (the 2-byte length of CUP over TCP)
	PreHeaderLen int               // a gateway's block between TPDU and header, echoed in replies; 0: none
	TMK          keys.Key          // required: every terminal's master key
	KeyLayout    int               // field 62 layout (keys.Layout24 … keys.Layout72); 0: 60 when the sign-in asks for a track key (60.3 "004"), else 40
	MACAlgorithm keys.MACAlgorithm // "" means the dialect's (keys.MACCUPECB for CUP)
	Cards        []cardprofile.Profile
	Rules        Rules
	Log          *slog.Logger     // nil discards
	Now          func() time.Time // nil means time.Now

	// Keys, when set, are handed to every terminal at sign-in instead of fresh random
	// keys (TDK used only in layout 60). For reproducible tests and demos.
	Keys *TerminalKeys
	// AcquirerID is the acquiring institution code (8 digits); "" means
	// DefaultAcquirerID.
	AcquirerID string
	// MaxFrame bounds a request frame's length; 0 means 4096 bytes.
	MaxFrame int
	// IdleTimeout closes a connection that sends nothing for this long; 0 means 60 s.
	IdleTimeout time.Duration
	// Params are the terminal parameters a parameter download hands out (after
	// RequestParams asks a terminal to fetch them); nil means DefaultParams.
	Params *iso8583.Params
}

// DefaultParams are the parameters the simulator hands out unless Config.Params
// says otherwise.
var DefaultParams = iso8583.Params{MerchantName: "测试商户 HOST PARAMS", SlipCopies: 1, ReversalRetries: 5}

// TerminalKeys are the working keys of one terminal, in clear.
type TerminalKeys struct {
	PIK, MAK, TDK keys.Key
}

// Server is a running simulated acquirer. Its methods are safe for concurrent use.
type Server struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	ln       net.Listener
	maxFrame int
	idle     time.Duration

	ctx    context.Context // ends at Close; bounds delayed replies
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	terms  map[string]*terminal
	ledger ledger
	faults []Fault
	seq    uint64 // RRN and auth code sequence
	seqRRN uint64 // base for RRNs
	closed bool
	// params holds the terminals asked to download parameters (RequestParams);
	// downloads counts the downloads served.
	params    map[string]bool
	downloads int
}

type terminal struct {
	keys   TerminalKeys
	hasTDK bool
	batch  txtype.Batch
}

// NewServer starts a simulated acquirer on a free port of 127.0.0.1, like
// httptest.NewServer. Close it when done.
func NewServer(cfg Config) (*Server, error) { return Listen("127.0.0.1:0", cfg) }

// Listen starts a simulated acquirer on addr ("127.0.0.1:5800").
func Listen(addr string, cfg Config) (*Server, error) {
	if cfg.Dialect == nil {
		return nil, errors.New("acquirer: config has no dialect")
	}
	if cfg.TMK.IsZero() {
		return nil, errors.New("acquirer: config has no tmk (use acquirer.TestTMK for tests)")
	}
	switch cfg.KeyLayout {
	case 0, keys.Layout24, keys.Layout40, keys.Layout48, keys.Layout60, keys.Layout72:
	default:
		return nil, fmt.Errorf("acquirer: key layout %d (want 24, 40, 48, 60 or 72)", cfg.KeyLayout)
	}
	if (cfg.TMK.Kind() == keys.KindSM4) != cfg.Dialect.SM4 {
		return nil, fmt.Errorf("acquirer: a %s tmk cannot serve dialect %s", cfg.TMK.Kind(), cfg.Dialect.Name)
	}
	if cfg.TMK.Kind() == keys.KindSM4 && cfg.KeyLayout == keys.Layout24 {
		return nil, errors.New("acquirer: key layout 24 holds single-length DES keys, not SM4")
	}
	if cfg.MACAlgorithm == "" {
		cfg.MACAlgorithm = keys.MACAlgorithm(cfg.Dialect.MAC)
	}
	if _, err := keys.ParseMACAlgorithm(string(cfg.MACAlgorithm)); err != nil {
		return nil, fmt.Errorf("acquirer: %w", err)
	}
	if err := cfg.Rules.Validate(); err != nil {
		return nil, fmt.Errorf("acquirer: rules: %w", err)
	}
	if cfg.AcquirerID == "" {
		cfg.AcquirerID = DefaultAcquirerID
	}
	if cfg.Framing == nil {
		cfg.Framing = frame.Length
	}
	cfg.Framing = frame.WithPreHeader(cfg.Framing, cfg.PreHeaderLen)
	if cfg.Params == nil {
		p := DefaultParams
		cfg.Params = &p
	}
	if err := cfg.Params.Validate(); err != nil {
		return nil, fmt.Errorf("acquirer: params: %w", err)
	}
	s := &Server{
		cfg:      cfg,
		log:      cfg.Log,
		now:      cfg.Now,
		maxFrame: cfg.MaxFrame,
		idle:     cfg.IdleTimeout,
		conns:    make(map[net.Conn]struct{}),
		terms:    make(map[string]*terminal),
		params:   make(map[string]bool),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxFrame <= 0 {
		s.maxFrame = 4096
	}
	if s.idle <= 0 {
		s.idle = 60 * time.Second
	}
	// RRNs: 6 digits from the start time (seconds of the day) then a 6-digit
	// sequence, so two runs of the simulator on one day rarely collide and one run
	// never does (for up to a million transactions).
	t := s.now()
	s.seqRRN = uint64(t.Hour()*3600+t.Minute()*60+t.Second()) * 1_000_000
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("acquirer: listen: %w", err)
	}
	s.ln = ln
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.accept()
	s.log.Info("acquirer listening", "addr", ln.Addr().String(), "mac", string(cfg.MACAlgorithm), "cards", len(cfg.Cards))
	return s, nil
}

// Addr is the address the server listens on, "127.0.0.1:port".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops listening, closes every connection (abandoning delayed replies) and
// waits for the connection goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.cancel()
	err := s.ln.Close()
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("acquirer: close: %w", err)
	}
	return nil
}

// Ledger returns a snapshot of the approved transactions, oldest first.
func (s *Server) Ledger() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ledger.snapshot()
}

// SendScripts makes approvals of the card pan carry the simulator's issuer script.
func (s *Server) SendScripts(pan string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.Rules.ScriptPANs = append(s.cfg.Rules.ScriptPANs, pan)
}

// Forget drops every ledger entry of terminal tid, as a host that lost its records
// would: the next settlement is unbalanced and the terminal uploads its batch. A
// fault for tests and demonstrations.
func (s *Server) Forget(tid string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ledger.forget(tid)
}

// RequestParams makes every reply to terminal tid ask it, through the header's
// processing requirement, to download its parameters, until it does.
func (s *Server) RequestParams(tid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.params[tid] = true
}

// ParamDownloads counts the parameter downloads served.
func (s *Server) ParamDownloads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.downloads
}

// OrphanReversals counts reversals that named no transaction the host had approved
// (answered "00" all the same, as hosts do).
func (s *Server) OrphanReversals() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ledger.orphanReversals
}

// TerminalKeys returns the working keys the terminal tid received at its last
// sign-in, for tests that play the terminal by hand.
func (s *Server) TerminalKeys(tid string) (TerminalKeys, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.terms[tid]
	if !ok {
		return TerminalKeys{}, false
	}
	return t.keys, true
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error("acquirer accept", "err", err)
			}
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

// serve answers the requests of one connection until the peer closes it, a frame is
// bad, or a fault ends it.
func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	log := s.log.With("peer", c.RemoteAddr().String())
	for {
		if err := c.SetReadDeadline(time.Now().Add(s.idle)); err != nil {
			return
		}
		f, err := s.cfg.Framing.Read(c, s.maxFrame)
		if err != nil {
			if err == io.EOF || errors.Is(err, net.ErrClosed) {
				log.Debug("acquirer connection closed")
			} else {
				log.Warn("acquirer bad frame, closing the connection", "err", err)
			}
			return
		}
		out, err := s.answer(f, log)
		if err != nil {
			log.Warn("acquirer bad request, closing the connection", "err", err)
			return
		}
		if !s.send(c, out, log) {
			return
		}
	}
}

// outgoing is what the server does after a request.
type outgoing struct {
	reply frame.Frame
	fault Fault
	stale *frame.Frame // FaultStale: the reply to send first
}

// send writes the reply with its fault applied; false ends the connection.
func (s *Server) send(c net.Conn, o outgoing, log *slog.Logger) bool {
	if o.fault.Kind != 0 {
		log.Info("acquirer injecting fault", "fault", o.fault.Kind.String())
	}
	write := func(f frame.Frame) bool {
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if err := s.cfg.Framing.Write(c, f); err != nil {
			log.Warn("acquirer write reply", "err", err)
			return false
		}
		return true
	}
	switch o.fault.Kind {
	case FaultDrop:
		return false
	case FaultDelay:
		t := time.NewTimer(o.fault.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.ctx.Done():
			return false
		}
	case FaultGarble:
		b := o.reply.Body
		for i := 2; i < len(b); i++ {
			b[i] ^= 0xFF
		}
	case FaultTruncate:
		var whole writeBuffer
		if err := s.cfg.Framing.Write(&whole, o.reply); err != nil {
			log.Warn("acquirer truncate", "err", err)
			return false
		}
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		c.Write(whole[:len(whole)/2])
		return false
	case FaultBadMAC:
		b := o.reply.Body
		if len(b) > 0 {
			b[len(b)-1] ^= 0x01 // field 64 is the last field of the body
		}
	case FaultStale:
		if o.stale != nil && !write(*o.stale) {
			return false
		}
	}
	if !write(o.reply) {
		return false
	}
	if o.fault.Kind == FaultDuplicate {
		return write(o.reply)
	}
	return true
}

type writeBuffer []byte

func (w *writeBuffer) Write(p []byte) (int, error) {
	*w = append(*w, p...)
	return len(p), nil
}

// randomKey returns a fresh DES-family key of n bytes (8 or 16).
// randomKey is a fresh working key of the TMK's kind: n bytes of DES-family key, or
// an SM4 key (16 bytes) under an SM4 TMK.
func randomKey(tmk keys.Key, n int) keys.Key {
	newKey := keys.NewKey
	if tmk.Kind() == keys.KindSM4 {
		n, newKey = 16, keys.NewSM4Key
	}
	b := make([]byte, n)
	rand.Read(b)
	k, err := newKey(b)
	if err != nil {
		panic(err) // 8 and 16 bytes are valid lengths
	}
	return k
}
