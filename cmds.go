package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
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

// commandConfig parses a command's flags (--config plus those extra
// adds) and loads the configuration it names.
func commandConfig(args []string, e cmdEnv, name string, extra func(fs *flag.FlagSet)) (Config, *flag.FlagSet, error) {
	fs := newFlags(e, name)
	path, explicit := configFlag(fs)
	if extra != nil {
		extra(fs)
	}
	if err := parseFlags(fs, args, e); err != nil {
		return Config{}, fs, err
	}
	cfg, err := loadConfig(*path, explicit(), e.getenv)
	return cfg, fs, err
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

// offline is a command that reads the database: export or backup.
type offline struct {
	name  string
	flags func(fs *flag.FlagSet)
	// check validates the arguments before anything is opened.
	check func(cfg Config, fs *flag.FlagSet) error
	// admin does the work through the running kindling's admin address;
	// see askAdmin for what its errors mean.
	admin func(ctx context.Context, cfg Config) error
	// file does the work on the database file, when no kindling runs.
	file func(cfg Config, db *store.DB) error
}

// runOffline runs an offline command: through the admin address of the
// kindling that holds the database when one runs there (admin.listen and
// admin.token from the config), else on the file itself.
func runOffline(ctx context.Context, args []string, e cmdEnv, c offline) error {
	cfg, fs, err := commandConfig(args, e, c.name, c.flags)
	if err != nil {
		return err
	}
	if err := c.check(cfg, fs); err != nil {
		return err
	}
	var adminErr error
	if cfg.Admin.Listen != "" {
		err := c.admin(ctx, cfg)
		var final *finalError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &final):
			return err
		case !errors.Is(err, errNoAdmin):
			adminErr = err
		}
	}
	if _, err := os.Stat(cfg.Store.Path); err != nil {
		return fmt.Errorf("store.path %s: %w", cfg.Store.Path, err)
	}
	db, err := store.Open(cfg.Store.Path, store.Options{Timeout: time.Second})
	if errors.Is(err, store.ErrLocked) {
		switch {
		case adminErr != nil:
			return fmt.Errorf("%w\n(and the running bot's admin address did not help: %v)", err, adminErr)
		case cfg.Admin.Listen == "":
			return fmt.Errorf("%w\n(admin.listen is off, so kindling %s reads the file itself: stop the bot first, or turn on admin.listen)", err, c.name)
		default:
			return fmt.Errorf("%w\n(and nothing answers on admin.listen %s: is the bot running with another config?)", err, cfg.Admin.Listen)
		}
	}
	if err != nil {
		return err
	}
	defer db.Close()
	return c.file(cfg, db)
}

// cmdExport writes every answer (or one client's) as CSV or JSON.
func cmdExport(ctx context.Context, args []string, e cmdEnv) error {
	var client *int64
	var since, format, out *string
	var opts store.ExportOptions
	return runOffline(ctx, args, e, offline{
		name: "export",
		flags: func(fs *flag.FlagSet) {
			client = fs.Int64("client", 0, "only this client's chat `id`")
			since = fs.String("since", "", "only answers on or after this `date` (YYYY-MM-DD)")
			format = fs.String("format", "csv", "csv or json")
			out = fs.String("out", "", "write to this `file` instead of standard output")
		},
		check: func(cfg Config, fs *flag.FlagSet) error {
			var err error
			opts, err = exportOptions(strconv.FormatInt(*client, 10), *since, *format)
			return err
		},
		admin: func(ctx context.Context, cfg Config) error {
			q := url.Values{"format": {opts.Format}}
			if opts.ChatID != 0 {
				q.Set("client", strconv.FormatInt(opts.ChatID, 10))
			}
			if *since != "" {
				q.Set("since", *since)
			}
			resp, err := askAdmin(ctx, cfg, "/export", q)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			err = writeOut(*out, filepath.Dir(cfg.Store.Path), e.stdout, func(w io.Writer) error {
				_, err := io.Copy(w, resp.Body)
				return err
			})
			if err != nil {
				return &finalError{fmt.Errorf("export from the running bot: %w", err)}
			}
			return nil
		},
		file: func(cfg Config, db *store.DB) error {
			return writeOut(*out, filepath.Dir(cfg.Store.Path), e.stdout, func(w io.Writer) error { return db.Export(w, opts) })
		},
	})
}

// writeOut runs write on a temporary file (0600, in tmpDir or beside out)
// and, only when write finished, renames it to out or copies it to stdout
// when out is "": a failed export leaves nothing that could pass for a
// whole one. An out that is not a regular file (a pipe, /dev/stdout) is
// written to, not replaced.
func writeOut(out, tmpDir string, stdout io.Writer, write func(io.Writer) error) error {
	if fi, err := os.Stat(out); out != "" && err == nil && !fi.Mode().IsRegular() {
		f, err := os.OpenFile(out, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer f.Close()
		if err := writeOut("", tmpDir, f, write); err != nil {
			return err
		}
		return f.Close()
	}
	dir := tmpDir
	if out != "" {
		dir = filepath.Dir(out)
	}
	f, err := os.CreateTemp(dir, ".kindling-export-*")
	if err != nil && out == "" {
		f, err = os.CreateTemp("", ".kindling-export-*")
	}
	if err != nil {
		if out != "" {
			return fmt.Errorf("--out: %w", err)
		}
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := write(f); err != nil {
		return err
	}
	if out != "" {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		if err := os.Rename(f.Name(), out); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		return nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err = io.Copy(stdout, f)
	return err
}

// cmdBackup writes a consistent copy of the database and verifies it.
func cmdBackup(ctx context.Context, args []string, e cmdEnv) error {
	var dst string
	return runOffline(ctx, args, e, offline{
		name:  "backup",
		flags: func(fs *flag.FlagSet) {},
		check: func(cfg Config, fs *flag.FlagSet) error {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitError(2)
			}
			dst = fs.Arg(0)
			if abs(dst) == abs(cfg.Store.Path) {
				return errors.New("the backup file cannot be the database itself")
			}
			return nil
		},
		admin: func(ctx context.Context, cfg Config) error {
			resp, err := askAdmin(ctx, cfg, "/backup", nil)
			if err != nil {
				return err
			}
			if _, err := backupFromAdmin(resp, dst); err != nil {
				return &finalError{fmt.Errorf("backup from the running bot: %w", err)}
			}
			fmt.Fprintln(e.stdout, "backup written and verified:", dst, "(a hot copy from the running bot)")
			return nil
		},
		file: func(cfg Config, db *store.DB) error {
			if err := db.BackupFile(dst); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, "backup written and verified:", dst)
			return nil
		},
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
	cfg, _, err := commandConfig(args, e, "compact", nil)
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
	cfg, _, err := commandConfig(args, e, "config", nil)
	if err != nil {
		return err
	}
	return WriteConfig(e.stdout, cfg.Masked())
}

// cmdHealthcheck asks the running kindling's admin address for /healthz
// and exits 0 when it answers 200. Container images without curl use it.
func cmdHealthcheck(ctx context.Context, args []string, e cmdEnv) error {
	cfg, _, err := commandConfig(args, e, "healthcheck", nil)
	if err != nil {
		return err
	}
	base, err := adminBase(cfg.Admin.Listen)
	if errors.Is(err, errNoAdmin) {
		return errors.New("admin.listen is off: there is no /healthz to ask")
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthz: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprintf(e.stdout, "%s", body)
	if resp.StatusCode != http.StatusOK {
		return exitError(1)
	}
	return nil
}
