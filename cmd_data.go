package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"kindling/admin"
	"kindling/config"
	"kindling/store"
)

// offline is a command that reads the database: export, backup or audit,
// done by admin.Client.Run through the running kindling or on the file.
type offline struct {
	name  string
	flags func(fs *flag.FlagSet)
	// check validates the arguments before anything is opened.
	check func(cfg config.Config, fs *flag.FlagSet) error
	// admin does the work through the running kindling's admin address
	// (see admin.Job.Ask).
	admin func(ctx context.Context, c admin.Client) error
	// file does the work on the database file, when no kindling runs.
	file func(cfg config.Config, db *store.DB) error
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
	cl := admin.Client{Listen: cfg.Admin.Listen, Token: cfg.Admin.Token, StorePath: cfg.Store.Path}
	return cl.Run(ctx, admin.Job{Name: c.name, Ask: c.admin,
		File: func(db *store.DB) error { return c.file(cfg, db) }})
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
			format = fs.String("format", "csv", "csv, json, or fhir (the scored check-ins as a FHIR R4 Bundle)")
			out = fs.String("out", "", "write to this `file` instead of standard output")
		},
		check: func(cfg config.Config, fs *flag.FlagSet) error {
			var err error
			opts, err = admin.ExportOptions(strconv.FormatInt(*client, 10), *since, *format)
			return err
		},
		admin: func(ctx context.Context, cl admin.Client) error {
			q := url.Values{"format": {opts.Format}}
			if opts.ChatID != 0 {
				q.Set("client", strconv.FormatInt(opts.ChatID, 10))
			}
			if *since != "" {
				q.Set("since", *since)
			}
			resp, err := cl.Get(ctx, "/export", q)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			err = writeOut(*out, filepath.Dir(cl.StorePath), e.stdout, func(w io.Writer) error {
				_, err := io.Copy(w, resp.Body)
				return err
			})
			if err != nil {
				return admin.Final(fmt.Errorf("export from the running bot: %w", err))
			}
			return nil
		},
		file: func(cfg config.Config, db *store.DB) error {
			if opts.Format == "fhir" {
				return writeOut(*out, filepath.Dir(cfg.Store.Path), e.stdout, func(w io.Writer) error {
					set, err := exportPrompts(cfg, db)
					if err != nil {
						return err
					}
					return exportFHIR(w, set, cfg, db, opts, time.Now())
				})
			}
			return writeOut(*out, filepath.Dir(cfg.Store.Path), e.stdout, func(w io.Writer) error { return db.Export(w, opts) })
		},
	})
}

// writeOut runs write into out through store.WriteFileWith (a file of
// its own, 0600, synced and renamed over out only when write finished),
// or, when out is "", into a temporary file in tmpDir copied to stdout
// once write finished: a failed export leaves nothing that could pass for
// a whole one. An out that is not a regular file (a pipe, /dev/stdout) is
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
	if out != "" {
		var werr error
		err := store.WriteFileWith(out, func(w io.Writer) error { werr = write(w); return werr })
		if werr != nil {
			return werr
		}
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		return nil
	}
	f, err := os.CreateTemp(tmpDir, ".kindling-export-*")
	if err != nil {
		f, err = os.CreateTemp("", ".kindling-export-*")
	}
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := write(f); err != nil {
		return err
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
		check: func(cfg config.Config, fs *flag.FlagSet) error {
			if fs.NArg() != 1 {
				fs.Usage()
				return exitError(2)
			}
			dst = fs.Arg(0)
			if store.SamePath(dst, cfg.Store.Path) {
				return errors.New("the backup file cannot be the database itself")
			}
			return nil
		},
		admin: func(ctx context.Context, cl admin.Client) error {
			resp, err := cl.Get(ctx, "/backup", nil)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if _, err := store.WriteBackup(dst, resp.Body); err != nil {
				return admin.Final(fmt.Errorf("backup from the running bot: %w", err))
			}
			fmt.Fprintln(e.stdout, "backup written and verified:", dst, "(a hot copy from the running bot)")
			return nil
		},
		file: func(cfg config.Config, db *store.DB) error {
			if err := db.BackupFile(dst); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, "backup written and verified:", dst)
			return nil
		},
	})
}

// cmdCompact rewrites the database file so that bytes of erased records
// are gone from it. The bot must be stopped.
func cmdCompact(ctx context.Context, args []string, e cmdEnv) error {
	cfg, _, err := commandConfig(args, e, "compact", nil)
	if err != nil {
		return err
	}
	before, after, err := store.CompactFile(cfg.Store.Path)
	switch {
	case errors.Is(err, store.ErrLocked):
		return fmt.Errorf("%w\n(stop the bot before compacting; the running bot compacts by itself after a client erases their data)", err)
	case err != nil:
		return fmt.Errorf("store.path %s: %w", cfg.Store.Path, err)
	}
	fmt.Fprintf(e.stdout, "compacted %s: %d -> %d bytes\n", cfg.Store.Path, before, after)
	return nil
}

// cmdSalvage copies what can still be read of a damaged database file into
// a new, verified one, and says what it could not read.
func cmdSalvage(ctx context.Context, args []string, e cmdEnv) error {
	fs := newFlags(e, "salvage")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return exitError(2)
	}
	src, dst := fs.Arg(0), fs.Arg(1)
	rep, err := store.Salvage(src, dst)
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w\n(stop the kindling that runs on %s first)", err, src)
	}
	if err != nil {
		for _, l := range rep.Summary() {
			fmt.Fprintln(e.stderr, l)
		}
		return err
	}
	rep.Print(e.stdout, src, dst)
	return nil
}
