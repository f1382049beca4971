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

	"countertop/internal/scenario"
)

func runScenario(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(stderr, "usage: posctl scenario run [--db FILE] [-v] [-update] FILE...")
		return 2
	}
	fs := flag.NewFlagSet("scenario run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "keep the journal in FILE for inspection (one scenario only)")
	verbose := fs.Bool("v", false, "show the terminal's logs on stderr")
	update := fs.Bool("update", false, "rewrite golden slips instead of comparing")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() == 0 || (*db != "" && fs.NArg() > 1) {
		fmt.Fprintln(stderr, "usage: posctl scenario run [--db FILE] [-v] [-update] FILE... (--db with one file)")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opt := scenario.Options{DBPath: *db, Update: *update}
	if *verbose {
		opt.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	failed := 0
	for _, path := range fs.Args() {
		sc, err := scenario.ParseFile(path)
		if err != nil {
			fmt.Fprintln(stderr, "posctl scenario:", err)
			return 2
		}
		if err := scenario.Run(ctx, sc, opt); err != nil {
			failed++
			if f, ok := errors.AsType[*scenario.Failure](err); ok {
				fmt.Fprintf(stdout, "FAIL %s\n%s\n", sc.Name, f.Error())
			} else {
				fmt.Fprintf(stdout, "FAIL %s\n    %v\n", sc.Name, err)
			}
			continue
		}
		fmt.Fprintf(stdout, "ok   %s\n", sc.Name)
	}
	if failed > 0 {
		return 1
	}
	return 0
}
