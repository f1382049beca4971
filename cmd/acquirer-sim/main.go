// Command acquirer-sim runs the simulated acquirer host (internal/acquirer) as a
// TCP server speaking CUP POS 8583, for the integration suite and for terminals on
// other machines of a test bench. It signs terminals in under a test TMK, approves or
// declines by the test-card profiles and an optional rules file, and logs (slog text,
// stderr) every exchange with card data masked.
//
//	acquirer-sim [-listen 127.0.0.1:5800] [-dialect cup|cup-sm4] [-framing cup|dialup] [-tmk HEX] [-cards DIR] [-rules FILE] [-layout 24|40|48|60|72] [-v]
//
// With -dialect cup-sm4 (national cryptography) the TMK is an SM4 key, the working
// keys are SM4 keys, MACs are CUP SM4 and PIN blocks 16 bytes.
//
// It stops cleanly on SIGINT or SIGTERM. It imports internal/acquirer and what that
// needs; never hal, store or hostlink.
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"countertop/internal/acquirer"
	"countertop/internal/cardprofile"
	"countertop/internal/keys"
	"countertop/iso8583"
	"countertop/iso8583/frame"
	"countertop/testdata"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "acquirer-sim:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:5800", "address to listen on")
	dialectName := flag.String("dialect", "cup", "host dialect: cup (DES/3DES keys) or cup-sm4 (SM4 keys, MAC and PIN blocks)")
	framingName := flag.String("framing", "cup", "frames: cup (2-byte length, TCP) or dialup (STX, BCD length, ETX, LRC)")
	tmkHex := flag.String("tmk", acquirer.TestTMK, "terminal master key, 32 hex digits (default: the documented test TMK)")
	cardsDir := flag.String("cards", "", "directory of card profiles (default: the embedded testdata/cards)")
	rulesFile := flag.String("rules", "", "JSON rules file (format: internal/acquirer Rules; sample testdata/acquirer/rules.json)")
	layout := flag.Int("layout", 0, "field 62 key layout 24, 40, 48, 60 or 72 (48 and 72: 8-byte check values; default: 60 when the sign-in asks for a track key, else 40)")
	verbose := flag.Bool("v", false, "debug logs (masked message dumps)")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	d, ok := iso8583.Dialects()[*dialectName]
	if !ok {
		return fmt.Errorf("-dialect %q: not cup or cup-sm4", *dialectName)
	}
	framing, ok := frame.Framings()[*framingName]
	if !ok {
		return fmt.Errorf("-framing %q: not cup or dialup", *framingName)
	}
	parse := keys.ParseHexKey
	if d.SM4 {
		parse = keys.ParseHexSM4Key
	}
	tmk, err := parse(*tmkHex)
	if err != nil {
		return fmt.Errorf("-tmk: %w", err)
	}
	var cardFS fs.FS = testdata.FS
	dir := "cards"
	if *cardsDir != "" {
		cardFS, dir = os.DirFS(*cardsDir), "."
	}
	cards, err := cardprofile.Load(cardFS, dir)
	if err != nil {
		return fmt.Errorf("-cards: %w", err)
	}
	var rules acquirer.Rules
	if *rulesFile != "" {
		if rules, err = acquirer.LoadRules(*rulesFile); err != nil {
			return fmt.Errorf("-rules: %w", err)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := acquirer.Listen(*listen, acquirer.Config{
		Dialect:   d,
		Framing:   framing,
		TMK:       tmk,
		KeyLayout: *layout,
		Cards:     cards,
		Rules:     rules,
		Log:       log,
	})
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("acquirer-sim stopping")
	return s.Close()
}
