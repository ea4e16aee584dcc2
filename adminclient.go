package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"kindling/admin"
	"kindling/store"
)

// errNoAdmin means nothing answers on admin.listen, or it is off: no
// kindling is running there, and the database file can be opened directly.
var errNoAdmin = admin.ErrNoServer

// finalError ends an offline command although the database file could
// still be tried: the kindling that holds it refused the request (an
// export of a client it does not know, say), or its answer failed halfway.
type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }
func (e *finalError) Unwrap() error { return e.err }

// askAdmin asks the kindling running on cfg's admin.listen for
// path?query: the response to stream; errNoAdmin when nothing answers
// there; *finalError when the kindling there refused; any other error when
// something else answered or the request failed (see admin.Client.Get).
func askAdmin(ctx context.Context, cfg Config, path string, query url.Values) (*http.Response, error) {
	c := admin.Client{Listen: cfg.Admin.Listen, Token: cfg.Admin.Token, StorePath: cfg.Store.Path}
	resp, err := c.Get(ctx, path, query)
	if refused := (*admin.RefusedError)(nil); errors.As(err, &refused) {
		return nil, &finalError{refused}
	}
	return resp, err
}

func adminBase(listen string) (string, error) { return admin.BaseURL(listen) }

func exportOptions(client, since, format string) (store.ExportOptions, error) {
	return admin.ExportOptions(client, since, format)
}

// backupFromAdmin writes the hot copy streamed by resp to dst the way
// store.DB.BackupFile does: into dst.tmp (0600), synced, renamed, then
// verified by opening it read-only and checking it.
func backupFromAdmin(resp *http.Response, dst string) (int64, error) {
	defer resp.Body.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return 0, err
	}
	tmp := dst + ".tmp"
	n, err := writeSynced(tmp, resp.Body)
	if err != nil {
		_ = os.Remove(tmp)
		return n, fmt.Errorf("backup %s: %w", dst, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		_ = os.Remove(tmp)
		return n, fmt.Errorf("backup %s: %w", dst, err)
	}
	if d, err := os.Open(filepath.Dir(dst)); err == nil {
		_ = d.Sync() // the rename survives a crash
		_ = d.Close()
	}
	if err := verifyBackup(dst); err != nil {
		return n, fmt.Errorf("backup %s: verify: %w", dst, err)
	}
	return n, nil
}

func writeSynced(name string, r io.Reader) (int64, error) {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.Copy(f, r)
	if err != nil {
		return n, err
	}
	if err := f.Sync(); err != nil {
		return n, err
	}
	return n, f.Close()
}

// verifyBackup opens a backup read-only and checks it whole.
func verifyBackup(path string) error {
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Check()
}
