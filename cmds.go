package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"kindling/prompts"
	"kindling/store"
)

// configFlag adds --config and reports whether it was given.
func configFlag(fs *flag.FlagSet) (path *string, explicit func() bool) {
	path = fs.String("config", "config.yaml", "the configuration `file`")
	return path, func() bool {
		given := false
		fs.Visit(func(f *flag.Flag) { given = given || f.Name == "config" })
		return given
	}
}

// cmdCheck validates prompt files: every problem and exit 1, or a one-line
// summary and exit 0.
func cmdCheck(ctx context.Context, args []string, e cmdEnv) error {
	fs := newFlags(e, "check")
	lang := fs.String("default-language", "en", "the language other languages fall back to")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	opts := prompts.Options{DefaultLanguage: *lang}
	var (
		set *prompts.Set
		err error
	)
	switch fs.NArg() {
	case 0:
		set, err = prompts.Load(prompts.Embedded(), opts)
	case 1:
		set, err = prompts.LoadDir(fs.Arg(0), opts)
	default:
		fs.Usage()
		return exitError(2)
	}
	if !prompts.Check(e.stdout, set, err) {
		return exitError(1)
	}
	return nil
}

// cmdPreview prints what a client receives, day by day.
func cmdPreview(ctx context.Context, args []string, e cmdEnv) error {
	fs := newFlags(e, "preview")
	seq := fs.String("sequence", "after-session", "the sequence `id`")
	lang := fs.String("lang", "en", "the `language`")
	days := fs.String("days", "0-30", "the `range` of days since the session, e.g. 0-30 or 7")
	name := fs.String("name", prompts.SampleVars.Name, "the client's name in {name}")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	from, to, err := parseDays(*days)
	if err != nil {
		return fmt.Errorf("--days: %w", err)
	}
	opts := prompts.Options{DefaultLanguage: "en"}
	var set *prompts.Set
	switch fs.NArg() {
	case 0:
		set = prompts.Default()
	case 1:
		set, err = prompts.LoadDir(fs.Arg(0), opts)
		if err != nil {
			prompts.Check(e.stderr, set, err)
			return exitError(1)
		}
	default:
		fs.Usage()
		return exitError(2)
	}
	vars := prompts.SampleVars
	vars.Name = *name
	return prompts.Preview(e.stdout, set, prompts.PreviewOptions{Sequence: *seq, Language: *lang, From: from, To: to, Vars: vars})
}

// parseDays reads "0-30" or "7".
func parseDays(s string) (int, int, error) {
	a, b, found := strings.Cut(s, "-")
	from, err1 := strconv.Atoi(strings.TrimSpace(a))
	to := from
	var err2 error
	if found {
		to, err2 = strconv.Atoi(strings.TrimSpace(b))
	}
	if err1 != nil || err2 != nil || from < 0 || to < from || to > 3650 {
		return 0, 0, fmt.Errorf("want N or FROM-TO with 0 <= FROM <= TO, got %q", s)
	}
	return from, to, nil
}

// withStore opens the database named by the config for an offline
// command. When a running kindling holds it, the error says so.
func withStore(args []string, e cmdEnv, name string, extra func(fs *flag.FlagSet), do func(cfg Config, fs *flag.FlagSet, db *store.DB) error) error {
	fs := newFlags(e, name)
	path, explicit := configFlag(fs)
	if extra != nil {
		extra(fs)
	}
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	cfg, err := loadConfig(*path, explicit(), e.getenv)
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.Store.Path); err != nil {
		return fmt.Errorf("store.path %s: %w", cfg.Store.Path, err)
	}
	db, err := store.Open(cfg.Store.Path, store.Options{Timeout: time.Second})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w\n(kindling %s reads the database directly; stop the bot first, or use the running bot's admin address)", err, name)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	return do(cfg, fs, db)
}

// cmdExport writes every answer (or one client's) as CSV or JSON.
func cmdExport(ctx context.Context, args []string, e cmdEnv) error {
	var client *int64
	var since, format, out *string
	return withStore(args, e, "export", func(fs *flag.FlagSet) {
		client = fs.Int64("client", 0, "only this client's chat `id`")
		since = fs.String("since", "", "only answers on or after this `date` (YYYY-MM-DD)")
		format = fs.String("format", "csv", "csv or json")
		out = fs.String("out", "", "write to this `file` instead of standard output")
	}, func(cfg Config, fs *flag.FlagSet, db *store.DB) error {
		opts := store.ExportOptions{ChatID: *client, Format: *format}
		if *format != "csv" && *format != "json" {
			return fmt.Errorf("--format: want csv or json, got %q", *format)
		}
		if *since != "" {
			t, err := time.Parse("2006-01-02", *since)
			if err != nil {
				return fmt.Errorf("--since: want YYYY-MM-DD, got %q", *since)
			}
			opts.Since = t
		}
		var w io.Writer = e.stdout
		if *out != "" {
			f, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			defer f.Close()
			w = f
			if err := db.Export(w, opts); err != nil {
				return err
			}
			return f.Close()
		}
		return db.Export(w, opts)
	})
}

// cmdBackup writes a consistent copy of the database and verifies it.
func cmdBackup(ctx context.Context, args []string, e cmdEnv) error {
	return withStore(args, e, "backup", nil, func(cfg Config, fs *flag.FlagSet, db *store.DB) error {
		if fs.NArg() != 1 {
			fs.Usage()
			return exitError(2)
		}
		dst := fs.Arg(0)
		if abs(dst) == abs(cfg.Store.Path) {
			return errors.New("the backup file cannot be the database itself")
		}
		if err := db.BackupFile(dst); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "backup written and verified:", dst)
		return nil
	})
}

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

// cmdCompact rewrites the database file so that bytes of erased records
// are gone from it. The bot must be stopped.
func cmdCompact(ctx context.Context, args []string, e cmdEnv) error {
	fs := newFlags(e, "compact")
	path, explicit := configFlag(fs)
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	cfg, err := loadConfig(*path, explicit(), e.getenv)
	if err != nil {
		return err
	}
	before, err := os.Stat(cfg.Store.Path)
	if err != nil {
		return fmt.Errorf("store.path %s: %w", cfg.Store.Path, err)
	}
	db, err := store.Open(cfg.Store.Path, store.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("%w\n(stop the bot before compacting; the running bot compacts by itself after a client erases their data)", err)
		}
		return err
	}
	err = db.CompactInPlace()
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	after, err := os.Stat(cfg.Store.Path)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "compacted %s: %d -> %d bytes\n", cfg.Store.Path, before.Size(), after.Size())
	return nil
}

// cmdConfig prints the effective configuration with secrets masked.
func cmdConfig(ctx context.Context, args []string, e cmdEnv) error {
	fs := newFlags(e, "config")
	path, explicit := configFlag(fs)
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	cfg, err := loadConfig(*path, explicit(), e.getenv)
	if err != nil {
		return err
	}
	return WriteConfig(e.stdout, cfg.Masked())
}
