package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"countertop/store"
)

const backupUsage = `usage: posctl backup --db FILE --out FILE

Writes a consistent copy of the journal to FILE (through a temporary file, synced and
verified before it replaces FILE). The journal is opened read-only, which a running posd
does not allow: posd holds the journal's lock and takes its own backups (on its schedule
and after each settlement, keeping the newest few) — copy the newest of those, or stop
posd to take one by hand.`

const restoreUsage = `usage: posctl restore --backup FILE --db FILE [--force]

Verifies the backup (full integrity check, known schema) before anything is changed,
refuses while posd (or anything else) has the journal open, and keeps the replaced
journal as FILE.replaced-<time>. A journal that is not corrupt (it passes its check,
or is of a newer schema) is replaced only with --force: restoring loses what was
recorded after the backup.`

// runBackup is `posctl backup`.
func runBackup(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, backupUsage) }
	db := fs.String("db", "", "journal file")
	out := fs.String("out", "", "backup file to write")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *db == "" || *out == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, backupUsage)
		return 2
	}
	start := time.Now()
	j, err := store.Open(*db, &store.Options{ReadOnly: true, Timeout: -1})
	if errors.Is(err, store.ErrLocked) {
		fmt.Fprintf(stderr, "posctl backup: %s is in use by a running posd, which takes its own automatic backups "+
			"(on its schedule and after each settlement): copy the newest of those, or stop posd and run posctl backup again\n"+
			"  (%v)\n", *db, err)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "posctl backup:", err)
		return 1
	}
	defer j.Close()
	if err := j.BackupTo(*out); err != nil {
		fmt.Fprintln(stderr, "posctl backup:", err)
		return 1
	}
	st, err := os.Stat(*out)
	if err != nil {
		fmt.Fprintln(stderr, "posctl backup:", err)
		return 1
	}
	fmt.Fprintf(stdout, "backup of %s written to %s (%d bytes, verified) in %v\n",
		*db, *out, st.Size(), time.Since(start).Round(time.Millisecond))
	return 0
}

// runRestore is `posctl restore`.
func runRestore(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, restoreUsage) }
	backup := fs.String("backup", "", "backup file to restore from")
	db := fs.String("db", "", "journal file to replace")
	force := fs.Bool("force", false, "replace a journal that is not corrupt")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *backup == "" || *db == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, restoreUsage)
		return 2
	}
	replaced, err := store.Restore(*backup, *db, *force)
	if err != nil {
		fmt.Fprintln(stderr, "posctl restore:", err)
		switch {
		case errors.Is(err, store.ErrLocked):
			fmt.Fprintln(stderr, "posctl restore: stop posd first; nothing was changed")
		case errors.Is(err, store.ErrInvalid) && !*force:
			fmt.Fprintln(stderr, "posctl restore: nothing was changed; add --force to replace it anyway")
		case errors.Is(err, store.ErrCorrupt), errors.Is(err, store.ErrSchema):
			fmt.Fprintln(stderr, "posctl restore: the backup failed its check; nothing was changed")
		}
		return 1
	}
	fmt.Fprintf(stdout, "restored %s from %s (verified)\n", *db, *backup)
	if replaced != "" {
		fmt.Fprintf(stdout, "the replaced journal is kept as %s\n", replaced)
	}
	return 0
}
