// Command posd is the countertop terminal daemon. It reads the configuration (the
// embedded default when no -config is given: simulated devices and an in-process
// acquirer simulator), sets up structured logs, opens the devices the configuration
// names, assembles the terminal and serves the merchant until SIGINT, SIGTERM or
// Ctrl-C on the console. It is the one place where concrete devices are chosen.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"countertop/hal"
	"countertop/internal/config"
	"countertop/internal/msgs"
	"countertop/internal/terminal"
	"countertop/store"
)

type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, ",") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "posd:", err)
		os.Exit(1)
	}
}

func run() error {
	var sets setFlags
	cfgPath := flag.String("config", "", "configuration file (TOML); empty: the embedded default")
	printDefault := flag.Bool("print-default-config", false, "print the embedded default configuration and exit")
	flag.Var(&sets, "set", "override one setting, section.key=value (repeatable)")
	flag.Parse()
	if *printDefault {
		_, err := os.Stdout.Write(config.DefaultTOML())
		return err
	}
	cfg := config.Default()
	if *cfgPath != "" {
		var err error
		if cfg, err = config.Load(*cfgPath); err != nil {
			return err
		}
	}
	for _, s := range sets {
		if err := cfg.Set(s); err != nil {
			return err
		}
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	if cfg.Devices.Console == "console" && cfg.Log.File == "" {
		// The console owns the screen: logs go to a file next to the journal.
		cfg.Log.File = filepath.Join(filepath.Dir(cfg.Journal.Path), "posd.log")
	}
	log, closeLog, err := newLogger(cfg.Log)
	if err != nil {
		return err
	}
	defer closeLog()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	dev, closeDevices, err := openDevices(ctx, cfg, log, stop)
	if err != nil {
		return err
	}
	defer closeDevices()
	t, err := terminal.Open(cfg, dev, log)
	if err != nil {
		// The terminal takes no payments; the merchant reads why on its screen, and
		// the journal and its backups are left as they are for the integrator.
		log.Error("terminal not started", "err", err)
		showFatal(ctx, dev, cfg, err)
		return err
	}
	log.Info("posd started", "terminal", cfg.Terminal.TerminalID, "journal", cfg.Journal.Path, "host", cfg.Host.Mode)
	runErr := t.Run(ctx)
	if err := t.Close(); err != nil {
		log.Error("close terminal", "err", err)
	}
	log.Info("posd stopped")
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	return nil
}

// showFatal puts a start-up failure on the terminal's display and waits for the
// daemon to be stopped, so a merchant sees why the terminal does not work.
func showFatal(ctx context.Context, dev terminal.Devices, cfg config.Config, err error) {
	code := msgs.JournalFailed
	if !errors.Is(err, store.ErrCorrupt) && !errors.Is(err, store.ErrSchema) && !errors.Is(err, store.ErrLocked) {
		code = msgs.NotAvailable
	}
	lines := []string{msgs.Text(code, cfg.Lang()), err.Error(), "Ctrl-C"}
	if dev.Display.Show(ctx, hal.Screen{Title: "countertop", Lines: lines}) == nil {
		<-ctx.Done()
	}
}

func newLogger(c config.Log) (*slog.Logger, func(), error) {
	var w io.Writer = os.Stderr
	closeFn := func() {}
	if c.File != "" {
		f, err := os.OpenFile(c.File, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("open log file: %w", err)
		}
		w, closeFn = f, func() { f.Close() }
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, nil, fmt.Errorf("log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), closeFn, nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), closeFn, nil
}
