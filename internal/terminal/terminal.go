// Package terminal assembles one terminal from a configuration and a set of devices:
// the journal, the acquirer link (and, in embedded mode, the in-process acquirer
// simulator on loopback), the transaction engine and the merchant application. posd
// and the scenario runner share it, so the terminal a scenario tests is the terminal
// posd runs. Choosing and opening concrete devices stays in cmd/ and internal/scenario.
package terminal

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"countertop/emv"
	"countertop/hal"
	"countertop/internal/acquirer"
	"countertop/internal/app"
	"countertop/internal/cardprofile"
	"countertop/internal/config"
	"countertop/internal/fees"
	"countertop/internal/hostlink"
	"countertop/internal/keys"
	"countertop/internal/msgs"
	"countertop/internal/operators"
	"countertop/internal/receipt"
	"countertop/internal/risk"
	"countertop/internal/selfcheck"
	"countertop/internal/txn"
	"countertop/internal/txtype"
	"countertop/iso8583"
	"countertop/iso8583/frame"
	"countertop/store"
	"countertop/testdata"
	emvdata "countertop/testdata/emv"
)

// Devices are the devices a terminal drives.
type Devices struct {
	Reader  hal.CardReader
	PINPad  hal.PINPad
	Printer hal.Printer
	Keypad  hal.Keypad
	Display hal.Display
}

// Terminal is an assembled terminal.
type Terminal struct {
	cfg       config.Config
	dev       Devices
	tmk       keys.Key
	App       *app.App
	Engine    *txn.Engine
	Journal   *store.DB
	Host      *hostlink.Client
	Acquirer  *acquirer.Server // embedded mode only
	Operators *operators.Table
	log       *slog.Logger
}

// Cards returns the test-card profiles configured for simulated cards and the
// embedded acquirer.
func Cards(cfg config.Config) ([]cardprofile.Profile, error) {
	if cfg.Devices.Cards != "" {
		return cardprofile.Load(os.DirFS(cfg.Devices.Cards), ".")
	}
	return cardprofile.Load(testdata.FS, "cards")
}

// Open assembles a terminal. The caller owns the devices; Close releases what Open
// opened (journal, embedded acquirer).
func Open(cfg config.Config, dev Devices, log *slog.Logger) (*Terminal, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	tmk, hashKey, err := Keys(cfg)
	if err != nil {
		return nil, err
	}
	l, err := hostLink(cfg)
	if err != nil {
		return nil, err
	}
	db, err := openJournal(cfg, log)
	if err != nil {
		return nil, err
	}
	t := &Terminal{Journal: db, log: log, cfg: cfg, dev: dev, tmk: tmk}
	addr := cfg.Host.Addr
	if cfg.Host.Mode == "embedded" {
		srv, err := NewAcquirer(cfg, log.With("component", "acquirer-sim"))
		if err != nil {
			t.Close()
			return nil, err
		}
		t.Acquirer = srv
		addr = srv.Addr()
		log.Info("embedded acquirer simulator", "addr", addr)
	}
	term := iso8583.Terminal{TerminalID: cfg.Terminal.TerminalID, MerchantID: cfg.Terminal.MerchantID}
	t.Host = hostlink.New(hostlink.Config{Addr: addr, ConnectTimeout: cfg.Host.ConnectTimeout.Duration,
		ResponseTimeout: cfg.Host.ResponseTimeout.Duration, Dialect: l.dialect, Framing: l.framing,
		PreHeader: l.preHeader, Terminal: term,
		MACAlgorithm: keys.MACAlgorithm(cfg.Host.MAC)}, log.With("component", "hostlink"))
	kernel, err := Kernel(cfg)
	if err != nil {
		t.Close()
		return nil, err
	}
	alarms, err := risk.New(cfg.Risk, db, risk.Options{Audit: db, Log: log.With("component", "risk")})
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("risk rules: %w", err)
	}
	estimator, err := fees.New(cfg.Fees, cfg.Currency(), fees.Options{})
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("fees: %w", err)
	}
	screens := app.NewScreens(dev.Keypad, dev.Display, cfg.Lang(), log)
	t.Engine = txn.New(txn.Settings{
		Terminal: term, Operator: cfg.Terminal.Operator, TMK: tmk, PANHashKey: hashKey,
		ReversalRetries: cfg.Host.ReversalRetries,
		Merchant: receipt.Merchant{Name: cfg.Terminal.MerchantName, ID: cfg.Terminal.MerchantID,
			TerminalID: cfg.Terminal.TerminalID, Acquirer: cfg.Terminal.Acquirer},
		Layout: receipt.Layout{Width: cfg.Terminal.PrintWidth, Lang: cfg.Lang(), English: cfg.Terminal.EnglishLabels},
		Copies: cfg.Terminal.SlipCopies, TearOff: cfg.Terminal.TearOffTimeout.Duration, Currency: cfg.Currency(),
		Kernel: kernel, TraceDir: cfg.EMV.TraceDir, Risk: alarms, Fees: estimator, AfterSettle: t.afterSettle,
	}, t.Host, db, txn.Devices{Reader: dev.Reader, PINPad: dev.PINPad, Printer: dev.Printer}, screens, log.With("component", "txn"))
	ops, err := operators.Load(db, operators.DefaultPolicy, nil)
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("operators: %w", err)
	}
	t.Operators = ops
	if err := t.Engine.LoadParams(); err != nil {
		log.Error("downloaded parameters not applied; the configuration's values stand", "err", err)
	}
	t.App = app.New(app.Settings{Lang: cfg.Lang(), Currency: cfg.Currency(),
		MaxAmount: cfg.Terminal.MaxAmount, InputTimeout: cfg.Terminal.InputTimeout.Duration,
		ResultTimeout: cfg.Terminal.ResultTimeout.Duration}, screens, dev.Reader, t.Engine, ops, log.With("component", "app"))
	return t, nil
}

// compactSetting marks a journal whose purged pages should be given back: the file
// is compacted at the next start, while nothing else has it open.
const compactSetting = "compact-pending"

// openJournal opens the journal, compacting it first when a purge asked for it.
func openJournal(cfg config.Config, log *slog.Logger) (*store.DB, error) {
	open := func() (*store.DB, error) {
		db, err := store.Open(cfg.Journal.Path, &store.Options{Timeout: cfg.Journal.LockTimeout.Duration})
		if err != nil {
			return nil, fmt.Errorf("open journal %s: %w", cfg.Journal.Path, err)
		}
		return db, nil
	}
	db, err := open()
	if err != nil {
		return nil, err
	}
	if v, err := db.Setting(compactSetting); err != nil || string(v) != "1" {
		return db, nil
	}
	tmp := cfg.Journal.Path + ".compact"
	os.Remove(tmp)
	if err := db.Compact(tmp); err != nil {
		log.Error("journal compaction", "err", err)
		return db, nil
	}
	if err := db.Close(); err != nil {
		return nil, fmt.Errorf("close journal for compaction: %w", err)
	}
	before, _ := os.Stat(cfg.Journal.Path)
	if err := store.Swap(tmp, cfg.Journal.Path); err != nil {
		log.Error("journal compaction swap", "err", err)
		os.Remove(tmp)
	}
	if db, err = open(); err != nil {
		return nil, err
	}
	if after, err := os.Stat(cfg.Journal.Path); err == nil && before != nil {
		log.Info("journal compacted", "bytes_before", before.Size(), "bytes_after", after.Size())
	}
	if err := db.SetSetting(compactSetting, []byte("0")); err != nil {
		log.Error("journal compaction flag", "err", err)
	}
	return db, nil
}

// Keys returns the terminal master key and the journal's PAN hash key: from the key
// file when keys.file is set, else from the hex test values.
func Keys(cfg config.Config) (keys.Key, []byte, error) {
	l, err := hostLink(cfg)
	if err != nil {
		return keys.Key{}, nil, err
	}
	if cfg.Keys.File != "" {
		kek, err := keys.LoadKEK(cfg.Keys.KEKFile)
		if err != nil {
			return keys.Key{}, nil, fmt.Errorf("keys.kek_file: %w", err)
		}
		kf, err := keys.LoadKeyFile(cfg.Keys.File, kek)
		if err != nil {
			return keys.Key{}, nil, fmt.Errorf("keys.file: %w", err)
		}
		if kf.PANHash.IsZero() {
			return keys.Key{}, nil, fmt.Errorf("keys.file %s holds no pan-hash key (posctl keys load --slot pan-hash)", cfg.Keys.File)
		}
		if want := l.tmkKind(); kf.TMK.Kind() != want {
			return keys.Key{}, nil, fmt.Errorf("keys.file %s holds a %s tmk, host.dialect %q takes %s (posctl keys load --sm4 loads an SM4 one)",
				cfg.Keys.File, kf.TMK.Kind(), cfg.Host.Dialect, want)
		}
		return kf.TMK, kf.PANHash.Bytes(), nil
	}
	parse := keys.ParseHexKey
	if l.tmkKind() == keys.KindSM4 {
		parse = keys.ParseHexSM4Key
	}
	tmk, err := parse(cfg.Keys.TMK)
	if err != nil {
		return keys.Key{}, nil, fmt.Errorf("keys.tmk: %w", err)
	}
	hashKey, err := hex.DecodeString(cfg.Keys.PANHashKey)
	if err != nil {
		return keys.Key{}, nil, fmt.Errorf("keys.pan_hash_key: %w", err)
	}
	return tmk, hashKey, nil
}

// link is the configured acquirer link: dialect, framing and gateway pre-header.
type link struct {
	dialect   *iso8583.Dialect
	framing   frame.Framing
	preHeader []byte
}

// hostLink reads the [host] settings that choose the link.
func hostLink(cfg config.Config) (link, error) {
	d, ok := iso8583.Dialects()[cfg.Host.Dialect]
	if !ok {
		return link{}, fmt.Errorf("host.dialect %q: not cup or cup-sm4", cfg.Host.Dialect)
	}
	fr, ok := frame.Framings()[cfg.Host.Framing]
	if !ok {
		return link{}, fmt.Errorf("host.framing %q: not cup or dialup", cfg.Host.Framing)
	}
	pre, err := hex.DecodeString(cfg.Host.PreHeader)
	if err != nil {
		return link{}, fmt.Errorf("host.pre_header: not hex")
	}
	return link{dialect: d, framing: fr, preHeader: pre}, nil
}

// tmkKind is the cipher of the TMK a dialect takes: SM4 for cup-sm4.
func (l link) tmkKind() keys.Kind {
	if l.dialect.SM4 {
		return keys.KindSM4
	}
	return keys.KindDES
}

// Kernel returns the EMV kernel with the default CUP terminal configuration, the
// configured floor limit, and the CA public keys of testdata/emv/capk. Those are the test PKI's keys, which the
// virtual cards are certified by; a production terminal loads the schemes' CA keys
// (CAPK download from the acquirer is not built yet).
func Kernel(c config.Config) (*emv.Kernel, error) {
	cfg := emv.DefaultConfig()
	fl := uint32(c.EMV.FloorLimit)
	cfg.Terminal[0x9F1B] = []byte{byte(fl >> 24), byte(fl >> 16), byte(fl >> 8), byte(fl)}
	files, err := fs.Glob(emvdata.FS, "capk/*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := fs.ReadFile(emvdata.FS, f)
		if err != nil {
			return nil, err
		}
		k, err := emv.ParseCAPK(b)
		if err != nil {
			return nil, fmt.Errorf("ca public key %s: %w", f, err)
		}
		cfg.CAPKs = append(cfg.CAPKs, k)
	}
	k, err := emv.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("emv kernel: %w", err)
	}
	return k, nil
}

// NewAcquirer starts the acquirer simulator on loopback with the keys, MAC algorithm
// and test cards of cfg, as embedded mode does.
func NewAcquirer(cfg config.Config, log *slog.Logger) (*acquirer.Server, error) {
	ac, err := AcquirerConfig(cfg, log)
	if err != nil {
		return nil, err
	}
	srv, err := acquirer.NewServer(ac)
	if err != nil {
		return nil, fmt.Errorf("start acquirer simulator: %w", err)
	}
	return srv, nil
}

// AcquirerConfig is the acquirer simulator's configuration for cfg's keys, MAC and
// test cards.
func AcquirerConfig(cfg config.Config, log *slog.Logger) (acquirer.Config, error) {
	tmk, _, err := Keys(cfg)
	if err != nil {
		return acquirer.Config{}, err
	}
	cards, err := Cards(cfg)
	if err != nil {
		return acquirer.Config{}, err
	}
	l, err := hostLink(cfg)
	if err != nil {
		return acquirer.Config{}, err
	}
	return acquirer.Config{Dialect: l.dialect, Framing: l.framing, PreHeaderLen: len(l.preHeader),
		TMK: tmk, KeyLayout: cfg.Host.KeyLayout,
		MACAlgorithm: keys.MACAlgorithm(cfg.Host.MAC), Cards: cards, Log: log}, nil
}

// Run recovers what a crash left in the journal, signs in (a failure is shown on
// the idle screen, not fatal), sends a reversal left pending by an earlier run, runs
// the self-check, takes journal backups on schedule, and serves the merchant until
// ctx ends.
func (t *Terminal) Run(ctx context.Context) error {
	t.recover()
	t.App.Announce(ctx, msgs.TitleSignIn)
	if err := t.Engine.SignIn(ctx); err != nil {
		t.log.Warn("start-up sign-in", "err", err)
	} else if err := t.Engine.DrainReversal(ctx); err != nil {
		t.log.Warn("start-up reversal", "err", err)
	} else if t.Engine.ParamsDue() {
		if err := t.Engine.DownloadParams(ctx); err != nil {
			t.log.Warn("start-up parameter download", "err", err)
		}
	}
	t.App.Announce(ctx, msgs.CheckTitle)
	rep := t.SelfCheck(ctx)
	t.App.SetGate(rep)
	// The merchant sees what was checked (the seed: check keyboard, display, reader,
	// printer and network before use); a problem waits for a key.
	title, summary := rep.Summary(t.cfg.Lang())
	t.dev.Display.Show(ctx, hal.Screen{Title: title, Lines: append(summary[:1:1], rep.Lines(t.cfg.Lang())...)})
	if rep.Worst() != selfcheck.OK && ctx.Err() == nil {
		pause, cancel := context.WithTimeout(ctx, t.cfg.Terminal.ResultTimeout.Duration)
		t.dev.Keypad.ReadKey(pause)
		cancel()
	}
	go t.backups(ctx)
	return t.App.Run(ctx)
}

// SelfCheck checks the devices, the journal, the clock, the host and the keys, and
// logs the report.
func (t *Terminal) SelfCheck(ctx context.Context) selfcheck.Report {
	d := t.dev
	rep := selfcheck.Run(ctx, t.cfg.SelfCheck,
		selfcheck.CardReader(d.Reader), selfcheck.PINPad(d.PINPad), selfcheck.Printer(d.Printer),
		selfcheck.Keypad(d.Keypad), selfcheck.Display(d.Display, t.cfg.Lang()), selfcheck.JournalIntegrity(t.Journal),
		selfcheck.Clock(nil, buildDate, t.Journal, t.cfg.SelfCheck.ClockTolerance),
		selfcheck.Host(t.Engine, t.cfg.SelfCheck.EchoTimeout), selfcheck.Keys(keyStatus{t}))
	t.log.Info("self-check", "report", rep)
	return rep
}

// buildDate is the earliest date the clock may show: a clock before it is wrong.
var buildDate = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

type keyStatus struct{ t *Terminal }

func (k keyStatus) TMKLoaded() bool { return !k.t.tmk.IsZero() }
func (k keyStatus) SignedIn() bool  { return k.t.Engine.SignedIn() }

// recover resolves transactions a crash interrupted: one whose request was never
// sent is marked failed; a pending reversal goes out with the sign-in's drain; one
// whose outcome stays unknown is logged and never shown as approved.
func (t *Terminal) recover() {
	left, err := t.Journal.Interrupted()
	if err != nil {
		t.log.Error("journal recovery", "err", err)
		return
	}
	for _, in := range left {
		r := in.Record
		switch in.Action {
		case store.MarkFailed:
			r.State = store.Failed
			if err := t.Journal.Finish(&r); err != nil {
				t.log.Error("mark interrupted transaction failed", "record", r.ID, "err", err)
			}
		case store.SendReversal:
			t.log.Warn("interrupted transaction: reversal pending", "record", r.ID)
		default:
			t.log.Warn("interrupted transaction: outcome unknown", "record", r.ID, "stan", r.STAN.String())
			t.Journal.Audit("alarm", fmt.Sprintf("record %d outcome unknown after a restart", r.ID))
		}
	}
}

func (t *Terminal) backupDir() string {
	if t.cfg.Journal.BackupDir != "" {
		return t.cfg.Journal.BackupDir
	}
	return filepath.Join(filepath.Dir(t.cfg.Journal.Path), "backups")
}

// backups takes a verified journal backup every journal.backup_every until ctx ends.
func (t *Terminal) backups(ctx context.Context) {
	tick := time.NewTicker(t.cfg.Journal.BackupEvery.Duration)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			t.backup()
		}
	}
}

func (t *Terminal) backup() {
	if err := os.MkdirAll(t.backupDir(), 0o700); err != nil {
		t.log.Error("journal backup", "err", err)
		return
	}
	path, err := t.Journal.Backup(t.backupDir(), t.cfg.Journal.BackupKeep)
	if err != nil {
		t.log.Error("journal backup", "err", err)
		t.Journal.Audit("alarm", "journal backup failed")
		return
	}
	t.log.Info("journal backup", "file", path)
}

// afterSettle backs the journal up and purges settled batches past the retention.
func (t *Terminal) afterSettle(ctx context.Context, batch txtype.Batch) {
	t.backup()
	cutoff := time.Now().AddDate(0, 0, -t.cfg.Journal.RetentionDays)
	n, err := t.Journal.Purge(cutoff)
	if err != nil {
		t.log.Error("journal retention", "err", err)
		return
	}
	if n > 0 {
		t.log.Info("journal retention", "purged", n, "before", cutoff.Format(time.DateOnly))
		if err := t.Journal.SetSetting(compactSetting, []byte("1")); err != nil {
			t.log.Error("journal compaction flag", "err", err)
		}
	}
}

// Close closes the journal and stops the embedded acquirer.
func (t *Terminal) Close() error {
	var errs []error
	if t.Acquirer != nil {
		errs = append(errs, t.Acquirer.Close())
	}
	if t.Journal != nil {
		errs = append(errs, t.Journal.Close())
	}
	return errors.Join(errs...)
}
